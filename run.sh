#!/usr/bin/env bash
# Start the HEAT Case Library on the embedded default (SQLite and a local data folder in ./data),
# with the demo accounts and cases loaded on first start. Extra arguments go to `heatcases serve`.
set -euo pipefail
cd "$(dirname "$0")"
scripts/setup.sh
exec .venv/bin/heatcases serve --demo "$@"
