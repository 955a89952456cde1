#!/usr/bin/env bash
# Makes sure OpenSSH's server (sshd) is installed. The SFTP tests start
# their own `sshd -D` on a free loopback port, with a generated host key
# and a config file of their own; nothing is started here. Installs the
# Debian package when missing and running as root (as in CI); otherwise
# says what to install.
set -euo pipefail

have_sshd() {
  [ -x /usr/sbin/sshd ] && [ -e /usr/lib/openssh/sftp-server ] && return 0
  return 1
}

if have_sshd; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "OpenSSH's server is missing: install the 'openssh-server' package" >&2
  exit 1
fi
echo "installing OpenSSH's server (apt-get install openssh-server)" >&2
export DEBIAN_FRONTEND=noninteractive
# policy-rc.d keeps the package from starting a system sshd of its own.
had_policy=0
if [ -e /usr/sbin/policy-rc.d ]; then had_policy=1; fi
if [ "$had_policy" -eq 0 ]; then
  printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
  chmod +x /usr/sbin/policy-rc.d
fi
apt-get update -qq
apt-get install -y -qq --no-install-recommends openssh-server >/dev/null
if [ "$had_policy" -eq 0 ]; then rm -f /usr/sbin/policy-rc.d; fi
have_sshd
