#!/usr/bin/env bash
# fuzz.sh — run every Go native fuzz target of the repository for a bounded
# time each. scripts/test.sh runs it before the main test run (inside the
# same loopback-only network namespace); docs/security.md has the longer run.
#
#   XPHONE_FUZZTIME          time per target (go test -fuzztime), default 10s
#   XPHONE_FUZZMINIMIZETIME  time to minimise a new or failing input, default 5s
#                            (a count such as 100x lets FuzzSDPAnswer explore far more in
#                            10 s, but made Go's fuzzer end FuzzSpeakers with "context
#                            deadline exceeded" in CI, so the time budget stays)
#
# Targets are discovered, never listed here: every package with a `func Fuzz`
# in a _test.go file is asked for its targets with `go test -list '^Fuzz'`,
# so new targets (SIP, SDP, …) are picked up automatically. A failing input
# is written to the package's testdata/fuzz/ and fails the run.
set -euo pipefail
cd "$(dirname "$0")/.."

fuzztime=${XPHONE_FUZZTIME:-10s}
minimize=${XPHONE_FUZZMINIMIZETIME:-5s}

mapfile -t dirs < <(git ls-files '*_test.go' 2>/dev/null | xargs -r grep -l '^func Fuzz' | xargs -r -n1 dirname | sort -u | sed 's|^|./|')
if [[ ${#dirs[@]} -eq 0 ]]; then
  mapfile -t dirs < <(grep -rl --include='*_test.go' '^func Fuzz' . | xargs -r -n1 dirname | sort -u)
fi
if [[ ${#dirs[@]} -eq 0 ]]; then
  echo "fuzz: no fuzz targets found" >&2
  exit 1
fi

# "package target" pairs: -list prints the names, then "ok <package>".
mapfile -t targets < <(go test -list '^Fuzz' "${dirs[@]}" |
  awk '/^Fuzz/ { names[n++] = $1; next } /^ok/ { for (i = 0; i < n; i++) print $2, names[i]; n = 0 }')
echo "fuzz: ${#targets[@]} targets, ${fuzztime} each"
for t in "${targets[@]}"; do
  read -r pkg name <<<"$t"
  echo "fuzz: $pkg $name"
  if ! go test -run '^$' -fuzz "^${name}\$" -fuzztime "$fuzztime" -fuzzminimizetime "$minimize" "$pkg"; then
    # Go's fuzzer now and then ends a clean run with "context deadline
    # exceeded" and no input (seen in CI for FuzzSpeakers and FuzzHandle). A
    # real failure has written its input under testdata/fuzz/, which the
    # second run executes first, as a seed, so it fails again.
    echo "fuzz: $name failed; once more, with any input it wrote as a seed"
    go test -run '^$' -fuzz "^${name}\$" -fuzztime "$fuzztime" -fuzzminimizetime "$minimize" "$pkg"
  fi
done
