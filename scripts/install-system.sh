#!/usr/bin/env bash
# Installs the Debian packages Knock needs, only those missing.
#   install-system.sh demo   -> chromium (the sandbox runs in-process)
#   install-system.sh test   -> chromium, dovecot (IMAP tests), redis (queue tests)
set -euo pipefail
want=(chromium)
if [ "${1:-test}" = test ]; then
  want+=(dovecot-imapd redis-server)
fi
missing=()
for pkg in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0
SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
echo "Installing Debian packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# policy-rc.d keeps the packages' system services from starting: Knock's tests
# start private instances on 127.0.0.1 with their own configuration.
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
  $SUDO chmod +x /usr/sbin/policy-rc.d
  trap '$SUDO rm -f /usr/sbin/policy-rc.d' EXIT
fi
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" fonts-dejavu-core >/dev/null
