#!/usr/bin/env bash
# Installs the PostgreSQL 15 server binaries the PostgreSQL test run starts a throwaway cluster from.
# Idempotent and quiet when they are already there; needs root (or sudo) only when installing.
set -euo pipefail
BIN=/usr/lib/postgresql/15/bin
if [ -x "$BIN/initdb" ] && [ -x "$BIN/pg_ctl" ]; then
    exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    SUDO="sudo"
fi
echo "installing PostgreSQL 15 (Debian packages) for the PostgreSQL tests" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq postgresql-15 >/dev/null
[ -x "$BIN/initdb" ] || { echo "PostgreSQL 15 binaries still missing under $BIN" >&2; exit 1; }
