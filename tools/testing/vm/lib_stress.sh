# SPDX-License-Identifier: GPL-2.0
#
# Helpers for the reliability tests of issue 8 (tests/60-soak.sh,
# tests/61-storms.sh) and for the "make stress" driver (stress-run.sh).
# Source after lib.sh; runs in the test host (L1).
#
# Environment:
#   NCOAL_STRESS=1   the long versions (a 600 s soak, 1,000 cycles per
#                    storm where the rig allows it); default: the short
#                    versions that make check-e2e runs
#   NCOAL_SEED=N     replay a run's random choices (each test prints its
#                    seed; timing still differs from run to run)

VNP=/sys/module/vhost_net/parameters
VDBG=/sys/kernel/debug/vhost_net

# Kernel log lines the stress tests fail on besides lib.sh's DMESG_BAD:
# hung tasks (their first line), lockdep, RCU stalls, lockups and the
# TX watchdog.
STRESS_DMESG_BAD='INFO: task .* blocked for more than|possible (recursive|circular) locking|inconsistent lock state|lockdep|rcu.* (stall|detected stalls)|soft lockup|hard LOCKUP|NETDEV WATCHDOG|transmit queue [0-9]+ timed out|TX timeout'

# stress_count SHORT LONG: the short or the NCOAL_STRESS=1 count.
stress_count() {
	if [ "${NCOAL_STRESS:-0}" = 1 ]; then
		echo "$2"
	else
		echo "$1"
	fi
}

# stress_seed: NCOAL_SEED, or a fresh seed (decimal, < 2^31).
stress_seed() {
	if [ -n "${NCOAL_SEED:-}" ]; then
		echo "$NCOAL_SEED"
	else
		echo $(($(od -An -N4 -tu4 /dev/urandom) % 2147483647))
	fi
}

# stress_case CASE COUNT UNIT: one line of make stress's summary table
# (what the case did); its failures are the results named "CASE: ...".
stress_case() {
	echo "# stress-case: $1 $2 $3"
}

