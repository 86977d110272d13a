#!/usr/bin/env bash
# veth.sh CMD... — run CMD with a veth pair (10.203.0.1/24 on xbench0)
# added to the current network namespace. Janus never gathers ICE
# candidates on a loopback interface, and /work/wt/heavy.sh's private
# namespace has only lo: the pair gives Janus a host address. Both ends stay
# in the namespace, so nothing leaves it; the fake browsers reach
# 10.203.0.1 from 127.0.0.1 through the kernel's local route. Run it only
# inside a private namespace (heavy.sh): it refuses to touch one that has
# any interface but lo.
set -euo pipefail
if ip -o link show | awk -F': ' '{print $2}' | grep -qv '^lo$'; then
	if ! ip -o link show xbench0 >/dev/null 2>&1; then
		echo "veth.sh: this namespace has interfaces besides lo; run me inside heavy.sh" >&2
		exit 2
	fi
else
	ip link add xbench0 type veth peer name xbench1
	ip link set xbench1 up
	ip link set xbench0 up
	ip addr add 10.203.0.1/24 dev xbench0
fi
exec "$@"
