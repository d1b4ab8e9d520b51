import { loadConfig } from '@forge/config';
import { withStore } from './context';

export interface LoopWorkerOptions {
  preset: string;
  checkpointEvery: string;
  queuePrefix: string;
  lockMs: string;
}

function invalid(message: string): Error {
  return Object.assign(new Error(message), { code: 'INVALID_ARGUMENT' });
}

function integer(name: string, value: string, min: number, max: number): number {
  if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) throw invalid(`${name} must be an integer from ${min} to ${max}, got '${value}'`);
  return Number(value);
}

const say = (line: string) => process.stderr.write(`${new Date().toISOString()} ${line}\n`);

/**
 * `forge loop worker`: processes train-selector, train-policy, refine-generator, generate, score, route and evaluate
 * jobs from BullMQ until SIGTERM or SIGINT (refine-generator enqueues the evaluation of its version). On the signal it stops taking jobs; a running training saves a partial
 * checkpoint at its next step and returns to the queue, where another worker continues it.
 * A worker killed outright loses its lock after --lock-ms, and the job is handed to another worker.
 */
export async function runLoopWorker(opts: LoopWorkerOptions): Promise<void> {
  const checkpointEvery = integer('--checkpoint-every', opts.checkpointEvery, 1, 1_000_000);
  const lockMs = integer('--lock-ms', opts.lockMs, 500, 3_600_000);
  if (!/^[A-Za-z0-9_.-]{1,64}$/.test(opts.queuePrefix)) throw invalid(`--queue-prefix must be 1–64 letters, digits, '_', '.' or '-', got '${opts.queuePrefix}'`);
  if (!loadConfig().redisUrl) {
    throw Object.assign(new Error('forge loop worker takes jobs from Redis (BullMQ): set REDIS_URL. Without it the jobs run in the process that enqueues them (embedded mode).'), { code: 'INVALID_CONFIG' });
  }
  // Loaded on use: the ML backend and models are heavy, and other commands should not pay for them.
  const { loopPreset, startLoopWorker } = await import('@forge/loop');
  const { BullMqJobQueue } = await import('@forge/messaging');
  const { initBackend, shutdownBackend, backendInfo } = await import('@forge/ml');
  const preset = loopPreset(opts.preset);
  await initBackend();
  try {
    await withStore(async (store, config) => {
      const jobs = new BullMqJobQueue(config.redisUrl as string, { prefix: opts.queuePrefix, lockDurationMs: lockMs, stalledIntervalMs: lockMs });
      const stopped = new Promise<string>((resolve) => {
        process.once('SIGTERM', () => resolve('SIGTERM'));
        process.once('SIGINT', () => resolve('SIGINT'));
      });
      try {
        const worker = await startLoopWorker(jobs, { store, dataDir: config.dataDir, preset, checkpointEvery, log: say });
        const b = backendInfo();
        say(`loop worker ready (pid ${process.pid}): queue prefix ${opts.queuePrefix}, preset ${preset.name}, data ${config.dataDir}, ${config.databaseUrl ? 'PostgreSQL server' : 'embedded PGlite'}, backend ${b.name} ${b.threads} threads, partial checkpoint every ${checkpointEvery} steps`);
        const signal = await stopped;
        say(`${signal}: stopping (a running training saves a partial checkpoint and returns to the queue)`);
        await worker.close();
      } finally {
        await jobs.close();
      }
      say('loop worker stopped');
    });
  } finally {
    await shutdownBackend();
  }
}