# now_ns: this machine's CLOCK_MONOTONIC (= /proc/uptime without a
# suspend), in ns with centisecond resolution, without forking.
now_ns() {
	local up

	read -r up _ < /proc/uptime
	echo $((${up%.*} * 1000000000 + 10#${up#*.} * 10000000))
}

# kill_pidfile FILE: kill the processes whose pids FILE lists (one per
# line; background jobs started in check's subshells record themselves
# there), then remove it.
kill_pidfile() {
	local p

	[ -f "$1" ] || return 0
	for p in $(cat "$1"); do
		kill "$p" 2>/dev/null
	done
	rm -f "$1"
}

# pick WORD...: one of the words, at random ($RANDOM). In a command
# substitution, $(pick ...), bash 5.1 and later reseed $RANDOM in the
# subshell: the choice does not follow NCOAL_SEED. Use pick_to there.
pick() {
	local a=("$@")

	echo "${a[RANDOM % ${#a[@]}]}"
}

# pick_to VAR WORD...: one of the words into VAR, at random, in this
# shell (replayable from the seed).
pick_to() {
	local -n _pick_var=$1

	shift
	# shellcheck disable=SC2034 # a nameref
	_pick_var=${*:RANDOM % $# + 1:1}
}

# hp_save FILE / hp_restore FILE: every vhost_net module parameter. The
# restore first widens the caps so that every value of a valid set can
# be written, then writes the caps last.
HP_ALL="rx_coalesce_usecs tx_coalesce_usecs rx_max_coalesced_frames
	tx_max_coalesced_frames coalesce_rate_threshold
	coalesce_rate_interval_ms coalesce_max_usecs
	coalesce_max_frames coalesce_min_usecs"

hp_save() {
	local p v

	for p in $HP_ALL; do
		read -r v < "$VNP/$p"
		echo "$p $v"
	done > "$1"
}

hp_restore() {
	local p v rc=0

	[ -f "$1" ] || return 0
	echo 1000000 > $VNP/coalesce_max_usecs 2>/dev/null
	echo 4096 > $VNP/coalesce_max_frames 2>/dev/null
	echo 1 > $VNP/coalesce_min_usecs 2>/dev/null
	while read -r p v; do
		echo "$v" > "$VNP/$p" 2>/dev/null || { echo "cannot restore $p=$v"; rc=1; }
	done < "$1"
	return $rc
}

# hp_set NAME=VALUE...: write parameters in the order given.
hp_set() {
	local kv

	for kv in "$@"; do
		echo "${kv#*=}" > "$VNP/${kv%%=*}" 2>/dev/null ||
			{ echo "cannot set ${kv%%=*} to ${kv#*=}"; return 1; }
	done
}

# stress_dmesg_l1 / stress_dmesg_l2: none of STRESS_DMESG_BAD since
# lib.sh's dmesg_mark (ksft_finish checks DMESG_BAD).
stress_dmesg_l1() {
	local from=0 bad

	[ -f $L2_DIR/dmesg-l1.mark ] && from=$(cat $L2_DIR/dmesg-l1.mark)
	bad=$(dmesg | tail -n +"$((from + 1))" | grep -E "$STRESS_DMESG_BAD" || true)
	[ -z "$bad" ] || { echo "L1 dmesg:"; echo "$bad" | head -n 20; return 1; }
}

stress_dmesg_l2() {
	local from=0 bad

	l2_running || return 0
	[ -f $L2_DIR/dmesg-l2.mark ] && from=$(cat $L2_DIR/dmesg-l2.mark)
	bad=$(l2 -t 30 "dmesg | tail -n +$((from + 1))" | grep -E "$STRESS_DMESG_BAD" || true)
	[ -z "$bad" ] || { echo "L2 dmesg:"; echo "$bad" | head -n 20; return 1; }
}

# ring_counts DIR RING: "due sent deferred timer_fires flushes pending"
# of one ring of a vhost-net device (debugfs, one consistent read: the
# file is produced under the ring's mutex).
ring_counts() {
	awk -F': ' '{ v[$1] = $2 }
		END { print v["signals_due"], v["signals_sent"], v["signals_deferred"],
			    v["timer_fires"], v["flushes"], v["pending"] }' "$1/$2"
}

# ring_sum_ok DUE SENT DEFERRED FIRES FLUSHES: the counters balance:
# every due signal was sent at once or held (deferred), and every held
# one left with a timer fire or a flush (stop, reconfiguration) or with
# a later signal that was sent at once.
ring_sum_ok() {
	[ -n "$5" ] && [ "$2" -eq $(($1 - $3 + $4 + $5)) ]
}

# ring_settled DIR RING [MAX_S]: the ring holds no signal it should have
# sent. A held signal is fine while the ring keeps seeing new used
# buffers (its due count moves); one that stays pending with no new
# buffers for MAX_S seconds (default 2; the delays are at most tens of
# ms) was lost: its timer never sent it. Reading debugfs applies changed
# module parameters, which may flush a held signal: keep them still
# meanwhile. Prints what is wrong; 0: settled, 1: a lost signal or
# counters out of balance, 2: the ring never went quiet.
ring_settled() {
	local dir=$1 ring=$2 max=${3:-2} c due sent def fire fl pend
	local last="" quiet=0 n=0

	while :; do
		c=$(ring_counts "$dir" "$ring") ||
			{ echo "${dir##*/}/$ring: gone"; return 1; }
		read -r due sent def fire fl pend <<< "$c"
		if ! ring_sum_ok "$due" "$sent" "$def" "$fire" "$fl"; then
			echo "${dir##*/}/$ring: sent $sent != due $due - deferred $def + timer_fires $fire + flushes $fl"
			return 1
		fi
		[ "$pend" = 0 ] && return 0
		if [ "$due" = "$last" ]; then
			quiet=$((quiet + 1))
		else
			quiet=0
		fi
		if [ $quiet -ge $((max * 4)) ]; then
			echo "${dir##*/}/$ring: $pend used buffers held for ${max} s with no new ones (due $due): a lost signal"
			return 1
		fi
		n=$((n + 1))
		if [ $n -ge $((max * 16)) ]; then
			echo "${dir##*/}/$ring: still busy after $n reads (pending $pend, due $due)"
			return 2
		fi
		last=$due
		sleep 0.25
	done
}

# vhost_census: what exists of vhost-net in this machine, one line:
#   dirs     devices in debugfs (one per open /dev/vhost-net)
#   refcnt   vhost_net's module reference count (one per open device)
#   fds      open file descriptors on /dev/vhost-net, all processes
#   workers  vhost worker threads (vhost-<pid>; one per owned device)
vhost_census() {
	local dirs fds workers=0 c p

	dirs=$(find $VDBG -mindepth 1 -maxdepth 1 -type d 2>/dev/null | wc -l)
	# One find, not a readlink per descriptor: a process each costs
	# tens of ms in the emulated test host.
	fds=$(find /proc/[0-9]*/fd -maxdepth 1 -lname /dev/vhost-net 2>/dev/null | wc -l)
	for c in /proc/[0-9]*/task/*/comm; do
		{ read -r p < "$c"; } 2>/dev/null || continue
		[[ $p =~ ^vhost-[0-9]+$ ]] && workers=$((workers + 1))
	done
	echo "dirs=$dirs refcnt=$(cat /sys/module/vhost_net/refcnt 2>/dev/null) fds=$fds workers=$workers"
}

# census_get LINE KEY
census_get() {
	echo "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"
}

# vhost_no_leak [SETTLE_S]: every open /dev/vhost-net is a device in
# debugfs and a module reference, no worker thread is left without its
# device; waits up to SETTLE_S (default 10) for exits to complete.
vhost_no_leak() {
	local s c i

	for i in $(seq 1 $((${1:-10} * 2))); do
		s=$(vhost_census)
		c=$(census_get "$s" dirs)
		if [ "$(census_get "$s" refcnt)" = "$c" ] &&
		   [ "$(census_get "$s" fds)" = "$c" ] &&
		   [ "$(census_get "$s" workers)" -le "$c" ]; then
			echo "$s"
			return 0
		fi
		sleep 0.5
	done
	echo "$s: leaked"
	return 1
}

# Guest command loop: a shell in the guest that runs one line at a time
# from a TCP connection that stays open (no connection, no process per
# command: it keeps the traffic it adds small and lets a command outlive
# a link flap). gcl_serve PORT starts it (through lib.sh's l2); gcl_open
# PORT connects the calling shell; gcl [-t SEC] LINE runs LINE there and
# prints its output; the status is the line's, 255 if the guest did not
# answer in time.
gcl_serve() {
	l2 "cat > /tmp/gcl.sh <<'__GCL__'
while IFS= read -r line; do
	eval \"\$line\" < /dev/null 2>&1
	echo \"__gcl_end \$?\"
done
__GCL__
setsid nc -l -p $1 -e sh /tmp/gcl.sh < /dev/null > /dev/null 2>&1 &"
}

gcl_open() {
	local i

	for i in 1 2 3 4 5 6 7 8 9 10; do
		{ exec {GCL_FD}<>"/dev/tcp/$L2_IP/$1"; } 2>/dev/null && return 0
		sleep 0.5
	done
	return 1
}

gcl() {
	local t=30 line

	if [ "$1" = -t ]; then
		t=$2
		shift 2
	fi
	printf "%s\n" "$*" 1>&"$GCL_FD" 2>/dev/null || return 255
	while IFS= read -r -t "$t" line <&"$GCL_FD"; do
		if [[ $line == "__gcl_end "* ]]; then
			return "${line#__gcl_end }"
		fi
		printf '%s\n' "$line"
	done
	return 255
}

# probe_judge BOUND_MS SETTLE_MS WINDOWS FILE...: judge probe lines of
# udpflood probe (tagged "TAG probe seq=..."; TAG "l1:..." for probes
# timed in L1, "l2:..." for probes timed in the guest, whose times are
# mapped onto L1's with the echo stamps of the same TAG). A probe is
# good if its echo came back within BOUND_MS, excused if it was sent
# during a window of WINDOWS ("START_NS END_NS WHAT" lines, L1 time, at
# least one line) widened by BOUND_MS before and SETTLE_MS after, bad
# otherwise. Prints
# the bad ones (up to 20) and a line "probes=N good=N excused=N
# bad=N rtt_max_ms=N"; status 1 if any is bad.
probe_judge() {
	awk -v bound="$1" -v settle="$2" '
	FNR == NR { ws[NR] = $1; we[NR] = $2; nw = NR; next }
	{
		tag = $1
		for (i = 2; i <= NF; i++) {
			split($i, kv, "=")
			f[kv[1]] = kv[2]
		}
		n++
		t[n] = tag; s[n] = f["sent_ns"]; r[n] = f["rtt_us"]; q[n] = f["seq"]
		if (f["rtt_us"] >= 0 && tag ~ /^l2:/) {
			o = f["peer_ns"] - f["sent_ns"] - f["rtt_us"] * 500
			# the smallest round trip gives the best offset
			if (!(tag in best) || f["rtt_us"] < best[tag]) {
				best[tag] = f["rtt_us"]; off[tag] = o
			}
		}
	}
	END {
		for (i = 1; i <= n; i++) {
			ts = s[i]
			if (t[i] ~ /^l2:/) {
				if (!(t[i] in off)) {
					bad++; printf "%s seq %s: no echo in the whole run\n", t[i], q[i]
					continue
				}
				ts += off[t[i]]
			}
			if (r[i] >= 0 && r[i] / 1000 > max)
				max = r[i] / 1000
			if (r[i] >= 0 && r[i] <= bound * 1000) {
				good++
				continue
			}
			ex = 0
			for (w = 1; w <= nw; w++)
				if (ts >= ws[w] - bound * 1e6 && ts <= we[w] + settle * 1e6)
					ex = 1
			if (ex) {
				excused++
				continue
			}
			bad++
			if (bad <= 20)
				printf "%s seq %s: %s\n", t[i], q[i],
					r[i] < 0 ? "no echo" : sprintf("round trip %.1f ms > %d ms", r[i] / 1000, bound)
		}
		printf "probes=%d good=%d excused=%d bad=%d rtt_max_ms=%.1f\n",
			n, good, excused, bad, max
		exit bad > 0
	}' "$3" "${@:4}"
}

# ping_watch PINGLOG T0 STUCK: the soak's watchdog, on the log of one
# "ping -D -i 1" process: the longest run of unanswered pings (icmp_seq
# numbers between two answers, and after the last one), from T0 + 10 s
# (the first flaps) to the end, at most STUCK.
ping_watch() {
	awk -v t0="$(($2 + 10))" -v stuck="$3" '
		/bytes from/ {
			t = substr($1, 2, length($1) - 2) + 0
			for (i = 1; i <= NF; i++)
				if ($i ~ /^icmp_seq=/) seq = substr($i, 10) + 0
			if (t >= t0 && seq - last - 1 > run) {
				run = seq - last - 1; at = lt
			}
			last = seq; lt = t; good++
		}
		/packets transmitted/ { sent = $1 }
		END {
			tail = sent - last
			if (tail > run) { run = tail; at = lt }
			printf "pings %d, answered %d; longest run unanswered %d (after +%d s), allowed %d\n",
				sent, good, run, (at > 0 ? at - t0 + 10 : 0), stuck
			exit !(sent > 0 && good > 0 && run <= stuck)
		}' "$1"
}

# ping_last PINGLOG T0: seconds from T0 to the last answered ping (0:
# none).
ping_last() {
	awk -v t0="$2" '/bytes from/ { t = substr($1, 2, length($1) - 2) + 0 }
		END { printf "%d\n", (t > t0 ? t - t0 : 0) }' "$1"
}
