#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# upstream.sh DEST: put the upstream files our series patches (and the
# kernel's own checkers, and the lib/dim the policy's unit test runs on)
# into DEST, taken from the kernel source that
# matches KDIR. KSRC may name a kernel tree or a linux-source tarball;
# default: Debian's /usr/src/linux-source-6.12.tar.xz. The result is
# cached: DEST/.stamp records where it came from.

set -euo pipefail
. "$(dirname "$0")/lib.sh"

DEST=${1:?usage: upstream.sh DEST}

FILES=(
	Makefile
	drivers/vhost/net.c
	drivers/vhost/vhost.h
	drivers/net/virtio_net.c
	scripts/checkpatch.pl
	scripts/spelling.txt
	scripts/const_structs.checkpatch
	scripts/kernel-doc
	include/linux/dim.h
	lib/dim/dim.c
	lib/dim/net_dim.c
)

KSRC=${KSRC:-/usr/src/linux-source-6.12.tar.xz}
kdir=$(ncoal_kdir)
want=$(ncoal_kdir_version "$kdir")
[ -n "$want" ] || die "cannot tell the kernel version of KDIR=$kdir"

if [ -d "$KSRC" ]; then
	stamp="dir:$(cd "$KSRC" && pwd)"
elif [ -f "$KSRC" ]; then
	stamp="tar:$KSRC:$(stat -c '%s:%Y' "$KSRC")"
else
	die "KSRC=$KSRC is neither a kernel tree nor a source tarball; run 'make deps' (linux-source-6.12) or set KSRC"
fi
# The file list is part of the stamp: a file added to it is extracted.
stamp="$stamp ${FILES[*]}"

if [ -f "$DEST/.stamp" ] && [ "$(cat "$DEST/.stamp")" = "$stamp" ]; then
	have=$(ncoal_tree_version "$DEST")
else
	rm -rf "$DEST.tmp"
	mkdir -p "$DEST.tmp"
	if [ -d "$KSRC" ]; then
		for f in "${FILES[@]}"; do
			[ -f "$KSRC/$f" ] || die "KSRC=$KSRC has no $f"
			mkdir -p "$DEST.tmp/$(dirname "$f")"
			cp "$KSRC/$f" "$DEST.tmp/$f"
		done
	else
		note "extracting upstream files from $KSRC"
		top=$( (tar tf "$KSRC" 2>/dev/null || true) | head -n1 | cut -d/ -f1)
		tar xf "$KSRC" -C "$DEST.tmp" --strip-components=1 \
			"${FILES[@]/#/$top/}" ||
			die "cannot extract ${FILES[*]} from $KSRC"
	fi
	echo "$stamp" > "$DEST.tmp/.stamp"
	rm -rf "$DEST"
	mv "$DEST.tmp" "$DEST"
	have=$(ncoal_tree_version "$DEST")
fi

if [ "$have" != "$want" ]; then
	die "kernel source ($KSRC) is $have but KDIR ($kdir) is $want; set KSRC to the matching source"
fi
echo "$have"
