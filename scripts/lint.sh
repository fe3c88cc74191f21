#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# lint.sh [--tap]: every check netdev runs, on the upstream series and on
# our own files (make lint):
#
#   checkpatch   checkpatch.pl --strict --codespell on every patch of the
#                kernel series (scripts/mkpatches.sh --only kernel), and
#                QEMU's own checkpatch.pl on the QEMU series
#   build        W=1 build of our modules, no new warnings (build.sh)
#   sparse       the same with sparse (C=2), no new warnings
#   kernel-doc   kernel-doc -Wall on our C files and headers
#   scripts      shellcheck on our shell scripts (see .shellcheckrc)
#
# The kernel's checkers come from the kernel source that matches the
# target kernel (scripts/upstream.sh puts them into $NCOAL_BUILD/upstream),
# never from a copy of ours. A check that cannot run is reported as a
# skip with its reason, never as a pass.
#
# Without --tap: what each check found, a summary, and exit status 1 on
# any finding. With --tap: kselftest-style TAP (ok/not ok/# SKIP, 1..N,
# # Totals) for scripts/check.sh; exit status 1 on any finding.

set -uo pipefail
. "$(dirname "$0")/lib.sh"
cd "$NCOAL_ROOT" || exit 1

tap=0
case "${1:-}" in
--tap) tap=1 ;;
'') ;;
-h|--help) sed -n '3,22p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
*) echo "usage: $0 [--tap]" >&2; exit 2 ;;
esac

UP=$NCOAL_BUILD/upstream
n=0
pass=0
fail=0
skip=0
failed=()

ok() {
	n=$((n + 1)); pass=$((pass + 1))
	if [ $tap = 1 ]; then echo "ok $n $1"; else echo "PASS  $1"; fi
}

not_ok() {
	n=$((n + 1)); fail=$((fail + 1)); failed+=("$1")
	if [ $tap = 1 ]; then
		[ -z "$2" ] || echo "$2" | sed 's/^/# /'
		echo "not ok $n $1"
	else
		echo "FAIL  $1"
		[ -z "$2" ] || echo "$2" | sed 's/^/      /'
	fi
}

skip() {
	n=$((n + 1)); skip=$((skip + 1))
	if [ $tap = 1 ]; then echo "ok $n $1 # SKIP $2"; else echo "SKIP  $1: $2"; fi
}

# check NAME CMD...: one result; the command's output is its finding.
check() {
	local name=$1 out

	shift
	if out=$("$@" 2>&1); then
		ok "$name"
	else
		not_ok "$name" "$(echo "$out" | tail -n 60)"
	fi
}

