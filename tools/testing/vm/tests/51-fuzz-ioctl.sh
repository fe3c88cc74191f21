#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# uAPI fuzz (issue 8, case "uapi-fuzz"): random calls of
# VHOST_NET_{SET,GET}_VRING_COALESCE and ..._STATS, and random ioctl
# numbers of the vhost range near them, on /dev/vhost-net devices that
# are not owned, owned only, and set up (rings, tap backend), from a
# client that dropped to an unprivileged uid
# (tools/testing/fuzz/vhost_coal_fuzz; see its header for what each
# result line checks). Two runs: the module's caps as loaded, then
# tight caps chosen from the seed. No guest is needed.
#
#   NCOAL_SEED=N      replay (the seed is printed)
#   NCOAL_FUZZ_N=N    calls per run (default 2000; 10,000 with
#                     NCOAL_STRESS=1)

# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
# shellcheck source=../lib_fuzz.sh
. "$(dirname "$0")/../lib_fuzz.sh"
ksft_begin

CASE=uapi-fuzz
FUZZ=$FUZZ_BIN/vhost_coal_fuzz
SAVED=$L2_DIR/fuzz-ioctl-params.saved

uapi_ready "$FUZZ" "make tools" || ksft_finish

SEED=$(stress_seed)
N=$(fuzz_count 2000 10000)
log "seed $SEED, $N calls per run (replay: NCOAL_SEED=$SEED NCOAL_FUZZ_N=$N)"
mkdir -p "$L2_DIR"
hp_save "$SAVED"

log "run 1: the caps as loaded"
tap_reemit "$CASE: " "$FUZZ" --seed "$SEED" --count "$N"
calls=$N

# Tight caps from the seed: a narrow usecs window and a low frame cap,
# with the defaults inside them.
caps=(50:300:16 100:100:1 10:2000:1024 1:1000000:4096 200:5000:64)
c=${caps[$((SEED % ${#caps[@]}))]}
min=${c%%:*} max=${c#*:} max=${max%%:*} frames=${c##*:}
log "run 2: caps usecs $min-$max, frames <= $frames"
if hp_set coalesce_max_usecs=1000000 coalesce_max_frames=4096 \
	  coalesce_min_usecs=1 rx_coalesce_usecs="$max" \
	  tx_coalesce_usecs="$min" rx_max_coalesced_frames="$frames" \
	  tx_max_coalesced_frames=1 coalesce_rate_threshold=0 \
	  coalesce_max_usecs="$max" coalesce_max_frames="$frames" \
	  coalesce_min_usecs="$min"; then
	tap_reemit "$CASE: " "$FUZZ" --seed "$((SEED + 1))" --count "$N" \
		--tap vcfuzz1
	calls=$((calls + N))
else
	not_ok "$CASE: tight caps for run 2"
fi
stress_case "$CASE" "$calls" calls

restored() {
	hp_restore "$SAVED" || fail "could not restore a parameter"
	rm -f "$SAVED"
	ip link del vcfuzz0 2>/dev/null
	ip link del vcfuzz1 2>/dev/null
	return 0
}
check "$CASE: module parameters restored" restored
check "$CASE: no oops, WARN, lockdep, hung task or RCU stall in dmesg" stress_dmesg_l1

ksft_finish
