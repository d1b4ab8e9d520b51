import type { GenerationRequested } from '../events';
import type { Decider } from '../shared/decider';
import { canonicalJson } from '../shared/canonical-json';
import { DomainError } from '../shared/errors';
import { eventMetadata, type Command } from '../shared/event';
import { requireFinite, requireInt, requireText } from '../shared/guards';

/** Stream `generation-<requestId>`: one batch asked of one generator version, reproducible by its seed. */
export type RequestGeneration = Command<
  'RequestGeneration',
  { requestId: string; prompt: string; count: number; generatorVersion: string; seed: number; steps: number; guidance: number }
>;

export type GenerationCommand = RequestGeneration;
export type GenerationEvent = GenerationRequested;

export type GenerationState = { status: 'Absent' } | { status: 'Requested'; requestJson: string };

export const MAX_IMAGES_PER_REQUEST = 10_000;

function decide(command: GenerationCommand, state: GenerationState): GenerationEvent[] {
  switch (command.type) {
    case 'RequestGeneration': {
      const d = command.data;
      requireText('requestId', d.requestId, 200);
      requireText('prompt', d.prompt, 5000);
      requireInt('count', d.count, 1, MAX_IMAGES_PER_REQUEST);
      requireText('generatorVersion', d.generatorVersion, 200);
      requireInt('seed', d.seed, 0);
      requireInt('steps', d.steps, 1, 10_000);
      requireFinite('guidance', d.guidance);
      const data = { requestId: d.requestId, prompt: d.prompt, count: d.count, generatorVersion: d.generatorVersion, seed: d.seed, steps: d.steps, guidance: d.guidance };
      if (state.status === 'Requested') {
        if (state.requestJson === canonicalJson(data)) return []; // the same request delivered again
        throw new DomainError('CONFLICT', `generation request ${d.requestId} exists with other parameters`, { requestId: d.requestId });
      }
      return [{ type: 'GenerationRequested', data, metadata: eventMetadata(command) }];
    }
    default: {
      const _exhaustive: never = command.type;
      return _exhaustive;
    }
  }
}

function evolve(_state: GenerationState, event: GenerationEvent): GenerationState {
  switch (event.type) {
    case 'GenerationRequested':
      return { status: 'Requested', requestJson: canonicalJson(event.data) };
    default: {
      const _exhaustive: never = event.type;
      return _exhaustive;
    }
  }
}

export const generationDecider: Decider<GenerationState, GenerationCommand, GenerationEvent> = {
  decide,
  evolve,
  initialState: () => ({ status: 'Absent' }),
};
