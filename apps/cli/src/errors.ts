// One place that turns an error into what a person at a terminal should read, and an exit code.
export function reportError(err: unknown): void {
  const e = err as { code?: string; message?: string };
  const code = e && typeof e.code === 'string' ? `[${e.code}] ` : '';
  process.stderr.write(`forge: ${code}${e?.message ?? String(err)}\n`);
  if (process.env.FORGE_DEBUG && err instanceof Error && err.stack) process.stderr.write(err.stack + '\n');
}

/** 2 = the input was wrong (fix it and retry); 3 = a conflict or refused state; 1 = anything else. */
export function exitCodeFor(err: unknown): number {
  const code = (err as { code?: string })?.code ?? '';
  if (/INVALID|NOT_FOUND|BAD_|MALFORMED/.test(code)) return 2;
  if (/CONFLICT|WRONG_EXPECTED|LOCKED|REUSED|TAMPER|BROKEN/.test(code)) return 3;
  return 1;
}
