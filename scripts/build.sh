#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# build.sh: prepare the source tree and build vhost_net.ko and virtio_net.ko
# with W=1 (C=1 with CHECK_SPARSE=1). Warnings in our own code (anything
# under include/, lib/ or our new drivers/ files, or lines our series adds)
# fail the build; warnings the unpatched upstream files already had are
# reported but tolerated.

set -euo pipefail
. "$(dirname "$0")/lib.sh"

"$NCOAL_ROOT/scripts/prepare.sh"
kdir=$(ncoal_kdir)
SRC=$NCOAL_BUILD/src
log=$NCOAL_BUILD/build.log

extra=()
if [ "${CHECK_SPARSE:-0}" = 1 ]; then
	# C=2: check every file, not only the ones that get recompiled.
	extra+=(C=2 CF="-D__CHECK_ENDIAN__")
fi

note "building modules against $kdir"
if ! make -C "$kdir" M="$SRC" W=1 "${extra[@]}" modules > "$log" 2>&1; then
	cat "$log" >&2
	die "module build failed (log: $log)"
fi

# Warnings: ours are errors.
ours=$(grep -E 'warning:|error:' "$log" |
	grep -vE '/drivers/(vhost/net|net/virtio_net)\.c:' || true)
theirs=$(grep -E 'warning:' "$log" |
	grep -E '/drivers/(vhost/net|net/virtio_net)\.c:' || true)
if [ -n "$theirs" ]; then
	# Upstream lines are tolerated; lines our series touches are not:
	# compare against the unpatched files' warnings.
	base=$NCOAL_BUILD/upstream-warnings${CHECK_SPARSE:+-sparse}.txt
	if [ ! -f "$base" ] || [ "$base" -ot "$NCOAL_BUILD/upstream/.stamp" ]; then
		"$NCOAL_ROOT/scripts/upstream-warnings.sh" > "$base"
	fi
	new=$(echo "$theirs" | sed -E 's/:[0-9]+:[0-9]+:/:/' | sort -u |
		comm -23 - <(sed -E 's/:[0-9]+:[0-9]+:/:/' "$base" | sort -u) || true)
	if [ -n "$new" ]; then
		ours="$ours"$'\n'"$new"
	fi
fi
ours=$(echo "$ours" | sed '/^$/d')
if [ -n "$ours" ]; then
	echo "$ours" >&2
	die "new compiler/sparse warnings (log: $log)"
fi

cp "$SRC/vhost_net.ko" "$SRC/virtio_net.ko" "$NCOAL_BUILD/"
for m in vhost_net virtio_net; do
	echo "built $NCOAL_BUILD/$m.ko: $(modinfo -F ncoal "$NCOAL_BUILD/$m.ko")"
done
