import type { AlignmentScored, ImageGenerated, ImageLabels, ImageRegistered, SelectorScored } from '../events';
import type { Decider } from '../shared/decider';
import { DomainError } from '../shared/errors';
import { eventMetadata, type Command } from '../shared/event';
import { requireInRange, requireInt, requireText } from '../shared/guards';
import { validateImage } from '../dataset/dataset.decider';

/** Stream `image-<id>`: a generated image is registered in its own stream. */
export type RegisterGeneratedImage = Command<
  'RegisterGeneratedImage',
  {
    imageId: string;
    requestId: string | null;
    prompt: string;
    seed: number;
    generatorVersion: string;
    sha256: string;
    width: number;
    height: number;
    modality: string;
    labels: ImageLabels;
  }
>;

export type RecordSelectorScore = Command<
  'RecordSelectorScore',
  { imageId: string; selectorVersion: string; score: number; uncertainty: number }
>;

export type RecordAlignmentScore = Command<'RecordAlignmentScore', { imageId: string; policyVersion: string; score: number }>;

export type ImageCommand = RegisterGeneratedImage | RecordSelectorScore | RecordAlignmentScore;
export type ImageStreamEvent = ImageGenerated | ImageRegistered | SelectorScored | AlignmentScored;

type Scores = { selector: Record<string, number>; alignment: Record<string, number> };

/**
 * A real image is registered in its dataset's stream (the import is one atomic append), so its
 * own stream starts with its first score: 'Unregistered' here means "not registered in this
 * stream". The API checks that an image exists against the images read model.
 */
export type ImageState =
  | ({ status: 'Unregistered' } & Scores)
  | ({ status: 'Registered'; imageId: string; sha256: string } & Scores);

function decide(command: ImageCommand, state: ImageState): ImageStreamEvent[] {
  const metadata = eventMetadata(command);
  switch (command.type) {
    case 'RegisterGeneratedImage': {
      const d = command.data;
      if (state.status === 'Registered') {
        if (state.sha256 === d.sha256) return []; // the same generation delivered twice
        throw new DomainError('ALREADY_EXISTS', `image ${d.imageId} is already registered with other content`, { imageId: d.imageId });
      }
      requireText('prompt', d.prompt, 5000);
      requireInt('seed', d.seed, 0);
      requireText('generatorVersion', d.generatorVersion, 200);
      if (d.requestId !== null) requireText('requestId', d.requestId, 200);
      validateImage('image', { ...d, origin: 'synthetic', caption: d.prompt });
      return [
        {
          type: 'ImageGenerated',
          data: { imageId: d.imageId, requestId: d.requestId, prompt: d.prompt, seed: d.seed, generatorVersion: d.generatorVersion, sha256: d.sha256 },
          metadata,
        },
        {
          type: 'ImageRegistered',
          data: {
            imageId: d.imageId,
            datasetId: null,
            origin: 'synthetic',
            sha256: d.sha256,
            width: d.width,
            height: d.height,
            modality: d.modality,
            caption: d.prompt,
            labels: d.labels,
          },
          metadata,
        },
      ];
    }
    case 'RecordSelectorScore': {
      const { imageId, selectorVersion, score, uncertainty } = command.data;
      requireText('imageId', imageId, 200);
      requireText('selectorVersion', selectorVersion, 200);
      requireInRange('score', score, 0, 1);
      requireInRange('uncertainty', uncertainty, 0, Number.MAX_VALUE);
      // Scoring jobs are delivered at least once: the first score of a version stands.
      if (selectorVersion in state.selector) return [];
      return [{ type: 'SelectorScored', data: { imageId, selectorVersion, score, uncertainty }, metadata }];
    }
    case 'RecordAlignmentScore': {
      const { imageId, policyVersion, score } = command.data;
      requireText('imageId', imageId, 200);
      requireText('policyVersion', policyVersion, 200);
      requireInRange('score', score, 0, 1);
      if (policyVersion in state.alignment) return [];
      return [{ type: 'AlignmentScored', data: { imageId, policyVersion, score }, metadata }];
    }
    default: {
      const _exhaustive: never = command;
      return _exhaustive;
    }
  }
}

function evolve(state: ImageState, event: ImageStreamEvent): ImageState {
  switch (event.type) {
    case 'ImageGenerated':
      return state;
    case 'ImageRegistered':
      return { ...state, status: 'Registered', imageId: event.data.imageId, sha256: event.data.sha256 };
    case 'SelectorScored':
      return { ...state, selector: { ...state.selector, [event.data.selectorVersion]: event.data.score } };
    case 'AlignmentScored':
      return { ...state, alignment: { ...state.alignment, [event.data.policyVersion]: event.data.score } };
    default: {
      const _exhaustive: never = event;
      return _exhaustive;
    }
  }
}

export const imageDecider: Decider<ImageState, ImageCommand, ImageStreamEvent> = {
  decide,
  evolve,
  initialState: () => ({ status: 'Unregistered', selector: {}, alignment: {} }),
};

