#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# debug-kernel.sh: build the rig's debug kernel (KASAN,
# lockdep, debug objects, KFENCE, SLUB debug) from the same 6.12 source
# our modules patch, and install it as /lib/modules/<kver>/ (modules and
# the image as vmlinuz there: never /boot, so no boot loader picks it).
#
# Config: Debian's, localmodconfig'd to the modules the rig loads, then
# scripts/debug-kernel.config. Cached in build/debug-kernel: rebuilt only
# when the source, Debian's config, the fragment, this script or the
# compiler change. Prints the kernel release on stdout.
#
#   NCOAL_DEBUG_KERNEL  build directory (default build/debug-kernel)
#   KSRC                linux-source tarball (default Debian's 6.12)
#   JOBS                make -j (default: nproc), run under nice -n 19

set -euo pipefail
. "$(dirname "$0")/lib.sh"

D=${NCOAL_DEBUG_KERNEL:-$NCOAL_BUILD/debug-kernel}
tarball=${KSRC:-/usr/src/linux-source-6.12.tar.xz}
frag=$NCOAL_ROOT/scripts/debug-kernel.config
jobs=${JOBS:-$(nproc)}
[ -f "$tarball" ] || die "$tarball missing; run 'make deps'"
case "$tarball" in
*.tar.xz) ;;
*) die "KSRC must be a linux-source tarball here" ;;
esac
dconfig=$(ls /boot/config-6.12.*-amd64 2>/dev/null | sort -V | tail -n1)
[ -n "$dconfig" ] || die "no Debian 6.12 config in /boot; run 'make deps'"

# The modules the rig loads (test host and guest); localmodconfig keeps
# these and drops every other module.
rig_modules="9p 9pnet 9pnet_virtio netfs virtio_net net_failover failover
vhost vhost_net vhost_iotlb tun tap kvm kvm_amd irqbypass virtio_rng
bridge stp llc veth"

mkdir -p "$D"
src_id="$(stat -c '%n %s %Y' "$tarball")"
inputs=$D/inputs.new
{
	echo "source: $src_id"
	echo "config: $(sha256sum < "$dconfig" | cut -d' ' -f1) $dconfig"
	echo "fragment: $(sha256sum < "$frag" | cut -d' ' -f1)"
	echo "script: $(sha256sum < "$0" | cut -d' ' -f1)"
	echo "modules: $(echo "$rig_modules" | xargs)"
	echo "cc: $(gcc --version | head -n1)"
} > "$inputs"

K=$D/linux
kver=
[ -f "$D/kver" ] && kver=$(cat "$D/kver")
if [ -n "$kver" ] && cmp -s "$inputs" "$D/inputs" &&
   [ -f "/lib/modules/$kver/vmlinuz" ] &&
   [ -f "/lib/modules/$kver/modules.dep" ]; then
	rm -f "$inputs"
	note "debug kernel $kver is up to date ($D)"
	echo "$kver"
	exit 0
fi

if [ ! -f "$D/source" ] || [ "$(cat "$D/source")" != "$src_id" ] ||
   [ ! -f "$K/Makefile" ]; then
	note "unpacking $tarball"
	rm -rf "$K" "$D/source"
	mkdir -p "$K"
	tar -xJf "$tarball" -C "$K" --strip-components=1
	echo "$src_id" > "$D/source"
fi

note "configuring (Debian's $(basename "$dconfig"), localmodconfig, $(basename "$frag"))"
cp "$dconfig" "$K/.config"
{
	echo "Module Size Used by"
	for m in $rig_modules; do
		echo "$m 0 0"
	done
} > "$D/lsmod"
# localmodconfig asks about nothing new: the config is Debian's own.
make -s -C "$K" LSMOD="$D/lsmod" localmodconfig < /dev/null > "$D/config.log" 2>&1 ||
	{ cat "$D/config.log" >&2; die "localmodconfig failed"; }
"$K/scripts/kconfig/merge_config.sh" -m -O "$K" "$K/.config" "$frag" \
	>> "$D/config.log" 2>&1 || die "merge_config failed (log: $D/config.log)"
make -s -C "$K" olddefconfig >> "$D/config.log" 2>&1 ||
	die "olddefconfig failed (log: $D/config.log)"
# Every line of the fragment must have survived olddefconfig.
missing=$(grep -E '^CONFIG_' "$frag" | while read -r line; do
	grep -qxF "$line" "$K/.config" || echo "  $line"
done
sed -n 's/^# \(CONFIG_[A-Z0-9_]*\) is not set$/\1/p' "$frag" | while read -r opt; do
	if grep -qE "^$opt=" "$K/.config"; then
		echo "  # $opt is not set"
	fi
done)
[ -z "$missing" ] ||
	die "the debug config lost these fragment lines (a dependency is off):"$'\n'"$missing"

note "building with $jobs jobs under nice (log: $D/build.log)"
start=$(date +%s)
if ! nice -n 19 make -C "$K" -j"$jobs" bzImage modules > "$D/build.log" 2>&1; then
	tail -n 40 "$D/build.log" >&2
	die "debug kernel build failed (log: $D/build.log)"
fi
kver=$(make -s -C "$K" kernelrelease)
note "built $kver in $(( $(date +%s) - start )) s"

# Its own /lib/modules/<kver>: the test host mounts this machine's root.
[ -w /lib/modules ] || die "installing needs root (/lib/modules)"
rm -rf "/lib/modules/$kver"
make -s -C "$K" INSTALL_MOD_PATH= modules_install > "$D/install.log" 2>&1 ||
	{ cat "$D/install.log" >&2; die "modules_install failed"; }
cp "$K/arch/x86/boot/bzImage" "/lib/modules/$kver/vmlinuz"
cp "$K/System.map" "$K/.config" "/lib/modules/$kver/"
echo "$kver" > "$D/kver"
mv "$inputs" "$D/inputs"
echo "$kver"
