import 'reflect-metadata';
import { createApp } from './app';
import { loadApiConfig } from './config/api-config';
import { LOGGER } from './logging';
import type { Logger } from 'pino';

async function main(): Promise<void> {
  const config = loadApiConfig();
  const app = await createApp(config);
  app.enableShutdownHooks();
  await app.listen(config.port);
  app.get<Logger>(LOGGER).info({ port: config.port, store: config.databaseUrl ? 'postgresql' : 'pglite' }, 'forge api listening; OpenAPI at /docs');
}

main().catch((err) => {
  process.stderr.write(`forge api: ${(err as Error).message}\n`);
  process.exit(1);
});
