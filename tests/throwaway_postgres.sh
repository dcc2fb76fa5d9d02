#!/usr/bin/env bash
# Runs the given command against a throw-away PostgreSQL (DESIGN §12) and always stops it.
# Usage: tests/throwaway_postgres.sh COMMAND [ARGS...]   (TEST_DATABASE_URL is exported)
set -euo pipefail
port=${PG_PORT:-5433}
pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
[ -x "$pg_bin/initdb" ] || { echo "PostgreSQL server binaries not found (apt-get install postgresql)"; exit 1; }
dir=$(mktemp -d /tmp/trainhub-pg.XXXXXX)
as_pg=()
if [ "$(id -u)" = 0 ]; then
  chown postgres: "$dir"
  as_pg=(runuser -u postgres --)
fi
stop() {
  "${as_pg[@]}" "$pg_bin/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$dir"
}
trap stop EXIT
"${as_pg[@]}" "$pg_bin/initdb" -D "$dir/data" -A trust -U postgres >/dev/null
options="-k /tmp -p $port -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off"
"${as_pg[@]}" "$pg_bin/pg_ctl" -D "$dir/data" -o "$options" -l "$dir/log" -w start >/dev/null
"$pg_bin/psql" -q -h 127.0.0.1 -p "$port" -U postgres -c "CREATE DATABASE trainhub_test" >/dev/null
export TEST_DATABASE_URL="postgresql+psycopg://postgres@127.0.0.1:$port/trainhub_test"
# for a command that stops and starts this server itself (the load test's restart phase)
export THROWAWAY_PG_BIN="$pg_bin" THROWAWAY_PG_DIR="$dir" THROWAWAY_PG_OPTIONS="$options"
echo "throw-away PostgreSQL on 127.0.0.1:$port"
"$@"
