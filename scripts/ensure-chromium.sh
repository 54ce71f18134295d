#!/usr/bin/env bash
# Browser tests drive Debian's Chromium through playwright-core: Playwright's own browser
# download cannot reach its host here, so the distribution package is the one we rely on.
set -euo pipefail

CHROMIUM_PATH="${CHROMIUM_PATH:-/usr/bin/chromium}"

if [ -x "$CHROMIUM_PATH" ]; then
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "ensure-chromium: $CHROMIUM_PATH is missing and installing it needs root (apt-get install chromium)" >&2
  exit 1
fi

echo "ensure-chromium: installing Debian's chromium package" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
apt-get install -y -qq --no-install-recommends chromium >/dev/null

if [ ! -x "$CHROMIUM_PATH" ]; then
  echo "ensure-chromium: apt-get finished but $CHROMIUM_PATH is still missing" >&2
  exit 1
fi
