#!/usr/bin/env bash
# Refresh docs/screenshots/ (shown in the README): each main page at laptop and phone width, taken by
# tests/browser/test_screenshots.py in Chromium on a fresh demo server.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh test
scripts/browser-deps.sh
HEATCASES_SCREENSHOTS=1 .venv/bin/python -m pytest -q tests/browser/test_screenshots.py "$@"
ls -la docs/screenshots
