#!/usr/bin/env bash
# What the directory tests (tests/directory) need from the system: Debian's OpenLDAP server (slapd, with its
# schemas), ldap-utils, and openssl (the TLS tests make a throw-away CA). The tests start their own slapd on a free port with a throw-away configuration;
# the package's own service is never started (the package's postinst is told not to, and no init runs here).
# Quick when they are there; without root or apt it says so, and the directory tests are skipped (in CI they
# fail instead).
set -euo pipefail
if [ -x /usr/sbin/slapd ] && [ -x /usr/sbin/slapadd ] && [ -f /etc/ldap/schema/inetorgperson.schema ] \
  && command -v openssl >/dev/null; then
  exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
  echo "installing slapd, ldap-utils and openssl for the directory tests"
  export DEBIAN_FRONTEND=noninteractive
  echo "slapd slapd/no_configuration boolean true" | debconf-set-selections
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends slapd ldap-utils openssl >/dev/null
else
  echo "no slapd at /usr/sbin/slapd: install slapd and ldap-utils (apt) to run the directory tests" >&2
fi
