#!/usr/bin/env bash
# install-deps.sh — installs the system packages Xphone's tests need.
#
# Idempotent; run as root (CI and developer machines are Debian 12).
# Each entry of DEPS is "COMMAND:PACKAGE[,PACKAGE...]": when COMMAND is not
# on PATH, the packages are installed. An empty COMMAND ("-") means the
# packages are checked with dpkg instead (for libraries such as libopus-dev).
# To add a dependency, add one line to DEPS, e.g.
#   "baresip:baresip-core"
#   "kamailio:kamailio"
#   "-:libopus-dev"
set -euo pipefail

DEPS=(
  "chromium:chromium,fonts-dejavu-core"   # headless browser for test/e2e
  "firefox-esr:firefox-esr"                # second browser for test/e2e (WebDriver BiDi)
  "-:libopus-dev,pkg-config"               # cgo libopus build of sfu/codec (tags libopus nolibopusfile)
  "-:baresip-core,kamailio,kamailio-tls-modules"  # real SIP peers for siptrunk interop tests (TLS listener too)
  "-:libsrtp2-1,libjansson4,libedit2,libsqlite3-0,libxml2"  # run time of the Asterisk kit (../shared/asterisk)
  "tc:iproute2"                            # ip and tc: veth pairs and link shaping of the sfu impairment tests
  "systemd-analyze:systemd"                # deploy/: systemd-analyze verify/security of xphone.service
  "redis-server:redis-server"              # cluster/: the Redis contract and outage tests start their own
)

log() { printf 'install-deps: %s\n' "$*"; }

# package_installed PKG — true when dpkg knows PKG as installed.
package_installed() {
  dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'
}

missing=()
for entry in "${DEPS[@]}"; do
  cmd=${entry%%:*}
  pkgs=${entry#*:}
  IFS=',' read -r -a list <<<"$pkgs"
  if [[ "$cmd" != "-" ]] && command -v "$cmd" >/dev/null 2>&1; then
    log "$cmd found at $(command -v "$cmd"), nothing to do for: ${list[*]}"
    continue
  fi
  for pkg in "${list[@]}"; do
    if package_installed "$pkg" && [[ "$cmd" == "-" ]]; then
      log "$pkg already installed"
    else
      missing+=("$pkg")
    fi
  done
done

if [[ ${#missing[@]} -eq 0 ]]; then
  log "all dependencies present"
  exit 0
fi

if [[ $(id -u) -ne 0 ]]; then
  log "need root to install: ${missing[*]} (rerun with sudo)" >&2
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive
# apt-get update only when needed: no package lists yet, or the first try fails.
if ! compgen -G '/var/lib/apt/lists/*_Packages' >/dev/null; then
  log "apt-get update (no package lists yet)"
  apt-get update
fi
log "installing: ${missing[*]}"
if ! apt-get install -y --no-install-recommends "${missing[@]}"; then
  log "install failed; refreshing package lists and retrying"
  apt-get update
  apt-get install -y --no-install-recommends "${missing[@]}"
fi

# Verify: every command must now be on PATH.
for entry in "${DEPS[@]}"; do
  cmd=${entry%%:*}
  if [[ "$cmd" != "-" ]] && ! command -v "$cmd" >/dev/null 2>&1; then
    log "ERROR: $cmd still not on PATH after installing" >&2
    exit 1
  fi
done
log "done: installed ${missing[*]}"
