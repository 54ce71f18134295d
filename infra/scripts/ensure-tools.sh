#!/usr/bin/env bash
# Installs the Debian tools the infra tests run for real when they are missing:
#   docker-compose 1.29 validates docker-compose.yml without a Docker engine,
#   haproxy 2.6 runs the load-balancer config that ships in infra/lb/.
# Usage: ensure-tools.sh [docker-compose] [haproxy]   (no argument: both)
set -euo pipefail

declare -A PACKAGE_OF=([docker-compose]=docker-compose [haproxy]=haproxy)
tools=("$@")
[ ${#tools[@]} -eq 0 ] && tools=(docker-compose haproxy)

missing=()
for tool in "${tools[@]}"; do
  package="${PACKAGE_OF[$tool]:-}"
  if [ -z "$package" ]; then
    echo "ensure-tools: unknown tool '$tool' (known: ${!PACKAGE_OF[*]})" >&2
    exit 2
  fi
  command -v "$tool" >/dev/null 2>&1 || missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "ensure-tools: ${missing[*]} missing and installing needs root (apt-get install ${missing[*]})" >&2
  exit 1
fi

echo "ensure-tools: installing Debian's ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
# Serialise with other installers (parallel test workers, other setup scripts) sharing dpkg's lock.
exec 9>/tmp/meridian-apt.lock
flock 9
# A package's maintainer script must not start a system-wide daemon (HAProxy with Debian's default
# config): the tests start their own instance on their own ports. Exit code 101 = "action forbidden".
policy_rc_d=/usr/sbin/policy-rc.d
created_policy=0
if [ ! -e "$policy_rc_d" ]; then
  printf '#!/bin/sh\nexit 101\n' >"$policy_rc_d"
  chmod +x "$policy_rc_d"
  created_policy=1
fi
trap '[ "$created_policy" -eq 1 ] && rm -f "$policy_rc_d"' EXIT
apt-get update -qq >/dev/null
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null

for tool in "${tools[@]}"; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "ensure-tools: apt-get finished but $tool is still missing" >&2
    exit 1
  fi
done
