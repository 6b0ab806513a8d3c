#!/usr/bin/env bash
# Run the test suite on SQLite, then again on PostgreSQL (127.0.0.1:5432, database `test`) when it
# answers. In CI (CI=true) PostgreSQL is required.
set -euo pipefail
cd "$(dirname "$0")"
scripts/setup.sh
scripts/browser-deps.sh
PG_URL=${HEATCASES_TEST_PG_URL:-postgresql+psycopg://postgres@127.0.0.1:5432/test}

echo "== tests on SQLite =="
env -u HEATCASES_DATABASE_URL .venv/bin/python -m pytest "$@"

if .venv/bin/python - "$PG_URL" <<'PY'
import sys, sqlalchemy
try:
    sqlalchemy.create_engine(sys.argv[1]).connect().close()
except Exception as error:
    print(f"PostgreSQL not reachable: {error.__class__.__name__}")
    sys.exit(1)
PY
then
  echo "== tests on PostgreSQL =="
  HEATCASES_DATABASE_URL="$PG_URL" .venv/bin/python -m pytest "$@"
elif [ "${CI:-}" = "true" ]; then
  echo "CI needs PostgreSQL at $PG_URL" >&2
  exit 1
else
  echo "skipping the PostgreSQL run"
fi
