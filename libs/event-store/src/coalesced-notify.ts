/**
 * Sends at most one notification at a time: requests made while one is in flight are folded into a
 * single follow-up, which still goes out after every commit that asked for it. Busy writers would
 * otherwise spend a round trip per append on wake-ups nobody can tell apart.
 */
export class CoalescedNotify {
  private inFlight = false;
  private again = false;

  constructor(private readonly send: () => Promise<unknown>) {}

  request(): void {
    if (this.inFlight) {
      this.again = true;
      return;
    }
    this.inFlight = true;
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
