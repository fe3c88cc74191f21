#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make demo: build (done by make), boot the two-level stack, show stock
# vs coalesced side by side. The table is also kept in build/demo.txt.

set -euo pipefail
. "$(dirname "$0")/lib.sh"
cd "$NCOAL_ROOT"

note "building the guest image"
scripts/mkinitramfs.sh l2 "$NCOAL_BUILD/vm/l2-initramfs.gz"
note "booting the test host (L1, emulated); this takes a few minutes"
scripts/vm -t 1200 -o "$NCOAL_BUILD/vm/demo" -- tools/demo/demo-l1.sh
cp "$NCOAL_BUILD/vm/demo/output.log" "$NCOAL_BUILD/demo.txt"
note "table saved in $NCOAL_BUILD/demo.txt"
