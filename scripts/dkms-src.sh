#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# dkms-src.sh [DEST]: the DKMS source tree of this project, in DEST
# (default /usr/src/ncoal-<PACKAGE_VERSION of dkms.conf>), then
#
#     dkms install ncoal/<version>
#
# builds and installs the modules for the running kernel, and DKMS
# rebuilds them for every 6.12 kernel installed later (AUTOINSTALL).
# dkms-src.sh --remove [DEST] takes both away again (after dkms remove).
#
# Our modules carry upstream's module versions (vhost_net "0.0.1",
# virtio_net none), and DKMS does not install a module whose version
# equals the kernel's own: it says "DKMS will not replace this module"
# and exits 0, on autoinstall too. /usr/share/dkms/modules_to_force_install/
# ncoal ("ncoal_version-override") makes DKMS skip that comparison for
# this package, and only that (not a --force).
#
# Only the files git knows (tracked, or new and not ignored) go in: the
# working tree's build/ holds gigabytes of kernel and QEMU trees, which
# "dkms add <this directory>" would copy. The revision goes into
# NCOAL_REV, for the modules' identity (the tree has no .git).

set -euo pipefail
. "$(dirname "$0")/lib.sh"

FORCE=/usr/share/dkms/modules_to_force_install/ncoal
remove=0
if [ "${1:-}" = --remove ]; then
	remove=1
	shift
fi

ver=$(sed -n 's/^PACKAGE_VERSION="\{0,1\}\([^"]*\)"\{0,1\}$/\1/p' "$NCOAL_ROOT/dkms.conf")
[ -n "$ver" ] || die "no PACKAGE_VERSION in $NCOAL_ROOT/dkms.conf"
dest=${1:-/usr/src/ncoal-$ver}
if [ $remove = 1 ]; then
	rm -rf "$dest" "$FORCE"
	echo "removed $dest and $FORCE"
	exit 0
fi
rev=$(git -C "$NCOAL_ROOT" describe --always --dirty 2>/dev/null) ||
	die "$NCOAL_ROOT is not a git checkout: copy it to $dest by hand (without build/)"

# Replace a previous copy whole: files that left the project must not
# stay behind in it.
rm -rf "$dest.tmp"
mkdir -p "$dest.tmp"
# (A tracked file deleted in the working tree is not copied.)
git -C "$NCOAL_ROOT" ls-files -z -co --exclude-standard |
while IFS= read -r -d '' f; do
	[ -e "$NCOAL_ROOT/$f" ] || continue
	mkdir -p "$dest.tmp/$(dirname "$f")"
	cp -p "$NCOAL_ROOT/$f" "$dest.tmp/$f"
done
[ -f "$dest.tmp/dkms.conf" ] || die "copying the tree to $dest.tmp failed"
echo "$rev" > "$dest.tmp/NCOAL_REV"
rm -rf "$dest"
mv "$dest.tmp" "$dest"
mkdir -p "$(dirname "$FORCE")"
echo ncoal_version-override > "$FORCE"
echo "$dest: ncoal $ver ($rev); now: dkms install ncoal/$ver"