# queue NAME CMD...: as check, but in the background, at most one per
# CPU; drain reports the queued results in the order they were queued.
# checkpatch, kernel-doc and shellcheck are single-threaded: on 2 CPUs
# this halves their part of make lint.
jobdir=$(mktemp -d)
trap 'rm -rf "$jobdir"' EXIT
queued=()
ncpu=$(nproc)
queue() {
	local id=${#queued[@]}

	queued+=("$1")
	shift
	while [ "$(jobs -rp | wc -l)" -ge "$ncpu" ]; do
		wait -n
	done
	( "$@" > "$jobdir/$id.out" 2>&1; echo $? > "$jobdir/$id.rc" ) &
}

drain() {
	local id

	wait
	for id in "${!queued[@]}"; do
		if [ "$(cat "$jobdir/$id.rc")" = 0 ]; then
			ok "${queued[$id]}"
		else
			not_ok "${queued[$id]}" "$(tail -n 60 "$jobdir/$id.out")"
		fi
	done
	queued=()
	rm -f "$jobdir"/*
}

[ $tap = 1 ] && echo "TAP version 13"

# --- the kernel's own checkers, from the matching kernel source --------

have_upstream=0
if ! up_err=$(scripts/upstream.sh "$UP" 2>&1 >/dev/null); then
	up_err=$(echo "$up_err" | tail -n1)
elif [ -f "$UP/scripts/checkpatch.pl" ] && [ -f "$UP/scripts/kernel-doc" ]; then
	have_upstream=1
else
	up_err="$UP has no scripts/checkpatch.pl or scripts/kernel-doc"
fi

# --- checkpatch on the series -------------------------------------------

codespell=
for f in /usr/share/codespell/dictionary.txt \
	 /usr/lib/python3/dist-packages/codespell_lib/data/dictionary.txt; do
	if [ -f "$f" ]; then
		codespell=$f
		break
	fi
done

if [ $have_upstream = 0 ]; then
	skip "checkpatch: the kernel series" "no checkpatch.pl from the kernel source: $up_err"
elif ! out=$(scripts/mkpatches.sh --only kernel 2>&1); then
	not_ok "checkpatch: make patches (kernel series)" "$(echo "$out" | tail -n 20)"
else
	cpargs=(--strict --no-tree --quiet --show-types)
	if [ -n "$codespell" ]; then
		cpargs+=(--codespell --codespellfile "$codespell")
	else
		skip "codespell: spelling of the series" "codespell's dictionary is not installed (make deps: codespell)"
	fi
	series=$(find "$NCOAL_BUILD/patches/kernel" -name '[0-9][0-9][0-9][0-9]-*.patch' \
		! -name '0000-cover-letter.patch' | sort)
	if [ -z "$series" ]; then
		not_ok "checkpatch: the kernel series has patches" "make patches wrote none"
	fi
	for p in $series; do
		queue "checkpatch: $(basename "$p")" \
			perl "$UP/scripts/checkpatch.pl" "${cpargs[@]}" "$p"
	done
	# Our C files that the series does not carry (build identity).
	for f in $(git ls-files -co --exclude-standard -- 'drivers/*.c' \
			'drivers/*.h' 'include/*.h' 'lib/*.c' | sort -u); do
		grep -qF "+++ b/$f" $series /dev/null && continue
		queue "checkpatch: $f (no file of its own in the series)" \
			perl "$UP/scripts/checkpatch.pl" "${cpargs[@]}" -f "$f"
	done
	drain
fi

# --- QEMU's checkpatch on the QEMU series -----------------------------------

qsrc=$(find "$NCOAL_BUILD/qemu-src/" -maxdepth 1 -mindepth 1 -type d -name 'qemu-*' 2>/dev/null | head -n1)
if [ -z "$qsrc" ] || [ ! -f "$qsrc/scripts/checkpatch.pl" ]; then
	skip "checkpatch (QEMU's): the QEMU series" "no QEMU source in $NCOAL_BUILD/qemu-src (make qemu fetches it)"
elif ! out=$(scripts/mkpatches.sh --only qemu 2>&1); then
	not_ok "checkpatch (QEMU's): make patches (QEMU series)" "$(echo "$out" | tail -n 20)"
else
	for p in $(find "$NCOAL_BUILD/patches/qemu" -name '[0-9][0-9][0-9][0-9]-*.patch' \
			! -name '0000-cover-letter.patch' | sort); do
		queue "checkpatch (QEMU's): $(basename "$p")" \
			perl "$qsrc/scripts/checkpatch.pl" --no-tree -q "$p"
	done
	drain
fi

# --- one prefix per side -----------------------------------------------------

# The functions and global data our objects define (make modules'
# build/src), each with its side's prefix: vhost_net_coal_ in vhost_net,
# virtnet_coal_ in virtio_net, ncoal_ in the engine. In the upstream files
# the series patches (net.o, virtio_net.o) ours are the names their
# unpatched source does not have. Aside: what the tracepoint macros
# generate, sysfs attributes' NAME_show/_store (DEVICE_ATTR_RO() names
# them), and the helpers the series factors out of upstream code, which
# keep the driver's own prefix.
FACTORED_OUT='virtnet_sq_kick'
prefixes() {
	local src=$NCOAL_BUILD/src o want out up bad='' n=0

	cd "$src" || return 1
	for o in drivers/vhost/net_coalesce*.o drivers/vhost/ncoal*.o \
		 drivers/vhost/net.o drivers/net/virtio_net.o; do
		up=
		case $o in
		drivers/vhost/net.o) want=vhost_net_coal_; up=drivers/vhost/net.c ;;
		drivers/vhost/net_*) want=vhost_net_coal_ ;;
		drivers/net/virtio_net.o) want=virtnet_coal_; up=drivers/net/virtio_net.c ;;
		*) want=ncoal_ ;;
		esac
		[ -f "$o" ] || continue
		n=$((n + 1))
		if [ -n "$up" ]; then
			up=$NCOAL_BUILD/upstream/$up
			[ -f "$up" ] || { echo "no $up (make modules)"; return 1; }
		else
			up=/dev/null
		fi
		out=$(nm --defined-only "$o" |
		      awk -v o="$o" -v w="$want" -v keep=" $FACTORED_OUT " -v upf="$up" '
				FILENAME == upf {
					while (match($0, /[A-Za-z_][A-Za-z0-9_]*/)) {
						upstream[substr($0, RSTART, RLENGTH)] = 1
						$0 = substr($0, RSTART + RLENGTH)
					}
					next
				}
				{ name = $3; sub(/\..*/, "", name) }
				NF == 3 && $2 ~ /^[TDBRGt]$/ && !(name in upstream) &&
				index(name, w) != 1 && index(keep, " " name " ") == 0 &&
				name !~ /^(__|trace_raw_output_|trace_event_raw_|perf_trace_|init_module$|cleanup_module$)/ &&
				!($2 == "t" && name ~ /_(show|store)$/) {
					print o ": " $3 }' "$up" -)
		[ -z "$out" ] || bad+="$out"$'\n'
	done
	[ $n -ge 5 ] || { echo "$src: $n of our objects (make modules)"; return 1; }
	[ -z "$bad" ] || { echo "$bad"; return 1; }
}

