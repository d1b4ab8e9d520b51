import pino, { type Logger } from 'pino';

export const LOGGER = Symbol('LOGGER');

/** Structured JSON logs on stdout; request bodies and tokens are never logged. */
export function createLogger(level: string): Logger {
  return pino({ level, base: { service: 'forge-api' }, redact: ['req.headers.authorization', 'password', '*.password'] });
}

/** One line per request: method, route template, status, duration; never bodies or headers. */
export function requestLogger(log: Logger) {
  return (req: import('express').Request, res: import('express').Response, next: import('express').NextFunction) => {
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      const level = res.statusCode >= 500 ? 'error' : 'info';
      log[level]({ method: req.method, route: req.route?.path ?? req.path, status: res.statusCode, ms: Math.round(ms * 10) / 10 }, 'request');
    });
    next();
  };
}
