# Stand-in for redis:7.2-bookworm from Debian's redis-server 7.0 (infra/scripts/build-base-images.sh).
# As upstream: redis-server and redis-cli on PATH, port 6379, data in /data, and protected mode off
# when started without a config file (the container's network is the boundary).
ARG BASE_IMAGE=meridian-base/node:20-bookworm-slim
FROM ${BASE_IMAGE}
RUN apt-get update -qq \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends redis-server gosu >/dev/null \
 && rm -rf /var/lib/apt/lists/* \
 && mkdir -p /data && chown redis:redis /data
COPY redis-entrypoint.sh /usr/local/bin/docker-entrypoint.sh
WORKDIR /data
VOLUME /data
EXPOSE 6379
ENTRYPOINT ["docker-entrypoint.sh"]
CMD ["redis-server"]
