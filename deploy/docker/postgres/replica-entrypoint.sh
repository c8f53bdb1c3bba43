#!/bin/sh
# The streaming replica: on first start, clone the primary with pg_basebackup (-R writes primary_conninfo and
# standby.signal; -C -S creates a physical replication slot, so the primary keeps the WAL the replica still
# needs); then the official entrypoint starts PostgreSQL, which finds a data directory and skips initdb.
set -eu
if [ ! -s "$PGDATA/PG_VERSION" ]; then
    until pg_isready --host "$POSTGRES_PRIMARY_HOST" --username "$POSTGRES_USER" --quiet; do
        echo "replica: waiting for the primary at $POSTGRES_PRIMARY_HOST"
        sleep 1
    done
    mkdir -p "$PGDATA"
    chown postgres:postgres "$PGDATA"
    chmod 700 "$PGDATA"
    PGPASSWORD="$POSTGRES_REPLICATION_PASSWORD" gosu postgres pg_basebackup \
        --host "$POSTGRES_PRIMARY_HOST" --username "$POSTGRES_REPLICATION_USER" --pgdata "$PGDATA" \
        --wal-method stream --write-recovery-conf --create-slot --slot "$POSTGRES_REPLICATION_SLOT" --progress
fi
exec docker-entrypoint.sh "$@"
