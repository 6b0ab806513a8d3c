#!/usr/bin/env bash
# What the several-machine tests (tests/cluster) need from the system: Debian's nginx, the load balancer of
# docs/deploy.md. The tests start their own nginx on a free port with the example configuration of
# docs/deploy.md filled in; the package's own service is never started (policy-rc.d forbids it while the
# package installs; no init runs here). Quick when it is there; without root or apt it says so, and the
# cluster tests are skipped (in CI they fail instead).
set -euo pipefail
if [ -x /usr/sbin/nginx ]; then
  exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
  echo "installing nginx for the several-machine tests"
  export DEBIAN_FRONTEND=noninteractive
  policy=/usr/sbin/policy-rc.d
  created_policy=0
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' > "$policy" && chmod +x "$policy" && created_policy=1
  fi
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends nginx >/dev/null
  if [ "$created_policy" = 1 ]; then rm -f "$policy"; fi
else
  echo "no nginx at /usr/sbin/nginx: install nginx (apt) to run the several-machine tests" >&2
fi
