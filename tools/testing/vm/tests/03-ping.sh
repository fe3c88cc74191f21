#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# (c) ping between the test host and the guest, both ways: 100 packets,
# no loss.

. "$(dirname "$0")/../lib.sh"
ksft_begin

if ! rig_up; then
	not_ok "rig up (our vhost_net, guest)"
	ksft_finish
fi

loss() {
	sed -n 's/.* \([0-9.]*\)% packet loss.*/\1/p'
}

out=$(ping -c 100 -i 0.02 -W 2 $L2_IP 2>&1)
l=$(echo "$out" | loss)
if [ "$l" = 0 ]; then
	ok "L1 -> L2 ping, 100 packets, 0% loss ($(echo "$out" | tail -n1))"
else
	echo "$out" | tail -n 3 | sed 's/^/# /'
	not_ok "L1 -> L2 ping, 100 packets, 0% loss (got ${l:-?}%)"
fi

out=$(l2 -t 120 "ping -c 100 -i 0.02 -W 2 $L1_IP" 2>&1)
l=$(echo "$out" | loss)
if [ "$l" = 0 ]; then
	ok "L2 -> L1 ping, 100 packets, 0% loss ($(echo "$out" | tail -n1))"
else
	echo "$out" | tail -n 3 | sed 's/^/# /'
	not_ok "L2 -> L1 ping, 100 packets, 0% loss (got ${l:-?}%)"
fi

ksft_finish
