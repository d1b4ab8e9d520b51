import type { Role, UserState } from '@forge/domain';
import { UserDirectory, type UserChangeNotices } from './user-directory';

/** Notices inside one process: what publish sends, every subscriber hears. */
function localNotices(): UserChangeNotices & { published: number; listeners: Set<() => void> } {
  const listeners = new Set<() => void>();
  return {
    published: 0,
    listeners,
    async publish() {
      this.published++;
      for (const l of listeners) l();
    },
    async subscribe(onChange) {
      listeners.add(onChange);
      return async () => void listeners.delete(onChange);
    },
  };
}

type Account = Extract<UserState, { status: 'Active' }>;
const active = (roles: Role[]): Account => ({ status: 'Active', userId: 'ann', username: 'ann', roles, passwordHash: 'x' });

describe('UserDirectory', () => {
  let stored: Account | Extract<UserState, { status: 'Disabled' }>;
  let reads: number;
  let clock: number;
  const load = async () => {
    reads++;
    return stored;
  };
  beforeEach(() => {
    stored = active(['expert']);
    reads = 0;
    clock = 0;
  });

  it('reads on every call until it listens, then keeps the state until a change or the maximum age', async () => {
    const users = new UserDirectory(load, localNotices(), 2000, () => clock);
    await users.get('ann');
    await users.get('ann');
    expect(reads).toBe(2);
    await users.start();
    await users.get('ann');
    await users.get('ann');
    expect(reads).toBe(3);
    clock = 1999;
    await users.get('ann');
    expect(reads).toBe(3);
    clock = 2001;
    await users.get('ann');
    expect(reads).toBe(4);
    await users.close();
  });

  it('a change in this process applies to the next call and is announced; a notice from elsewhere evicts everyone', async () => {
    const notices = localNotices();
    const users = new UserDirectory(load, notices, 60_000, () => clock);
    await users.start();
    expect(await users.get('ann')).toMatchObject({ roles: ['expert'] });
    stored = active(['admin']);
    await users.changed('ann');
    expect(notices.published).toBe(1);
    expect(await users.get('ann')).toMatchObject({ roles: ['admin'] });
    stored = { ...stored, status: 'Disabled' };
    for (const l of notices.listeners) l(); // another process disabled her
    expect((await users.get('ann')).status).toBe('Disabled');
    await users.close();
    expect(notices.listeners.size).toBe(0);
  });

  it('a read that began before a change is answered but not kept', async () => {
    let release!: () => void;
    const slow = async () => {
      reads++;
      const before = stored;
      await new Promise<void>((r) => (release = r));
      return before;
    };
    const users = new UserDirectory(slow, localNotices(), 60_000, () => clock);
    await users.start();
    const inFlight = users.get('ann');
    stored = { ...stored, status: 'Disabled' };
    await users.changed('ann');
    release();
    expect((await inFlight).status).toBe('Active');
    const next = users.get('ann');
    release();
    expect((await next).status).toBe('Disabled');
    expect(reads).toBe(2);
    await users.close();
  });

  it('keeps nothing with a maximum age of 0', async () => {
    const notices = localNotices();
    const users = new UserDirectory(load, notices, 0, () => clock);
    await users.start();
    await users.get('ann');
    await users.get('ann');
    expect(reads).toBe(2);
    expect(notices.listeners.size).toBe(0);
  });
});
