import { LoginRateLimiter } from './login-rate-limiter';

describe('login rate limit per (IP, user)', () => {
  it('refuses after N failures until the window ends; others are unaffected; success resets', () => {
    let now = 0;
    const limiter = new LoginRateLimiter(3, 60_000, () => now);
    for (let i = 0; i < 3; i++) {
      expect(() => limiter.check('1.1.1.1', 'ann')).not.toThrow();
      limiter.failed('1.1.1.1', 'ann');
    }
    expect(() => limiter.check('1.1.1.1', 'ann')).toThrow(expect.objectContaining({ code: 'RATE_LIMITED', retryAfterSeconds: 60 }));
    expect(() => limiter.check('2.2.2.2', 'ann')).not.toThrow();
    expect(() => limiter.check('1.1.1.1', 'bob')).not.toThrow();
    now = 60_000;
    expect(() => limiter.check('1.1.1.1', 'ann')).not.toThrow();
    limiter.failed('1.1.1.1', 'bob');
    limiter.succeeded('1.1.1.1', 'bob');
    limiter.failed('1.1.1.1', 'bob');
    limiter.failed('1.1.1.1', 'bob');
    expect(() => limiter.check('1.1.1.1', 'bob')).not.toThrow();
  });
});
