import { createHash, timingSafeEqual } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { JwtService, TokenExpiredError } from '@nestjs/jwt';
import { API_CONFIG, type ApiConfig } from '../config/api-config';
import { UnauthenticatedError } from '../errors/api-errors';
import { UserDirectory } from '../users/user-directory';
import type { Principal, Role } from './roles';

interface AccessClaims {
  sub: string;
  typ: 'access';
}

/** A different `typ`, so a board cookie is never accepted as a bearer token nor the other way round. */
interface QueueBoardClaims {
  sub: string;
  typ: 'queue-board';
}

const digest = (s: string) => createHash('sha256').update(s).digest();

@Injectable()
export class TokensService {
  private readonly serviceDigests: [string, Buffer][];

  constructor(
    @Inject(API_CONFIG) private readonly config: ApiConfig,
    private readonly jwt: JwtService,
    private readonly users: UserDirectory,
  ) {
    this.serviceDigests = Object.entries(config.serviceTokens).map(([name, secret]) => [name, digest(secret)]);
  }

  async issue(username: string): Promise<{ accessToken: string; expiresAt: string }> {
    const claims: AccessClaims = { sub: username, typ: 'access' };
    const accessToken = await this.jwt.signAsync(claims, { expiresIn: this.config.tokenTtlSeconds });
    const expiresAt = new Date(Date.now() + this.config.tokenTtlSeconds * 1000).toISOString();
    return { accessToken, expiresAt };
  }

  /** A short-lived token for the job-queue board cookie, for a user already authenticated as admin. */
  async issueQueueBoardSession(username: string): Promise<{ token: string; expiresAt: string; maxAgeSeconds: number }> {
    const maxAgeSeconds = Math.min(this.config.queueBoardSessionSeconds, this.config.tokenTtlSeconds);
    const claims: QueueBoardClaims = { sub: username, typ: 'queue-board' };
    const token = await this.jwt.signAsync(claims, { expiresIn: maxAgeSeconds });
    return { token, expiresAt: new Date(Date.now() + maxAgeSeconds * 1000).toISOString(), maxAgeSeconds };
  }

  /** The user behind a job-queue board cookie; like a bearer token, roles are current (see UserDirectory). */
  async authenticateQueueBoardSession(token: string | undefined): Promise<Principal> {
    if (!token) throw new UnauthenticatedError('a bearer token or a job-queue board session is required: open the board from the portal\'s admin page');
    const claims = await this.verify<QueueBoardClaims>(token, 'the job-queue board session has expired; open the board again from the admin page');
    if (claims.typ !== 'queue-board' || typeof claims.sub !== 'string') throw new UnauthenticatedError('the job-queue board session is not valid');
    return this.activeUser(claims.sub);
  }

  /** The caller behind an `Authorization: Bearer …` header; roles are current, so a change or a disable applies to the next request (UserDirectory). */
  async authenticate(header: string | undefined): Promise<Principal> {
    const match = /^Bearer\s+(\S+)$/i.exec(header ?? '');
    if (!match) throw new UnauthenticatedError();
    const token = match[1];
    const service = this.serviceToken(token);
    if (service) return { kind: 'service', id: service, roles: ['service'] };

    const claims = await this.verify<AccessClaims>(token, 'the token has expired; log in again');
    if (claims.typ !== 'access' || typeof claims.sub !== 'string') throw new UnauthenticatedError('the token is not valid');
    return this.activeUser(claims.sub);
  }

  private async verify<C extends object>(token: string, expiredMessage: string): Promise<C> {
    try {
      return await this.jwt.verifyAsync<C>(token, { algorithms: ['HS256'] });
    } catch (err) {
      throw new UnauthenticatedError(err instanceof TokenExpiredError ? expiredMessage : 'the token is not valid');
    }
  }

  private async activeUser(username: string): Promise<Principal> {
    const user = await this.users.get(username);
    if (user.status !== 'Active') throw new UnauthenticatedError('the account is disabled or unknown');
    return { kind: 'user', id: user.username, roles: [...user.roles] as Role[] };
  }

  private serviceToken(token: string): string | undefined {
    const d = digest(token);
    let found: string | undefined;
    // Compare against every configured token so timing does not say which one nearly matched.
    for (const [name, expected] of this.serviceDigests) if (timingSafeEqual(d, expected)) found = name;
    return found;
  }
}
