import { fileURLToPath } from 'node:url';
import type { NextConfig } from 'next';

// Turbopack must see the monorepo root so that workspace packages (consumed from source) resolve.
const monorepoRoot = fileURLToPath(new URL('../..', import.meta.url));

const nextConfig: NextConfig = {
  turbopack: { root: monorepoRoot },
  transpilePackages: ['@meridian/protocol', '@meridian/formats'],
  poweredByHeader: false,
  // `npm run typecheck` (run by CI before the tests) checks types; the build need not do it again.
  typescript: { ignoreBuildErrors: true },
  reactStrictMode: true,
};

export default nextConfig;
