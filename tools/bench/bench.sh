#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# bench.sh: make bench / make bench-host. Boots the test host (L1) once,
# runs the benchmark matrix there (tools/bench/bench-l1.sh, matrix in
# tools/bench/matrix.sh), then builds the report on this machine
# (tools/bench/report.py): aggregated CSV, PNG plots and
# Documentation/benchmarks/results.rst.

set -euo pipefail
BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$BENCH_DIR/../../scripts/lib.sh"
. "$BENCH_DIR/matrix.sh"

# Saved runs: a full run's raw CSVs and meta files are kept here, one
# directory per run, and the report is generated from all of them: a
# run of one repetition adds one (a session on this rig cannot always
# fit three), and the report stays reproducible from what is committed.
DATA_REL=Documentation/benchmarks/data

usage() {
	cat <<EOU
usage: tools/bench/bench.sh [options]

Run the benchmark matrix in the test host (one boot; stock and our
modules measured in the same boot) and generate the report.

  --quick             one tiny cell per scenario (1 rate, 2 settings, 1 s,
                      1 rep; under 2 minutes with the boot); for make check.
                      Output in build/bench/quick/, the rst there too
  --reps N            repetitions of the matrix (default $BENCH_REPS)
  --only S[,S...]     scenarios to run (have: ${BENCH_SCENARIOS[*]})
  --rates "R ..."     override the matrix's rates, pps (0 = max)
  --settings "N ..."  override the matrix's settings (names in matrix.sh)
  --dirs "rx tx"      override the directions
  --duration SEC      override the traffic time per run
  -o, --out DIR       output directory (default build/bench, quick:
                      build/bench/quick); the VM's files in DIR/vm
  --rst FILE          where the report goes (default
                      Documentation/benchmarks/results.rst; quick:
                      DIR/results.rst)
  -t, --timeout SEC   VM time limit (default: twice the estimate + 10 min)
  --report-only       do not run; regenerate the report (from the saved
                      runs, or with --no-save from DIR/vm)
  --no-save           do not save this run in $DATA_REL; report
                      from this run alone (the default with --rates,
                      --settings, --dirs or --duration: runs off the
                      matrix are experiments; --save saves them anyway)
  --data DIR          where runs are saved and the report reads them
                      (default $DATA_REL)
  --no-plots          tables only
  -q, --quiet         do not stream the test host's progress
  -h, --help          this text

Emulation: the test host runs under TCG, about 100x slower than
hardware; the report compares per-packet counts and ratios to stock in
the same run, never absolute times (see matrix.sh for the scaling).
EOU
}

cmdline="tools/bench/bench.sh${*:+ $*}"
quick=0
reps=
only=
out=
rst=
timeout=
report_only=0
save=1
data=
no_plots=0
quiet=0
l1args=()
while [ $# -gt 0 ]; do
	case "$1" in
	--quick) quick=1; shift ;;
	--reps) reps=$2; shift 2 ;;
	--only) only=$2; shift 2 ;;
	--rates) BENCH_RATES=$2; l1args+=("$1" "$2"); shift 2 ;;
	--settings) BENCH_SETTINGS=$2; l1args+=("$1" "$2"); shift 2 ;;
	--dirs) BENCH_DIRS=$2; l1args+=("$1" "$2"); shift 2 ;;
	--duration) BENCH_DURATION=$2; l1args+=("$1" "$2"); shift 2 ;;
	-o|--out) out=$2; shift 2 ;;
	--rst) rst=$2; shift 2 ;;
	-t|--timeout) timeout=$2; shift 2 ;;
	--report-only) report_only=1; shift ;;
	--no-save) save=0; shift ;;
	--save) save=2; shift ;;
	--data) data=$2; shift 2 ;;
	--no-plots) no_plots=1; shift ;;
	-q|--quiet) quiet=1; shift ;;
	-h|--help) usage; exit 0 ;;
	*) echo "bench.sh: unknown option $1" >&2; usage >&2; exit 2 ;;
	esac
done

BENCH_QUICK=$quick
if [ "$quick" = 1 ]; then
	BENCH_REPS=1
	l1args+=(--quick)
fi
if [ -n "$reps" ]; then
	[[ "$reps" =~ ^[1-9][0-9]*$ ]] || die "--reps wants a positive number"
	BENCH_REPS=$reps
