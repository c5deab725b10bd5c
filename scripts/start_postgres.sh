#!/usr/bin/env bash
# Start a throwaway PostgreSQL (Debian's packages) on loopback for the class database tests, and
# print the SQLAlchemy URL to use as GENAI_DB_URL:
#     export GENAI_DB_URL=$(scripts/start_postgres.sh /tmp/genai-pg 55432)
# Runs the server as the `postgres` user when started as root (initdb refuses root).
# `scripts/start_postgres.sh --stop DIR` stops it again.
set -euo pipefail
STOP=0
if [ "${1:-}" = "--stop" ]; then STOP=1; shift; fi
DIR=${1:-/tmp/genai-pg}
PORT=${2:-55432}
BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -n "$BIN" ] || { echo "PostgreSQL is not installed (apt-get install postgresql)" >&2; exit 1; }
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
if [ "$STOP" = 1 ]; then
  as_pg "$BIN/pg_ctl" -D "$DIR" -m fast stop >/dev/null 2>&1 || true
  exit 0
fi
mkdir -p "$DIR"
[ "$(id -u)" = 0 ] && chown postgres "$DIR"
if [ ! -f "$DIR/PG_VERSION" ]; then
  as_pg "$BIN/initdb" -D "$DIR" -A trust -U postgres >/dev/null
fi
if ! as_pg "$BIN/pg_ctl" -D "$DIR" status >/dev/null 2>&1; then
  as_pg "$BIN/pg_ctl" -D "$DIR" -l "$DIR/server.log" -w \
    -o "-c listen_addresses=127.0.0.1 -p $PORT -k $DIR" start >/dev/null
fi
as_pg "$BIN/psql" -h 127.0.0.1 -p "$PORT" -U postgres -tAc \
  "SELECT 1 FROM pg_database WHERE datname='genai'" | grep -q 1 \
  || as_pg "$BIN/createdb" -h 127.0.0.1 -p "$PORT" -U postgres genai
echo "postgresql+psycopg://postgres@127.0.0.1:$PORT/genai"
