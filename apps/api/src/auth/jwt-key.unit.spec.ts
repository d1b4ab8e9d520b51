import { JwtService } from '@nestjs/jwt';
import { jwtSecretKey } from './jwt-key';

describe('jwtSecretKey', () => {
  const secret = 'a-secret-of-some-length-ü';

  it('verifies tokens signed with the plain string secret, and the other way round', async () => {
    const plain = new JwtService({ secret, signOptions: { algorithm: 'HS256' } });
    const keyed = new JwtService({ secret: jwtSecretKey(secret), signOptions: { algorithm: 'HS256' } });
    const fromPlain = await plain.signAsync({ sub: 'someone', typ: 'access' });
    const fromKey = await keyed.signAsync({ sub: 'someone', typ: 'access' });
    await expect(keyed.verifyAsync(fromPlain, { algorithms: ['HS256'] })).resolves.toMatchObject({ sub: 'someone' });
    await expect(plain.verifyAsync(fromKey, { algorithms: ['HS256'] })).resolves.toMatchObject({ sub: 'someone' });
  });

  it('refuses a token signed with another secret', async () => {
    const other = await new JwtService({ secret: jwtSecretKey(`${secret}!`) }).signAsync({ sub: 'someone', typ: 'access' });
    await expect(new JwtService({ secret: jwtSecretKey(secret) }).verifyAsync(other, { algorithms: ['HS256'] })).rejects.toThrow(/invalid signature/);
  });
});
