import type { JobContext } from '@forge/messaging';

/** Progress as a small object (`{phase, step, of, …}`): at most twice a second, and whenever set() is called. */
export function jobProgress(job: JobContext<unknown>, log: (line: string) => void) {
  let state: Record<string, unknown> = { phase: 'loading data' };
  let sentAt = 0;
  const send = () => {
    sentAt = Date.now();
    // A queue that is briefly unreachable must not fail the work: the next report carries the state.
    return job.reportProgress(state).catch((err: Error) => log(`${job.name} ${job.id}: progress not reported (${err.message})`));
  };
  return {
    set(fields: Record<string, unknown>): Promise<void> {
      state = { ...state, ...fields };
      return send();
    },
    step(step: number, of: number, phase = 'training'): void {
      state = { ...state, phase, step, of };
      if (Date.now() - sentAt >= 500) void send();
    },
  };
}

export type JobProgress = ReturnType<typeof jobProgress>;
