#!/usr/bin/env bash
# Makes sure PostgreSQL's server binaries (initdb, postgres) are installed.
# The tests and `handler dev` start their own throwaway server with them;
# nothing is started here. Installs the Debian package when missing and
# running as root (as in CI); otherwise says what to install.
set -euo pipefail

have_pg() {
  compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null && return 0
  command -v initdb >/dev/null && return 0
  return 1
}

if have_pg; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "PostgreSQL server binaries are missing: install the 'postgresql' package" >&2
  exit 1
fi
echo "installing PostgreSQL server binaries (apt-get install postgresql)" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends postgresql >/dev/null
# The package may start a cluster of its own; the tests do not use it.
if command -v pg_ctlcluster >/dev/null; then
  for c in /etc/postgresql/*/main; do
    [ -d "$c" ] || continue
    v=$(basename "$(dirname "$c")")
    pg_ctlcluster "$v" main stop >/dev/null 2>&1 || true
  done
fi
have_pg
