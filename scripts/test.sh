#!/usr/bin/env bash
# `npm test`: every test of every workspace, against real Redis, Postgres and Chromium.
# Installs what the tests need and is missing (Debian's chromium), then runs each workspace's suite in turn.
set -euo pipefail
cd "$(dirname "$0")/.."

export NEXT_TELEMETRY_DISABLED=1 TURBO_TELEMETRY_DISABLED=1
# Servers the integration tests use; each test run makes its own database / key prefix on them.
export DATABASE_URL="${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
export REDIS_URL="${REDIS_URL:-redis://127.0.0.1:6379}"

bash scripts/ensure-chromium.sh

# One workspace at a time: the machine has two cores and the suites start servers and browsers.
exec npx turbo run test --concurrency=1 --output-logs=full "$@"
