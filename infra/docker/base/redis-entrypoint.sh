#!/bin/sh
# As upstream: `redis-server [flags]` without a config file listens on every interface with
# protected mode off (the container's network is the boundary), and runs as the redis user.
set -eu
if [ "${1:-}" = redis-server ]; then
  case " $* " in
    *" --protected-mode "* | *" -v "* | *" --version "* | *" -h "* | *" --help "*) ;;
    *)
      case "${2:-}" in
        *.conf) ;;
        *) shift; set -- redis-server --protected-mode no "$@" ;;
      esac
      ;;
  esac
  [ "$(id -u)" = 0 ] && exec gosu redis "$@"
fi
exec "$@"
