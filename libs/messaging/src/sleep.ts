/** A sleep that `wake()` ends early, so a stop or a notification does not wait out the poll interval. */
export class Waker {
  private pending?: () => void;

  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        if (this.pending === done) this.pending = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.pending = done;
    });
  }

  wake(): void {
    this.pending?.();
  }
}
