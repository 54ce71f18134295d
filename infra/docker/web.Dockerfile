# syntax=docker/dockerfile:1
# The web app (Next.js). Build from the repository root:
#   docker build -f infra/docker/web.Dockerfile -t meridian-web .
# Configuration is read at run time on the server (apps/web/src/env.ts), so one image serves
# every deployment: REALTIME_INTERNAL_URL, MERIDIAN_PUBLIC_REALTIME_URL, MAP_STYLE_URL.

# NODE_IMAGE: any node:20-bookworm-slim compatible image (infra/scripts/build-base-images.sh makes
# one from Debian packages where Docker Hub is out of reach).
ARG NODE_IMAGE=node:20-bookworm-slim

FROM ${NODE_IMAGE} AS base
ENV TURBO_TELEMETRY_DISABLED=1 \
    NEXT_TELEMETRY_DISABLED=1 \
    npm_config_update_notifier=false \
    npm_config_fund=false \
    npm_config_audit=false
WORKDIR /repo

# 1. Cut the monorepo down to the web app and the workspace packages it imports.
FROM base AS pruner
# Same version as the root package.json pins.
RUN npm install -g turbo@2.11.11
COPY . .
RUN turbo prune @meridian/web --docker --out-dir /out

# 2. Install from the pruned manifests (cached until a package.json or the lockfile changes),
#    then add the sources and build. Install scripts stay off, as on the machines that test this
#    repository; Next's compiler arrives as a platform package, not through a script.
FROM base AS builder
COPY --from=pruner /out/json/ ./
RUN npm ci --ignore-scripts
COPY --from=pruner /out/full/ ./
# Every workspace tsconfig extends this root file, which turbo prune leaves out.
COPY tsconfig.base.json ./
RUN npm run build -w @meridian/web

# 3. Production dependencies only.
FROM builder AS prod-deps
RUN npm prune --omit=dev --ignore-scripts

FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    NEXT_TELEMETRY_DISABLED=1 \
    HOSTNAME=0.0.0.0 \
    PORT=3000
COPY --from=prod-deps /repo /app
# Next writes its runtime cache under .next/cache: that folder alone belongs to the service user.
RUN mkdir -p /app/apps/web/.next/cache && chown -R node:node /app/apps/web/.next/cache
COPY infra/docker/healthcheck.sh /usr/local/bin/meridian-healthcheck
WORKDIR /app/apps/web
USER node
EXPOSE 3000
# A bash /dev/tcp request (no Node process per probe), bounded at 5 s by the probe itself; the page
# is rendered on the server, so the timeout leaves room for a busy host.
HEALTHCHECK --interval=5s --timeout=10s --start-period=30s --retries=3 \
  CMD ["meridian-healthcheck", "/"]
# `next start` reads PORT and HOSTNAME from the environment.
CMD ["node", "/app/node_modules/next/dist/bin/next", "start"]
