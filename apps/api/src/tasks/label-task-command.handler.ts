import { Inject } from '@nestjs/common';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { labelTaskDecider, streams, type LabelTaskCommand, type LabelTaskState } from '@forge/domain';
import { AggregateCache } from '../store/aggregate-cache';
import { decideAndAppend } from '../store/decide-and-append';
import { EVENT_STORE } from '../store/event-store.token';
import type { EventStore } from '../store/port';

export class ExecuteLabelTaskCommand {
  constructor(readonly command: LabelTaskCommand) {}
}

@CommandHandler(ExecuteLabelTaskCommand)
export class LabelTaskCommandHandler implements ICommandHandler<ExecuteLabelTaskCommand> {
  /** A task claimed through this process is usually rated through it too: its state is kept from the claim. */
  private readonly states = new AggregateCache<LabelTaskState>();

  constructor(@Inject(EVENT_STORE) private readonly store: EventStore) {}

  execute({ command }: ExecuteLabelTaskCommand) {
    return decideAndAppend(this.store, streams.task(command.data.taskId), labelTaskDecider, command, this.states);
  }
}
