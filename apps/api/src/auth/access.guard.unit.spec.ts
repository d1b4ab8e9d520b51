import { Controller, Get, type INestApplication } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { UnauthenticatedError } from '../errors/api-errors';
import { ErrorFilter } from '../errors/error.filter';
import { createLogger } from '../logging';
import { AccessGuard } from './access.guard';
import { Public, Roles, type Principal } from './roles';
import { TokensService } from './tokens.service';

@Controller('probe')
class ProbeController {
  @Get('open')
  @Public()
  open() {
    return 'open';
  }

  @Get('auditors')
  @Roles('auditor')
  auditors() {
    return 'auditors';
  }

  // Deliberately without @Roles or @Public.
  @Get('forgotten')
  forgotten() {
    return 'should never be served';
  }
}

/** Token check stand-in: the guard's decisions are what is under test here, not JWT parsing. */
const tokens: Pick<TokensService, 'authenticate'> = {
  async authenticate(header) {
    const principals: Record<string, Principal> = {
      'Bearer auditor': { kind: 'user', id: 'a', roles: ['auditor'] },
      'Bearer admin': { kind: 'user', id: 'b', roles: ['admin'] },
    };
    const p = header ? principals[header] : undefined;
    if (!p) throw new UnauthenticatedError();
    return p;
  },
};

describe('AccessGuard: deny by default', () => {
  let app: INestApplication;
  beforeAll(async () => {
    const moduleRef = await Test.createTestingModule({
      controllers: [ProbeController],
      providers: [{ provide: TokensService, useValue: tokens }, { provide: APP_GUARD, useClass: AccessGuard }],
    }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    app.useGlobalFilters(new ErrorFilter(createLogger('silent')));
    await app.init();
  });
  afterAll(() => app.close());

  it('refuses a route without @Roles or @Public for everyone, even an admin', async () => {
    for (const auth of [undefined, 'Bearer auditor', 'Bearer admin']) {
      const req = request(app.getHttpServer()).get('/probe/forgotten');
      const res = await (auth ? req.set('Authorization', auth) : req);
      expect(res.status).toBe(403);
      expect(res.body.message).toMatch(/declares no access rule/);
    }
  });

  it('serves @Public without a token, and @Roles only to those roles', async () => {
    await request(app.getHttpServer()).get('/probe/open').expect(200);
    await request(app.getHttpServer()).get('/probe/auditors').expect(401);
    await request(app.getHttpServer()).get('/probe/auditors').set('Authorization', 'Bearer admin').expect(403);
    await request(app.getHttpServer()).get('/probe/auditors').set('Authorization', 'Bearer auditor').expect(200);
  });
});
