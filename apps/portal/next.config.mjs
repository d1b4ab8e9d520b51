// The portal talks to the API through its own origin (/api/* is proxied), so the browser needs no CORS
// and the bearer token never leaves the portal's origin.
const apiUrl = process.env.FORGE_API_URL ?? 'http://127.0.0.1:3000';

/** @type {import('next').NextConfig} */
const nextConfig = {
  reactStrictMode: true,
  poweredByHeader: false,
  async rewrites() {
    return [{ source: '/api/:path*', destination: `${apiUrl}/:path*` }];
  },
};

export default nextConfig;
