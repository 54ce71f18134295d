# syntax=docker/dockerfile:1
# The realtime service (uWebSockets.js), run from TypeScript source with tsx like everywhere else.
# Build from the repository root:
#   docker build -f infra/docker/realtime.Dockerfile -t meridian-realtime .
# The same image applies the database migrations once (docker-compose.yml's `migrate` service, the
# Kubernetes Job) with: node --import tsx /app/packages/db/src/cli/migrate.ts

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
#    lockfile changes; then add the sources and generate the Prisma client.
#    Install scripts stay off, as on the machines that test this repository (npm 11 skips them):
#    nothing here needs one, and Prisma's would try to download engines the Wasm path never uses.
FROM base AS installer
COPY --from=pruner /out/json/ ./
RUN npm ci --ignore-scripts
COPY --from=pruner /out/full/ ./
# Every workspace tsconfig extends this root file, which turbo prune leaves out; Prisma (loading
# prisma.config.ts) and tsx (at run time) both read it.
COPY tsconfig.base.json ./
RUN npm run generate -w @meridian/db

# 3. Production dependencies only (tsx is one: the service runs from source).
FROM installer AS prod-deps
RUN npm prune --omit=dev --ignore-scripts
# uWebSockets.js ships a binary for every platform and Node ABI (~180 MB); keep this image's only.
RUN keep="uws_$(node -p 'process.platform + "_" + process.arch + "_" + process.versions.modules').node" \
 && find node_modules/uWebSockets.js -name 'uws_*.node' ! -name "$keep" -delete \
 && test -f "node_modules/uWebSockets.js/$keep"

FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=4000 \
    MERIDIAN_DATA_DIR=/data
# Sources and dependencies stay owned by root (read-only for the service); only the data folder,
# used by the embedded database when no DATABASE_URL is set, is writable.
COPY --from=prod-deps /repo /app
COPY infra/docker/healthcheck.mjs /usr/local/lib/meridian/healthcheck.mjs
RUN mkdir -p /data && chown node:node /data
WORKDIR /app/apps/realtime
USER node
EXPOSE 4000
# Healthy = ready (database and bus reachable), so compose starts dependants only then.
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "/usr/local/lib/meridian/healthcheck.mjs", "/readyz"]
# SIGTERM drains: the node stops accepting, closes clients with 1012 and finishes in-flight commits.
STOPSIGNAL SIGTERM
# tsx as a loader in this very process (not its CLI, which forks a child): the signal reaches the app.
CMD ["node", "--import", "tsx", "src/index.ts"]
