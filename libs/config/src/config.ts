import * as path from 'node:path';
import { z } from 'zod';

// Configuration comes from the environment only, validated once, with a clear error naming the variable.
const schema = z.object({
  FORGE_DATA_DIR: z.string().min(1).default('./forge-data'),
  /** PostgreSQL server; absent → embedded PGlite in the data folder. */
  DATABASE_URL: z.string().url().optional(),
  /** Comma-separated Kafka brokers; absent → in-process bus. */
  KAFKA_BROKERS: z.string().min(1).optional(),
  /** Redis for BullMQ; absent → in-process job runner. */
  REDIS_URL: z.string().url().optional(),
  FORGE_IMPORT_ROOT: z.string().min(1).optional(),
  FORGE_JWT_SECRET: z.string().min(16).optional(),
  FORGE_ADMIN_USER: z.string().min(1).default('admin'),
  FORGE_ADMIN_PASSWORD: z.string().min(8).optional(),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
});

export interface ForgeConfig {
  dataDir: string;
  databaseUrl?: string;
  kafkaBrokers?: string[];
  redisUrl?: string;
  /** Server-side imports must name files below this folder. */
  importRoot: string;
  jwtSecret?: string;
  adminUser: string;
  adminPassword?: string;
  port: number;
}

export class ConfigError extends Error {
  readonly code = 'INVALID_CONFIG';
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): ForgeConfig {
  // An empty variable means unset (`DATABASE_URL= forge …` selects the embedded store).
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = schema.safeParse(present);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new ConfigError(`invalid configuration: ${issues}`);
  }
  const e = parsed.data;
  const dataDir = path.resolve(e.FORGE_DATA_DIR);
  return {
    dataDir,
    databaseUrl: e.DATABASE_URL,
    kafkaBrokers: e.KAFKA_BROKERS?.split(',').map((b) => b.trim()).filter(Boolean),
    redisUrl: e.REDIS_URL,
    importRoot: path.resolve(e.FORGE_IMPORT_ROOT ?? process.cwd()),
    jwtSecret: e.FORGE_JWT_SECRET,
    adminUser: e.FORGE_ADMIN_USER,
    adminPassword: e.FORGE_ADMIN_PASSWORD,
    port: e.PORT,
  };
}
