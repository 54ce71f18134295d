#!/usr/bin/env bash
# Fails (exit 1) when TypeScript modules of apps/ and packages/ import each other in a circle.
#
# Type-only imports count too. They vanish at runtime, so they cannot cause an initialisation-order
# bug, but a circle of types still means two modules know each other's insides, and it becomes a
# runtime circle the day one side needs a value from the other (that is how connection/ came to
# import FEED_CLIENT_ID from feeds/).
#
# Before checking the code, the check proves it can fail: a throwaway two-module circle joined by
# a type-only import must be reported.
#
# Usage: scripts/check-import-cycles.sh [file globs…] (default: the apps' and packages' sources)
set -euo pipefail
cd "$(dirname "$0")/.."

dpdm_cycles() {
  npx --no-install dpdm "$@" --no-tree --no-warning --no-progress --exit-code circular:1 \
    --exclude 'node_modules|/generated/'
}

canary=$(mktemp -d)
trap 'rm -rf "$canary"' EXIT
printf "import type { B } from './b.ts';\nexport interface A { b: B }\n" >"$canary/a.ts"
printf "import type { A } from './a.ts';\nexport interface B { a: A }\n" >"$canary/b.ts"
if dpdm_cycles "$canary/*.ts" >/dev/null 2>&1; then
  echo "check-import-cycles: a known cycle (a.ts <-> b.ts, type-only) was not reported; the check is broken" >&2
  exit 2
fi

if [ "$#" -eq 0 ]; then
  set -- 'apps/*/src/**/*.{ts,tsx}' 'apps/*/scripts/**/*.ts' 'packages/*/src/**/*.ts' 'packages/*/scripts/**/*.ts'
fi
dpdm_cycles "$@"
