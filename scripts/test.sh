#!/usr/bin/env bash
# test.sh — the whole test suite, as `make test` and CI run it.
#
# Installs the system packages the tests need, fetches Go modules, vets,
# runs every fuzz target briefly (scripts/fuzz.sh) and then every test with
# the race detector (scripts/gotest.sh). As root, the tests run inside a
# private network namespace that holds only loopback, so no test traffic can
# leave the machine (pion, Chromium and later SIP peers all use 127.0.0.0/8).
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/install-deps.sh
go mod download
go vet ./...

unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))
if [[ -n "$unformatted" ]]; then
  echo "gofmt needed on:" >&2
  echo "$unformatted" >&2
  exit 1
fi

# The cgo libopus build of sfu/codec (the main run covers the pure-Go one).
go vet -tags 'libopus nolibopusfile' ./sfu/...
go test -race -count=1 -tags 'libopus nolibopusfile' ./sfu/codec/

# First every fuzz target for a bounded time (XPHONE_FUZZTIME per target,
# default 10s; see scripts/fuzz.sh), then the tests (scripts/gotest.sh:
# light packages two at a time, then the browser and SIP suites one at a
# time), in the same namespace.
steps='./scripts/fuzz.sh && exec ./scripts/gotest.sh'

if [[ $(id -u) -eq 0 ]] && unshare -n true 2>/dev/null; then
  echo "test: running in a private network namespace (loopback only)"
  export GOPROXY=off GOTOOLCHAIN=local
  exec unshare -n bash -c "ip link set lo up && $steps"
fi
echo "test: not root or no unshare; running on the host's loopback"
exec bash -c "$steps"
