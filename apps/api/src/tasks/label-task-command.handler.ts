import { Inject } from '@nestjs/common';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { labelTaskDecider, streams, type LabelTaskCommand } from '@forge/domain';
import { decideAndAppend } from '../store/decide-and-append';
import { EVENT_STORE } from '../store/event-store.token';
import type { EventStore } from '../store/port';

export class ExecuteLabelTaskCommand {
  constructor(readonly command: LabelTaskCommand) {}
}

@CommandHandler(ExecuteLabelTaskCommand)
export class LabelTaskCommandHandler implements ICommandHandler<ExecuteLabelTaskCommand> {
  constructor(@Inject(EVENT_STORE) private readonly store: EventStore) {}

  execute({ command }: ExecuteLabelTaskCommand) {
    return decideAndAppend(this.store, streams.task(command.data.taskId), labelTaskDecider, command);
  }
}
