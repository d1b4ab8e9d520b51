import type { Generator } from './generator';
import type { ParamStore } from './params';
import { Rng } from './random';
import { samplingPlan } from './sampling-plan';
import { CosineSchedule } from './schedule';

// The plan both samplers run: seeds in the order the samplers have always drawn them, σ from the
// schedule, the weights the options ask for, and bad options refused before anything runs.

const store = { name: 'live' } as unknown as ParamStore;
const ema = { name: 'ema' } as unknown as ParamStore;
const generator = {
  config: { dit: { imageSize: 8, channels: 3 } },
  schedule: new CosineSchedule(100),
  store,
  ema,
} as unknown as Pick<Generator, 'config' | 'schedule' | 'store' | 'ema'>;

describe('samplingPlan', () => {
  it('draws the start seed first, then one noise seed per update, in timestep order', () => {
    const plan = samplingPlan(generator, { prompts: ['a', 'b'], seed: 42, steps: 5 }, 'test');
    const rng = new Rng(42);
    expect(plan.startSeed).toBe(rng.seed());
    expect(plan.updates.map((u) => u.noiseSeed)).toEqual([1, 2, 3, 4, 5].map(() => rng.seed()));
    expect(plan.updates.map((u) => u.t)).toEqual(generator.schedule.samplingTimesteps(5));
    expect(plan.updates.map((u) => u.tPrev)).toEqual([...generator.schedule.samplingTimesteps(5).slice(1), -1]);
    expect(plan.shape).toEqual([2, 8, 8, 3]);
  });

  it('gives σ = 0 for deterministic DDIM and the DDPM-like σ for η = 1', () => {
    expect(samplingPlan(generator, { prompts: ['a'], seed: 1, steps: 4 }, 'test').updates.every((u) => u.sigma === 0)).toBe(true);
    const stochastic = samplingPlan(generator, { prompts: ['a'], seed: 1, steps: 4, eta: 1 }, 'test').updates;
    const { t, tPrev, sigma } = stochastic[1];
    const [at, ap] = [generator.schedule.at(t), generator.schedule.at(tPrev)];
    expect(sigma).toBeCloseTo(Math.sqrt(((1 - ap) / (1 - at)) * (1 - at / ap)), 12);
    expect(sigma).toBeGreaterThan(0);
    // The last update lands on the clean image (ᾱ = 1): no noise is added there.
    expect(stochastic[stochastic.length - 1].sigma).toBe(0);
  });

  it('samples with the EMA weights unless told otherwise', () => {
    const other = { name: 'reference' } as unknown as ParamStore;
    expect(samplingPlan(generator, { prompts: ['a'], seed: 1 }, 'test').store).toBe(ema);
    expect(samplingPlan(generator, { prompts: ['a'], seed: 1, useEma: false }, 'test').store).toBe(store);
    expect(samplingPlan(generator, { prompts: ['a'], seed: 1, useEma: false, weights: other }, 'test').store).toBe(other);
    expect(samplingPlan(generator, { prompts: ['a'], seed: 1 }, 'test')).toMatchObject({ guidance: 3, eta: 0 });
    expect(samplingPlan(generator, { prompts: ['a'], seed: 1 }, 'test').updates).toHaveLength(50);
  });

  it('refuses bad options naming the caller and the option', () => {
    const refused = (options: Parameters<typeof samplingPlan>[1]) => {
      try {
        samplingPlan(generator, options, 'Sampler.sample');
      } catch (err) {
        return { code: (err as { code?: string }).code, message: (err as Error).message };
      }
      throw new Error('accepted');
    };
    expect(refused({ prompts: [], seed: 1 })).toEqual({ code: 'INVALID_INPUT', message: 'Sampler.sample: no prompts' });
    expect(refused({ prompts: ['a'], seed: 1, eta: 1.5 })).toEqual({ code: 'INVALID_INPUT', message: 'Sampler.sample: eta must be in [0, 1], got 1.5' });
    expect(refused({ prompts: ['a'], seed: 1, eta: Number.NaN }).message).toMatch(/eta must be in \[0, 1\]/);
    expect(refused({ prompts: ['a'], seed: 1, steps: 0 })).toMatchObject({ code: 'INVALID_INPUT', message: expect.stringMatching(/steps must be an integer in \[1, 100\], got 0/) });
  });
});
