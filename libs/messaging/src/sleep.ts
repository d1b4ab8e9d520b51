/** A sleep that `wake()` ends early, so a stop or a notification does not wait out the poll interval. */
export class Waker {
  private pending?: () => void;

  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      const self = this;
      function done() {
        clearTimeout(timer);
        if (self.pending === done) self.pending = undefined;
        resolve();
      }
      this.pending = done;
    });
  }

  wake(): void {
    this.pending?.();
  }
}
