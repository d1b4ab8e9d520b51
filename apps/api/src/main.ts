import 'reflect-metadata';
import { createApp } from './app';
import { loadApiConfig } from './config/api-config';

async function main(): Promise<void> {
  const config = loadApiConfig();
  const app = await createApp(config);
  app.enableShutdownHooks();
  await app.listen(config.port);
  process.stdout.write(JSON.stringify({ level: 30, msg: `forge api listening on :${config.port}, OpenAPI at /docs` }) + '\n');
}

main().catch((err) => {
  process.stderr.write(`forge api: ${(err as Error).message}\n`);
  process.exit(1);
});