# --- W=1 and sparse on our build ------------------------------------------

if ! kdir=$( (ncoal_kdir) 2>&1); then
	skip "build: W=1, no new warnings" "no kernel build directory: $kdir"
	skip "sparse: C=2, no new warnings" "no kernel build directory: $kdir"
	skip "symbols: one prefix per side (vhost_net_coal_, virtnet_coal_, ncoal_)" "no kernel build directory: $kdir"
elif [ $have_upstream = 0 ]; then
	skip "build: W=1, no new warnings" "no matching kernel source: $up_err"
	skip "sparse: C=2, no new warnings" "no matching kernel source: $up_err"
	skip "symbols: one prefix per side (vhost_net_coal_, virtnet_coal_, ncoal_)" "no matching kernel source: $up_err"
else
	check "build: W=1, no new warnings" scripts/build.sh
	check "symbols: one prefix per side (vhost_net_coal_, virtnet_coal_, ncoal_)" prefixes
	if command -v sparse > /dev/null; then
		check "sparse: C=2, no new warnings" env CHECK_SPARSE=1 scripts/build.sh
	else
		skip "sparse: C=2, no new warnings" "sparse is not installed (make deps)"
	fi
fi

# --- kernel-doc on our files ------------------------------------------------

kerneldoc() {
	local out

	out=$(perl "$UP/scripts/kernel-doc" -none -Wall "$1" 2>&1)
	echo "$out"
	[ -z "$out" ]
}

ours_c=$(git ls-files -co --exclude-standard -- 'include/*.h' 'lib/*.c' \
	'drivers/*.c' 'drivers/*.h' | sort -u)
if [ $have_upstream = 0 ]; then
	skip "kernel-doc: our C files" "no kernel-doc from the kernel source: $up_err"
else
	for f in $ours_c; do
		[ -f "$f" ] || continue
		queue "kernel-doc: $f" kerneldoc "$f"
	done
	drain
fi

# --- shellcheck on our scripts -----------------------------------------------

# Our shell scripts: *.sh, and files whose first line runs bash or sh.
shell_scripts() {
	local f

	git ls-files -co --exclude-standard | sort -u | while read -r f; do
		[ -f "$f" ] || continue
		case "$f" in
		build/*|*/build/*) continue ;;
		*.sh) echo "$f" ;;
		*) head -n1 "$f" 2>/dev/null | grep -qE '^#!.*\b(ba)?sh\b' && echo "$f" ;;
		esac
	done
}

if ! command -v shellcheck > /dev/null; then
	skip "shellcheck: our scripts" "shellcheck is not installed (make deps)"
else
	# Severity warning: errors and warnings; style and info notes are
	# not findings. Exclusions, with their reasons: .shellcheckrc.
	for f in $(shell_scripts); do
		queue "shellcheck: $f" shellcheck -S warning -f gcc "$f"
	done
	drain
fi

# --- summary ---------------------------------------------------------------

if [ $tap = 1 ]; then
	echo "1..$n"
	echo "# Totals: pass:$pass fail:$fail xfail:0 xpass:0 skip:$skip error:0"
else
	echo
	echo "lint: $pass passed, $fail failed, $skip skipped"
	[ $fail = 0 ] || printf '  failed: %s\n' "${failed[@]}"
fi
[ $fail = 0 ]
