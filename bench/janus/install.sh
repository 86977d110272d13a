#!/usr/bin/env bash
# install.sh — install Janus (Debian 12 ships 1.1.x) for confload's -janus
# side-by-side runs. Idempotent: does nothing when janus is on the PATH.
set -euo pipefail
if command -v janus >/dev/null; then
	janus --version 2>/dev/null | head -1 || true
	exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get install -y --no-install-recommends janus
# The package may start a system-wide instance; the bench runs its own.
if command -v systemctl >/dev/null && systemctl is-active --quiet janus 2>/dev/null; then
	systemctl disable --now janus || true
fi
janus --version | head -1
