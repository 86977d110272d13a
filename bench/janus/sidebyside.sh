#!/usr/bin/env bash
# sidebyside.sh CONFLOAD BEFORE AFTER [WINDOW] — forwarded video, Xphone
# before / after / Janus VideoRoom, interleaved per room shape in one
# session, each server pinned to core 1 (the load generator runs on both).
# Run it through heavy.sh and veth.sh (Janus needs a non-loopback address):
#
#	/work/wt/heavy.sh bench/janus/veth.sh bench/janus/sidebyside.sh \
#	    /tmp/confload BIN_BEFORE BIN_AFTER 20s
#
# Camera-rate VP8 (1.5 Mbit/s, 30 fps, a key frame every 3 s); talkers 0
# (forwarding alone) for all three, talkers 3 for the two Xphone builds.
set -uo pipefail
load=$1 before=$2 after=$3 window=${4:-20s}
video=(-video -video-kbps 1500 -fps 30 -pin 1 -duration "$window")
for shape in "1 10" "1 50" "3 10" "3 50"; do
	read -r p v <<<"$shape"
	n=$((p + v))
	for run in "before $before 0" "after $after 0" "janus - 0" "before $before 3" "after $after 3"; do
		read -r name bin talkers <<<"$run"
		echo "=== $p -> $v, $name, talkers $talkers, $(date -u +%H:%M:%S), load $(cut -d' ' -f1 /proc/loadavg)"
		if [ "$name" = janus ]; then
			"$load" -janus "${video[@]}" -publishers "$p" -n "$n" 2>&1 | grep -v '^\s*[0-9]* subscribed$'
		else
			"$load" -binary "$bin" "${video[@]}" -publishers "$p" -n "$n" -talkers "$talkers" 2>&1 |
				grep -E 'server CPU|kernel|RSS|Go heap|window|video delivered|packets out|^participants|rror'
		fi
	done
done
