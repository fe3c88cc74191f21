#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The QEMU relay (tools/qemu, issue 5) where there is nothing to relay
# to: the relay QEMU on the stock vhost_net (no
# VHOST_BACKEND_F_NET_COALESCE: support is discovered, not assumed), and
# the system QEMU on our vhost_net. In both the stock guest works as
# before, does not get VIRTIO_NET_F_NOTF_COAL, and `ethtool -C eth0
# rx-usecs 100` fails with "Operation not supported".
#
# Two guest boots. No traffic is judged, so no rate scaling applies.

. "$(dirname "$0")/../lib.sh"
# shellcheck source=../../../qemu/vm-test-lib.sh
. "$NCOAL_ROOT/tools/qemu/vm-test-lib.sh"
ksft_begin

l2_stop
if relay_available; then
	if host_load_stock; then
		use_qemu relay
		if guest_up "stock vhost_net, relay QEMU" stock; then
			check "stock vhost_net + relay QEMU: no NOTF_COAL, ethtool -C not supported, guest works" \
				fallback_ok
		fi
		l2_stop
	else
		not_ok "load the stock vhost_net"
	fi
else
	skip "stock vhost_net + relay QEMU" "$RELAY_QEMU missing: run tools/qemu/fetch-build.sh on the host"
fi

if ! host_load_ours; then
	not_ok "insmod our vhost_net"
	ksft_finish
fi
use_qemu system
if guest_up "system QEMU" stock; then
	check "our vhost_net + system QEMU: no NOTF_COAL, ethtool -C rx-usecs 100 not supported, guest works" \
		fallback_ok
fi

l2_stop
ksft_finish
