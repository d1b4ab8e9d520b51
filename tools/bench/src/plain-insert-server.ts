// The floor for rating submission in the api bench: a plain node:http server that parses the same JSON
// body and stores it with one INSERT (its own connection pool, committed, fsync as configured) and
// answers 201. No framework, no auth, no stream read, no hash chain. Started as a child process by
// api.bench.ts with DATABASE_URL and PORT; prints `listening` when it accepts requests.
import * as http from 'node:http';
import { Pool } from 'pg';

const url = process.env.DATABASE_URL;
const port = Number(process.env.PORT);
if (!url || !Number.isInteger(port) || port <= 0) {
  process.stderr.write('plain-insert-server: DATABASE_URL and PORT (a positive integer) are required\n');
  process.exit(2);
}

const pool = new Pool({ connectionString: url, max: 10 });
const ROUTE = /^\/tasks\/([0-9a-f-]{36})\/ratings$/;

async function main(): Promise<void> {
  await pool.query('CREATE TABLE IF NOT EXISTS bench_plain_ratings (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, task_id uuid NOT NULL, body jsonb NOT NULL)');
  const server = http.createServer((req, res) => {
    const answer = (status: number, body: object) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    const match = req.method === 'POST' ? ROUTE.exec(req.url ?? '') : null;
    if (!match) return answer(404, { message: 'POST /tasks/:taskId/ratings only' });
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let body: unknown;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        return answer(400, { message: 'body: not JSON' });
      }
      pool
        .query('INSERT INTO bench_plain_ratings (task_id, body) VALUES ($1, $2)', [match[1], JSON.stringify(body)])
        .then(() => answer(201, { taskId: match[1] }))
        .catch((err: Error) => answer(500, { message: err.message }));
    });
  });
  server.keepAliveTimeout = 30_000;
  server.listen(port, '127.0.0.1', () => process.stdout.write('listening\n'));
  process.on('SIGTERM', () => server.close(() => void pool.end().then(() => process.exit(0))));
}

main().catch((err: Error) => {
  process.stderr.write(`plain-insert-server: ${err.message}\n`);
  process.exit(1);
});