fi
l1args+=(--reps "$BENCH_REPS")
. "$BENCH_DIR/lib.sh"

scen=()
if [ -n "$only" ]; then
	IFS=, read -r -a scen <<< "$only"
else
	scen=("${BENCH_SCENARIOS[@]}")
fi
for s in "${scen[@]}"; do
	bench_known_scenario "$s" ||
		die "unknown scenario '$s' (have: ${BENCH_SCENARIOS[*]})"
	for n in $(bench_list "$s" SETTINGS); do
		bench_setting "$s" "$n" >/dev/null ||
			die "scenario $s has no setting '$n' (see tools/bench/matrix.sh)"
	done
done
# l1base: the arguments of every test host (a restart runs fewer
# scenarios, below)
l1base=("${l1args[@]}")
l1args+=(--only "$(IFS=,; echo "${scen[*]}")")

cd "$NCOAL_ROOT"
if [ -z "$out" ]; then
	out=$NCOAL_BUILD/bench
	[ "$quick" = 1 ] && out=$NCOAL_BUILD/bench/quick
fi
mkdir -p "$out"
out=$(cd "$out" && pwd)
# quick runs (make check's smoke cell) are never saved; runs off the
# matrix only when asked
[ "$quick" = 1 ] && save=0
[ "$save" = 1 ] && [[ " ${l1args[*]} " =~ \ --(rates|settings|dirs|duration)\  ]] && save=0
# A saved run stands for the checkout: its modules must be built from it
# (make bench builds them; bench.sh alone takes build/ as it is).
if [ "$save" = 1 ] && [ "$report_only" = 0 ]; then
	want="ncoal-$(git -C "$NCOAL_ROOT" describe --always --dirty 2>/dev/null)"
	have=$(modinfo -F ncoal "$NCOAL_BUILD/vhost_net.ko" 2>/dev/null)
	[ "${have%% *}" = "$want" ] ||
		die "$NCOAL_BUILD/vhost_net.ko is '${have:-not built}', the checkout $want: make modules first (make bench does), or --no-save"
fi
[ -n "$data" ] || data=$NCOAL_ROOT/$DATA_REL
# The committed report comes from the saved runs only; a run not saved
# reports next to its data.
if [ -z "$rst" ]; then
	rst=$NCOAL_ROOT/Documentation/benchmarks/results.rst
	[ "$save" = 0 ] && rst=$out/results.rst
fi

# The Debian python3 carries Debian's python3-matplotlib; another
# python3 first in PATH (pyenv, venv) may not.
pick_python() {
	local p

	for p in "${PYTHON:-python3}" /usr/bin/python3; do
		command -v "$p" >/dev/null 2>&1 || continue
		if "$p" -c 'import matplotlib' 2>/dev/null; then
			echo "$p"
			return
		fi
	done
	echo "${PYTHON:-python3}"
}

# save_run: this run's raw CSVs and meta files into $data/<UTC start>.
save_run() {
	local d

	d=$data/$(sed -n 's/^host_started=//p' "$out/host-meta.txt" | tr -d ':-')
	mkdir -p "$d"
	cp "$out"/vm/raw-*.csv "$d"/ 2>/dev/null ||
		{ echo "bench: nothing to save from $out/vm" >&2; rmdir "$d"; return 1; }
	cp "$out/host-meta.txt" "$d"/
	[ -f "$out/vm/meta.txt" ] && cp "$out/vm/meta.txt" "$d"/
	note "run saved in ${d#"$NCOAL_ROOT"/} (commit it: the report is built from $DATA_REL)"
}

