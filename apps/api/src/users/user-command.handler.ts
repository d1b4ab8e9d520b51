import { Inject } from '@nestjs/common';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { streams, userDecider, type UserCommand } from '@forge/domain';
import type { EventStore } from '../store/port';
import { decideAndAppend } from '../store/decide-and-append';
import { EVENT_STORE } from '../store/event-store.token';

export class ExecuteUserCommand {
  constructor(readonly command: UserCommand) {}
}

@CommandHandler(ExecuteUserCommand)
export class UserCommandHandler implements ICommandHandler<ExecuteUserCommand> {
  constructor(@Inject(EVENT_STORE) private readonly store: EventStore) {}

  execute({ command }: ExecuteUserCommand) {
    return decideAndAppend(this.store, streams.user(command.data.userId), userDecider, command);
  }
}
