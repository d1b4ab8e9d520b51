import { apiProcessRun, parseApiProcessSample } from './api-process-metrics';

// The text format prom-client writes for the API's default metrics (prefix forge_api_).
const scrape = (cpu: number, minor: [number, number, number], major: [number, number, number], p99: number, max: number) => `# HELP forge_api_process_cpu_user_seconds_total Total user CPU time spent in seconds.
# TYPE forge_api_process_cpu_user_seconds_total counter
forge_api_process_cpu_user_seconds_total ${cpu - 1}
# TYPE forge_api_process_cpu_seconds_total counter
forge_api_process_cpu_seconds_total ${cpu}
# TYPE forge_api_nodejs_eventloop_lag_p99_seconds gauge
forge_api_nodejs_eventloop_lag_min_seconds 0.0101
forge_api_nodejs_eventloop_lag_p99_seconds ${0.0101 + p99}
forge_api_nodejs_eventloop_lag_max_seconds ${0.0101 + max}
# TYPE forge_api_nodejs_gc_duration_seconds histogram
forge_api_nodejs_gc_duration_seconds_bucket{le="0.001",kind="minor"} 0
forge_api_nodejs_gc_duration_seconds_bucket{le="0.01",kind="minor"} ${minor[1] - minor[2]}
forge_api_nodejs_gc_duration_seconds_bucket{le="0.1",kind="minor"} ${minor[1]}
forge_api_nodejs_gc_duration_seconds_bucket{le="+Inf",kind="minor"} ${minor[1]}
forge_api_nodejs_gc_duration_seconds_sum{kind="minor"} ${minor[0]}
forge_api_nodejs_gc_duration_seconds_count{kind="minor"} ${minor[1]}
forge_api_nodejs_gc_duration_seconds_bucket{le="0.01",kind="major"} ${major[1] - major[2]}
forge_api_nodejs_gc_duration_seconds_bucket{le="+Inf",kind="major"} ${major[1]}
forge_api_nodejs_gc_duration_seconds_sum{kind="major"} ${major[0]}
forge_api_nodejs_gc_duration_seconds_count{kind="major"} ${major[1]}
`;

describe('API process metrics from /metrics', () => {
  it('adds GC pauses over every kind, counts those over 10 ms from the 0.01 s bucket, and gives event-loop delay beyond the 10 ms timer', () => {
    const s = parseApiProcessSample(scrape(12.5, [0.2, 40, 3], [0.05, 2, 1], 0.004, 0.031));
    expect(s.cpuSeconds).toBe(12.5);
    expect(s.gcSeconds).toBeCloseTo(0.25, 10);
    expect(s.gcCount).toBe(42);
    expect(s.gcOver10ms).toBe(4);
    expect(s.loopDelayP99Ms).toBeCloseTo(4, 10);
    expect(s.loopDelayMaxMs).toBeCloseTo(31, 10);
  });

  it('gives per-request CPU and per-second GC time between two scrapes, event-loop delay from the later one', () => {
    const before = parseApiProcessSample(scrape(10, [0.1, 20, 1], [0.02, 1, 0], 0.05, 0.2));
    const after = parseApiProcessSample(scrape(12, [0.3, 45, 4], [0.04, 2, 1], 0.003, 0.012));
    const run = apiProcessRun(before, after, 2500, 5);
    expect(run.cpuMsPerRequest).toBeCloseTo(0.8, 10);
    expect(run.gcMsPerSecond).toBeCloseTo(44, 10);
    expect(run.gcPauses).toBe(26);
    expect(run.gcOver10ms).toBe(4);
    expect(run.loopDelayP99Ms).toBeCloseTo(3, 10);
  });

  it('names the metric it cannot find or read', () => {
    expect(() => parseApiProcessSample('forge_api_process_cpu_seconds_total 1\n')).toThrow(/no forge_api_nodejs_gc_duration_seconds_count/);
    expect(() => parseApiProcessSample(scrape(1, [0, 0, 0], [0, 0, 0], 0, 0).replace('forge_api_process_cpu_seconds_total 1', 'forge_api_process_cpu_seconds_total x'))).toThrow(
      /forge_api_process_cpu_seconds_total has a value that is not a number/,
    );
  });
});