report() {
	local py meta=() csv=() d src="" full

	py=$(pick_python)
	shopt -s nullglob
	if [ "$save" != 0 ]; then
		for d in "$data"/*/; do
			csv+=(--run "$d")
			src=${d%/}
		done
		[ ${#csv[@]} -gt 0 ] || { echo "bench: no saved runs in $data" >&2; return 1; }
	else
		[ -f "$out/host-meta.txt" ] && meta+=(--meta "$out/host-meta.txt")
		[ -f "$out/vm/meta.txt" ] && meta+=(--meta "$out/vm/meta.txt")
		csv=("$out"/vm/raw-*.csv)
		[ ${#csv[@]} -gt 0 ] || { echo "bench: no results in $out/vm" >&2; return 1; }
		src=$out/vm
	fi
	shopt -u nullglob
	# A run with guest scenarios gets the one-page report of that run
	# alone (tools/bench/ab.py: its repetitions, one revision); the
	# long report over every saved run goes next to it, in $out.
	full=$rst
	compgen -G "$src/raw-guest-*.csv" >/dev/null && full=$out/full.rst
	note "report: $out/results.csv$([ "$no_plots" = 1 ] || echo ", $out/*.png"), $full"
	# shellcheck disable=SC2046 # unquoted: an empty expansion omits the option
	"$py" "$BENCH_DIR/report.py" --out "$out" --rst "$full" \
		$([ "$no_plots" = 1 ] && echo --no-plots) \
		"${meta[@]}" "${csv[@]}" || return 1
	[ "$full" != "$rst" ] || return 0
	{ "$py" "$BENCH_DIR/ab.py" --rst "$rst" "$src" &&
	  "$py" "$BENCH_DIR/ab.py" --base ours-off "$src"; } > "$out/ab.txt" ||
		return 1
	note "one-page report of ${src#"$NCOAL_ROOT"/}: $rst; its A/B tables: $out/ab.txt"
}

if [ "$report_only" = 1 ]; then
	report
	exit
fi

# --- run --------------------------------------------------------------

[ -f "$NCOAL_BUILD/vhost_net.ko" ] ||
	die "$NCOAL_BUILD/vhost_net.ko missing: run 'make modules' (or make bench)"
make -s -C tools/vhost_net_drv >/dev/null || die "building tools/vhost_net_drv"
# guest-memcached's client, run in the test host from the build directory
case " ${scen[*]} " in
*" guest-memcached "*)
	make -s -C tools/mcload O="$NCOAL_BUILD" >/dev/null ||
		die "building tools/mcload"
	;;
esac

runs=0
dur_total=0
for s in "${scen[@]}"; do
	n=$(bench_count "$s")
	d=$(bench_list "$s" DURATION)
	runs=$((runs + n))
	# per run: traffic + setup, drain, teardown and module reloads in
	# TCG: ~5 s for the host scenario, ~20 s for a guest one (commands
	# to the nested guest cost seconds); measured with a load of 3-6 on
	# 2 cores (one rep: host 100 runs in 12.5 min, guest 106 in 48 min)
	o=5
	[[ "$s" == guest* ]] && o=20
	dur_total=$(awk -v a="$dur_total" -v n="$n" -v d="$d" -v o="$o" 'BEGIN { printf "%d", a + n * (d + o) }')
done
# guest boots: one per rig (second word of a setting) and repetition,
# 60-150 s each
rigs=$(for s in "${scen[@]}"; do
	[[ "$s" == guest* ]] || continue
	for n in $(bench_list "$s" SETTINGS); do
		read -r _ r _ <<< "$(bench_setting "$s" "$n")"
		echo "$r"
	done
done | sort -u | wc -l)
[ "${BENCH_ORDER:-rep}" = rig ] || rigs=$((rigs * BENCH_REPS))
dur_total=$((dur_total + rigs * 150))
est=$((dur_total + 45))
[ -n "$timeout" ] || timeout=$((2 * est + 600))

{
	echo "host_started=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
	echo "host_cpus=$(nproc)"
	echo "host_loadavg_start=$(cut -d' ' -f1-3 /proc/loadavg)"
	echo "git_rev=$(git describe --always --dirty 2>/dev/null || echo unknown)"
	echo "accel=$(tail -n1 "$NCOAL_BUILD/vm/kvm-probe" 2>/dev/null || echo unknown)"
	echo "emulator=$("${NCOAL_VM_QEMU:-qemu-system-x86_64}" --version 2>/dev/null | head -n1)"
	echo "command=$cmdline"
	echo "runs_planned=$runs"
	printf 'l1_args=%s\n' "${l1args[*]}"
} > "$out/host-meta.txt"

# Guest scenarios boot the guest from the L2 image: build it here, where
# it is fast, and fresh (a stale one has an older virtio_net).
case " ${scen[*]} " in
*" guest"*)
	scripts/mkinitramfs.sh l2 "$NCOAL_BUILD/vm/l2-initramfs.gz" >/dev/null ||
		die "guest image (scripts/mkinitramfs.sh l2) failed"
	;;
esac

note "benchmark: ${scen[*]}, $runs runs, $BENCH_REPS rep(s), at most about $(( (est + 59) / 60 )) min plus the boot (idle machine: less than half) (load average now $(cut -d' ' -f1 /proc/loadavg) on $(nproc) CPUs)"
# A test host the emulator kills (it freezes or triple-faults: scripts/vm
# status 126 or 125, see Documentation/networking/ncoal_reliability.rst)
# costs the scenario it was in, not the run: the scenarios it finished
# stay, the unfinished one's rows go to vm/partial-SCENARIO-N.csv (its
# settings would no longer share one boot, which the ratios assume),
# and a new test host runs the rest, at most BENCH_RESTARTS times
# (default 2). Each restart's files are in vm-N/; its rows join vm/.
restarts_max=${BENCH_RESTARTS:-2}
left=("${scen[@]}")
restarts=0
rm -rf "$out"/vm-[0-9]*
while :; do
	vmout=$out/vm
	[ "$restarts" = 0 ] || vmout=$out/vm-$restarts
	set +e
	# shellcheck disable=SC2046 # unquoted: an empty expansion omits the option
	scripts/vm $([ "$quiet" = 1 ] && echo -q) -t "$timeout" -o "$vmout" -- \
		tools/bench/bench-l1.sh "${l1base[@]}" \
		--only "$(IFS=,; echo "${left[*]}")"
	rc=$?
	set -e
	if [ "$restarts" != 0 ]; then
		cp "$vmout"/raw-*.csv "$out/vm/" 2>/dev/null || true
		cat "$vmout/errors.log" >> "$out/vm/errors.log" 2>/dev/null || true
		# A host that died early never wrote the modules' identities;
		# the report takes each key from its first line, so appended
		# keys fill only what the first host left out.
		cat "$vmout/meta.txt" >> "$out/vm/meta.txt" 2>/dev/null || true
	fi
	case "$rc" in 125|126) ;; *) break ;; esac
	done_s=" $(tr '\n' ' ' < "$vmout/scenarios.done" 2>/dev/null) "
	rest=()
	for s in "${left[@]}"; do
		[[ "$done_s" == *" $s "* ]] || rest+=("$s")
	done
	[ ${#rest[@]} -gt 0 ] || break
	if [ "$restarts" -ge "$restarts_max" ]; then
		note "the test host died (status $rc) in ${rest[0]}, restart $restarts of $restarts_max: no more restarts"
		break
	fi
	restarts=$((restarts + 1))
	[ -f "$out/vm/raw-${rest[0]}.csv" ] &&
		mv "$out/vm/raw-${rest[0]}.csv" "$out/vm/partial-${rest[0]}-$restarts.csv"
	left=("${rest[@]}")
	note "the test host died (status $rc) in ${rest[0]}: its rows set aside, a new test host runs ${left[*]} (restart $restarts of $restarts_max, files in $out/vm-$restarts)"
done
echo "host_loadavg_end=$(cut -d' ' -f1-3 /proc/loadavg)" >> "$out/host-meta.txt"
echo "vm_status=$rc" >> "$out/host-meta.txt"
echo "restarts=$restarts" >> "$out/host-meta.txt"
[ "$rc" = 0 ] || note "the test host exited with status $rc (see $out/vm/output.log, errors.log)"

if [ "$save" != 0 ]; then
	save_run || exit 1
fi
report || exit 1

# Every run must have produced a row, and (quick, for make check) every
# row must be a success.
rows=0
okrows=0
for f in "$out"/vm/raw-*.csv; do
	rows=$((rows + $(tail -n +2 "$f" | wc -l)))
	okrows=$((okrows + $(awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "ok") c = i; next } $c == 1' "$f" | wc -l)))
done
note "$okrows of $runs runs succeeded"
[ "$rows" = "$runs" ] || { echo "bench: $rows rows for $runs runs" >&2; exit 1; }
if [ "$quick" = 1 ] && [ "$okrows" != "$runs" ]; then
	echo "bench: failed runs:" >&2
	cat "$out/vm/errors.log" >&2
	exit 1
fi
exit "$rc"
