import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';

// Real processes for the fault tests: `forge loop worker` as a child process that can be killed with
// SIGKILL, and a Redis server of the test's own that can be restarted without disturbing anyone else's.

const REPO = path.resolve(__dirname, '../../../..');

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function exited(proc: ChildProcess): Promise<number | null> {
  if (proc.exitCode !== null || proc.signalCode !== null) return Promise.resolve(proc.exitCode);
  return new Promise((resolve) => proc.once('exit', (code) => resolve(code)));
}

/**
 * redis-server with its own folder and port, persisting to an append-only file fsynced on every write,
 * as a deployment that must not lose jobs would run it. restart() stops it cleanly and starts it again
 * on the same port with the same folder.
 */
export class PrivateRedis {
  private proc?: ChildProcess;

  private constructor(
    readonly dir: string,
    readonly port: number,
  ) {}

  static async start(dir: string): Promise<PrivateRedis> {
    const r = new PrivateRedis(dir, await freePort());
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(
      path.join(dir, 'redis.conf'),
      [`bind 127.0.0.1`, `port ${r.port}`, `dir ${dir}`, `logfile ${path.join(dir, 'redis.log')}`, `save ""`, `appendonly yes`, `appendfsync always`, `maxmemory-policy noeviction`].join('\n') + '\n',
    );
    await r.up();
    return r;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  private ping(): boolean {
    return spawnSync('redis-cli', ['-h', '127.0.0.1', '-p', String(this.port), 'ping'], { encoding: 'utf8' }).stdout?.trim() === 'PONG';
  }

  private async up(): Promise<void> {
    this.proc = spawn('redis-server', [path.join(this.dir, 'redis.conf')], { stdio: 'ignore' });
    await until(`redis on port ${this.port}`, () => this.ping(), 10_000);
  }

  /** SIGTERM: Redis writes the append-only file and exits. */
  async stop(): Promise<void> {
    const proc = this.proc;
    this.proc = undefined;
    if (!proc) return;
    proc.kill('SIGTERM');
    await exited(proc);
  }

  async restart(downMs: number): Promise<void> {
    await this.stop();
    await new Promise((r) => setTimeout(r, downMs));
    await this.up();
  }
}

/** `node apps/cli/bin/forge.js loop worker …` with its stderr kept for the test to read. */
export class WorkerProcess {
  private output = '';
  readonly proc: ChildProcess;

  constructor(args: string[], env: Record<string, string>) {
    this.proc = spawn(process.execPath, [path.join(REPO, 'apps/cli/bin/forge.js'), 'loop', 'worker', ...args], {
      cwd: REPO,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.proc.stdout?.on('data', (d: Buffer) => (this.output += d.toString()));
    this.proc.stderr?.on('data', (d: Buffer) => (this.output += d.toString()));
  }

  get log(): string {
    return this.output;
  }

  /** Resolves once the worker listens for jobs; fails at once when it exits first. */
  async ready(timeoutMs = 60_000): Promise<void> {
    await until('the loop worker to be ready', () => {
      if (this.proc.exitCode !== null) throw new Error(`loop worker exited with ${this.proc.exitCode}:\n${this.output}`);
      return this.output.includes('loop worker ready');
    }, timeoutMs);
  }

  kill(signal: NodeJS.Signals): void {
    this.proc.kill(signal);
  }

  exited(): Promise<number | null> {
    return exited(this.proc);
  }
}
