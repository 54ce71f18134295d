#!/usr/bin/env bash
# Fails when installing the locked dependency tree would warn EBADENGINE: a package that declares
# it does not support this Node (the README promises Node >= 20.19). Run by `npm run lint`.
#
# `npm install --dry-run` resolves the lockfile and runs npm's engine check without touching
# node_modules, so the warnings are exactly those `npm ci` prints.
#
# One known exception, by name: @prisma/streams-local (every published version needs Node >= 22).
# Prisma's CLI (a dev dependency of packages/db, used here only for `prisma generate`) depends on
# @prisma/dev, which pins it exactly, and only `prisma dev` (a local Prisma Postgres server this
# project does not use) ever imports it, lazily. No version supports Node 20 and no Prisma 7 CLI
# is without it; remove the exception when Prisma ships one that is.
set -euo pipefail
cd "$(dirname "$0")/.."

ALLOWED='^@prisma/streams-local@'

output=$(npm install --dry-run --ignore-scripts --no-audit --no-fund 2>&1) || {
  echo "$output" >&2
  exit 1
}
# npm prints `npm warn EBADENGINE   package: 'name@version',` once per offending package.
offending=$(echo "$output" | sed -n "s/^npm warn EBADENGINE *package: '\(.*\)',\$/\1/p" | grep -Ev "$ALLOWED" || true)
if [ -n "$offending" ]; then
  echo "check-engines: these packages declare they do not support Node $(node --version):" >&2
  echo "$offending" | sed 's/^/  /' >&2
  echo "$output" | grep -A4 'EBADENGINE Unsupported' >&2
  exit 1
fi
echo "check-engines: no EBADENGINE (Node $(node --version))"
