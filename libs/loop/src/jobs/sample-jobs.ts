import { streams } from '@forge/domain';
import { UnrecoverableJobError, type JobContext } from '@forge/messaging';
import { loadGenerator, loadPolicy, loadSelector } from '@forge/ml';
import { checkpointDir, hasCheckpoint } from '../checkpoints';
import { generateImages, scoreImages, type GeneratedImage, type ImageScores } from '../generation';
import type { GenerateJobPayload, ScoreJobPayload } from './definitions';
import { jobProgress } from './job-progress';
import { readImagePixels } from './recorded-data';
import { recorderFor, type LoopJobDeps } from './train-jobs';

// The generate and score jobs: the loop's generateImages and scoreImages on versions named in the
// payload. Both are idempotent: image ids derive from the batch name, and a version scores an image once.

function checkpointOf(deps: LoopJobDeps, kind: string, version: string): string {
  const dir = checkpointDir(deps.dataDir, kind, version);
  if (!hasCheckpoint(dir)) throw new UnrecoverableJobError(`${kind} ${version}: no checkpoint at ${dir}`);
  return dir;
}

export async function generateJob(deps: LoopJobDeps, job: JobContext<GenerateJobPayload>): Promise<{ imageIds: string[] }> {
  const p = job.payload;
  const progress = jobProgress(job, (l) => deps.log?.(l));
  const generator = loadGenerator(checkpointOf(deps, 'generator', p.generatorVersion)).generator;
  try {
    const reason = `job ${job.name} ${job.id}`;
    const images = await generateImages(recorderFor(deps, job.id), deps.dataDir, deps.preset, generator, p.generatorVersion, p.batch, p.prompts, p.seed, (d, t) => progress.step(d, t, `generating (${reason})`));
    await progress.set({ phase: 'done' });
    return { imageIds: images.map((i) => i.imageId) };
  } finally {
    generator.dispose();
  }
}

/** Reads a generated image (its stream's ImageGenerated) and its pixels from the content store. */
async function generatedImage(deps: LoopJobDeps, imageId: string): Promise<GeneratedImage> {
  const generated = (await deps.store.readStream(streams.image(imageId))).find((e) => e.type === 'ImageGenerated');
  if (!generated) throw new UnrecoverableJobError(`image ${imageId} is not a generated image in the record`);
  const g = generated.data as { sha256: string; prompt: string; seed: number };
  return { imageId, sha256: g.sha256, prompt: g.prompt, seed: g.seed, pixels: await readImagePixels(deps.dataDir, imageId, g.sha256) };
}

export async function scoreJob(deps: LoopJobDeps, job: JobContext<ScoreJobPayload>): Promise<{ scores: (ImageScores & { imageId: string })[] }> {
  const p = job.payload;
  const progress = jobProgress(job, (l) => deps.log?.(l));
  const images: GeneratedImage[] = [];
  for (const id of p.imageIds) images.push(await generatedImage(deps, id));
  const selector = loadSelector(checkpointOf(deps, 'selector', p.selectorVersion)).selector;
  const policy = loadPolicy(checkpointOf(deps, 'policy', p.policyVersion)).policy;
  try {
    const scores = await scoreImages(recorderFor(deps, job.id), { model: selector, version: p.selectorVersion }, { model: policy, version: p.policyVersion }, images, (d, t) => progress.step(d, t, 'scoring'));
    await progress.set({ phase: 'done' });
    return { scores: scores.map((s, k) => ({ imageId: images[k].imageId, ...s })) };
  } finally {
    selector.dispose();
    policy.dispose();
  }
}
