#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# host-ab.sh: the host coalescer's modes A/B in one test-host boot.
#
#   flock /tmp/ncoal-vm.lock scripts/vm -s 1 -t 2400 -o build/vm/host-ab \
#       -- tools/bench/host-ab.sh [REPS]
#
# Runs in the test host (scripts/vm).  Loads our vhost_net and drives it
# with tools/vhost_net_drv: for each scenario, REPS rounds (default 5) of
# short runs in the order off, fixed, adaptive, off: the two off runs of
# a round give the noise floor (their spread), fixed and adaptive are
# judged against the off runs of the same round.  Scenarios: floods on
# the RX ring and the TX ring, evenly paced at two rates above the gate
# and bursty (--burst), and closed-loop request/response with 1 and 8
# in flight on both (--closed-loop; on TX a frame waits for the
# completion signal of an earlier one).  The bound is the rig's (2 ms, 64 frames, gate 1,000
# pps, 100 ms rate windows; see tests/12-host-coalesce.sh for why).
#
# Output (stdout, and $NCOAL_OUT/host-ab.txt): one line per run
# ("run ..."), then a table per scenario of medians over the rounds:
# signals/packet, held % (deferred of due signals), frames/s, and for
# fixed and adaptive the reduction of signals/packet against off; the
# noise floor is the largest |1 - off2/off1| of signals/packet and of
# frames/s over the rounds.
#
#   HOST_AB_DUR   seconds per run (default 2)
#   HOST_AB_ONLY  scenario names to run (default all)

set -uo pipefail
NCOAL_ROOT=$(cd "$(dirname "$0")/../.." && pwd)
. "$NCOAL_ROOT/tools/testing/vm/lib.sh"

REPS=${1:-5}
DUR=${HOST_AB_DUR:-2}
DRV=$NCOAL_ROOT/tools/vhost_net_drv/vhost-net-drv
RES=${NCOAL_OUT:-/tmp}/host-ab.txt
TMP=$(mktemp -d)
BOUND=2000:64:1000:100

# name ring args...: the scenarios
SCEN=(
	"rx-even-3k rx -r 3000"
	"rx-even-6k rx -r 6000"
	"rx-burst-3k rx -r 3000 --burst 8"
	"tx-even-3k tx -r 3000"
	"tx-even-6k tx -r 6000"
	"tx-burst-3k tx -r 3000 --burst 8"
	"rx-rr1 rx -r 20000 --closed-loop 1"
	"rx-rr8 rx -r 20000 --closed-loop 8"
	"tx-rr1 tx -r 20000 --closed-loop 1"
	"tx-rr8 tx -r 20000 --closed-loop 8"
)

host_load_ours || { echo "host-ab: cannot load our vhost_net" >&2; exit 1; }
[ -x "$DRV" ] || { echo "host-ab: $DRV not built" >&2; exit 1; }

# v FILE KEY: a value of a run
v() {
	sed -n "s/^$2=//p" "$1" | head -n1
}

# one NAME RING SETTING ARGS...: a run; prints its "run" line
one() {
	local name=$1 ring=$2 set=$3 f c

	shift 3
	f=$TMP/$name.$set.$rep
	case $set in
	off*) c=$ring:0:64:0:100 ;;
	fixed) c=$ring:$BOUND ;;
	adaptive) c=$ring:$BOUND:adaptive ;;
	esac
	if ! "$DRV" -m "$ring" -d "$DUR" -c "$c" "$@" > "$f" 2> "$f.err"; then
		echo "run $name $set $rep FAILED: $(tail -n 2 "$f.err")"
		return
	fi
	echo "run $name $set $rep spp=$(v "$f" "${ring}_signals_per_pkt")" \
	     "due=$(v "$f" "${ring}_coal_signals_due")" \
	     "deferred=$(v "$f" "${ring}_coal_signals_deferred")" \
	     "received=$(v "$f" "${ring}_received")" \
	     "lost=$(v "$f" "${ring}_lost")" \
	     "profile=$(v "$f" "${ring}_coal_profile")" \
	     "moves=$(v "$f" "${ring}_coal_profile_moves")"
}

{
	echo "# host-ab: $REPS rounds of off fixed adaptive off, $DUR s each, bound $BOUND, $(uname -r)"
	for s in "${SCEN[@]}"; do
		read -r -a a <<< "$s"
		if [ -n "${HOST_AB_ONLY:-}" ] &&
		   [[ " $HOST_AB_ONLY " != *" ${a[0]} "* ]]; then
			continue
		fi
		for rep in $(seq 1 "$REPS"); do
			for set in off1 fixed adaptive off2; do
				one "${a[0]}" "${a[1]}" "$set" "${a[@]:2}"
			done
		done
	done
} | tee "$TMP/runs"

