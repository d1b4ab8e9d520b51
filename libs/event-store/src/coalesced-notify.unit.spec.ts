import { CoalescedNotify } from './coalesced-notify';

describe('CoalescedNotify', () => {
  it('folds requests made while one is in flight into one follow-up sent after it', async () => {
    const sent: number[] = [];
    const pending: Array<() => void> = [];
    const n = new CoalescedNotify(() => {
      sent.push(sent.length);
      return new Promise<void>((r) => pending.push(r));
    });
    n.request();
    n.request();
    n.request();
    expect(sent).toHaveLength(1);
    pending.shift()!();
    await new Promise((r) => setImmediate(r));
    expect(sent).toHaveLength(2); // the follow-up for the two folded requests
    pending.shift()!();
    await new Promise((r) => setImmediate(r));
    expect(sent).toHaveLength(2);
    n.request();
    expect(sent).toHaveLength(3);
  });

  it('keeps going after a failed send', async () => {
    let calls = 0;
    const n = new CoalescedNotify(() => (calls++ === 0 ? Promise.reject(new Error('connection lost')) : Promise.resolve()));
    n.request();
    await new Promise((r) => setImmediate(r));
    n.request();
    await new Promise((r) => setImmediate(r));
    expect(calls).toBe(2);
  });
});

describe('CoalescedNotify with a minimum gap', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());
  const settle = async () => {
    for (let i = 0; i < 5; i++) await Promise.resolve();
  };

  it('sends the first request at once, folds the ones within the gap into one sent when the gap is over', async () => {
    const sentAt: number[] = [];
    const n = new CoalescedNotify(async () => void sentAt.push(Date.now()), 10);
    const t0 = Date.now();
    n.request();
    expect(sentAt).toEqual([t0]);
    await settle();
    for (let i = 0; i < 5; i++) {
      jest.advanceTimersByTime(1);
      n.request();
      await settle();
    }
    expect(sentAt).toHaveLength(1);
    jest.advanceTimersByTime(5);
    await settle();
    expect(sentAt).toEqual([t0, t0 + 10]);
    // Quiet for longer than the gap: the next one goes out at once again.
    jest.advanceTimersByTime(50);
    n.request();
    expect(sentAt).toEqual([t0, t0 + 10, t0 + 60]);
  });
});
