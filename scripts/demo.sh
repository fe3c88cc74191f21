#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make demo: build (done by make), boot the two-level stack, show off vs
# on side by side. The table is kept in build/demo.txt, the numbers in
# build/demo.csv and a chart of the ratios in build/demo.png.

set -euo pipefail
. "$(dirname "$0")/lib.sh"
cd "$NCOAL_ROOT"

note "building the guest image"
scripts/mkinitramfs.sh l2 "$NCOAL_BUILD/vm/l2-initramfs.gz"
note "booting the test host (L1, emulated); about 3-5 minutes, progress below"
scripts/vm -t 1800 -o "$NCOAL_BUILD/vm/demo" -- tools/demo/demo-l1.sh
cp "$NCOAL_BUILD/vm/demo/output.log" "$NCOAL_BUILD/demo.txt"
cp "$NCOAL_BUILD/vm/demo/demo.csv" "$NCOAL_BUILD/demo.csv"
# Debian's python3 has matplotlib (make deps); a pyenv one may not.
py=/usr/bin/python3
[ -x "$py" ] || py=python3
if "$py" "$NCOAL_ROOT/tools/demo/chart.py" "$NCOAL_BUILD/demo.csv" \
	"$NCOAL_BUILD/demo.png"; then
	note "chart: $NCOAL_BUILD/demo.png"
fi
note "table: $NCOAL_BUILD/demo.txt"
