# SPDX-License-Identifier: GPL-2.0
#
# Helpers for the guest-side (virtio_net TX kick coalescing) VM tests,
# tests/2N-guest-*.sh. Source after lib.sh; runs in the test host (L1).
#
# Emulation scaling: the rig is emulated (TCG, about 100x slower than
# hardware; the guest saturates near 7 kpps of small UDP, see
# ../shared/ENVIRONMENT.md). The hardware profile (10,000 pps threshold,
# 1 s interval, 100 us, 32 frames; kick coalescing ships off) is for
# hardware; the tests use the scaled-down profile below and rates of
# 2-5 kpps, and say so in their logs.

COAL_DIR=/sys/class/net/eth0/virtio_coalesce
UDPFLOOD=$NCOAL_BUILD/l2-tools/udpflood

# Scaled-down profile for this rig: threshold 1,000 pps sampled every
# 250 ms, kicks held up to 1 ms or 32 frames.
SCALED_THRESHOLD=1000
SCALED_INTERVAL_MS=250
SCALED_USECS=1000
SCALED_FRAMES=32

# The hardware profile (coal_defaults): threshold and frames as shipped,
# kicks held up to 100 us. A fresh probe shows SHIP_USECS (0: off) instead.
DEF_THRESHOLD=10000
DEF_INTERVAL_MS=1000
DEF_USECS=100
DEF_FRAMES=32
SHIP_USECS=0

# coal_get KNOB: a sysfs knob of the guest's eth0.
coal_get() {
	l2 "cat $COAL_DIR/$1"
}

# coal_set KNOB VALUE: write a knob; the write's status is returned.
coal_set() {
	l2 "echo '$2' > $COAL_DIR/$1"
}

# coal_profile THRESHOLD INTERVAL_MS USECS FRAMES: set all four (order
# chosen so that every intermediate state is valid).
coal_profile() {
	l2 "echo $2 > $COAL_DIR/rate_interval_ms &&
	    echo $4 > $COAL_DIR/tx_kick_frames &&
	    echo $3 > $COAL_DIR/tx_kick_usecs &&
	    echo $1 > $COAL_DIR/rate_threshold"
}

coal_scaled() {
	coal_profile $SCALED_THRESHOLD $SCALED_INTERVAL_MS $SCALED_USECS \
		$SCALED_FRAMES
}

coal_defaults() {
	coal_profile $DEF_THRESHOLD $DEF_INTERVAL_MS $DEF_USECS $DEF_FRAMES
}

# coal_off: stock behaviour (tx_kick_usecs 0), other knobs as scaled.
coal_off() {
	coal_profile $SCALED_THRESHOLD $SCALED_INTERVAL_MS 0 $SCALED_FRAMES
}

# coal_values: the four knobs on one line, for comparisons.
coal_values() {
	l2 "cd $COAL_DIR && echo \$(cat rate_threshold rate_interval_ms tx_kick_usecs tx_kick_frames)"
}

# gstats FILE: save the guest's ethtool -S of eth0 as "name value" lines.
gstats() {
	l2 'ethtool -S eth0' | awk -F': *' 'NF == 2 {gsub(/ /, "", $1); print $1, $2}' > "$1"
}

# gstat FILE NAME: one counter from a gstats file.
gstat() {
	awk -v k="$2" '$1 == k {print $2; f = 1} END {if (!f) print "NA"}' "$1"
}

# gdelta BEFORE AFTER NAME: how much a counter grew.
gdelta() {
	local a b

	a=$(gstat "$1" "$3")
	b=$(gstat "$2" "$3")
	if [ "$a" = NA ] || [ "$b" = NA ]; then
		echo NA
	else
		echo $((b - a))
	fi
}

# kv KEY LINE: the value of KEY in udpflood's key=value output.
kv() {
	printf '%s\n' "$2" | tr ' ' '\n' | sed -n "s/^$1=//p" | tail -n1
}

# ratio A B: A/B with three decimals (awk), "inf" if B is 0.
ratio() {
	awk -v a="$1" -v b="$2" 'BEGIN {if (b == 0) print "inf"; else printf "%.3f\n", a / b}'
}

# fcmp A OP B: floating-point comparison, OP one of < <= > >=.
fcmp() {
	awk -v a="$1" -v b="$3" -v op="$2" 'BEGIN {
		if (op == "<") r = a < b; else if (op == "<=") r = a <= b;
		else if (op == ">") r = a > b; else r = a >= b;
		exit !r }'
}

# guest_udp_run RATE SECS PORT OUTPREFIX: a UDP flood from the guest to a
# receiver in L1; writes OUTPREFIX.{before,after} (ethtool -S),
# OUTPREFIX.send and OUTPREFIX.recv (udpflood lines) and the guest's
# coalescing state seen mid-run in OUTPREFIX.state.
guest_udp_run() {
	local rate=$1 secs=$2 port=$3 out=$4 rpid

	"$UDPFLOOD" recv --idle 2 --timeout 60 "$port" > "$out.recv" &
	rpid=$!
	sleep 0.5
	gstats "$out.before"
	l2 -t $((secs + 60)) "
		udpflood send --rate $rate --duration $secs $L1_IP:$port > /tmp/send.out &
		sleep $(((secs + 1) / 2))
		cat $COAL_DIR/state > /tmp/state.out
		wait
		cat /tmp/send.out" > "$out.send"
	l2 "cat /tmp/state.out" > "$out.state"
	gstats "$out.after"
	wait "$rpid"
}

