import type { DitConfig, VitConfig } from '@forge/ml';

/** Everything the loop needs to know about sizes and budgets; `tiny` is for tests, `demo` for `forge loop run`. */
export interface LoopPreset {
  name: 'tiny' | 'demo';
  /** Image side in pixels (the judge works from 32 px). */
  size: number;
  world: { seed: number; realImages: number; heldOutPrompts: number };
  text: { vocabSize: number; dim: number; heads: number; layers: number; maxLength: number; mlmSteps: number; batch: number };
  generator: { dit: Omit<DitConfig, 'contextDim'>; pretrainSteps: number; batch: number; learningRate: number; emaDecay: number };
  sampling: { steps: number; guidance: number };
  vit: VitConfig;
  fundus: { steps: number; batch: number };
  selector: { members: number; pretrainSteps: number; retrainSteps: number; batch: number };
  policy: { pretrainSteps: number; retrainSteps: number; batch: number };
  /** Synthetic images rated by the panel before the selector's first training. */
  firstGeneratedBatch: number;
  iteration: { generated: number; labelBudget: number; ratersPerTask: number; retrainThreshold: number };
  /**
   * 'reward-weighted': filtered, reward-weighted fine-tuning mixed with real images;
   * 'ddpo': policy-gradient epochs over the DDIM chain with a KL penalty to the parent version.
   */
  refine: {
    method: 'reward-weighted' | 'ddpo';
    steps: number;
    batch: number;
    realFraction: number;
    threshold: number;
    learningRate: number;
    ddpo: { epochs: number; prompts: number; samplesPerPrompt: number; klWeight: number; clipRange: number };
  };
  evaluation: { seed: number };
  panel: { seed: number; raters: { id: string; skill: number; bias: number }[] };
}

const PANEL = {
  seed: 11,
  raters: [
    { id: 'rater-senior', skill: 0.9, bias: 0 },
    { id: 'rater-resident', skill: 0.6, bias: 0.2 },
    { id: 'rater-strict', skill: 0.75, bias: -0.3 },
  ],
};

export const LOOP_PRESETS: Record<LoopPreset['name'], LoopPreset> = {
  tiny: {
    name: 'tiny',
    size: 32,
    world: { seed: 1, realImages: 16, heldOutPrompts: 6 },
    text: { vocabSize: 160, dim: 16, heads: 2, layers: 1, maxLength: 48, mlmSteps: 3, batch: 8 },
    generator: { dit: { imageSize: 32, channels: 3, patch: 8, dim: 16, depth: 1, heads: 2, mlpRatio: 2, timeFeatures: 16 }, pretrainSteps: 3, batch: 8, learningRate: 2e-3, emaDecay: 0.5 },
    sampling: { steps: 3, guidance: 2 },
    vit: { imageSize: 32, channels: 3, patch: 8, dim: 16, depth: 1, heads: 2, mlpRatio: 2 },
    fundus: { steps: 3, batch: 8 },
    selector: { members: 2, pretrainSteps: 3, retrainSteps: 2, batch: 8 },
    policy: { pretrainSteps: 2, retrainSteps: 2, batch: 8 },
    firstGeneratedBatch: 4,
    iteration: { generated: 6, labelBudget: 5, ratersPerTask: 1, retrainThreshold: 3 },
    refine: { method: 'reward-weighted', steps: 2, batch: 8, realFraction: 0.5, threshold: 0, learningRate: 1e-3, ddpo: { epochs: 2, prompts: 2, samplesPerPrompt: 2, klWeight: 0.01, clipRange: 0.2 } },
    evaluation: { seed: 4242 },
    panel: PANEL,
  },
  demo: {
    name: 'demo',
    size: 32,
    world: { seed: 1, realImages: 128, heldOutPrompts: 32 },
    text: { vocabSize: 400, dim: 48, heads: 4, layers: 2, maxLength: 64, mlmSteps: 30, batch: 16 },
    generator: { dit: { imageSize: 32, channels: 3, patch: 4, dim: 64, depth: 3, heads: 4, mlpRatio: 2, timeFeatures: 64 }, pretrainSteps: 1200, batch: 16, learningRate: 3e-3, emaDecay: 0.98 },
    sampling: { steps: 25, guidance: 2 },
    vit: { imageSize: 32, channels: 3, patch: 8, dim: 48, depth: 2, heads: 4, mlpRatio: 2 },
    fundus: { steps: 80, batch: 32 },
    selector: { members: 3, pretrainSteps: 60, retrainSteps: 30, batch: 32 },
    policy: { pretrainSteps: 300, retrainSteps: 20, batch: 32 },
    firstGeneratedBatch: 32,
    iteration: { generated: 32, labelBudget: 24, ratersPerTask: 2, retrainThreshold: 24 },
    refine: { method: 'reward-weighted', steps: 80, batch: 16, realFraction: 0.5, threshold: 0.6, learningRate: 1e-3, ddpo: { epochs: 4, prompts: 4, samplesPerPrompt: 4, klWeight: 0.01, clipRange: 0.2 } },
    evaluation: { seed: 4242 },
    panel: PANEL,
  },
};

export function loopPreset(name: string): LoopPreset {
  const preset = (LOOP_PRESETS as Record<string, LoopPreset | undefined>)[name];
  if (!preset) throw Object.assign(new Error(`unknown loop preset '${name}' (expected one of ${Object.keys(LOOP_PRESETS).join(', ')})`), { code: 'INVALID_INPUT' });
  return preset;
}
