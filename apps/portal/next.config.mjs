// The API proxy is the route handler app/api/[...path]/route.ts (FORGE_API_URL read at request time).

/** @type {import('next').NextConfig} */
const nextConfig = {
  reactStrictMode: true,
  poweredByHeader: false,
};

export default nextConfig;
