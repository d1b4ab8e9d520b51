import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { AppModule } from './app.module';
import type { ApiConfig } from './config/api-config';
import { ErrorFilter } from './errors/error.filter';
import { createLogger, requestLogger } from './logging';
import { ApiMetrics } from './metrics/metrics';
import { openStore } from './store/open-store';

/** Builds and initialises the API (not listening): main.ts listens, tests drive it with supertest. */
export async function createApp(config: ApiConfig): Promise<NestExpressApplication> {
  const log = createLogger(config.logLevel);
  const store = await openStore(config);
  const metrics = new ApiMetrics();
  const app = await NestFactory.create<NestExpressApplication>(AppModule.create(config, store, log, metrics), {
    bodyParser: false,
    logger: config.logLevel === 'silent' ? false : ['error', 'warn'],
  });
  app.use(requestLogger(log));
  app.use(metrics.middleware());
  app.useBodyParser('json', { limit: config.maxJsonBytes });
  app.useGlobalFilters(new ErrorFilter(log));
  app.disable('x-powered-by');

  const openApi = new DocumentBuilder()
    .setTitle('Fundus Forge API')
    .setDescription('Datasets, label tasks, expert ratings and the audit record. Every route needs a bearer token and a role unless marked public.')
    .setVersion('0.1.0')
    .addBearerAuth()
    .build();
  SwaggerModule.setup('docs', app, () => SwaggerModule.createDocument(app, openApi), { jsonDocumentUrl: 'docs-json' });

  await app.init();
  return app;
}
