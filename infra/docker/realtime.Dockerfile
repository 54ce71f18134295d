# The realtime service (uWebSockets.js), bundled into plain JavaScript: the image runs
# `node dist/index.mjs` with no TypeScript loader and no dev dependency. Build from the repository root:
#   docker build -f infra/docker/realtime.Dockerfile -t meridian-realtime .
# The same image applies the database migrations once (docker-compose.yml's `migrate` service, the
# Kubernetes Job) with: node dist/migrate.mjs
# NODE_IMAGE: any node:20-bookworm-slim compatible image (infra/scripts/build-base-images.sh makes
# one from Debian packages where Docker Hub is out of reach).

# bookworm = glibc 2.36: the uWS binary (@based/uws, built for glibc >= 2.27 and this Node ABI) loads.
ARG NODE_IMAGE=node:20-bookworm-slim

FROM ${NODE_IMAGE} AS base
ENV TURBO_TELEMETRY_DISABLED=1 \
    npm_config_update_notifier=false \
    npm_config_fund=false \
    npm_config_audit=false
WORKDIR /repo

# 1. Cut the monorepo down to the realtime app and the workspace packages it imports.
FROM base AS pruner
# Same version as the root package.json pins.
RUN npm install -g turbo@2.11.11
COPY . .
RUN turbo prune @meridian/realtime --docker --out-dir /out

# 2. Install from the pruned manifests first, so this layer is reused until a package.json or the
#    lockfile changes; then add the sources, generate the Prisma client and bundle.
#    Install scripts stay off, as on the machines that test this repository (npm 11 skips them):
#    nothing here needs one, and Prisma's would try to download engines the Wasm path never uses.
FROM base AS builder
COPY --from=pruner /out/json/ ./
RUN npm ci --ignore-scripts
COPY --from=pruner /out/full/ ./
# Every workspace tsconfig extends this root file, which turbo prune leaves out; Prisma reads it
# when it loads prisma.config.ts.
COPY tsconfig.base.json ./
RUN npm run generate -w @meridian/db
# The bundle, the migrations it reads and the packages it leaves external (uWebSockets.js with this
# platform's binary only, PGlite), in the repository's layout under /runtime.
RUN node apps/realtime/scripts/build.mjs --runtime-dir /runtime

FROM ${NODE_IMAGE} AS runtime
# MALLOC_ARENA_MAX=2: glibc otherwise keeps a malloc arena per thread that ever allocated (V8's
# compile and GC helpers), ~10 MiB of an idle node's RSS; as `npm start` sets it (BENCHMARKS.md,
# "Lean nodes").
ENV NODE_ENV=production \
    MALLOC_ARENA_MAX=2 \
    HOST=0.0.0.0 \
    PORT=4000 \
    MERIDIAN_DATA_DIR=/data
# Code and dependencies stay owned by root (read-only for the service); only the data folder,
# used by the embedded database when no DATABASE_URL is set, is writable.
COPY --from=builder /runtime /app
COPY infra/docker/healthcheck.sh /usr/local/bin/meridian-healthcheck
RUN mkdir -p /data && chown node:node /data
WORKDIR /app/apps/realtime
USER node
EXPOSE 4000
# Healthy = ready (database and bus reachable), so compose starts dependants only then. The probe
# is a bash /dev/tcp request (no Node process per probe) with its own 5 s bound.
HEALTHCHECK --interval=5s --timeout=10s --start-period=30s --retries=3 \
  CMD ["meridian-healthcheck", "/readyz"]
# SIGTERM drains: the node stops accepting, closes clients with 1012 and finishes in-flight commits.
STOPSIGNAL SIGTERM
# Stack traces name dist/index.mjs lines (the bundle is not minified); for source positions set
# NODE_OPTIONS=--enable-source-maps (the .map files ship beside it; it adds ~0.5 s to start-up).
CMD ["node", "dist/index.mjs"]
