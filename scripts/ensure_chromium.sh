#!/usr/bin/env bash
# Make sure Debian's headless-capable chromium is at /usr/bin/chromium for the browser tests.
# Idempotent: does nothing (and prints nothing) when it is already there. Needs root (CI runs as root).
set -euo pipefail

if [ -x /usr/bin/chromium ]; then
    exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
    echo "ensure_chromium: /usr/bin/chromium is missing; run this script as root (it uses apt-get)" >&2
    exit 1
fi

export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null

if [ ! -x /usr/bin/chromium ]; then
    echo "ensure_chromium: apt-get finished but /usr/bin/chromium is still missing" >&2
    exit 1
fi
echo "ensure_chromium: installed $(/usr/bin/chromium --version 2>/dev/null || echo chromium)"
