#!/usr/bin/env bash
# The Redis and Postgres servers `npm test` needs, brought up when missing.
#
#   ensure-services.sh start <state-dir>   prints `export DATABASE_URL=… REDIS_URL=…` lines for eval
#   ensure-services.sh stop <state-dir>    stops what `start` started there, and nothing else
#
# For each of DATABASE_URL and REDIS_URL (defaults: the machine's own servers on 5432 / 6379): when
# a server answers there, it is used as is. When nothing answers, a throw-away server is started on
# a free loopback port with its data in <state-dir> (Debian's postgresql / redis-server are
# installed with apt-get first when absent and root), and its URL is exported instead. Servers this
# script did not start are never stopped or changed.
set -euo pipefail

DEFAULT_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres
DEFAULT_REDIS_URL=redis://127.0.0.1:6379

say() { echo "ensure-services: $*" >&2; }

# host and port of a URL (scheme://[user[:pass]@]host[:port][/...])
url_host() { local rest="${1#*://}"; rest="${rest#*@}"; rest="${rest%%/*}"; echo "${rest%%:*}"; }
url_port() { local rest="${1#*://}"; rest="${rest#*@}"; rest="${rest%%/*}"; [[ "$rest" == *:* ]] && echo "${rest##*:}" || echo "$2"; }

answers() { timeout 3 bash -c "exec 3<>/dev/tcp/$1/$2" 2>/dev/null; }

redis_answers() {
  timeout 3 bash -c "exec 3<>/dev/tcp/$1/$2 && printf 'PING\r\n' >&3 && IFS= read -r -t 2 line <&3 && [[ \$line == +PONG* || \$line == -NOAUTH* ]]" 2>/dev/null
}

free_port() {
  node -e "const s=require('net').createServer();s.listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"
}

apt_install() {
  if [ "$(id -u)" -ne 0 ]; then return 1; fi
  say "installing Debian's $*"
  export DEBIAN_FRONTEND=noninteractive
  (
    flock 9
    # The packages' maintainer scripts must not start system-wide servers: only ours run.
    local policy=/usr/sbin/policy-rc.d created=0
    if [ ! -e "$policy" ]; then printf '#!/bin/sh\nexit 101\n' >"$policy"; chmod +x "$policy"; created=1; fi
    status=0
    { apt-get install -y -qq --no-install-recommends "$@" >/dev/null 2>&1 ||
      { apt-get update -qq >/dev/null && apt-get install -y -qq --no-install-recommends "$@" >/dev/null; }; } || status=$?
    [ "$created" -eq 1 ] && rm -f "$policy"
    exit "$status"
  ) 9>/tmp/meridian-apt.lock
}

postgres_bin() {
  local found
  found="$(command -v initdb 2>/dev/null || true)"
  [ -n "$found" ] && { dirname "$(readlink -f "$found")"; return; }
  found="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)"
  [ -n "$found" ] && [ -x "$found/initdb" ] && echo "$found"
}

# Postgres refuses to run as root: as root, the server runs as the postgres user.
as_postgres_user() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

start_postgres() {
  local state="$1" bin port dir
  bin="$(postgres_bin || true)"
  if [ -z "$bin" ]; then
    apt_install postgresql || { say "no Postgres answers at ${DATABASE_URL} and none can be started here (initdb is missing and installing postgresql needs root): start one or set DATABASE_URL"; return 1; }
    bin="$(postgres_bin)"
  fi
  if [ "$(id -u)" -eq 0 ] && ! id postgres >/dev/null 2>&1; then
    useradd --system --home-dir /var/lib/postgresql --shell /bin/bash postgres
  fi
  port="$(free_port)"
  dir="$state/postgres"
  mkdir -p "$dir"
  [ "$(id -u)" -eq 0 ] && chown postgres "$state" "$dir"
  as_postgres_user "$bin/initdb" -D "$dir/data" -U postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8 >"$state/postgres-initdb.log" 2>&1 ||
    { say "initdb failed: $(tail -n 1 "$state/postgres-initdb.log")"; return 1; }
  as_postgres_user "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
    -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200" start >/dev/null ||
    { say "Postgres did not start: $(tail -n 2 "$dir/server.log" | tr '\n' ' ')"; return 1; }
  echo "$bin" >"$state/postgres.bin"
  DATABASE_URL="postgres://postgres@127.0.0.1:$port/postgres"
  say "no Postgres answered; started a throw-away one at $DATABASE_URL"
}

start_redis() {
  local state="$1" port
  if ! command -v redis-server >/dev/null 2>&1; then
    apt_install redis-server || { say "no Redis answers at ${REDIS_URL} and none can be started here (redis-server is missing and installing it needs root): start one or set REDIS_URL"; return 1; }
  fi
  port="$(free_port)"
  mkdir -p "$state/redis"
  redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no --daemonize yes \
    --dir "$state/redis" --pidfile "$state/redis/redis.pid" --logfile "$state/redis/redis.log" >/dev/null
  for _ in $(seq 1 100); do redis_answers 127.0.0.1 "$port" && break; sleep 0.05; done
  redis_answers 127.0.0.1 "$port" || { say "redis-server did not answer on $port"; return 1; }
  REDIS_URL="redis://127.0.0.1:$port"
  say "no Redis answered; started a throw-away one at $REDIS_URL"
}

stop_all() {
  local state="$1"
  if [ -f "$state/redis/redis.pid" ]; then
    local pid
    pid="$(cat "$state/redis/redis.pid")"
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
  fi
  if [ -f "$state/postgres.bin" ] && [ -f "$state/postgres/data/postmaster.pid" ]; then
    as_postgres_user "$(cat "$state/postgres.bin")/pg_ctl" -D "$state/postgres/data" -m fast -w stop >/dev/null 2>&1 || true
  fi
}

command="${1:-}"
state="${2:-}"
if [ -z "$state" ] || [ ! -d "$state" ]; then
  echo "usage: ensure-services.sh start|stop <existing state dir>" >&2
  exit 2
fi
case "$command" in
  start)
    DATABASE_URL="${DATABASE_URL:-$DEFAULT_DATABASE_URL}"
    REDIS_URL="${REDIS_URL:-$DEFAULT_REDIS_URL}"
    if ! answers "$(url_host "$DATABASE_URL")" "$(url_port "$DATABASE_URL" 5432)"; then
      start_postgres "$state" || exit 1
    fi
    if ! redis_answers "$(url_host "$REDIS_URL")" "$(url_port "$REDIS_URL" 6379)"; then
      start_redis "$state" || { stop_all "$state"; exit 1; }
    fi
    printf 'export DATABASE_URL=%q\nexport REDIS_URL=%q\n' "$DATABASE_URL" "$REDIS_URL"
    ;;
  stop) stop_all "$state" ;;
  *)
    echo "usage: ensure-services.sh start|stop <existing state dir>" >&2
    exit 2
    ;;
esac
