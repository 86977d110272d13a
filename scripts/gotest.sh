#!/usr/bin/env bash
# gotest.sh — every Go test with the race detector, as scripts/test.sh runs
# it (inside its loopback-only network namespace when root).
#
# Two phases. The packages that drive real browsers and SIP peers or measure
# media timing (heavy) need both cores, so they run one at a time (-p 1) and
# last. Everything else (light: unit tests, parsers, codecs, the short load
# gate) runs first, two packages at a time, which also builds their shared
# dependencies in parallel: measured 107 → 66 s on a warm cache. New
# packages are light unless listed here. A failing phase ends the run, so
# go test's own last line is the verdict.
set -euo pipefail
cd "$(dirname "$0")/.."

heavy=(xphone/sfu xphone/siptrunk xphone/test/e2e xphone/web)

mapfile -t light < <(go list ./... | grep -vxF "${heavy[@]/#/-e}")
go test -race -count=1 -p 2 -timeout 10m "${light[@]}"
exec go test -race -count=1 -p 1 -timeout 25m "${heavy[@]}"
