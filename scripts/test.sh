#!/usr/bin/env bash
# `npm test`: every test of every workspace, against real Redis, Postgres and Chromium.
# Brings up what the tests need and is missing: Debian's chromium, and throw-away Redis / Postgres
# servers when nothing answers at REDIS_URL / DATABASE_URL (scripts/ensure-services.sh; stopped
# again at the end). Then runs the workspaces' suites: infra's beside the others (see below).
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

# With arguments (`npm test -- --filter=@meridian/db`): the chosen suites, one at a time.
if [ "$#" -gt 0 ]; then
  npx turbo run test --concurrency=1 --output-logs=full "$@"
  exit
fi

# Generated code first, once: the two lanes below would otherwise both write it at the same time.
npx turbo run generate --output-logs=errors-only

# Two lanes on the machine's two cores; in each, one suite at a time, as each suite's own servers
# and browsers expect. Infra's suite is mostly its container test building Docker images
# (debootstrap, apt and npm downloads in containers, the stack starting): minutes of waiting on the
# network and the disk, which the other lane fills. Lane A then makes the web app's production
# build, which the browser suite would otherwise make in its global setup
# (apps/web/e2e/support/build.ts keeps a build that is newer than its sources). The benchmark smoke
# test and the browser suite come last, alone: the smoke test's volatile deliveries and Chromium
# drawing maps in software are what suffers most from a busy machine.
# Lane A in a process group of its own, so that an interrupted run stops all of it.
setsid bash -c 'npx turbo run test --concurrency=1 --output-logs=full --filter=@meridian/infra &&
  npm run build -w @meridian/web' &
lane_a_pid=$!
trap '[ -n "$lane_a_pid" ] && kill -TERM -- "-$lane_a_pid" 2>/dev/null; cleanup' EXIT

status=0
# Lane B: every other workspace but those that run alone (a new workspace lands here by default).
npx turbo run test --concurrency=1 --output-logs=full \
  --filter='!@meridian/infra' --filter='!@meridian/bench' --filter='!@meridian/web' || status=$?
wait "$lane_a_pid" || status=$?
lane_a_pid=
# As one turbo run does: no further suite once one has failed.
[ "$status" -eq 0 ] || exit "$status"
npx turbo run test --concurrency=1 --output-logs=full --filter=@meridian/bench --filter=@meridian/web
