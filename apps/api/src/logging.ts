import pino, { type Logger } from 'pino';

export const LOGGER = Symbol('LOGGER');

/** Structured JSON logs on stdout; request bodies and tokens are never logged. */
export function createLogger(level: string): Logger {
  return pino({ level, base: { service: 'forge-api' }, redact: ['req.headers.authorization', 'password', '*.password'] });
}
