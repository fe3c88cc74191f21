#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# 35-vm-suite.sh: tools/testing/vm/suite.sh, the VM suite's driver in
# make check, against a fake test host (NCOAL_VM_RUNNER) that dies where
# told: a freeze or the emulator's stale int3 under a test costs a new
# test host and one more run of that test, a second death under it
# fails, a real kernel report is never retried away, and the number of
# deaths is bounded. kselftest TAP, no VM.

set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
NCOAL_ROOT=${NCOAL_ROOT:-$(cd "$HERE/../../.." && pwd)}
SUITE=$NCOAL_ROOT/tools/testing/vm/suite.sh
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
. "$HERE/lib.sh"

# The fake test host: runs tests a, b, c... as run.sh would; FAKE_DIE
# lists TEST:HOW:TIMES (freeze, int3, gif, guard, oops; rerun and rerunfail:
# run.sh ran the test again, the second run passes or fails; resume and
# resumebad: the test leaves a NAME.resume, good or not, and the host
# dies), each test dies so the first TIMES times it runs; boot: the host
# dies before the test starts, TIMES times once it has run once.
cat > "$T/fake-vm" <<'EOF_VM'
#!/bin/bash
while [ "$1" != -- ]; do
	case "$1" in
	-o) out=$2; shift 2 ;;
	-t) shift 2 ;;
	*) shift ;;
	esac
done
shift
while [ "${1##*/}" != run.sh ]; do
	case "$1" in *=*) export "${1?}" ;; esac	# env's words
	shift
done
shift
mkdir -p "$out"
: > "$out/serial.log"
i=0
exec > "$out/output.log"
echo "TAP version 13"
for t in "$@"; do
	for d in $FAKE_DIE; do
		IFS=: read -r dt how times <<< "$d"
		[ "$dt" = "$t" ] && [ "$how" = boot ] || continue
		c=$(cat "$FAKE_DIR/count-$t" 2>/dev/null || echo 0)
		b=$(cat "$FAKE_DIR/boot-$t" 2>/dev/null || echo 0)
		[ "$c" -ge 1 ] && [ "$b" -lt "$times" ] || continue
		echo $((b + 1)) > "$FAKE_DIR/boot-$t"
		echo "[ 0.9] Oops: int3: 0000 [#1] SMP NOPTI" >> "$out/serial.log"
		exit 125
	done
	echo "# === $t"
	i=$((i + 1)); echo "ok $i $t: first check${NCOAL_FAKE_DONE:+, resumed at $NCOAL_FAKE_DONE}"
	c=$(cat "$FAKE_DIR/count-$t" 2>/dev/null || echo 0)
	echo $((c + 1)) > "$FAKE_DIR/count-$t"
	for d in $FAKE_DIE; do
		IFS=: read -r dt how times <<< "$d"
		[ "$dt" = "$t" ] && [ "$c" -lt "$times" ] || continue
		case "$how" in
		freeze) echo "RIP ffffffff81000000 x" > "$out/freeze.txt"; exit 126 ;;
		int3) echo "[ 9.1] Oops: int3: 0000 [#1] SMP NOPTI" >> "$out/serial.log"; exit 125 ;;
		oops) echo "[ 9.1] BUG: kernel NULL pointer dereference, address: 0" >> "$out/serial.log"; exit 125 ;;
		gif) printf '%s\n' "[ 9.1] BUG: TASK stack guard page was hit at 0" \
			"[ 9.1] Oops: stack guard page: 0000 [#1] PREEMPT SMP NOPTI" \
			"[ 9.1] RIP: 0010:__svm_vcpu_run+0xa0/0x220 [kvm_amd]" >> "$out/serial.log"; exit 125 ;;
		rerun|rerunfail) i=$((i + 1)); echo "not ok $i $t: guest up"
			echo "# stress-case: $t 5 cycles"
			echo "# ncoal-rerun $t: the rig took its guest"
			echo "# === $t"
			i=$((i + 1))
			if [ "$how" = rerun ]; then echo "ok $i $t: first check"
			else echo "not ok $i $t: first check"; fi ;;
		resume|resumebad)
			# the test leaves where it was, then the emulator kills the host
			if [ "$how" = resume ]; then
				echo "NCOAL_FAKE_DONE=$((c + 1)) NCOAL_FAKE_X=7" > "$out/$t.resume"
			else
				echo "NCOAL_FAKE_DONE=1 rm=-rf" > "$out/$t.resume"
			fi
			echo "[ 9.1] Oops: int3: 0000 [#1] SMP NOPTI" >> "$out/serial.log"; exit 125 ;;
		guard) printf '%s\n' "[ 9.1] BUG: TASK stack guard page was hit at 0" \
			"[ 9.1] Oops: stack guard page: 0000 [#1] PREEMPT SMP NOPTI" \
			"[ 9.1] RIP: 0010:vnc_timer+0x10/0x80 [vhost_net]" >> "$out/serial.log"; exit 125 ;;
		esac
	done
	i=$((i + 1)); echo "ok $i $t: second check"
	echo "# $t took 1 s"
