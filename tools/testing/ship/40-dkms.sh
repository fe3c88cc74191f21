#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# 40-dkms.sh: the DKMS package (dkms.conf, scripts/dkms-src.sh,
# scripts/dkms-build.sh) with the real dkms on this machine, for the
# installed 6.12 kernel (which need not be the running one):
#
#  1. dkms-src.sh puts the source in /usr/src/ncoal-<version>, without
#     build/; dkms add registers it;
#  2. dkms build builds both modules for that kernel, with its vermagic
#     and our identity note;
#  3. dkms install puts them in updates/dkms, and modprobe resolves
#     vhost_net and virtio_net there (not a silent no-op: DKMS's version
#     check would skip modules whose version equals the kernel's);
#     make install refuses while they are there;
#  4. dkms build for a kernel outside 6.12 fails, saying the series
#     supports 6.12 only;
#  5. dkms remove takes them away: modprobe resolves the stock modules,
#     whose files never changed; dkms-src.sh --remove leaves nothing.
#
# It writes /lib/modules/<6.12>/updates/dkms, /usr/src/ncoal-<version>,
# /var/lib/dkms/ncoal and DKMS's override entry, and removes them again;
# DKMS makes its signing key (/var/lib/dkms/mok.key) on its first build
# if there is none. Skips without root or dkms, without the 6.12 headers
# and source, and when ncoal is in DKMS already (an operator's install
# is not ours to remove). kselftest TAP; exit 1 on failure, 4 on skip.

set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
NCOAL_ROOT=${NCOAL_ROOT:-$(cd "$HERE/../../.." && pwd)}
. "$NCOAL_ROOT/scripts/lib.sh"

. "$HERE/lib.sh"
[ "$(id -u)" -eq 0 ] || skip_all "dkms install and remove" "not root"
command -v dkms > /dev/null || skip_all "dkms install and remove" "dkms is not installed (make deps)"
kver=$( (ncoal_kver) 2>/dev/null) || skip_all "dkms install and remove" "no 6.12 kernel headers (make deps)"
[ -d "/lib/modules/$kver/build" ] || skip_all "dkms install and remove" "no /lib/modules/$kver/build"
[ -e "${KSRC:-/usr/src/linux-source-6.12.tar.xz}" ] || skip_all "dkms install and remove" "no linux-source-6.12 (make deps)"
ver=$(sed -n 's/^PACKAGE_VERSION="\{0,1\}\([^"]*\)"\{0,1\}$/\1/p' "$NCOAL_ROOT/dkms.conf")
[ -n "$ver" ] || { not_ok "dkms.conf has a PACKAGE_VERSION"; finish; }
if [ -n "$(dkms status ncoal 2>/dev/null)" ] || [ -e "/usr/src/ncoal-$ver" ]; then
	skip_all "dkms install and remove" "ncoal is in DKMS already ($(dkms status ncoal 2>/dev/null | head -n1)); not touching an operator's install"
fi

MODDIR=/lib/modules/$kver
LOG=$(mktemp)
cleanup() {
	dkms remove "ncoal/$ver" --all > /dev/null 2>&1
	"$NCOAL_ROOT/scripts/dkms-src.sh" --remove > /dev/null 2>&1
	rm -f "$LOG"
}
trap cleanup EXIT

stock_sums() {
	(cd "$MODDIR" && find kernel/drivers/vhost kernel/drivers/net -maxdepth 1 \
		\( -name 'vhost*.ko*' -o -name 'virtio_net.ko*' \) | sort | xargs sha256sum)
}
stock=$(stock_sums)
stock_vhost=$(modinfo -k "$kver" -n vhost_net)
stock_virtio=$(modinfo -k "$kver" -n virtio_net)
# dkms prints readelf's complaints about its own checks: noise.
quiet() {
	"$@" > "$LOG" 2>&1
	local rc=$?
	grep -v "^readelf: Warning: Section '.comment'" "$LOG" > "$LOG.f"
	mv "$LOG.f" "$LOG"
	return $rc
}

# --- 1. source and add -------------------------------------------------------

if quiet "$NCOAL_ROOT/scripts/dkms-src.sh" && [ -f "/usr/src/ncoal-$ver/dkms.conf" ] &&
   [ ! -e "/usr/src/ncoal-$ver/build" ] && quiet dkms add "ncoal/$ver"; then
	ok "dkms-src.sh, dkms add ncoal/$ver ($(du -sh "/usr/src/ncoal-$ver" | cut -f1), no build/)"
else
	not_ok "dkms-src.sh, dkms add ncoal/$ver" "$(cat "$LOG")"
	finish
fi

# --- 2. build ------------------------------------------------------------------

