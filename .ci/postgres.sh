#!/usr/bin/env bash
# Install (if needed) and start Debian's PostgreSQL on loopback, with a role and an empty database for the store's
# tests; prints the SQLAlchemy URL. Idempotent.
set -euo pipefail
if ! command -v pg_ctlcluster >/dev/null 2>&1; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    apt-get install -y -qq --no-install-recommends postgresql >/dev/null
fi
read -r version cluster _ < <(pg_lsclusters -h | head -n 1)
pg_ctlcluster "$version" "$cluster" start >/dev/null 2>&1 || true
pg_ctlcluster "$version" "$cluster" status >/dev/null
as_postgres() { su postgres -c "$1" >/dev/null; }
if ! su postgres -c "psql -tAc \"SELECT 1 FROM pg_roles WHERE rolname='svtad'\"" | grep -q 1; then
    as_postgres "psql -c \"CREATE ROLE svtad LOGIN PASSWORD 'svtad'\""
fi
as_postgres "psql -c 'DROP DATABASE IF EXISTS svtad_ci'"
as_postgres "psql -c 'CREATE DATABASE svtad_ci OWNER svtad'"
port=$(pg_lsclusters -h | head -n 1 | awk '{print $3}')
echo "postgresql+psycopg://svtad:svtad@127.0.0.1:${port}/svtad_ci"
