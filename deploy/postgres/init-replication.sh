#!/bin/sh
# Run once by the postgres image when the primary's data directory is first made
# (/docker-entrypoint-initdb.d): a role that may stream WAL, and loopback-free access for it,
# so that `db-replica` can take its base backup and follow (docs/topology.md).
set -eu
psql -v ON_ERROR_STOP=1 -v pw="$DB_REPLICATION_PASSWORD" \
     --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" <<'SQL'
CREATE ROLE replicator WITH REPLICATION LOGIN PASSWORD :'pw';
SQL
echo "host replication replicator all scram-sha-256" >> "$PGDATA/pg_hba.conf"