built=/var/lib/dkms/ncoal/$ver/$kver/x86_64/module
SECONDS=0
if quiet dkms build "ncoal/$ver" -k "$kver"; then
	bad=
	for m in vhost_net virtio_net; do
		f=$(ls "$built/$m.ko"* 2>/dev/null | head -n1)
		[ -n "$f" ] || { bad="$bad$m: not built"$'\n'; continue; }
		vm=$(modinfo -F vermagic "$f" | cut -d' ' -f1)
		[ "$vm" = "$kver" ] || bad="$bad$m: vermagic $vm"$'\n'
		modinfo -F ncoal "$f" | grep -q "^ncoal-.* base-" ||
			bad="$bad$m: no identity note"$'\n'
	done
	if [ -z "$bad" ]; then
		ok "dkms build for $kver in $SECONDS s: $(modinfo -F ncoal "$(ls "$built"/vhost_net.ko* | head -n1)")"
	else
		not_ok "dkms build for $kver: modules with its vermagic and our identity" "$bad"
	fi
else
	not_ok "dkms build for $kver" "$(cat "$LOG")"
fi

# --- 3. install -----------------------------------------------------------------

installed() {
	local m f

	for m in vhost_net virtio_net; do
		f=$(modinfo -k "$kver" -n "$m")
		case "$f" in
		"$MODDIR/updates/dkms/$m.ko"*) ;;
		*) echo "modprobe resolves $m to $f"; return 1 ;;
		esac
	done
}
dkms_in=0
if quiet dkms install "ncoal/$ver" -k "$kver" && out=$(installed); then
	ok "dkms install: modprobe resolves vhost_net, virtio_net in updates/dkms"
	dkms_in=1
else
	not_ok "dkms install: modprobe resolves vhost_net, virtio_net in updates/dkms" "$(cat "$LOG"; echo "${out:-}")"
fi
# Only next to DKMS's copy: without it, this would really install.
if [ $dkms_in = 0 ]; then
	not_ok "make install refuses while DKMS's copy is installed" "not tried: DKMS's copy is not installed"
elif [ ! -f "$NCOAL_BUILD/vhost_net.ko" ] || [ ! -f "$NCOAL_BUILD/virtio_net.ko" ]; then
	n=$((n + 1)); skips=$((skips + 1))
	echo "ok $n make install refuses while DKMS's copy is installed # SKIP no modules in $NCOAL_BUILD (make modules)"
elif out=$(KVER=$kver "$NCOAL_ROOT/scripts/install.sh" install 2>&1); then
	not_ok "make install refuses while DKMS's copy is installed" "$out"
	KVER=$kver "$NCOAL_ROOT/scripts/install.sh" uninstall > /dev/null 2>&1
elif grep -q "other copies in $MODDIR/updates" <<< "$out"; then
	ok "make install refuses while DKMS's copy is installed"
else
	not_ok "make install refuses while DKMS's copy is installed (with that reason)" "$out"
fi

# --- 4. another kernel series -----------------------------------------------------

other=6.1.0-99-amd64
quiet dkms build "ncoal/$ver" -k "$other"
rc=$?
if [ $rc -ne 0 ] && grep -q "supports Linux 6.12 only" "$LOG" &&
   grep -q "BUILD_EXCLUSIVE" "$LOG"; then
	ok "dkms build -k $other fails (status $rc): $(grep -m1 'supports Linux 6.12 only' "$LOG")"
else
	not_ok "dkms build -k $other fails, saying the series supports 6.12 only" "status $rc"$'\n'"$(cat "$LOG")"
fi

# --- 5. remove ------------------------------------------------------------------------

if quiet dkms remove "ncoal/$ver" --all &&
   [ "$(modinfo -k "$kver" -n vhost_net)" = "$stock_vhost" ] &&
   [ "$(modinfo -k "$kver" -n virtio_net)" = "$stock_virtio" ] &&
   [ ! -e "$MODDIR/updates/dkms/vhost_net.ko.xz" ] && [ ! -e "$MODDIR/updates/dkms/vhost_net.ko" ]; then
	ok "dkms remove: modprobe resolves the stock modules again"
else
	not_ok "dkms remove: modprobe resolves the stock modules again" \
		"$(cat "$LOG"; modinfo -k "$kver" -n vhost_net virtio_net)"
fi
if [ "$(stock_sums)" = "$stock" ]; then
	ok "stock vhost and virtio_net files byte-identical throughout"
else
	not_ok "stock vhost and virtio_net files byte-identical throughout"
fi
"$NCOAL_ROOT/scripts/dkms-src.sh" --remove > /dev/null 2>&1
if [ ! -e "/usr/src/ncoal-$ver" ] && [ ! -e /usr/share/dkms/modules_to_force_install/ncoal ] &&
   [ -z "$(dkms status ncoal 2>/dev/null)" ]; then
	ok "dkms-src.sh --remove: nothing of ncoal left in DKMS"
else
	not_ok "dkms-src.sh --remove: nothing of ncoal left in DKMS" "$(dkms status ncoal 2>&1)"
fi

finish
