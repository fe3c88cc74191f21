#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# check-debug.sh [TEST...]: the VM suite on the debug kernel (make
# check-debug). Builds it (scripts/debug-kernel.sh, cached), our modules
# and tools against it in build/debug (the production build stays as it
# is), then runs tools/testing/vm/suite.sh with it as the test host's
# kernel (and the guest's, which boots the test host's kernel). One TAP
# stream; its last result fails on any report of the bug finders in a
# test host's console, also one that came between two tests.
#
#   DEBUG_TESTS    tests when none are given (default: the host-side
#                  ones, which boot no guest)
#   VM_TIMEOUT     seconds for the suite (default 3600)
#   NCOAL_TEST_TIMEOUT  seconds per test (default 1800: the debug
#                  kernel is several times slower than Debian's)

set -uo pipefail
. "$(dirname "$0")/lib.sh"
cd "$NCOAL_ROOT" || exit 2

tests=("$@")
[ ${#tests[@]} -gt 0 ] ||
	read -r -a tests <<< "${DEBUG_TESTS:-host-params host-ioctl host-coalesce fuzz-ioctl}"

kver=$(scripts/debug-kernel.sh) || die "the debug kernel did not build"
export KVER=$kver
export KDIR=/lib/modules/$kver/build
export KSRC=${NCOAL_DEBUG_KERNEL:-$NCOAL_BUILD/debug-kernel}/linux
export NCOAL_BUILD=$NCOAL_BUILD/debug
scripts/build.sh >&2 || die "our modules did not build against $kver"
make -s BUILD="$NCOAL_BUILD" tools >&2 || die "the test tools did not build"
for t in "${tests[@]}"; do
	case " $t " in
	*" host-"*|*" fuzz-ioctl "*) ;;
	*)	# a test that boots a guest: its image, with our virtio_net
		# built against the debug kernel
		scripts/mkinitramfs.sh l2 "$NCOAL_BUILD/vm/l2-initramfs.gz" >&2 ||
			die "the guest image did not build"
		break ;;
	esac
done

# The bug finders' reports; most also say BUG: or WARNING:, which
# suite.sh already fails on.
reports='BUG: KASAN|BUG: KFENCE|UBSAN:|ODEBUG:|possible (circular|recursive) locking|inconsistent lock state|suspicious RCU usage|lock held when returning|sleeping function called|list_(add|del) corruption|Redzone overwritten|Poison overwritten|Object padding overwritten|kernel BUG at'

out=$NCOAL_BUILD/vm
note "suite on $kver: ${tests[*]} (files: $out/e2e)"
n=0
rc=0
while IFS= read -r line; do
	case "$line" in
	"ok "*|"not ok "*) n=$((n + 1)); echo "$line" ;;
	1..*) ;;
	__rc=*) rc=${line#__rc=} ;;
	*) echo "$line" ;;
	esac
done < <(NCOAL_SUITE_OUT=$out \
	NCOAL_SUITE_ENV="NCOAL_TEST_TIMEOUT=${NCOAL_TEST_TIMEOUT:-1800} ${NCOAL_SUITE_ENV:-}" \
	tools/testing/vm/suite.sh e2e "${tests[@]}" 2>&1; echo "__rc=$?")

bad=$(grep -HE "$reports" "$out"/e2e/serial.log 2>/dev/null)
n=$((n + 1))
if [ -n "$bad" ]; then
	echo "$bad" | sed 's/^/# /'
	echo "not ok $n debug: no KASAN, KFENCE, UBSAN, lockdep, debug-objects or slab report ($kver)"
	rc=1
else
	echo "ok $n debug: no KASAN, KFENCE, UBSAN, lockdep, debug-objects or slab report ($kver)"
fi
echo "1..$n"
exit "$rc"
