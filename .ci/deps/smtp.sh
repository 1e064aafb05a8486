#!/usr/bin/env bash
# Installs what the SMTP sender tests need: python3 and aiosmtpd (a real SMTP server on
# 127.0.0.1). CI runs as root on Debian/Ubuntu, whose python refuses `pip install` into the
# system interpreter (PEP 668, "externally managed"); then we retry with
# --break-system-packages, which only adds a pure-Python package and its two dependencies.
set -euo pipefail

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"

if ! command -v python3 >/dev/null 2>&1; then
    echo "== installing python3 and pip"
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update -qq
    $SUDO apt-get install -y -qq python3 python3-pip >/dev/null
fi
if ! python3 -m pip --version >/dev/null 2>&1; then
    echo "== installing pip"
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update -qq
    $SUDO apt-get install -y -qq python3-pip >/dev/null
fi

if python3 -c 'import aiosmtpd' >/dev/null 2>&1; then
    echo "== aiosmtpd already installed"
    exit 0
fi

echo "== installing aiosmtpd (pip)"
# PIP_ROOT_USER_ACTION silences the running-as-root warning; older pips ignore it.
export PIP_ROOT_USER_ACTION=ignore
PIP=(python3 -m pip install --quiet --disable-pip-version-check)
if ! "${PIP[@]}" aiosmtpd 2>/tmp/bandwatch-pip.err; then
    if grep -q externally-managed /tmp/bandwatch-pip.err; then
        "${PIP[@]}" --break-system-packages aiosmtpd
    else
        cat /tmp/bandwatch-pip.err >&2
        exit 1
    fi
fi
python3 -c 'import aiosmtpd; print("== aiosmtpd", aiosmtpd.__version__)'
