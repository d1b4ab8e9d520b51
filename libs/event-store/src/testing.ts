import { randomBytes } from 'node:crypto';
import { Client } from 'pg';

// Integration tests get a fresh database per file on the server named by FORGE_TEST_DATABASE_URL.

export interface TestDatabase {
  url: string;
  name: string;
  drop(): Promise<void>;
}

export function testServerUrl(): string {
  const url = process.env.FORGE_TEST_DATABASE_URL;
  if (!url) {
    throw new Error(
      'FORGE_TEST_DATABASE_URL is not set: start PostgreSQL with `infra/services.sh up postgres` and ' +
        '`set -a; source .cache/services/postgres.env; set +a` (integration tests never skip silently)',
    );
  }
  return url;
}

/** Creates an empty database `<prefix>_<random>` on the test server; drop() removes it (closing its sessions). */
export async function createTestDatabase(prefix = 'forge_test'): Promise<TestDatabase> {
  const server = testServerUrl();
  const name = `${prefix.replace(/[^a-z0-9_]/gi, '_').toLowerCase()}_${randomBytes(4).toString('hex')}`;
  const admin = new Client({ connectionString: server });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const u = new URL(server);
  u.pathname = `/${name}`;
  return {
    url: u.toString(),
    name,
    async drop() {
      const c = new Client({ connectionString: server });
      await c.connect();
      try {
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await c.end();
      }
    },
  };
}
