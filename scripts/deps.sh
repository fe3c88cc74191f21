#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Install every Debian package the project needs. Idempotent: packages
# already installed are not touched, so a second run costs a second.
# The 6.12 kernel packages are the meta packages; the concrete version is
# whatever the archive carries today, with the source pinned to the
# headers' version: the security archive publishes linux-source a day or
# more before the matching image and headers (seen: source 6.12.118 while
# image and headers were 6.12.117), and a module built from one against
# the other is refused by scripts/build.sh.
#
# The guest's servers (nginx, memcached) are not installed here: their
# packages start system services. scripts/guest-debs.sh, run last,
# fetches and unpacks their .debs into the build directory; their
# libraries are installed like any other package (they start nothing).

set -euo pipefail

PKGS=(
	# kernel: source (the upstream files our series patches), headers and
	# image (the test VMs boot it; its modules are the stock baseline)
	linux-source-6.12 linux-headers-6.12-amd64 linux-image-6.12-amd64
	# build and static checks
	build-essential bc bison flex libelf-dev libssl-dev kmod xz-utils
	sparse codespell perl python3 git shellcheck
	# VM rig
	qemu-system-x86 busybox-static cpio iproute2 iputils-ping ethtool procps
	# traffic and measurement
	iperf3 socat python3-matplotlib python3-docutils
	# guest benchmarks (tools/bench): SYN flood from L1, RR latency, web
	hping3 sockperf wrk
	# libraries of the guest's nginx and memcached, which
	# scripts/guest-debs.sh unpacks from their .debs (never installed:
	# their packages start services); mkinitramfs.sh copies what ldd
	# names into the guest
	libcrypt1 libpcre2-8-0 libssl3 zlib1g libevent-2.1-7 libsasl2-2
	# QEMU relay build (issue 5)
	ninja-build libglib2.0-dev libpixman-1-dev libfdt-dev meson
	python3-venv dpkg-dev
	# operators' install path: dkms.conf, tested by tools/testing/ship
	dkms
)

missing=()
for p in "${PKGS[@]}"; do
	case "$p" in \#*) continue ;; esac
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
		grep -q 'install ok installed'; then
		missing+=("$p")
	fi
done

SUDO=
[ "$(id -u)" -eq 0 ] || SUDO=sudo
export DEBIAN_FRONTEND=noninteractive

# pin_source: linux-source-6.12 at the version of the installed headers.
pin_source() {
	local hv sv

	hv=$(dpkg-query -W -f='${Version}' linux-headers-6.12-amd64 2>/dev/null) ||
		return 0
	sv=$(dpkg-query -W -f='${Version}' linux-source-6.12 2>/dev/null) || sv=
	[ "$hv" = "$sv" ] && return 0
	echo "deps: linux-source-6.12 ${sv:-missing}, headers $hv: installing the source at $hv"
	$SUDO apt-get install -y -q --no-install-recommends --allow-downgrades \
		"linux-source-6.12=$hv" || {
		echo "deps: the archive has no linux-source-6.12 $hv; set KSRC to a matching source (README.md)" >&2
		return 1
	}
}

if [ ${#missing[@]} -eq 0 ]; then
	pin_source
	echo "deps: all ${#PKGS[@]} packages present"
else
	echo "deps: installing ${missing[*]}"
	$SUDO apt-get update -q
	$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
	pin_source
fi
# the guest's servers: downloaded and unpacked, not installed. Only the
# benchmark's guest-web and guest-memcached need them: without a
# network the rest still builds and tests (mkinitramfs.sh says what the
# guest image lacks).
"$(dirname "$0")/guest-debs.sh" ||
	echo "deps: WARNING: nginx and memcached for the guest image not fetched (scripts/guest-debs.sh)" >&2
