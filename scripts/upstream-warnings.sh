#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# upstream-warnings.sh: the W=1 (and sparse, with CHECK_SPARSE=1) warnings
# of the unpatched upstream files, so build.sh can tell them from ours.

set -euo pipefail
. "$(dirname "$0")/lib.sh"

kdir=$(ncoal_kdir)
dir=$NCOAL_BUILD/upstream-build
rm -rf "$dir"
mkdir -p "$dir/drivers/vhost" "$dir/drivers/net"
for f in drivers/vhost/net.c drivers/vhost/vhost.h drivers/net/virtio_net.c; do
	cp "$NCOAL_BUILD/upstream/$f" "$dir/$f"
done
cat > "$dir/Kbuild" <<EOK
obj-m := vhost_net.o virtio_net.o
vhost_net-y := drivers/vhost/net.o
virtio_net-y := drivers/net/virtio_net.o
EOK
extra=()
[ "${CHECK_SPARSE:-0}" = 1 ] && extra+=(C=2 CF="-D__CHECK_ENDIAN__")
make -C "$kdir" M="$dir" W=1 "${extra[@]}" modules 2>&1 |
	grep -E 'warning:' | sed "s|$dir|$NCOAL_BUILD/src|" || true
