// The browser talks to the API through the portal's own origin (no CORS, the bearer token never
// leaves it). A route handler rather than a rewrite: rewrites are fixed at build time, while
// FORGE_API_URL is read here when the request comes, so one build serves any API address.
import type { NextRequest } from 'next/server';

export const dynamic = 'force-dynamic';

const FORWARDED_REQUEST = ['authorization', 'content-type', 'accept'];
const FORWARDED_RESPONSE = ['content-type', 'content-disposition', 'cache-control', 'retry-after', 'content-length', 'x-frame-options'];
/** The API's job-queue board cookie (apps/api/src/job-queues/queue-board-cookie.ts): the only cookie passed on. */
const QUEUE_BOARD_COOKIE = 'forge_queue_board';
/** Where this route serves the API: its paths, and its cookies' paths, are these plus the API's. */
const MOUNT = '/api';

/** A cookie set by the API, scoped to the same path as the browser sees it through the portal. */
function throughMount(setCookie: string): string {
  return setCookie.replace(/;\s*path=(\/[^;]*)/i, (_m, p: string) => `; Path=${MOUNT}${p}`);
}

async function proxy(req: NextRequest, ctx: { params: Promise<{ path: string[] }> }): Promise<Response> {
  const base = process.env.FORGE_API_URL ?? 'http://127.0.0.1:3000';
  const { path } = await ctx.params;
  const target = `${base.replace(/\/$/, '')}/${path.map(encodeURIComponent).join('/')}${req.nextUrl.search}`;
  const headers = new Headers();
  for (const name of FORWARDED_REQUEST) {
    const value = req.headers.get(name);
    if (value) headers.set(name, value);
  }
  // The board page (served by the API) needs to know its public path; the cookie lets a plain link open it.
  headers.set('x-forwarded-prefix', MOUNT);
  headers.set('x-forwarded-proto', req.headers.get('x-forwarded-proto') === 'https' ? 'https' : req.nextUrl.protocol.replace(/:$/, ''));
  const board = req.cookies.get(QUEUE_BOARD_COOKIE)?.value;
  if (board) headers.set('cookie', `${QUEUE_BOARD_COOKIE}=${encodeURIComponent(board)}`);
  const hasBody = req.method !== 'GET' && req.method !== 'HEAD';
  let upstream: Response;
  try {
    upstream = await fetch(target, {
      method: req.method,
      headers,
      body: hasBody ? req.body : undefined,
      // Streams the request body through (multipart uploads) instead of buffering it.
      ...(hasBody ? { duplex: 'half' } : {}),
      redirect: 'manual',
      cache: 'no-store',
    } as RequestInit);
  } catch (err) {
    return Response.json({ statusCode: 502, message: `the API at ${base} did not answer: ${(err as Error).message}` }, { status: 502 });
  }
  const out = new Headers();
  for (const name of FORWARDED_RESPONSE) {
    const value = upstream.headers.get(name);
    if (value) out.set(name, value);
  }
  for (const cookie of upstream.headers.getSetCookie()) out.append('set-cookie', throughMount(cookie));
  return new Response(upstream.body, { status: upstream.status, headers: out });
}

export { proxy as GET, proxy as POST, proxy as PUT, proxy as DELETE, proxy as PATCH };
