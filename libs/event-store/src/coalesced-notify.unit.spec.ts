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
