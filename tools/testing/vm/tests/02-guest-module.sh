#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# (b) In the guest our virtio_net is the one loaded and drives eth0.

. "$(dirname "$0")/../lib.sh"
ksft_begin

if ! rig_up; then
	not_ok "rig up (our vhost_net, guest)"
	ksft_finish
fi

want=$(built_ident virtio_net)
got=$(l2 "strings -n 8 /sys/module/virtio_net/notes/.note.ncoal | grep -m1 '^ncoal-'")
if [ -n "$want" ] && [ "$got" = "$want" ]; then
	ok "loaded virtio_net is ours ($got)"
else
	log "built: '$want' loaded: '$got'"
	not_ok "loaded virtio_net is ours"
fi

drv=$(l2 "ethtool -i eth0" | sed -n 's/^driver: //p')
if [ "$drv" = virtio_net ]; then
	ok "eth0 is driven by virtio_net"
else
	log "ethtool -i eth0 says driver '$drv'"
	not_ok "eth0 is driven by virtio_net"
fi

ksft_finish
