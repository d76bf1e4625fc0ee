#!/usr/bin/env bash
# Starts the PostgreSQL and Redis servers the tests use, on this machine's loopback, and creates the test roles: `ent`
# owns the tables (it creates and migrates the test database), `ent_app` is the application's role, which owns
# nothing (it cannot disable a trigger nor truncate a table), as in production (README, « Base de données »).
# Prints the DATABASE_URL, DATABASE_OWNER_URL and CELERY_BROKER_URL to export. Idempotent.
set -euo pipefail

PG_VERSION=$(ls /usr/lib/postgresql | sort -n | tail -n 1)
if ! pg_lsclusters -h | grep -q "^$PG_VERSION main .* online"; then
  pg_lsclusters -h | grep -q "^$PG_VERSION main" || pg_createcluster "$PG_VERSION" main >/dev/null
  pg_ctlcluster "$PG_VERSION" main start
fi
as_postgres() { if [ "$(id -u)" -eq 0 ]; then su postgres -c "$1"; else sudo -u postgres sh -c "$1"; fi; }
as_postgres "psql -tAc \"SELECT 1 FROM pg_roles WHERE rolname='ent'\"" | grep -q 1 ||
  as_postgres "psql -qc \"CREATE ROLE ent LOGIN CREATEDB PASSWORD 'ent'\""
as_postgres "psql -tAc \"SELECT 1 FROM pg_roles WHERE rolname='ent_app'\"" | grep -q 1 ||
  as_postgres "psql -qc \"CREATE ROLE ent_app LOGIN NOCREATEDB NOCREATEROLE PASSWORD 'ent_app'\""
as_postgres "psql -tAc \"SELECT 1 FROM pg_database WHERE datname='ent'\"" | grep -q 1 ||
  as_postgres "createdb -O ent ent"

redis-cli -p 6379 ping >/dev/null 2>&1 || redis-server --port 6379 --bind 127.0.0.1 --daemonize yes --save "" --appendonly no >/dev/null

echo "DATABASE_URL=postgres://ent_app:ent_app@127.0.0.1:5432/ent"
echo "DATABASE_OWNER_URL=postgres://ent:ent@127.0.0.1:5432/ent"
echo "CELERY_BROKER_URL=redis://127.0.0.1:6379/0"
