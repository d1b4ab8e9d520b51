import { ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Command } from 'commander';

const root = path.resolve(__dirname, '../../../..');

/** Starts a child that shares this terminal, and stops it when we stop. */
function start(label: string, command: string, args: string[], env: NodeJS.ProcessEnv, cwd = root): ChildProcess {
  process.stderr.write(`starting ${label}: ${command} ${args.join(' ')}\n`);
  return spawn(command, args, { cwd, env, stdio: 'inherit' });
}

export function register(program: Command): void {
  program
    .command('serve')
    .description('run the HTTP API (OpenAPI at /docs) and, with --portal, the expert/auditor/operator portal')
    .option('--port <n>', 'API port', '3000')
    .option('--portal', 'also serve the portal (built with `npx next build apps/portal` first)')
    .option('--portal-port <n>', 'portal port', '3001')
    .action(async (opts: { port: string; portal?: boolean; portalPort: string }) => {
      for (const [name, value] of [['--port', opts.port], ['--portal-port', opts.portalPort]] as const) {
        if (!/^\d{1,5}$/.test(value) || Number(value) > 65535) throw Object.assign(new Error(`${name} must be a port number, got '${value}'`), { code: 'INVALID_ARGUMENT' });
      }
      if (!process.env.FORGE_JWT_SECRET || !process.env.FORGE_ADMIN_PASSWORD) {
        throw Object.assign(new Error('set FORGE_JWT_SECRET (≥ 16 characters) and FORGE_ADMIN_PASSWORD (≥ 8) to serve the API'), { code: 'INVALID_CONFIG' });
      }
      const children: ChildProcess[] = [start('api', process.execPath, [path.join(root, 'apps/api/bin/forge-api.js')], { ...process.env, PORT: opts.port })];
      if (opts.portal) {
        const portalDir = path.join(root, 'apps/portal');
        if (!fs.existsSync(path.join(portalDir, '.next', 'BUILD_ID'))) {
          throw Object.assign(new Error('the portal is not built: run `npx next build apps/portal` first'), { code: 'NOT_FOUND' });
        }
        const next = path.join(root, 'node_modules/next/dist/bin/next');
        children.push(
          start('portal', process.execPath, [next, 'start', '-p', opts.portalPort], { ...process.env, FORGE_API_URL: `http://127.0.0.1:${opts.port}` }, portalDir),
        );
      }
      const stop = () => children.forEach((c) => c.kill('SIGTERM'));
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      const codes = await Promise.all(children.map((c) => new Promise<number>((resolve) => c.once('exit', (code) => resolve(code ?? 0)))));
      process.exitCode = codes.find((c) => c !== 0) ?? 0;
    });
}
