import { Inject } from '@nestjs/common';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { streams, userDecider, type UserCommand } from '@forge/domain';
import type { EventStore } from '../store/port';
import { decideAndAppend } from '../store/decide-and-append';
import { EVENT_STORE } from '../store/event-store.token';
import { LOGGER } from '../logging';
import type { Logger } from 'pino';
import { UserDirectory } from './user-directory';

export class ExecuteUserCommand {
  constructor(readonly command: UserCommand) {}
}

@CommandHandler(ExecuteUserCommand)
export class UserCommandHandler implements ICommandHandler<ExecuteUserCommand> {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    private readonly users: UserDirectory,
    @Inject(LOGGER) private readonly log: Logger,
  ) {}

  async execute({ command }: ExecuteUserCommand) {
    const result = await decideAndAppend(this.store, streams.user(command.data.userId), userDecider, command);
    if (result.events.length > 0) {
      // The change is stored whatever happens to the notice; a lost notice is bounded by the directory's maximum age.
      await this.users.changed(command.data.userId).catch((err: Error) => this.log.warn({ err: err.message, user: command.data.userId }, 'user change notice not sent'));
    }
    return result;
  }
}
