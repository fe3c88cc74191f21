#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# guest-debs.sh [--check]: the guest's servers from Debian's packages,
# without installing them here. nginx and memcached run in the L2 guest
# (tools/bench/scenarios/guest-web.sh, guest-memcached.sh); installing
# their packages on this machine would start system services on it (their
# postinst enables and starts nginx.service and memcached.service), on a
# developer's machine and on CI alike. So the .debs are fetched with
# apt-get download and unpacked with dpkg-deb -x into
#
#   $NCOAL_BUILD/guest-debs/<package>_<version>_<arch>.deb
#   $NCOAL_BUILD/guest-debs/root/      the unpacked files (usr/sbin/nginx,
#                                       usr/bin/memcached, ...)
#   $NCOAL_BUILD/guest-debs/versions   one "package version" line each
#
# scripts/mkinitramfs.sh l2 copies the binaries from root/ into the guest
# image with the libraries ldd names on this machine (scripts/deps.sh
# installs those library packages: they start nothing). The version is
# whatever the archive carries, as for the other packages of deps.sh; a
# package is fetched again when apt's candidate changes (a security
# update), else this costs one apt-cache call.
#
#   --check   exit 0 if every binary is unpacked, 1 if not; fetch nothing
#
# Run by scripts/deps.sh (make deps, so make modules and make check) and
# by scripts/mkinitramfs.sh when a binary is missing.

set -euo pipefail
. "$(dirname "$0")/lib.sh"

# package, and the file of it the guest needs
GUEST_DEBS=(
	"nginx usr/sbin/nginx"
	"memcached usr/bin/memcached"
)

dir=$NCOAL_BUILD/guest-debs
root=$dir/root

if [ "${1:-}" = --check ]; then
	for x in "${GUEST_DEBS[@]}"; do
		read -r _ f <<< "$x"
		[ -x "$root/$f" ] || exit 1
	done
	exit 0
fi

mkdir -p "$root"
touch "$dir/versions"

# the versions apt would install, "package version" lines (one
# apt-cache call for all: it reads the whole package cache each time)
pkgs=()
for x in "${GUEST_DEBS[@]}"; do
	pkgs+=("${x%% *}")
done
candidates=$(apt-cache policy "${pkgs[@]}" 2>/dev/null | awk '
	/^[^ ].*:$/ { p = substr($0, 1, length($0) - 1) }
	/^ *Candidate:/ && $2 != "(none)" { print p, $2 }')

# fetch PACKAGE: apt-get download into $dir (apt's lists updated once if
# it does not know the package: a fresh machine or container)
updated=0
fetch() {
	local log=$dir/apt-$1.log

	if (cd "$dir" && apt-get download -q "$1") > "$log" 2>&1; then
		return 0
	fi
	if [ "$updated" = 0 ]; then
		updated=1
		SUDO=
		[ "$(id -u)" -eq 0 ] || SUDO=sudo
		$SUDO apt-get update -q >> "$log" 2>&1 || true
		(cd "$dir" && apt-get download -q "$1") >> "$log" 2>&1 && return 0
	fi
	cat "$log" >&2
	return 1
}

for x in "${GUEST_DEBS[@]}"; do
	read -r pkg f <<< "$x"
	want=$(awk -v p="$pkg" '$1 == p { print $2 }' <<< "$candidates")
	have=$(awk -v p="$pkg" '$1 == p { print $2 }' "$dir/versions")
	if [ -x "$root/$f" ] && { [ -z "$want" ] || [ "$want" = "$have" ]; }; then
		continue
	fi
	note "guest-debs: fetching $pkg ${want:-(version unknown)} (apt-get download, not installed)"
	rm -f "$dir/${pkg}"_*.deb
	fetch "$pkg" || die "guest-debs: apt-get download $pkg failed"
	deb=$(ls "$dir/${pkg}"_*.deb 2>/dev/null | head -n1)
	[ -n "$deb" ] || die "guest-debs: no .deb of $pkg in $dir"
	dpkg-deb -x "$deb" "$root"
	[ -x "$root/$f" ] || die "guest-debs: $deb has no $f"
	have=$(dpkg-deb -f "$deb" Version)
	awk -v p="$pkg" '$1 != p' "$dir/versions" > "$dir/versions.tmp"
	echo "$pkg $have" >> "$dir/versions.tmp"
	mv "$dir/versions.tmp" "$dir/versions"
done
