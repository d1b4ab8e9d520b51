import type { JobQueue, JobWorker } from '@forge/messaging';
import { EVALUATE_JOB, evaluateJobDefinition, evaluateJobId, generateJobDefinition, routeJobDefinition, scoreJobDefinition, trainJobDefinition, type EvaluateJobPayload } from './definitions';
import { evaluateJob } from './evaluate-job';
import { routeJob } from './route-job';
import { generateJob, scoreJob } from './sample-jobs';
import { refineGeneratorJob, trainPolicyJob, trainSelectorJob, type LoopJobDeps } from './train-jobs';

/**
 * Registers the loop's job processors (train-selector, train-policy, refine-generator, generate, score, route, evaluate) on a queue
 * (BullMQ in a `forge loop worker` process, or the in-process queue of an embedded deployment). A refined generator
 * is evaluated next: refine-generator enqueues `evaluate` (id from the version) before it completes, so a
 * refinement whose worker dies after training still gets its evaluation when the job is retried. One job of each kind at a time: training already
 * uses every core the ML backend is given. close() stops taking jobs; a running training saves a
 * partial checkpoint at its next step and goes back to the queue.
 */
export async function startLoopWorker(jobs: JobQueue, deps: LoopJobDeps): Promise<JobWorker> {
  const log = deps.log ?? (() => undefined);
  const logged = <R extends { runId: string; version: string; trainedNow: boolean; resumedFrom: number }>(name: string, id: string, result: R): R => {
    log(`${name} ${id}: ${result.trainedNow ? `trained ${result.version}${result.resumedFrom > 0 ? ` (resumed from step ${result.resumedFrom})` : ''}` : `run ${result.runId} had completed before (${result.version})`}`);
    return result;
  };
  const workers: JobWorker[] = [
    await jobs.process(trainJobDefinition('selector'), async (job) => logged(job.name, job.id, await trainSelectorJob(deps, job))),
    await jobs.process(trainJobDefinition('policy'), async (job) => logged(job.name, job.id, await trainPolicyJob(deps, job))),
    await jobs.process(trainJobDefinition('generator'), async (job) => {
      const result = logged(job.name, job.id, await refineGeneratorJob(deps, job));
      const payload: EvaluateJobPayload = { generatorVersion: result.version };
      const { jobId, created } = await jobs.enqueue(EVALUATE_JOB, evaluateJobId(result.version), payload);
      if (created) log(`${job.name} ${job.id}: evaluation of ${result.version} enqueued (${EVALUATE_JOB} ${jobId})`);
      return { ...result, evaluateJobId: jobId };
    }),
    await jobs.process(generateJobDefinition, (job) => generateJob(deps, job)),
    await jobs.process(scoreJobDefinition, (job) => scoreJob(deps, job)),
    await jobs.process(routeJobDefinition, (job) => routeJob(deps, job)),
    await jobs.process(evaluateJobDefinition, async (job) => {
      const result = await evaluateJob(deps, job);
      log(`${job.name} ${job.id}: ${result.version} ${result.decidedNow ? result.status.toLowerCase() : `had been ${result.status.toLowerCase()} before`}`);
      return result;
    }),
  ];
  return {
    close: async () => {
      await Promise.all(workers.map((w) => w.close()));
    },
  };
}