awk -v dur="$DUR" '
function med(k, n,   i, j, t, x) {
	n = cnt[k]
	for (i = 1; i <= n; i++) x[i] = val[k, i]
	for (i = 2; i <= n; i++)
		for (j = i; j > 1 && x[j - 1] > x[j]; j--) {
			t = x[j]; x[j] = x[j - 1]; x[j - 1] = t
		}
	if (!n) return -1
	return n % 2 ? x[(n + 1) / 2] : (x[n / 2] + x[n / 2 + 1]) / 2
}
function put(k, x) { val[k, ++cnt[k]] = x }
function abs(x) { return x < 0 ? -x : x }
$1 == "run" && $5 !~ /FAILED/ {
	name = $2; set = $3; rep = $4
	for (i = 5; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
	if (!(name in seen)) { seen[name] = 1; order[++ns] = name }
	put(name SUBSEP set SUBSEP "spp", f["spp"])
	put(name SUBSEP set SUBSEP "held", f["due"] ? 100 * f["deferred"] / f["due"] : 0)
	put(name SUBSEP set SUBSEP "fps", f["received"] / dur)
	spp[name, set, rep] = f["spp"]; fps[name, set, rep] = f["received"] / dur
	reps[name, rep] = 1; if (rep > maxrep) maxrep = rep
}
END {
	for (s = 1; s <= ns; s++) {
		n = order[s]; fl = 0; ff = 0
		for (r = 1; r <= maxrep; r++) {
			if ((n, "off1", r) in spp && (n, "off2", r) in spp && spp[n, "off1", r] > 0) {
				x = abs(1 - spp[n, "off2", r] / spp[n, "off1", r]); if (x > fl) fl = x
				if (fps[n, "off1", r] > 0) { x = abs(1 - fps[n, "off2", r] / fps[n, "off1", r]); if (x > ff) ff = x }
			}
			# reductions against the mean of the two off runs of the round
			o = (spp[n, "off1", r] + spp[n, "off2", r]) / 2
			if (o > 0) {
				put(n SUBSEP "fixed" SUBSEP "red", 1 - spp[n, "fixed", r] / o)
				put(n SUBSEP "adaptive" SUBSEP "red", 1 - spp[n, "adaptive", r] / o)
				of = (fps[n, "off1", r] + fps[n, "off2", r]) / 2
				if (of > 0) {
					put(n SUBSEP "fixed" SUBSEP "fr", fps[n, "fixed", r] / of)
					put(n SUBSEP "adaptive" SUBSEP "fr", fps[n, "adaptive", r] / of)
				}
			}
		}
		printf "\n%s (medians of %d rounds; noise floor off vs off: signals/pkt %.1f%%, frames/s %.1f%%)\n", n, maxrep, 100 * fl, 100 * ff
		printf "  %-9s %12s %8s %10s %14s %10s\n", "setting", "signals/pkt", "held%", "frames/s", "reduction", "frames/s/off"
		split("off1 off2 fixed adaptive", sets, " ")
		for (i = 1; i <= 4; i++) {
			t = sets[i]
			red = (t == "fixed" || t == "adaptive") ? sprintf("%13.1f%%", 100 * med(n SUBSEP t SUBSEP "red")) : sprintf("%14s", "-")
			fr = (t == "fixed" || t == "adaptive") ? sprintf("%10.3f", med(n SUBSEP t SUBSEP "fr")) : sprintf("%10s", "-")
			printf "  %-9s %12.3f %8.1f %10.0f %s %s\n", t, med(n SUBSEP t SUBSEP "spp"), med(n SUBSEP t SUBSEP "held"), med(n SUBSEP t SUBSEP "fps"), red, fr
		}
		fr_ = med(n SUBSEP "fixed" SUBSEP "red")
		if (fr_ > 0)
			printf "  adaptive reaches %.0f%% of fixed'"'"'s reduction\n", 100 * med(n SUBSEP "adaptive" SUBSEP "red") / fr_
	}
}' "$TMP/runs" | tee -a "$TMP/runs.table"

cat "$TMP/runs" "$TMP/runs.table" > "$RES" 2>/dev/null || true
rm -rf "$TMP"
