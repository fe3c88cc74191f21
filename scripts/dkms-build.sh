#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# dkms-build.sh KERNELVER: dkms.conf's MAKE. DKMS copies the source tree
# (scripts/dkms-src.sh puts it in /usr/src/ncoal-<version>) to its build
# directory and runs this there for each kernel it builds for; it takes
# build/vhost_net.ko and build/virtio_net.ko (BUILT_MODULE_LOCATION).
#
# The build is the one of "make": the upstream files come from the
# kernel source that matches KERNELVER (KSRC, default Debian's
# /usr/src/linux-source-6.12.tar.xz), our series is applied to them and
# the modules are built against /lib/modules/KERNELVER/build. A source
# of another version stops the build with a message that names both:
# our patches must apply to exactly the kernel they are built for.

set -euo pipefail
# The tree DKMS runs this in, not one the caller's environment names.
NCOAL_ROOT=$(cd "$(dirname "$0")/.." && pwd)
export NCOAL_ROOT
. "$NCOAL_ROOT/scripts/lib.sh"

kernelver=${1:?usage: dkms-build.sh KERNELVER}

# dkms.conf's BUILD_EXCLUSIVE_KERNEL keeps DKMS from getting here for
# other kernels; this covers a direct call.
case "$kernelver" in
6.12.*) ;;
*) die "ncoal supports Linux 6.12 only, not $kernelver" ;;
esac

# DKMS runs this with the caller's environment (make check exports
# NCOAL_BUILD, a shell may have KDIR or NCOAL_ROOT): the kernel is KERNELVER's and the
# output goes where dkms.conf's BUILT_MODULE_LOCATION says, whatever
# they say. Only KSRC may point elsewhere (a matching kernel tree).
export KVER=$kernelver
export KDIR=/lib/modules/$kernelver/build
export KSRC=${KSRC:-/usr/src/linux-source-6.12.tar.xz}
export NCOAL_BUILD=$NCOAL_ROOT/build
[ -d "$KDIR" ] || die "no $KDIR: install linux-headers-$kernelver"
# A tree made by dkms-src.sh has no .git: it carries the revision it was
# made from, for the modules' identity (modinfo -F ncoal).
if [ -f "$NCOAL_ROOT/NCOAL_REV" ]; then
	NCOAL_REV=$(cat "$NCOAL_ROOT/NCOAL_REV")
	export NCOAL_REV
fi
exec "$NCOAL_ROOT/scripts/build.sh"
