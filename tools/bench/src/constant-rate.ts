import * as http from 'node:http';
import { performance } from 'node:perf_hooks';
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
}

export interface RateOptions {
  url: string;
  rate: number;
  seconds: number;
  headers: Record<string, string>;
  next: () => RateRequest;
  /** Per request; a request still unanswered then counts as an error. */
  timeoutMs?: number;
}

export function constantRate(options: RateOptions): Promise<RateLoad> {
  const { rate, seconds } = options;
  if (!(rate > 0) || !(seconds > 0)) throw new RangeError(`constantRate needs rate > 0 and seconds > 0, got ${rate} and ${seconds}`);
  const target = new URL(options.url);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 512 });
  const total = Math.round(rate * seconds);
  const latencies: number[] = [];
  const lags: number[] = [];
  const statuses: Record<string, number> = {};
  let errors = 0;
  let done = 0;
  let lastEnd = 0;
  const start = performance.now() + 5;

  return new Promise((resolve) => {
    const finish = () => {
      agent.destroy();
      const elapsed = (lastEnd - start) / 1000;
      resolve({
        rate: (done - errors) / Math.max(seconds, elapsed),
        p50: latencies.length ? percentile(latencies, 50) : NaN,
        p99: latencies.length ? percentile(latencies, 99) : NaN,
        sent: total,
        errors,
        statuses,
        sendLagP99: lags.length ? percentile(lags, 99) : NaN,
      });
    };
    const settle = (due: number, status: string) => {
      const end = performance.now();
      lastEnd = Math.max(lastEnd, end);
      statuses[status] = (statuses[status] ?? 0) + 1;
      if (status.startsWith('2')) latencies.push(end - due);
      else errors++;
      if (++done === total) finish();
    };
    const send = (due: number) => {
      lags.push(performance.now() - due);
      const r = options.next();
      const headers = r.body === undefined ? options.headers : { ...options.headers, 'content-length': String(Buffer.byteLength(r.body)) };
      const req = http.request({ host: target.hostname, port: target.port, method: r.method, path: r.path, headers, agent, timeout: options.timeoutMs ?? 10_000 }, (res) => {
        res.resume();
        res.on('end', () => settle(due, String(res.statusCode)));
      });
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', () => settle(due, 'error'));
      req.end(r.body);
    };
    let sent = 0;
    const tick = () => {
      const now = performance.now();
      while (sent < total && start + (sent * 1000) / rate <= now) send(start + (sent++ * 1000) / rate);
      if (sent < total) setTimeout(tick, Math.max(0, start + (sent * 1000) / rate - performance.now()));
    };
    setTimeout(tick, 5);
  });
}
