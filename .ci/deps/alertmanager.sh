#!/usr/bin/env bash
# Installs Prometheus Alertmanager for crates/bandwatch-notify/tests/http_alertmanager.rs.
# The test starts its own instance (127.0.0.1, a free port, clustering off), so the
# packaged service, running or not, does not matter.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
if ! command -v prometheus-alertmanager >/dev/null; then
    $SUDO apt-get update -qq
    $SUDO apt-get install -y -qq prometheus-alertmanager >/dev/null
fi
prometheus-alertmanager --version 2>&1 | head -n 1
