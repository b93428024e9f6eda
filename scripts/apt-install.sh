#!/usr/bin/env bash
# Install Debian packages when they are missing (root, or sudo without a password).
set -euo pipefail
SUDO=""
if [ "$(id -u)" != 0 ]; then
  if sudo -n true 2>/dev/null; then SUDO="sudo -n"; else
    echo "Missing packages: $*. Install them with: sudo apt-get install -y $*" >&2; exit 1
  fi
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq || true
$SUDO apt-get install -y -qq "$@" >/dev/null
