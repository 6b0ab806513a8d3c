#!/usr/bin/env bash
# What the browser tests (tests/browser) need from the system: Debian's Chromium and CJK fonts, so
# that Chinese pages render (and screenshot) as users see them. Playwright itself comes from pip and
# drives this Chromium; it never downloads a browser. Quick when they are there; without root or apt
# it says so, and the browser tests are skipped (in CI they fail instead).
set -euo pipefail
if [ -x /usr/bin/chromium ] && [ "$(fc-list 2>/dev/null | grep -ci "Noto Sans CJK")" != "0" ]; then
  exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
  echo "installing chromium and fonts-noto-cjk for the browser tests"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends chromium fonts-noto-cjk >/dev/null
else
  echo "no Chromium at /usr/bin/chromium: install chromium and fonts-noto-cjk (apt) to run the browser tests" >&2
fi
