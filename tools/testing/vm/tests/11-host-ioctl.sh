#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The coalescing uAPI of our vhost_net (VHOST_NET_{SET,GET}_VRING_COALESCE,
# ..._STATS, VHOST_BACKEND_F_NET_COALESCE): runs
# tools/vhost_net_drv/vhost_coal_ioctl_test against /dev/vhost-net and
# re-emits its results. Needs no guest; the test restores the module
# parameters it changes.

# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
ksft_begin

T=${VHOST_COAL_IOCTL_TEST:-$NCOAL_ROOT/tools/vhost_net_drv/vhost_coal_ioctl_test}

if [ ! -x "$T" ]; then
	log "$T missing: make -C tools/vhost_net_drv"
	not_ok "vhost_coal_ioctl_test built"
	ksft_finish
fi
if ! loaded_ident vhost_net >/dev/null && ! host_load_ours; then
	not_ok "insmod our vhost_net"
	ksft_finish
fi

f0=$ksft_fail
n0=$ksft_n
while IFS= read -r line; do
	if [[ $line =~ ^ok\ [0-9]+\ (.*)\ \#\ SKIP\ ?(.*)$ ]]; then
		skip "${BASH_REMATCH[1]}" "${BASH_REMATCH[2]}"
	elif [[ $line =~ ^ok\ [0-9]+\ (.*)$ ]]; then
		ok "${BASH_REMATCH[1]}"
	elif [[ $line =~ ^not\ ok\ [0-9]+\ (.*)$ ]]; then
		not_ok "${BASH_REMATCH[1]}"
	elif [[ $line =~ ^(TAP\ version|1\.\.|#\ Totals) ]]; then
		:
	elif [[ $line =~ ^ncoal-exit\ ([0-9]+)$ ]]; then
		rc=${BASH_REMATCH[1]}
	else
		echo "# ${line#\# }"
	fi
done < <(timeout 300 "$T" 2>&1; echo "ncoal-exit $?")

case "$rc" in
0|4) ;;
1)	[ $ksft_fail -gt $f0 ] ||
		not_ok "vhost_coal_ioctl_test failed without a failed check" ;;
*)	not_ok "vhost_coal_ioctl_test exited with status $rc" ;;
esac
[ $ksft_n -gt $n0 ] || not_ok "vhost_coal_ioctl_test reported no results"

ksft_finish
