// The API process's own account of a load run, read from its Prometheus endpoint (prom-client's default
// metrics, prefix forge_api_) just before and just after the run: CPU time, GC pauses, event-loop delay.
// This is what says whether a slow tail came from the API's own work (CPU, GC) or from waiting
// (database, a machine whose cores are busy with other processes).

const PREFIX = 'forge_api_';

export interface ApiProcessSample {
  cpuSeconds: number;
  /** Sum and count of GC pauses over the process's life (prom-client records one entry per observer callback: a lower bound). */
  gcSeconds: number;
  gcCount: number;
  /** GC pauses longer than 10 ms (the histogram's 0.01 s bucket). */
  gcOver10ms: number;
  /**
   * Event-loop delay since the previous scrape (prom-client resets its histogram at every scrape), beyond
   * the monitor's own timer period: prom-client records whole intervals of a 10 ms timer, so its minimum is subtracted.
   */
  loopDelayP99Ms: number;
  loopDelayMaxMs: number;
}

export interface ApiProcessRun {
  cpuMsPerRequest: number;
  gcMsPerSecond: number;
  gcPauses: number;
  gcOver10ms: number;
  loopDelayP99Ms: number;
  loopDelayMaxMs: number;
}

/** Sums every sample line of `name` (all label sets) whose labels include `labelFilter`. */
function sum(text: string, name: string, labelFilter = ''): number {
  let total = 0;
  let found = false;
  for (const line of text.split('\n')) {
    if (!line.startsWith(PREFIX + name)) continue;
    const rest = line.slice(PREFIX.length + name.length);
    if (rest[0] !== ' ' && rest[0] !== '{') continue;
    if (labelFilter && !rest.includes(labelFilter)) continue;
    const value = Number(line.slice(line.lastIndexOf(' ') + 1));
    if (!Number.isFinite(value)) throw new Error(`api metrics: ${PREFIX}${name} has a value that is not a number: ${line}`);
    total += value;
    found = true;
  }
  if (!found) throw new Error(`api metrics: no ${PREFIX}${name}${labelFilter ? ` with ${labelFilter}` : ''} in the /metrics text`);
  return total;
}

export function parseApiProcessSample(text: string): ApiProcessSample {
  const gcCount = sum(text, 'nodejs_gc_duration_seconds_count');
  return {
    cpuSeconds: sum(text, 'process_cpu_seconds_total'),
    gcSeconds: sum(text, 'nodejs_gc_duration_seconds_sum'),
    gcCount,
    gcOver10ms: gcCount - sum(text, 'nodejs_gc_duration_seconds_bucket', 'le="0.01"'),
    loopDelayP99Ms: (sum(text, 'nodejs_eventloop_lag_p99_seconds') - sum(text, 'nodejs_eventloop_lag_min_seconds')) * 1000,
    loopDelayMaxMs: (sum(text, 'nodejs_eventloop_lag_max_seconds') - sum(text, 'nodejs_eventloop_lag_min_seconds')) * 1000,
  };
}

/** What the process spent between two samples, per request answered and per second. */
export function apiProcessRun(before: ApiProcessSample, after: ApiProcessSample, requests: number, seconds: number): ApiProcessRun {
  return {
    cpuMsPerRequest: ((after.cpuSeconds - before.cpuSeconds) * 1000) / requests,
    gcMsPerSecond: ((after.gcSeconds - before.gcSeconds) * 1000) / seconds,
    gcPauses: after.gcCount - before.gcCount,
    gcOver10ms: after.gcOver10ms - before.gcOver10ms,
    loopDelayP99Ms: after.loopDelayP99Ms,
    loopDelayMaxMs: after.loopDelayMaxMs,
  };
}
