/**
 * Sends at most one notification at a time, and at most one per `minGapMs`: requests made while one is
 * in flight or waiting for the gap are folded into a single follow-up, which still goes out after every
 * commit that asked for it. The first request after a quiet spell goes out at once. Busy writers would
 * otherwise spend a round trip per append on wake-ups nobody can tell apart.
 */
export class CoalescedNotify {
  private inFlight = false;
  private again = false;
  private timer: NodeJS.Timeout | undefined;
  private lastSent = -Infinity;

  constructor(
    private readonly send: () => Promise<unknown>,
    private readonly minGapMs = 0,
  ) {}

  request(): void {
    if (this.inFlight || this.timer) {
      this.again = true;
      return;
    }
    const wait = this.lastSent + this.minGapMs - Date.now();
    if (wait > 0) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.again = false; // the send now covers every request that waited for it
        this.request();
      }, wait);
      this.timer.unref();
      return;
    }
    this.inFlight = true;
    this.lastSent = Date.now();
    this.send()
      .catch(() => undefined) // a lost notification only delays subscribers until their next poll
      .finally(() => {
        this.inFlight = false;
        if (this.again) {
          this.again = false;
          this.request();
        }
      });
  }
}
