#!/usr/bin/env bash
# The browser journeys drive Debian's Chromium (Playwright cannot download its own browsers here).
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x /usr/bin/chromium ] || scripts/apt-install.sh chromium
