#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# (d) a short iperf3 TCP run in each direction completes and moves data.
# Throughput is printed, not judged: the VMs are emulated.

. "$(dirname "$0")/../lib.sh"
ksft_begin

if ! rig_up; then
	not_ok "rig up (our vhost_net, guest)"
	ksft_finish
fi

run_iperf() {
	local dir=$1 out bps

	shift
	out=$(timeout 60 iperf3 -c $L2_IP -t 3 -J "$@" 2>&1) || {
		echo "$out" | tail -n 5 | sed 's/^/# /'
		not_ok "iperf3 TCP $dir completes"
		return
	}
	bps=$(echo "$out" | python3 -c 'import json,sys
j = json.load(sys.stdin)
print(int(j["end"]["sum_received"]["bits_per_second"]))')
	if [ "${bps:-0}" -gt 0 ]; then
		ok "iperf3 TCP $dir completes ($((bps / 1000000)) Mbit/s, emulated)"
	else
		not_ok "iperf3 TCP $dir moved no data"
	fi
}

run_iperf "L1 -> L2"
run_iperf "L2 -> L1" -R

ksft_finish
