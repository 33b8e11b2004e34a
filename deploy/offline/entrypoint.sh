#!/bin/sh
# The part of the official postgres image's entrypoint that compose.yaml relies on:
# POSTGRES_USER, POSTGRES_PASSWORD and POSTGRES_DB create the cluster on first start,
# in UTF-8 as the official image does (psycopg returns bytes from an SQL_ASCII one).
# Any other command (redis-server ...) runs as given.
set -eu
if [ "$1" != postgres ]; then
    exec "$@"
fi
shift
bindir=$(echo /usr/lib/postgresql/*/bin)
user=${POSTGRES_USER:-postgres}
db=${POSTGRES_DB:-$user}
mkdir -p "$PGDATA" /run/postgresql
chown postgres:postgres "$PGDATA" /run/postgresql
chmod 700 "$PGDATA"
as_postgres() { setpriv --reuid=postgres --regid=postgres --init-groups "$@"; }
if [ ! -s "$PGDATA/PG_VERSION" ]; then
    : "${POSTGRES_PASSWORD:?POSTGRES_PASSWORD must be set}"
    pwfile=$(mktemp)
    printf '%s\n' "$POSTGRES_PASSWORD" > "$pwfile"
    chown postgres "$pwfile"
    as_postgres "$bindir/initdb" --username="$user" --pwfile="$pwfile" --encoding=UTF8 --locale=C.UTF-8 \
        --auth-local=trust --auth-host=scram-sha-256 >/dev/null
    rm -f "$pwfile"
    echo "host all all all scram-sha-256" >> "$PGDATA/pg_hba.conf"
    if [ "$db" != postgres ]; then
        echo "CREATE DATABASE \"$db\" OWNER \"$user\";" \
            | as_postgres "$bindir/postgres" --single -D "$PGDATA" postgres >/dev/null
    fi
    echo "entrypoint: created the cluster with database $db"
fi
exec setpriv --reuid=postgres --regid=postgres --init-groups \
    "$bindir/postgres" -D "$PGDATA" -c listen_addresses='*' "$@"
