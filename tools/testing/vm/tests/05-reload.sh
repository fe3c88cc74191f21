#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# (e) rmmod / insmod of our modules, at both levels, leaves working
# networking and a clean kernel log.

. "$(dirname "$0")/../lib.sh"
ksft_begin

if ! rig_up; then
	not_ok "rig up (our vhost_net, guest)"
	ksft_finish
fi

# Guest: unload and reload our virtio_net while the link is up.
guest_reload() {
	l2 -t 60 "set -e
		ping -c 3 -i 0.1 -f $L1_IP >/dev/null 2>&1 &
		rmmod virtio_net
		insmod /lib/virtio_net.ko
		i=0; while [ ! -e /sys/class/net/eth0 ] && [ \$i -lt 50 ]; do sleep 0.1; i=\$((i+1)); done
		ip addr add $L2_IP/24 dev eth0
		ip link set eth0 up
		sleep 1
		ping -c 5 -i 0.2 -W 2 $L1_IP" || fail "guest reload or ping after it failed"
}
check "guest: rmmod + insmod virtio_net, ping works after" guest_reload

# Host: stop the guest (QEMU lets go of /dev/vhost-net), reload ours,
# boot it again.
host_reload() {
	l2_stop
	rmmod vhost_net || fail "rmmod vhost_net"
	[ ! -d /sys/module/vhost_net ] || fail "vhost_net still loaded"
	host_load_ours || fail "insmod vhost_net"
	[ "$(loaded_ident vhost_net)" = "$(built_ident vhost_net)" ] ||
		fail "reloaded vhost_net is not ours"
	l2_start || fail "guest did not come back"
	ping -c 10 -i 0.1 -W 2 $L2_IP >/dev/null || fail "ping after reload"
}
check "host: rmmod + insmod vhost_net, guest boots and pings" host_reload

ksft_finish
