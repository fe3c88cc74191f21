#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# (a) In the test host our vhost_net is the one loaded, and a guest with
# vhost=on really runs its virtio-net rings through it.

. "$(dirname "$0")/../lib.sh"
ksft_begin

if ! host_load_ours; then
	not_ok "insmod our vhost_net"
	ksft_finish
fi
want=$(built_ident vhost_net)
got=$(loaded_ident vhost_net)
if [ -n "$want" ] && [ "$got" = "$want" ]; then
	ok "loaded vhost_net is ours ($got)"
else
	log "built: '$want' loaded: '$got'"
	not_ok "loaded vhost_net is ours"
fi
check "/dev/vhost-net present" test -c /dev/vhost-net

if ! l2_ensure; then
	not_ok "guest boots with vhost=on"
	ksft_finish
fi
ok "guest boots with vhost=on"

pid=$(cat $L2_DIR/qemu.pid)
vhost_in_use() {
	# One listing (a fork costs up to a second in the test host).
	[[ "$(ls -l /proc/"$pid"/fd)" == */dev/vhost-net* ]] ||
		fail "QEMU ($pid) holds no /dev/vhost-net fd"
	[ "$(cat /sys/module/vhost_net/refcnt)" -ge 1 ] ||
		fail "vhost_net refcnt is 0"
	# The device's worker is a task named vhost-<owner pid>.
	ps -eLo comm | grep -q "^vhost-$pid" ||
		fail "no vhost-$pid worker thread"
}
check "guest's QEMU uses /dev/vhost-net (fd, refcnt, worker)" vhost_in_use

# Traffic moves through the vhost worker: its CPU time grows with pings.
worker_moves() {
	local before after tid

	tid=$(ps -eLo tid,comm | awk -v c="vhost-$pid" '$2 == c {print $1; exit}')
	[ -n "$tid" ] || return 1
	before=$(awk '{print $14 + $15}' /proc/"$pid"/task/"$tid"/stat)
	ping -q -c 20 -i 0.05 -W 2 $L2_IP >/dev/null || fail "ping failed"
	after=$(awk '{print $14 + $15}' /proc/"$pid"/task/"$tid"/stat)
	# switches are finer than CPU ticks: use the scheduler's count
	grep -q . /proc/"$pid"/task/"$tid"/status
	s=$(awk '/^(voluntary|nonvoluntary)_ctxt_switches/{n += $2} END{print n}' \
		/proc/"$pid"/task/"$tid"/status)
	[ "$s" -gt 20 ] || fail "vhost worker switched only $s times"
}
check "traffic runs through the vhost worker" worker_moves

ksft_finish
