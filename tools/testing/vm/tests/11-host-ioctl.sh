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
# shellcheck source=../lib_fuzz.sh
. "$(dirname "$0")/../lib_fuzz.sh"
ksft_begin

T=${VHOST_COAL_IOCTL_TEST:-$NCOAL_ROOT/tools/vhost_net_drv/vhost_coal_ioctl_test}

uapi_ready "$T" "make -C tools/vhost_net_drv" || ksft_finish
TAP_TIMEOUT=300 tap_reemit "" "$T"
ksft_finish
