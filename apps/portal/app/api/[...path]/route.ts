// The browser talks to the API through the portal's own origin (no CORS, the bearer token never
// leaves it). A route handler rather than a rewrite: rewrites are fixed at build time, while
// FORGE_API_URL is read here when the request comes, so one build serves any API address.
import type { NextRequest } from 'next/server';

export const dynamic = 'force-dynamic';

const FORWARDED_REQUEST = ['authorization', 'content-type', 'accept'];
const FORWARDED_RESPONSE = ['content-type', 'content-disposition', 'cache-control', 'retry-after', 'content-length'];

async function proxy(req: NextRequest, ctx: { params: Promise<{ path: string[] }> }): Promise<Response> {
  const base = process.env.FORGE_API_URL ?? 'http://127.0.0.1:3000';
  const { path } = await ctx.params;
  const target = `${base.replace(/\/$/, '')}/${path.map(encodeURIComponent).join('/')}${req.nextUrl.search}`;
  const headers = new Headers();
  for (const name of FORWARDED_REQUEST) {
    const value = req.headers.get(name);
    if (value) headers.set(name, value);
  }
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
  return new Response(upstream.body, { status: upstream.status, headers: out });
}

export { proxy as GET, proxy as POST, proxy as PUT, proxy as DELETE, proxy as PATCH };
