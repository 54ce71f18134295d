#!/usr/bin/env bash
# `npm test`: every test of every workspace, against real Redis, Postgres and Chromium.
# Brings up what the tests need and is missing: Debian's chromium, and throw-away Redis / Postgres
# servers when nothing answers at REDIS_URL / DATABASE_URL (scripts/ensure-services.sh; stopped
# again at the end). Then runs each workspace's suite in turn.
set -euo pipefail
cd "$(dirname "$0")/.."

export NEXT_TELEMETRY_DISABLED=1 TURBO_TELEMETRY_DISABLED=1

# Servers the integration tests use; each test run makes its own database / key prefix on them.
# Defaults: the machine's own (postgres://postgres@127.0.0.1:5432/postgres, redis://127.0.0.1:6379).
services_state="$(mktemp -d /tmp/meridian-test-services.XXXXXX)"
cleanup() {
  bash scripts/ensure-services.sh stop "$services_state" || true
  rm -rf "$services_state"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
services="$(bash scripts/ensure-services.sh start "$services_state")"
eval "$services"

bash scripts/ensure-chromium.sh

# One workspace at a time: the machine has two cores and the suites start servers and browsers.
npx turbo run test --concurrency=1 --output-logs=full "$@"
