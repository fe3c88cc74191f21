#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# fetch-emulator.sh: QEMU 10.0 from Debian's bookworm-backports, unpacked
# into $NCOAL_BUILD/l0-qemu, as the emulator of the test host (L1) for
# scripts/vm (NCOAL_VM_QEMU). Not installed: Debian's qemu-system-x86
# 7.2 stays the machine's QEMU, and the guest's (L2) QEMU, stock or
# relay, is unchanged. A control experiment, not the rig's default: the
# test host does worse on it than on Debian's 7.2 (triple faults under
# the soak; Documentation/networking/ncoal_reliability.rst, "Open
# problem"). Run it with:
#   NCOAL_VM_QEMU=$(tools/qemu/fetch-emulator.sh) scripts/vm ...
#
# The archive's signed index is checked with gpgv against
# debian-archive-keyring, the Packages file against the index, every
# .deb against the Packages file. Nothing is downloaded when the wanted
# version is already unpacked. Prints the binary's path.
#
# usage: tools/qemu/fetch-emulator.sh [-f|--force]

set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
NCOAL_ROOT=${NCOAL_ROOT:-$(cd "$HERE/../.." && pwd)}
NCOAL_BUILD=${NCOAL_BUILD:-$NCOAL_ROOT/build}
MIRROR=${NCOAL_DEBIAN_MIRROR:-http://deb.debian.org/debian}
SUITE=bookworm-backports
# The version this project was tested with; another one of the same
# upstream release is taken if the archive has moved on.
WANT=${NCOAL_L0_QEMU_VERSION:-1:10.0.2+ds-2+deb13u1~bpo12+1}
PKGS=(qemu-system-x86 qemu-system-common qemu-system-data)
KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg
OUT=$NCOAL_BUILD/l0-qemu
BIN=$OUT/root/usr/bin/qemu-system-x86_64

die() {
	echo "error: fetch-emulator: $*" >&2
	exit 1
}

force=0
case "${1:-}" in
-f|--force) force=1 ;;
"") ;;
-h|--help) sed -n '3,20p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
*) die "usage: $0 [-f|--force]" ;;
esac

if [ "$force" = 0 ] && [ -x "$BIN" ] && [ -f "$OUT/version" ]; then
	echo "$BIN"
	exit 0
fi
for c in curl gpgv xz dpkg-deb sha256sum; do
	command -v "$c" >/dev/null || die "$c missing (make deps)"
done
[ -r "$KEYRING" ] || die "$KEYRING missing (debian-archive-keyring)"

tmp=$OUT.tmp
rm -rf "$tmp"
mkdir -p "$tmp"
echo "==> fetch-emulator: $SUITE's qemu-system-x86 ($WANT) into $OUT" >&2
curl -fsS -m 120 -o "$tmp/InRelease" "$MIRROR/dists/$SUITE/InRelease" ||
	die "cannot download $MIRROR/dists/$SUITE/InRelease"
gpgv --keyring "$KEYRING" --output "$tmp/Release" "$tmp/InRelease" 2> "$tmp/gpgv.log" ||
	{ cat "$tmp/gpgv.log" >&2; die "$SUITE's InRelease: bad signature"; }
curl -fsS -m 300 -o "$tmp/Packages.xz" \
	"$MIRROR/dists/$SUITE/main/binary-amd64/Packages.xz" ||
	die "cannot download $SUITE's Packages.xz"
sum=$(awk '/^SHA256:/ { s = 1; next } /^[A-Za-z]/ { s = 0 }
	s && $3 == "main/binary-amd64/Packages.xz" { print $1 }' "$tmp/Release")
[ -n "$sum" ] || die "main/binary-amd64/Packages.xz is not in $SUITE's Release"
echo "$sum  $tmp/Packages.xz" | sha256sum -c --quiet - ||
	die "$SUITE's Packages.xz does not match its signed Release"
xz -dc "$tmp/Packages.xz" > "$tmp/Packages"

# pkg_field PKG FIELD: FIELD of PKG at version WANT (or of the newest
# 10.0.x when WANT is gone).
pkg_field() {
	awk -v p="$1" -v f="$2:" -v want="${WANT#*:}" '
		/^Package: / { pk = $2 }
		/^Version: / { v = $2; sub(/^[0-9]+:/, "", v) }
		$1 == f { val = $2 }
		/^$/ {
			if (pk == p && v == want) { print val; found = 1; exit }
			if (pk == p && v ~ /^10\.0\./) alt = val
			pk = ""; val = ""
		}
		END { if (!found && alt != "") print alt }' "$tmp/Packages"
}

mkdir -p "$tmp/root"
for p in "${PKGS[@]}"; do
	file=$(pkg_field "$p" Filename)
	sum=$(pkg_field "$p" SHA256)
	[ -n "$file" ] && [ -n "$sum" ] || die "$p 10.0 is not in $SUITE"
	curl -fsS -m 600 -o "$tmp/${file##*/}" "$MIRROR/$file" ||
		die "cannot download $file"
	echo "$sum  $tmp/${file##*/}" | sha256sum -c --quiet - ||
		die "${file##*/} does not match $SUITE's Packages"
	dpkg-deb -x "$tmp/${file##*/}" "$tmp/root"
done
missing=$(ldd "$tmp/root/usr/bin/qemu-system-x86_64" | grep 'not found' || true)
[ -z "$missing" ] || die "libraries missing for QEMU 10.0: $missing"
"$tmp/root/usr/bin/qemu-system-x86_64" --version | head -n1 > "$tmp/version"
rm -f "$tmp"/*.deb "$tmp/Packages" "$tmp/Packages.xz"
rm -rf "$OUT"
mv "$tmp" "$OUT"
echo "==> fetch-emulator: $(cat "$OUT/version")" >&2
echo "$BIN"
