# SPDX-License-Identifier: GPL-2.0
# Common helpers for the build and test scripts. Source it; do not run it.

# Project root (the directory holding the top-level Makefile).
NCOAL_ROOT=${NCOAL_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
NCOAL_BUILD=${NCOAL_BUILD:-$NCOAL_ROOT/build}

die() {
	echo "error: $*" >&2
	exit 1
}

note() {
	echo "==> $*" >&2
}

# The Debian 6.12 kernel release installed here, e.g. 6.12.117+deb12-amd64.
# Resolved at run time from what is installed: the archive moves.
ncoal_kver() {
	local v

	if [ -n "${KVER:-}" ]; then
		echo "$KVER"
		return
	fi
	case "$(uname -r)" in
	6.12.*)
		if [ -d "/lib/modules/$(uname -r)/build" ]; then
			uname -r
			return
		fi
		;;
	esac
	v=$(ls -d /usr/src/linux-headers-6.12.*-amd64 2>/dev/null |
		sed 's|.*/linux-headers-||' | sort -V | tail -n1)
	[ -n "$v" ] || die "no 6.12 kernel headers found; run 'make deps'"
	echo "$v"
}

# KDIR: the kernel build directory modules are built against.
ncoal_kdir() {
	local kver

	if [ -n "${KDIR:-}" ]; then
		echo "$KDIR"
		return
	fi
	kver=$(ncoal_kver)
	if [ -d "/lib/modules/$kver/build" ]; then
		echo "/lib/modules/$kver/build"
	elif [ -d "/usr/src/linux-headers-$kver" ]; then
		echo "/usr/src/linux-headers-$kver"
	else
		die "no build directory for $kver; run 'make deps' or set KDIR"
	fi
}

# Upstream version (e.g. 6.12.117) of a kernel build or source directory.
ncoal_tree_version() {
	local mk=$1/Makefile

	[ -f "$mk" ] || return 1
	awk -F' *= *' '/^VERSION =/{v=$2} /^PATCHLEVEL =/{p=$2}
		/^SUBLEVEL =/{s=$2} END{if (v != "") print v "." p "." s}' "$mk"
}

# Upstream version of KDIR: headers trees have no full Makefile, so ask
# the kernel's own version header.
ncoal_kdir_version() {
	local kdir=$1 h

	h=$kdir/include/generated/uapi/linux/version.h
	if [ -f "$h" ]; then
		awk '/LINUX_VERSION_MAJOR/{a=$3} /LINUX_VERSION_PATCHLEVEL/{b=$3}
			/LINUX_VERSION_SUBLEVEL/{c=$3} END{print a "." b "." c}' "$h"
		return
	fi
	ncoal_tree_version "$kdir"
}

# The kernel image used for the test VMs.
ncoal_vmlinuz() {
	local kver

	kver=$(ncoal_kver)
	# scripts/debug-kernel.sh keeps its image with its modules
	if [ ! -f "/boot/vmlinuz-$kver" ] && [ -f "/lib/modules/$kver/vmlinuz" ]; then
		echo "/lib/modules/$kver/vmlinuz"
		return
	fi
	[ -f "/boot/vmlinuz-$kver" ] ||
		die "/boot/vmlinuz-$kver missing; run 'make deps'"
	echo "/boot/vmlinuz-$kver"
}
