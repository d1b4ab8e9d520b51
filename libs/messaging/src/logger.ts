import pino, { type Logger } from 'pino';
import { logLevel, type logCreator } from 'kafkajs';

export type { Logger };

/** Logs go to stderr: stdout belongs to a command's results (tables, --json). */
export function defaultLogger(name: string): Logger {
  return pino({ name, level: process.env.FORGE_LOG_LEVEL ?? 'info' }, pino.destination(2));
}

/** Routes kafkajs's own log lines into our pino logger. */
export function kafkaLogCreator(logger: Logger): logCreator {
  return () => ({ level, log }) => {
    const { message, ...extra } = log;
    const child = { ...extra, kafkajs: log.logger };
    if (level === logLevel.ERROR) logger.error(child, message);
    else if (level === logLevel.WARN) logger.warn(child, message);
    else if (level === logLevel.INFO) logger.debug(child, message);
    else logger.trace(child, message);
  };
}
