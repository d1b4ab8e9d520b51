import * as http from 'node:http';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { percentile } from './harness';

// An open-loop load: request i is due at start + i / rate, whatever happened to the earlier ones, and its
// latency runs from that due time to the end of the answer (a client that falls behind still counts the
// wait, so slow answers cannot hide queueing: no coordinated omission). autocannon's `overallRate` is not
// this: each connection sends its per-second quota back to back at the start of every second.

export interface RateRequest {
  method: 'GET' | 'POST';
  path: string;
  body?: string;
}

export interface RateLoad {
  /** Answers per second (below the offered rate when the server cannot keep up). */
  rate: number;
  p50: number;
  p99: number;
  sent: number;
  /** Answers other than 2xx, network errors and timeouts. */
  errors: number;
  /** The status codes seen, with counts ('error' for a failed request). */
  statuses: Record<string, number>;
  /**
   * p99 of how late this client sent requests after their due time (ms). Large values mean the load
   * generator itself was starved of CPU, and the latencies above include that wait.
   */
  sendLagP99: number;
  /**
   * This client's own event-loop delay over the run (p99 and max, ms): a stalled client reads answers
   * late, so a tail here shows in the latencies too without being the server's.
   */
  loopDelayP99: number;
  loopDelayMax: number;
}

export interface RateOptions {
  url: string;
  rate: number;
  seconds: number;
  headers: Record<string, string>;
  next: () => RateRequest;
  /** Per request; a request still unanswered then counts as an error. */
  timeoutMs?: number;
  /**
   * Seconds of the same load sent first and not recorded: connections, pools and caches reach their
   * steady state for this rate before the measured `seconds` begin (no pause in between).
   */
  warmupSeconds?: number;
  /**
   * Keep-alive connections to reuse (a long-lived client such as the portal's server keeps them open);
   * without one, every run opens its own and closes them at the end.
   */
  agent?: http.Agent;
}

/** Keep-alive connections for constantRate, up to 512 at once. */
export function keepAliveAgent(): http.Agent {
  return new http.Agent({ keepAlive: true, maxSockets: 512 });
}

export function constantRate(options: RateOptions): Promise<RateLoad> {
  const { rate, seconds } = options;
  const warmup = options.warmupSeconds ?? 0;
  if (!(rate > 0) || !(seconds > 0) || !(warmup >= 0)) throw new RangeError(`constantRate needs rate > 0, seconds > 0 and warmupSeconds ≥ 0, got ${rate}, ${seconds} and ${warmup}`);
  const target = new URL(options.url);
  const agent = options.agent ?? keepAliveAgent();
  const unrecorded = Math.round(rate * warmup);
  const total = unrecorded + Math.round(rate * seconds);
  const latencies: number[] = [];
  const lags: number[] = [];
  const statuses: Record<string, number> = {};
  let errors = 0;
  let recorded = 0;
  let done = 0;
  let lastEnd = 0;
  const start = performance.now() + 5;
  const loopDelay = monitorEventLoopDelay({ resolution: 1 });
  loopDelay.enable();

  return new Promise((resolve) => {
    const finish = () => {
      loopDelay.disable();
      if (!options.agent) agent.destroy();
      const elapsed = (lastEnd - (start + (unrecorded * 1000) / rate)) / 1000;
      resolve({
        rate: (recorded - errors) / Math.max(seconds, elapsed),
        p50: latencies.length ? percentile(latencies, 50) : NaN,
        p99: latencies.length ? percentile(latencies, 99) : NaN,
        sent: total - unrecorded,
        errors,
        statuses,
        sendLagP99: lags.length ? percentile(lags, 99) : NaN,
        // Beyond the monitor's own 1 ms timer period, which every recorded interval includes.
        loopDelayP99: Math.max(0, loopDelay.percentile(99) / 1e6 - 1),
        loopDelayMax: Math.max(0, loopDelay.max / 1e6 - 1),
      });
    };
    const settle = (i: number, due: number, status: string) => {
      const end = performance.now();
      if (i >= unrecorded) {
        recorded++;
        lastEnd = Math.max(lastEnd, end);
        statuses[status] = (statuses[status] ?? 0) + 1;
        if (status.startsWith('2')) latencies.push(end - due);
        else errors++;
      }
      if (++done === total) finish();
    };
    const send = (i: number) => {
      const due = start + (i * 1000) / rate;
      if (i >= unrecorded) lags.push(performance.now() - due);
      const r = options.next();
      const headers = r.body === undefined ? options.headers : { ...options.headers, 'content-length': String(Buffer.byteLength(r.body)) };
      const req = http.request({ host: target.hostname, port: target.port, method: r.method, path: r.path, headers, agent, timeout: options.timeoutMs ?? 10_000 }, (res) => {
        res.resume();
        res.on('end', () => settle(i, due, String(res.statusCode)));
      });
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', () => settle(i, due, 'error'));
      req.end(r.body);
    };
    let sent = 0;
    const tick = () => {
      const now = performance.now();
      while (sent < total && start + (sent * 1000) / rate <= now) send(sent++);
      if (sent < total) setTimeout(tick, Math.max(0, start + (sent * 1000) / rate - performance.now()));
    };
    setTimeout(tick, 5);
  });
}
