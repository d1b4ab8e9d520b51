import { loadConfig, type ForgeConfig } from '@forge/config';
import { z } from 'zod';

/** What the HTTP API needs on top of the shared configuration. */
export interface ApiConfig extends ForgeConfig {
  jwtSecret: string;
  /** Lifetime of a login token. */
  tokenTtlSeconds: number;
  /** Static bearer tokens for workers, by name (each secret ≥ 32 characters). */
  serviceTokens: Record<string, string>;
  /** Largest JSON body accepted. */
  maxJsonBytes: number;
  /** Largest multipart upload accepted (all files together), and the most files in one upload. */
  maxUploadBytes: number;
  maxUploadFiles: number;
  /** Failed logins allowed per (IP, user) within the window before 429. */
  loginAttempts: number;
  loginWindowMs: number;
  /** scrypt cost for new password hashes (log2 N, ≥ 14). */
  scryptLogN: number;
  /** How long a claimed label task stays with an expert. */
  leaseSeconds: number;
  /** Redis key prefix of the BullMQ job queues shown at /admin/queues (the producers' prefix). */
  jobsPrefix: string;
  /** Lifetime of the cookie that lets an admin's browser open /admin/queues. */
  queueBoardSessionSeconds: number;
  logLevel: string;
  /** Longest a user's roles and status are trusted from memory when no change notice came (0: read on every request). */
  userCacheSeconds: number;
}

const apiEnv = z.object({
  FORGE_TOKEN_TTL_SECONDS: z.coerce.number().int().min(1).max(7 * 24 * 3600).default(3600),
  FORGE_SERVICE_TOKENS: z
    .string()
    .default('')
    .transform((s, ctx) => {
      const tokens: Record<string, string> = {};
      for (const entry of s.split(',').map((e) => e.trim()).filter(Boolean)) {
        const [name, secret] = entry.split('=');
        if (!name || !/^[a-z][a-z0-9-]{0,39}$/.test(name) || !secret || secret.length < 32) {
          ctx.addIssue({ code: 'custom', message: "each entry must be name=secret (lowercase name, secret of at least 32 characters)" });
          return z.NEVER;
        }
        tokens[name] = secret;
      }
      return tokens;
    }),
  FORGE_MAX_JSON_BYTES: z.coerce.number().int().min(1024).default(256 * 1024),
  FORGE_MAX_UPLOAD_BYTES: z.coerce.number().int().min(1024).default(200 * 1024 * 1024),
  FORGE_MAX_UPLOAD_FILES: z.coerce.number().int().min(1).default(5000),
  FORGE_LOGIN_ATTEMPTS: z.coerce.number().int().min(1).default(5),
  FORGE_LOGIN_WINDOW_MS: z.coerce.number().int().min(1000).default(15 * 60 * 1000),
  FORGE_LEASE_SECONDS: z.coerce.number().int().min(1).max(24 * 3600).default(20 * 60),
  FORGE_SCRYPT_LOG_N: z.coerce.number().int().min(14).max(20).default(15),
  FORGE_JOBS_PREFIX: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'letters, digits, - or _ (1 to 64 characters)').default('forge'),
  FORGE_QUEUE_BOARD_SESSION_SECONDS: z.coerce.number().int().min(30).max(3600).default(600),
  FORGE_USER_CACHE_SECONDS: z.coerce.number().min(0).max(3600).default(2),
  FORGE_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

export class ApiConfigError extends Error {
  readonly code = 'INVALID_CONFIG';
}

/** Reads the shared configuration plus the API's own variables; a JWT secret is required to serve. */
export function loadApiConfig(env: NodeJS.ProcessEnv = process.env): ApiConfig {
  const base = loadConfig(env);
  const parsed = apiEnv.safeParse(env);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new ApiConfigError(`invalid configuration: ${issues}`);
  }
  if (!base.jwtSecret) throw new ApiConfigError('invalid configuration: FORGE_JWT_SECRET (at least 16 characters) is required to serve the API');
  const e = parsed.data;
  return {
    ...base,
    jwtSecret: base.jwtSecret,
    tokenTtlSeconds: e.FORGE_TOKEN_TTL_SECONDS,
    serviceTokens: e.FORGE_SERVICE_TOKENS,
    maxJsonBytes: e.FORGE_MAX_JSON_BYTES,
    maxUploadBytes: e.FORGE_MAX_UPLOAD_BYTES,
    maxUploadFiles: e.FORGE_MAX_UPLOAD_FILES,
    loginAttempts: e.FORGE_LOGIN_ATTEMPTS,
    loginWindowMs: e.FORGE_LOGIN_WINDOW_MS,
    scryptLogN: e.FORGE_SCRYPT_LOG_N,
    leaseSeconds: e.FORGE_LEASE_SECONDS,
    jobsPrefix: e.FORGE_JOBS_PREFIX,
    queueBoardSessionSeconds: e.FORGE_QUEUE_BOARD_SESSION_SECONDS,
    logLevel: e.FORGE_LOG_LEVEL,
    userCacheSeconds: e.FORGE_USER_CACHE_SECONDS,
  };
}

export const API_CONFIG = Symbol('API_CONFIG');
