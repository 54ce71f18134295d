# Stand-in for postgres:15-bookworm from Debian's postgresql-15 (infra/scripts/build-base-images.sh).
# Same contract as the upstream image where Meridian relies on it: POSTGRES_USER / POSTGRES_PASSWORD /
# POSTGRES_DB create the role and database on first start, data in /var/lib/postgresql/data (PGDATA),
# pg_isready and psql on PATH, the server runs as the postgres user and listens on 5432.
ARG BASE_IMAGE=meridian-base/node:20-bookworm-slim
FROM ${BASE_IMAGE}
RUN apt-get update -qq \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql-15 gosu >/dev/null \
 && rm -rf /var/lib/apt/lists/* \
 && rm -f /etc/postgresql/15/main/*.conf \
 && mkdir -p /var/lib/postgresql/data /var/run/postgresql \
 && chown -R postgres:postgres /var/lib/postgresql /var/run/postgresql
ENV PATH=/usr/lib/postgresql/15/bin:$PATH \
    PGDATA=/var/lib/postgresql/data
COPY postgres-entrypoint.sh /usr/local/bin/docker-entrypoint.sh
VOLUME /var/lib/postgresql/data
EXPOSE 5432
STOPSIGNAL SIGINT
ENTRYPOINT ["docker-entrypoint.sh"]
CMD ["postgres"]
