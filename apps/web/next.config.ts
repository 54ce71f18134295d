import { fileURLToPath } from 'node:url';
import type { NextConfig } from 'next';

// Turbopack must see the monorepo root so that workspace packages (consumed from source) resolve.
const monorepoRoot = fileURLToPath(new URL('../..', import.meta.url));

const nextConfig: NextConfig = {
  turbopack: { root: monorepoRoot },
  transpilePackages: ['@meridian/protocol'],
  poweredByHeader: false,
  reactStrictMode: true,
};

export default nextConfig;
