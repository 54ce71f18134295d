# Stand-in for haproxy:2.6-bookworm from Debian's haproxy 2.6 (infra/scripts/build-base-images.sh).
# As upstream: the config is read from /usr/local/etc/haproxy/haproxy.cfg, HAProxy runs in the
# foreground in master-worker mode as the haproxy user, and SIGUSR1 stops it gracefully.
ARG BASE_IMAGE=meridian-base/node:20-bookworm-slim
FROM ${BASE_IMAGE}
RUN apt-get update -qq \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends haproxy >/dev/null \
 && rm -rf /var/lib/apt/lists/* \
 && mkdir -p /usr/local/etc/haproxy /var/lib/haproxy
STOPSIGNAL SIGUSR1
USER haproxy
WORKDIR /var/lib/haproxy
CMD ["haproxy", "-W", "-db", "-f", "/usr/local/etc/haproxy/haproxy.cfg"]
