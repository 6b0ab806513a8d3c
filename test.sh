#!/usr/bin/env bash
# Run the test suite on SQLite and, side by side (one per core), on PostgreSQL (127.0.0.1:5432, database
# `test`) when it answers. In CI (CI=true) PostgreSQL is required. Arguments go to both pytest runs.
set -euo pipefail
cd "$(dirname "$0")"
scripts/setup.sh test
scripts/browser-deps.sh
scripts/ldap-deps.sh
scripts/nginx-deps.sh
PG_URL=${HEATCASES_TEST_PG_URL:-postgresql+psycopg://postgres@127.0.0.1:5432/test}
PYTEST=(.venv/bin/python -m pytest --durations=15)

if .venv/bin/python - "$PG_URL" <<'PY'
import sys, sqlalchemy
try:
    sqlalchemy.create_engine(sys.argv[1]).connect().close()
except Exception as error:
    print(f"PostgreSQL not reachable: {error.__class__.__name__}")
    sys.exit(1)
PY
then
  pg_log=$(mktemp -t heatcases-tests-postgresql.XXXXXX)
  echo "== tests on PostgreSQL (in the background; its output follows the SQLite run's) =="
  HEATCASES_DATABASE_URL="$PG_URL" "${PYTEST[@]}" "$@" >"$pg_log" 2>&1 &
  pg_pid=$!
  trap 'kill $pg_pid 2>/dev/null || true' EXIT
elif [ "${CI:-}" = "true" ]; then
  echo "CI needs PostgreSQL at $PG_URL" >&2
  exit 1
else
  echo "skipping the PostgreSQL run"
  pg_pid=""
fi

echo "== tests on SQLite =="
sqlite_status=0
env -u HEATCASES_DATABASE_URL "${PYTEST[@]}" "$@" || sqlite_status=$?

pg_status=0
if [ -n "$pg_pid" ]; then
  wait "$pg_pid" || pg_status=$?
  trap - EXIT
  echo "== tests on PostgreSQL =="
  cat "$pg_log"
  rm -f "$pg_log"
fi
echo "== SQLite: exit $sqlite_status; PostgreSQL: $([ -n "$pg_pid" ] && echo "exit $pg_status" || echo skipped) =="
[ "$sqlite_status" -eq 0 ] && [ "$pg_status" -eq 0 ]