done
echo "1..$i"
echo 0 > "$out/status"
EOF_VM
chmod +x "$T/fake-vm"

# run_suite NAME DIE [TEST...]: the suite over tests a b c (or TESTs); its
# stream in $T/NAME.tap, its status in $T/NAME.rc
run_suite() {
	local name=$1 die=$2

	shift 2
	[ $# -gt 0 ] || set -- a b c
	rm -f "$T"/count-* "$T"/boot-*
	FAKE_DIR=$T FAKE_DIE=$die NCOAL_BUILD=$T/build-$name \
		NCOAL_VM_RUNNER=$T/fake-vm VM_TIMEOUT=600 NCOAL_VM_DEATHS=3 \
		"$SUITE" "$@" > "$T/$name.tap" 2>&1
	echo $? > "$T/$name.rc"
}
# has NAME REGEX, lacks NAME REGEX, rc NAME
has() { grep -qE "$2" "$T/$1.tap"; }
lacks() { ! grep -qE "$2" "$T/$1.tap"; }
rc() { cat "$T/$1.rc"; }
verdict() {
	local name=$1 s=$2

	shift 2
	if "$@"; then
		ok "$name"
	else
		not_ok "$name" "$(cat "$T/$s.tap")"
	fi
}

count() { grep -cE "$2" "$T/$1.tap"; }

run_suite clean ""
clean() {
	[ "$(count clean "^ok [0-9]* [abc]: ")" = 6 ] && [ "$(rc clean)" = 0 ] &&
		has clean "^ok 7 vm: the test hosts.*1 test host"
}
verdict "no death: every result, status 0" clean clean

run_suite freeze "b:freeze:1"
freeze() {
	has freeze "^ok 1 a: first" && has freeze "b runs again" &&
		has freeze "^# --- test host 2: b c" &&
		[ "$(count freeze "^ok [0-9]* b: ")" = 2 ] &&
		has freeze "^ok [0-9]* c: second" && [ "$(rc freeze)" = 0 ]
}
verdict "a freeze under b: a kept, b runs again in test host 2 and passes, c runs" \
	freeze freeze
verdict "a freeze: where the CPUs were is shown" freeze \
	has freeze "froze \(CPUs: .*freeze.txt\) under b"

run_suite twice "b:freeze:2"
twice() {
	has twice "^not ok [0-9]* b: the test host died under it twice" &&
		has twice "^ok [0-9]* c: second" && [ "$(rc twice)" = 1 ]
}
verdict "two freezes under b: b fails, c still runs, status 1" twice twice

run_suite int3 "a:int3:1"
int3() {
	has int3 "a runs again" && has int3 "^ok [0-9]* vm: the test hosts" &&
		[ "$(rc int3)" = 0 ]
}
verdict "the emulator's stale int3: retried, the logs count as clean" int3 int3

run_suite gif "a:gif:1"
gif() {
	has gif "a runs again" && has gif "^ok [0-9]* vm: the test hosts" &&
		[ "$(rc gif)" = 0 ]
}
verdict "an interrupt inside __svm_vcpu_run (the emulator's): retried, clean" gif gif

run_suite guard "b:guard:1"
guard() {
	has guard "^not ok [0-9]* b: the test host oopsed" &&
		has guard "^not ok [0-9]* vm: the test hosts" && [ "$(rc guard)" = 1 ]
}
verdict "a stack guard page oops elsewhere: b fails, not retried" guard guard

run_suite rerun "b:rerun:1"
rerun() {
	has rerun "^# dropped: not ok [0-9]* b: guest up" &&
		has rerun "^# dropped: stress-case: b 5 cycles" &&
		lacks rerun "^# stress-case:" &&
		lacks rerun "^not ok" && [ "$(count rerun "^ok [0-9]* b: ")" = 2 ] &&
		has rerun "^ok [0-9]* vm: the test hosts.*1 test host" &&
		[ "$(rc rerun)" = 0 ]
}
verdict "run.sh ran b again (the rig took its guest): the first run's results and table lines are comments" \
	rerun rerun

run_suite rerunfail "b:rerunfail:1"
rerunfail() {
	has rerunfail "^# dropped: not ok [0-9]* b: guest up" &&
		has rerunfail "^not ok [0-9]* b: first check" &&
		[ "$(rc rerunfail)" = 1 ]
}
verdict "b's second run fails: that failure counts" rerunfail rerunfail

run_suite oops "b:oops:1"
oops() {
	has oops "^not ok [0-9]* b: the test host oopsed" &&
		lacks oops "b runs again" &&
		has oops "^not ok [0-9]* vm: the test hosts" &&
		has oops "^ok [0-9]* c: second" && [ "$(rc oops)" = 1 ]
}
verdict "a real oops: b fails, not retried, the log check fails, status 1" \
	oops oops

run_suite many "a:freeze:1 b:int3:1 c:freeze:1 d:freeze:1" a b c d e
many() {
	has many "^not ok [0-9]* vm: 4 test hosts died; not run: d e" &&
		has many "^ok [0-9]* c: second" && [ "$(rc many)" = 1 ]
}
verdict "deaths are bounded: after 3, what is left is not run and fails" \
	many many

run_suite resume "b:resume:2"
resume() {
	[ "$(count resume "b goes on in a new test host from where it was \(NCOAL_FAKE_DONE=[12] NCOAL_FAKE_X=7\)")" = 2 ] &&
		has resume "^ok [0-9]* b: first check, resumed at 2\$" &&
		[ "$(count resume "^ok [0-9]* b: ")" = 2 ] &&
		has resume "^ok [0-9]* c: second" && [ "$(rc resume)" = 0 ]
}
verdict "a test that leaves NAME.resume goes on after each death, with its words" \
	resume resume

run_suite resumemax "b:resume:5"
resumemax() {
	has resumemax "^not ok [0-9]* vm: 4 test hosts died; not run: b c" &&
		[ "$(rc resumemax)" = 1 ]
}
verdict "resuming is bounded by the deaths allowed" resumemax resumemax

run_suite resumebad "b:resumebad:2"
resumebad() {
	has resumebad "b.resume ignored: not NCOAL_\*=number words" &&
		lacks resumebad "resumed at" && lacks resumebad "goes on in a new" &&
		has resumebad "^not ok [0-9]* b: the test host died under it twice" &&
		[ "$(rc resumebad)" = 1 ]
}
verdict "a NAME.resume with other words is ignored: the usual retry, once" \
	resumebad resumebad

run_suite bootresume "b:resume:1 b:boot:2"
bootresume() {
	[ "$(count bootresume "b had not started in test host [23]; it runs in a new one from where it was \(NCOAL_FAKE_DONE=1 NCOAL_FAKE_X=7\)")" = 2 ] &&
		has bootresume "^ok [0-9]* b: first check, resumed at 1\$" &&
		lacks bootresume "twice" && [ "$(rc bootresume)" = 0 ]
}
verdict "a test host that dies before a resumed test starts: the same words again, not a death under it" \
	bootresume bootresume

run_suite bootretry "b:freeze:1 b:boot:1"
bootretry() {
	has bootretry "b runs again" &&
		has bootretry "b had not started in test host 2; it runs in a new one\$" &&
		lacks bootretry "twice" && [ "$(count bootretry "^ok [0-9]* b: ")" = 2 ] &&
		[ "$(rc bootretry)" = 0 ]
}
verdict "a death before a retried test starts does not make it the second" \
	bootretry bootretry

finish
