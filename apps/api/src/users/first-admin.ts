import { Inject, Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import type { Logger } from 'pino';
import { hashPassword } from '../auth/password';
import { API_CONFIG, type ApiConfig } from '../config/api-config';
import { LOGGER } from '../logging';
import { ReadModel } from '../read-model/read-model.service';
import { commandMetadata } from '../store/command-metadata';
import type { Role, UserCommand } from '@forge/domain';
import { EVENT_STORE } from '../store/event-store.token';
import type { EventStore } from '../store/port';
import { loadUser } from './load-user';
import { ExecuteUserCommand } from './user-command.handler';

/** At start-up, when no active admin exists, creates one from FORGE_ADMIN_USER / FORGE_ADMIN_PASSWORD. */
@Injectable()
export class FirstAdmin implements OnApplicationBootstrap {
  constructor(
    @Inject(API_CONFIG) private readonly config: ApiConfig,
    @Inject(LOGGER) private readonly log: Logger,
    private readonly readModel: ReadModel,
    private readonly commands: CommandBus,
    @Inject(EVENT_STORE) private readonly store: EventStore,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.readModel.catchUp();
    if (this.readModel.users.anyActiveAdmin()) return;
    const { adminUser, adminPassword } = this.config;
    if (!adminPassword) {
      this.log.warn('no admin exists and FORGE_ADMIN_PASSWORD is not set: nobody can administer users');
      return;
    }
    // The configured account itself is read from its stream, so a lagging read model cannot make us register it twice.
    const existing = await loadUser(this.store, adminUser);
    if (existing.status === 'Active' && existing.roles.includes('admin')) return;
    if (existing.status === 'Disabled') {
      this.log.warn({ user: adminUser }, 'no active admin exists and the configured admin account is disabled');
      return;
    }
    const passwordHash = await hashPassword(adminPassword, this.config.scryptLogN);
    const metadata = commandMetadata('system', 'first admin from configuration (no admin existed)');
    const command: UserCommand =
      existing.status === 'Active'
        ? { type: 'ChangeUserRoles', data: { userId: adminUser, roles: [...new Set<Role>([...existing.roles, 'admin'])] }, metadata }
        : { type: 'RegisterUser', data: { userId: adminUser, username: adminUser, roles: ['admin'], passwordHash }, metadata };
    await this.commands.execute(new ExecuteUserCommand(command));
    this.log.info({ user: adminUser }, 'first admin created from configuration');
  }
}
