import 'reflect-metadata';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Command, CommanderError } from 'commander';
import { exitCodeFor, reportError } from './errors';

// Every file in ./commands named `<name>.command.ts` exports `register(program)`;
// adding a command is adding a file.
export interface CommandModule {
  register(program: Command): void;
}

function loadCommands(program: Command): void {
  const dir = path.join(__dirname, 'commands');
  for (const file of fs.readdirSync(dir).filter((f) => /\.command\.(ts|js)$/.test(f)).sort()) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const mod = require(path.join(dir, file)) as CommandModule;
    mod.register(program);
  }
}

export async function main(argv: string[]): Promise<number> {
  const program = new Command('forge')
    .description('Fundus Forge: a self-improving fundus image generator with an auditable record')
    .showHelpAfterError()
    .exitOverride();
  loadCommands(program);
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode;
    reportError(err);
    return exitCodeFor(err);
  }
}

/** Entry used by bin/forge.js. */
export function run(): void {
  // `forge export | head` closes the pipe early: that is the reader's choice, not an error.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
    throw err;
  });
  main(process.argv).then(
    (code) => process.exit(code),
    (err) => {
      reportError(err);
      process.exit(1);
    },
  );
}
