#!/bin/bash
# Container health probe: exit 0 when `GET <path>` on this container's own port answers 200.
# Bash only (its /dev/tcp), no new Node process per probe: a probe costs a few milliseconds even on
# a busy host, where starting Node took 3.7-4.7 s. Every step is bounded, so a probe never hangs.
# Usage: healthcheck.sh [path]   (path defaults to /readyz; the port comes from $PORT)
set -u
path="${1:-/readyz}"
port="${PORT:-4000}"
exec 3<>"/dev/tcp/127.0.0.1/$port" || exit 1
printf 'GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n' "$path" >&3
IFS=' ' read -r -t 5 _ status _ <&3 || { echo "healthcheck: no answer from :$port$path" >&2; exit 1; }
exec 3<&-
[ "$status" = 200 ] || { echo "healthcheck: :$port$path answered $status" >&2; exit 1; }
