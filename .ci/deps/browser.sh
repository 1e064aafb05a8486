#!/usr/bin/env bash
# The dashboard's browser test (crates/bandwatch/tests/web_dashboard.rs): Debian's Chromium,
# Node.js, and playwright-core from the npm registry (pinned in package-lock.json; it drives
# /usr/bin/chromium and downloads no browser of its own).
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
cd "$(dirname "$0")/../.."

need=()
[ -x /usr/bin/chromium ] || need+=(chromium)
command -v node >/dev/null || need+=(nodejs)
command -v npm >/dev/null || need+=(npm)
if [ ${#need[@]} -gt 0 ]; then
  $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi
npm ci --prefix crates/bandwatch/tests/browser --no-audit --no-fund --loglevel=error
echo "== $(/usr/bin/chromium --version 2>/dev/null | head -n 1), node $(node --version)"
