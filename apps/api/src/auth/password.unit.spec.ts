import { hashPassword, verifyPassword } from './password';

describe('password hashing', () => {
  it('verifies the right password and refuses a wrong one', async () => {
    const stored = await hashPassword('correct horse battery', 14);
    expect(await verifyPassword('correct horse battery', stored)).toBe(true);
    expect(await verifyPassword('correct horse batterY', stored)).toBe(false);
    expect(await verifyPassword('', stored)).toBe(false);
  });

  it('salts: the same password hashes differently each time, both verify', async () => {
    const a = await hashPassword('same password', 14);
    const b = await hashPassword('same password', 14);
    expect(a).not.toBe(b);
    expect(await verifyPassword('same password', a)).toBe(true);
    expect(await verifyPassword('same password', b)).toBe(true);
  });

  it('stores scrypt with N ≥ 2^14, a 16-byte salt and a 64-byte key', async () => {
    const [scheme, logN, r, p, salt, key] = (await hashPassword('pw-pw-pw-pw', 14)).split('$');
    expect(scheme).toBe('scrypt');
    expect(Number(logN)).toBeGreaterThanOrEqual(14);
    expect([Number(r), Number(p)]).toEqual([8, 1]);
    expect(Buffer.from(salt, 'base64')).toHaveLength(16);
    expect(Buffer.from(key, 'base64')).toHaveLength(64);
  });

  it('refuses a cost below 2^14, and malformed or weakened stored hashes', async () => {
    await expect(hashPassword('pw', 13)).rejects.toThrow(/2\^14/);
    const stored = await hashPassword('pw-pw-pw-pw', 14);
    expect(await verifyPassword('pw-pw-pw-pw', stored.replace('scrypt$14$', 'scrypt$10$'))).toBe(false);
    expect(await verifyPassword('pw-pw-pw-pw', 'plain:pw-pw-pw-pw')).toBe(false);
    expect(await verifyPassword('pw-pw-pw-pw', stored.slice(0, -8))).toBe(false);
  });

  it('normalises Unicode so the same visible password matches', async () => {
    const stored = await hashPassword('caf\u00e9-latte', 14);
    expect(await verifyPassword('cafe\u0301-latte', stored)).toBe(true);
  });
});
