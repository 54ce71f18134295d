#!/usr/bin/env bash
# Makes a Docker engine answer for the container tests and infra/scripts/build-base-images.sh:
#   - the engine already answers: nothing to do;
#   - dockerd is installed but not running: start it in the background (root only), wait for it;
#   - nothing installed: install Debian's docker.io (Docker 20.10) and docker-compose (1.29) with
#     apt-get when root, then start it.
# Exit codes: 0 the engine answers; 3 Docker cannot run here (not root and no engine, or the daemon
# refuses to start: no overlay/cgroups in this sandbox): the caller reports its tests as skipped.
# dockerd started here keeps running after the script (a daemon, like the machine's Postgres); the
# script then prints `started <pid>` on stdout (and writes the pid to /run/meridian-dockerd.pid), so
# the caller that started it can stop it: kill <pid>.
set -euo pipefail

# Debian's CLI matches Debian's engine; another `docker` earlier on PATH may be newer than the daemon.
docker_cli() {
  if [ -x /usr/bin/docker ]; then /usr/bin/docker "$@"; else docker "$@"; fi
}

engine_answers() {
  docker_cli info >/dev/null 2>&1
}

engine_answers && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "ensure-docker: no Docker engine answers and starting or installing one needs root" >&2
  exit 3
fi

if ! command -v dockerd >/dev/null 2>&1 || ! command -v docker-compose >/dev/null 2>&1; then
  echo "ensure-docker: installing Debian's docker.io and docker-compose" >&2
  export DEBIAN_FRONTEND=noninteractive
  exec 9>/tmp/meridian-apt.lock
  flock 9
  # The package's maintainer scripts must not start a system-wide daemon through an init system
  # that may not be there; this script starts dockerd itself. 101 = "action forbidden".
  policy_rc_d=/usr/sbin/policy-rc.d
  created_policy=0
  if [ ! -e "$policy_rc_d" ]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy_rc_d"
    chmod +x "$policy_rc_d"
    created_policy=1
  fi
  trap '[ "$created_policy" -eq 1 ] && rm -f "$policy_rc_d"' EXIT
  if ! { apt-get update -qq >/dev/null && apt-get install -y -qq --no-install-recommends docker.io docker-compose >/dev/null; }; then
    echo "ensure-docker: apt-get could not install docker.io" >&2
    exit 3
  fi
  exec 9>&-
fi

# Serialise with another test starting the daemon at the same moment.
exec 8>/tmp/meridian-dockerd.lock
flock 8
engine_answers && exit 0

log=/var/log/meridian-dockerd.log
echo "ensure-docker: starting dockerd (log: $log)" >&2
nohup dockerd >"$log" 2>&1 </dev/null &
echo $! >/run/meridian-dockerd.pid
for _ in $(seq 1 60); do
  engine_answers && { echo "started $(cat /run/meridian-dockerd.pid)"; exit 0; }
  if ! kill -0 "$(cat /run/meridian-dockerd.pid)" 2>/dev/null; then
    echo "ensure-docker: dockerd exited at start: $(tail -n 3 "$log" | tr '\n' ' ')" >&2
    exit 3
  fi
  sleep 0.5
done
echo "ensure-docker: dockerd did not answer within 30 s (log: $log)" >&2
exit 3