# guest_detached SCRIPT: run a guest shell script that may take eth0
# away (the command channel runs over it): detached, output in the
# guest's /tmp/detached.log; wait until the guest answers again and the
# script has finished. Prints the log.
guest_detached() {
	local i

	l2 "rm -f /tmp/detached.log
cat > /tmp/detached.sh <<'__NCOAL_EOS__'
$1
echo __detached_done
__NCOAL_EOS__
setsid sh /tmp/detached.sh > /tmp/detached.log 2>&1 < /dev/null &" ||
		return 1
	sleep 2
	for i in $(seq 1 90); do
		if l2 -t 5 'grep -q __detached_done /tmp/detached.log' \
			>/dev/null 2>&1; then
			l2 'grep -v __detached_done /tmp/detached.log'
			return 0
		fi
		sleep 1
	done
	echo "guest did not finish the detached script within 90 tries:"
	l2_postmortem
	return 1
}

# Guest shell snippet: wait for eth0, configure and bring it up.
ETH0_UP="i=0
	while [ ! -e /sys/class/net/eth0 ] && [ \$i -lt 100 ]; do
		sleep 0.1; i=\$((i + 1))
	done
	ip addr add $L2_IP/24 dev eth0 2>/dev/null
	ip link set eth0 up"

# guest_reload [SETUP]: rmmod and insmod our virtio_net in the guest,
# running the guest shell command SETUP first, and bring eth0 back.
guest_reload() {
	guest_detached "${1:-true}
		sleep 0.2
		rmmod virtio_net || echo rmmod failed
		insmod /lib/virtio_net.ko || echo insmod failed
		$ETH0_UP" >/dev/null
}

# Guest shell snippet: the guest's counters as key=value lines.
#   irq_in, irq_out  virtio RX / TX interrupts (/proc/interrupts)
#   ctxt, busy       context switches; busy CPU time, USER_HZ ticks
#   rx_kicks, tx_kicks  ethtool -S rxN_kicks, txN_kicks (all queues)
#   kick_deferred, kick_timer  ours: the kicks held, and of them those
#                    the timer sent (txN_kick_*, all queues; 0 on stock)
#   udp_in, udp_err, udp_rcvbuf  UDP datagrams received, in error, of
#                    which dropped on a full socket buffer (/proc/net/snmp)
#   softnet_drop     packets the backlog dropped (/proc/net/softnet_stat)
#   ksoftirqd_ctxt   context switches of the ksoftirqd threads: softirq
#                    work the interrupt exit path left for a thread
#   gstate           our coalescer's state (ours only)
GUEST_COUNTERS='{
awk "/virtio[0-9]+-input/ { for (i = 2; i <= NF; i++) if (\$i ~ /^[0-9]+\$/) a += \$i }
     /virtio[0-9]+-output/ { for (i = 2; i <= NF; i++) if (\$i ~ /^[0-9]+\$/) b += \$i }
     END { print \"irq_in=\" a + 0; print \"irq_out=\" b + 0 }" /proc/interrupts
awk "/^ctxt/ { print \"ctxt=\" \$2 }
     /^cpu / { print \"busy=\" \$2 + \$3 + \$4 + \$7 + \$8 }" /proc/stat
ethtool -S eth0 | awk -F": *" "/rx[0-9]+_kicks/ { r += \$2 } /tx[0-9]+_kicks/ { t += \$2 }
     /tx[0-9]+_kick_deferred/ { kd += \$2 } /tx[0-9]+_kick_timer/ { kt += \$2 }
     END { print \"rx_kicks=\" r + 0; print \"tx_kicks=\" t + 0
           print \"kick_deferred=\" kd + 0; print \"kick_timer=\" kt + 0 }"
awk "/^Udp:/ && !h { for (i = 1; i <= NF; i++) f[i] = \$i; h = 1; next }
     /^Udp:/ { for (i = 1; i <= NF; i++) v[f[i]] = \$i }
     END { print \"udp_in=\" v[\"InDatagrams\"] + 0; print \"udp_err=\" v[\"InErrors\"] + 0
           print \"udp_rcvbuf=\" v[\"RcvbufErrors\"] + 0 }" /proc/net/snmp
d=0; while read -r _ x _; do d=$((d + 0x$x)); done < /proc/net/softnet_stat
echo "softnet_drop=$d"
k=0; for p in /proc/[0-9]*; do
	read -r c 2>/dev/null < $p/comm || continue
	case $c in ksoftirqd/*)
		k=$((k + $(awk "/ctxt_switches/ { s += \$2 } END { print s + 0 }" $p/status))) ;;
	esac
done
echo "ksoftirqd_ctxt=$k"
[ -r /sys/class/net/eth0/virtio_coalesce/state ] &&
	echo "gstate=$(cat /sys/class/net/eth0/virtio_coalesce/state)"
true; }'

# snap_get FILE KEY: a value from a key=value file ("" if absent).
snap_get() {
	local l v=""

	while read -r l; do
		[ "${l%%=*}" = "$2" ] && v=${l#*=}
	done < "$1"
	echo "$v"
}

# snap_delta BEFORE AFTER KEY: the growth of a counter ("" if absent).
snap_delta() {
	local a b

	a=$(snap_get "$1" "$3")
	b=$(snap_get "$2" "$3")
	[ -n "$a" ] && [ -n "$b" ] || return 0
	echo $((b - a))
}
