# SPDX-License-Identifier: GPL-2.0
#
# Shared by the guest scenarios (guest-flood, guest-synflood, guest-rr,
# guest-web, guest-memcached, guest-lossfree): the two-level rig, the
# comparators, the counters.
# Not a scenario itself. Sourced by scenarios/guest-*.sh in the test host
# (L1), after bench-l1.sh has sourced tools/testing/vm/lib.sh.
#
#   L1 (test host, TCG)  tap0 10.0.2.1  <-- vhost-net -->  L2 eth0 10.0.2.2
#
# A comparator is a "rig" (what is booted: the host's vhost_net, the
# guest's virtio_net, QEMU's tap options) plus a run-time setting (knobs
# in L1's /sys/module/vhost_net/parameters and L2's sysfs). Settings of
# the same rig share one guest boot; the guest is rebooted only when the
# rig changes. Rigs (matrix.sh, second word of a setting):
#
#   stock       distribution vhost_net (host_load_stock) and virtio_net
#               (ncoal.stock=1 on the guest's command line)
#   stock-poll  the same with QEMU's tap poll-us=50 (vhost busy polling)
#   ours        build/vhost_net.ko and build/virtio_net.ko
#   ours-sync   the same on our relay QEMU (build/qemu, make qemu): the
#               guest's sync command sets the host's RX delay
#   stock-relay our vhost_net in L1, the stock virtio_net in L2, on the
#               relay QEMU: the stock guest's own net_dim (dim=1) sets
#               the host's RX rings through VQ_NOTF_COAL commands
#
# Setting spec (third word), comma-separated, "-" for none:
#   h=US     host coalescing (ours): rx/tx_coalesce_usecs US, 64 frames,
#            gate GUEST_THRESHOLD pps sampled every GUEST_INTERVAL_MS
#   hm=N     (ours) the host's coalesce_mode: 1 fixed (default), 2
#            adaptive (net_dim picks each hold, h= its bound)
#   g=US     guest TX kick coalescing (ours): tx_kick_usecs US, 32
#            frames, same gate
#   gm=N     (ours) the guest's tx_kick_mode: 1 fixed (default), 2
#            adaptive (net_dim picks each hold, g= its bound)
#   dim=1    the guest's own RX net_dim: ethtool -C eth0 adaptive-rx on
#   napi=N:NS  guest eth0 napi_defer_hard_irqs N, gro_flush_timeout NS
#   s=US     (ours-sync) the guest's latency budget_usecs US, split
#            evenly: host_rx_usecs US/2 (32 frames), asked of the host
#            through the sync command, and tx_kick_usecs US/2; the
#            host's TX completions follow h=
# Knobs not named are off (0 us; napi 0:0).
#
# Emulation scaling (matrix.sh says it next to the numbers): the nested
# guest saturates from about 1,500 pps, so rates are ~100x below
# hardware, the gate is 300 pps sampled every 250 ms (shipped: 10,000
# pps, 1 s) and buffer times are ~10x the hardware ones (5 ms stands
# for 500 us) so that a window holds a few packets, as on hardware.

[ -n "${GUEST_LIB_SOURCED:-}" ] && return 0
GUEST_LIB_SOURCED=1
. "$NCOAL_ROOT/tools/testing/vm/lib_guest.sh"
# use_qemu, relay_available (the ours-sync rig)
. "$NCOAL_ROOT/tools/qemu/vm-test-lib.sh"

GUEST_THRESHOLD=${GUEST_THRESHOLD:-300}
GUEST_INTERVAL_MS=${GUEST_INTERVAL_MS:-250}
GUEST_HOST_FRAMES=64
GUEST_KICK_FRAMES=32
GUEST_SYNC_FRAMES=32
# the admin's cap on the host's delays, raised for the scaled delays
GUEST_MAX_USECS=10000
GUEST_POLL_US=${GUEST_POLL_US:-500}
HOST_PARAMS=/sys/module/vhost_net/parameters
# the tap's statistics, from L1's side (tx: towards the guest)
TAP_STATS=/sys/class/net/$TAP/statistics

GUEST_RIG=
GUEST_BUILD=
# the setting whose knobs are applied in the running rig
GUEST_APPLIED=

# guest_image: an L2 initramfs that matches the build. The one made by
# make demo / make check (build/vm/l2-initramfs.gz) if it is newer than
# everything it holds; else one built here, in L1, into a writable copy
# of the build directory (about a minute under TCG). Sets GUEST_BUILD,
# the NCOAL_BUILD that l2_start is called with.
guest_image() {
	local img=$NCOAL_BUILD/vm/l2-initramfs.gz f stale=0 shadow

	[ -n "$GUEST_BUILD" ] && return 0
	if [ -f "$img" ]; then
		for f in "$NCOAL_BUILD/virtio_net.ko" \
			"$NCOAL_ROOT/scripts/mkinitramfs.sh" \
			"$NCOAL_ROOT/scripts/vm.d/l2-init" \
			"$NCOAL_ROOT/scripts/vm.d/l2-exec" \
			"$NCOAL_ROOT/scripts/vm.d/nginx.conf" \
			"$NCOAL_BUILD/guest-debs/versions" \
			"$NCOAL_BUILD"/l2-tools/*; do
			[ "$f" -nt "$img" ] && stale=1
		done
	else
		stale=1
	fi
	if [ "$stale" = 0 ]; then
		GUEST_BUILD=$NCOAL_BUILD
		return 0
	fi
	log "guest image missing or older than the build: making one in the test host (slow under TCG; scripts/mkinitramfs.sh l2 $img on the machine avoids it)"
	shadow=/run/ncoal-bench-build
	rm -rf "$shadow"
	mkdir -p "$shadow/vm" || return 1
	ln -s "$NCOAL_BUILD/virtio_net.ko" "$NCOAL_BUILD/vhost_net.ko" \
		"$NCOAL_BUILD/l2-tools" "$NCOAL_BUILD/guest-debs" "$shadow/" ||
		return 1
	NCOAL_BUILD=$shadow "$NCOAL_ROOT/scripts/mkinitramfs.sh" l2 \
		"$shadow/vm/l2-initramfs.gz" || return 1
	GUEST_BUILD=$shadow
}

# rig_is_ours RIG: our modules in that rig
rig_is_ours() {
	[ "$1" = ours ] || [ "$1" = ours-sync ]
}

# guest_parse_setting SCENARIO NAME: GS_RIG, GS_HUS (GS_HRUS, GS_HTUS per
# ring), GS_HMODE, GS_GUS,
# GS_GMODE, GS_DIM, GS_SYNC, GS_NAPI (N:NS), GS_HOSTMOD, and the key columns GS_USECS GS_FRAMES
# GS_THR GS_IV.
guest_parse_setting() {
	local def spec x

	def=$(bench_setting "$1" "$2") || return 1
	read -r _ GS_RIG spec <<< "$def"
	GS_HUS=0
	GS_HRUS=
	GS_HTUS=
	GS_HMODE=1
	GS_GUS=0
	GS_GMODE=1
	GS_DIM=0
	GS_SYNC=0
	GS_NAPI=0:0
	if [ "$spec" != - ]; then
		for x in ${spec//,/ }; do
			case "$x" in
			h=*) GS_HUS=${x#h=} ;;
			hr=*) GS_HRUS=${x#hr=} ;;
			ht=*) GS_HTUS=${x#ht=} ;;
			hm=*) GS_HMODE=${x#hm=} ;;
			g=*) GS_GUS=${x#g=} ;;
			gm=*) GS_GMODE=${x#gm=} ;;
			dim=*) GS_DIM=${x#dim=} ;;
			s=*) GS_SYNC=${x#s=} ;;
			napi=*) GS_NAPI=${x#napi=} ;;
			*) echo "bad setting spec $spec" >&2; return 1 ;;
			esac
		done
	fi
	GS_HRUS=${GS_HRUS:-$GS_HUS}
	GS_HTUS=${GS_HTUS:-$GS_HUS}
	case "$GS_RIG" in
	stock|stock-poll) GS_HOSTMOD=stock ;;
	ours|ours-sync|stock-relay) GS_HOSTMOD=ours ;;
	*) echo "unknown rig $GS_RIG" >&2; return 1 ;;
	esac
	if [ "$GS_SYNC" != 0 ] && [ "$GS_RIG" != ours-sync ]; then
		echo "s= needs the ours-sync rig" >&2
		return 1
	fi
	# key columns: the budget, else the host's buffer time, else the
	# guest's
	GS_USECS=""; GS_FRAMES=""; GS_THR=""; GS_IV=""
	if [ "$GS_HOSTMOD" = ours ]; then
		GS_THR=$GUEST_THRESHOLD
		GS_IV=$GUEST_INTERVAL_MS
		if [ "$GS_SYNC" != 0 ]; then
			GS_USECS=$GS_SYNC; GS_FRAMES=$GUEST_SYNC_FRAMES
		elif [ "$GS_HUS" != 0 ]; then
			GS_USECS=$GS_HUS; GS_FRAMES=$GUEST_HOST_FRAMES
		elif [ "$GS_GUS" != 0 ]; then
			GS_USECS=$GS_GUS; GS_FRAMES=$GUEST_KICK_FRAMES
		else
			GS_USECS=0; GS_FRAMES=$GUEST_HOST_FRAMES
		fi
	fi
	return 0
}

# guest_rig RIG: the host module, the guest and QEMU's options of that
# rig; reboots the guest only if the rig changes (or it died).
guest_rig() {
	local rig=$1 mod=ours stock="" v t rc

	if [ "$GUEST_RIG" = "$rig" ] && l2_running; then
		return 0
	fi
	GUEST_RIG=
	guest_image || return 1
	l2_stop
	rig_is_ours "$rig" || stock=stock
	[ "$rig" = stock ] || [ "$rig" = stock-poll ] && mod=stock
	bench_module "$mod" || return 1
	# the cap first, once per boot: the guest's sync command at probe
	# is clamped to it, and so are guest_apply's delays
	if [ "$mod" = ours ]; then
		echo $GUEST_MAX_USECS > $HOST_PARAMS/coalesce_max_usecs || return 1
	fi
	if [ "$rig" = ours-sync ] || [ "$rig" = stock-relay ]; then
		relay_available || { echo "relay QEMU $RELAY_QEMU missing: make qemu" >&2; return 1; }
		use_qemu relay
	else
		use_qemu system
	fi
	L2_NETDEV_OPTS=
	[ "$rig" = stock-poll ] && L2_NETDEV_OPTS=poll-us=$GUEST_POLL_US
	# l2_start resets SECONDS, bench-l1.sh's clock: keep it running
	t=$SECONDS
	NCOAL_BUILD=$GUEST_BUILD L2_NETDEV_OPTS=$L2_NETDEV_OPTS \
		l2_start $stock > "$BENCH_OUT/l2-boot.log" 2>&1
	rc=$?
	SECONDS=$((t + SECONDS))
	L2_NETDEV_OPTS=
	if [ "$rc" != 0 ]; then
		cat "$BENCH_OUT/l2-boot.log"
		return 1
	fi
	bench_meta "l2_boot_s_$rig" "$(sed -n 's/.*guest up after \([0-9]*\) s.*/\1/p' "$BENCH_OUT/l2-boot.log")"
	GUEST_RIG=$rig
	if [ -z "${BENCH_SEEN[l2-$rig]:-}" ]; then
		BENCH_SEEN[l2-$rig]=1
		# As tests/02-guest-module.sh reads it (the guest's busybox tr
		# has no character classes, and virtio_net has no srcversion).
		v=$(l2 'f=/sys/module/virtio_net/notes/.note.ncoal
			if [ -r $f ]; then strings -n 8 $f | grep -m1 "^ncoal-"
			else echo "stock (no ncoal note)"; fi')
		bench_meta "l2_${rig}_virtio_net" "$v"
		bench_meta l2_kernel "$(l2 'uname -r')"
	fi
	return 0
}

# guest_apply: the run-time knobs of the parsed setting (GS_*), both
# levels. Our module's parameters are the defaults of every ring QEMU
# did not configure (stock QEMU configures none), read at run time.
guest_apply() {
	local n=${GS_NAPI%%:*} ns=${GS_NAPI#*:} g=""

	if [ "$GS_HOSTMOD" = ours ]; then
		echo "$GUEST_INTERVAL_MS" > $HOST_PARAMS/coalesce_rate_interval_ms &&
		echo "$GUEST_THRESHOLD" > $HOST_PARAMS/coalesce_rate_threshold &&
		echo "$GUEST_HOST_FRAMES" > $HOST_PARAMS/rx_max_coalesced_frames &&
		echo "$GUEST_HOST_FRAMES" > $HOST_PARAMS/tx_max_coalesced_frames &&
		echo "$GS_HMODE" > $HOST_PARAMS/coalesce_mode &&
		echo "$GS_HRUS" > $HOST_PARAMS/rx_coalesce_usecs &&
		echo "$GS_HTUS" > $HOST_PARAMS/tx_coalesce_usecs || return 1
	fi
	if [ "$GUEST_RIG" = ours-sync ]; then
		# budget first (host_rx_usecs may not exceed it), then what
		# it is split into; the driver sends the sync command after
		# each write and must end up synced
		g="echo $GUEST_INTERVAL_MS > $COAL_DIR/rate_interval_ms &&
		   echo $GUEST_THRESHOLD > $COAL_DIR/rate_threshold &&
		   echo $GUEST_KICK_FRAMES > $COAL_DIR/tx_kick_frames &&
		   echo $GS_SYNC > $COAL_DIR/budget_usecs &&
		   echo $((GS_SYNC / 2)) > $COAL_DIR/host_rx_usecs &&
		   echo $GUEST_SYNC_FRAMES > $COAL_DIR/host_rx_frames &&
		   echo $((GS_SYNC / 2)) > $COAL_DIR/tx_kick_usecs &&
		   grep -qx synced $COAL_DIR/sync_state &&"
	elif [ "$GUEST_RIG" = ours ]; then
		# no sync on Debian's QEMU: the kick delay is capped by the
		# budget alone, raised to the largest
		g="echo $GUEST_INTERVAL_MS > $COAL_DIR/rate_interval_ms &&
		   echo $GUEST_MAX_USECS > $COAL_DIR/budget_usecs &&
		   echo $GUEST_KICK_FRAMES > $COAL_DIR/tx_kick_frames &&
		   echo $GS_GUS > $COAL_DIR/tx_kick_usecs &&
		   echo $GUEST_THRESHOLD > $COAL_DIR/rate_threshold &&"
	elif [ "$GS_GUS" != 0 ]; then
		echo "guest kick coalescing asked of the stock guest" >&2
		return 1
	fi
	if [ "$GUEST_RIG" = ours ] || [ "$GUEST_RIG" = ours-sync ]; then
		# fixed (1) where the driver has no mode knob yet
		g="$g { [ $GS_GMODE = 1 ] && ! [ -e $COAL_DIR/tx_kick_mode ] ||
			echo $GS_GMODE > $COAL_DIR/tx_kick_mode; } &&"
	elif [ "$GS_GMODE" != 1 ]; then
		echo "guest kick mode asked of the stock guest" >&2
		return 1
	fi
	# the guest's own RX net_dim (stock and ours: upstream's adaptive-rx)
	if [ "$GS_DIM" = 1 ]; then
		g="$g ethtool -C eth0 adaptive-rx on &&"
	elif [ "$GUEST_RIG" = stock-relay ]; then
		g="$g ethtool -C eth0 adaptive-rx off &&"
	fi
	l2 "$g echo $n > /sys/class/net/eth0/napi_defer_hard_irqs &&
	    echo $ns > /sys/class/net/eth0/gro_flush_timeout" >/dev/null
}


# l1_snap: the test host's counters as key=value lines: ctxt, busy (as
# in the guest, all CPUs), tap_tx/tap_rx packets, and for our module the
# vhost-net device's debugfs counters (h_rx_*, h_tx_*). Builtins only:
# a fork costs up to a second in the emulated test host.
l1_snap() {
	local k v d="" f pid=""

	while read -r k v; do
		case "$k" in
		ctxt) echo "ctxt=$v" ;;
		cpu)
			set -- $v
			echo "busy=$(($1 + $2 + $3 + $6 + $7))"
			;;
		esac
	done < /proc/stat
	read -r v < $TAP_STATS/tx_packets && echo "tap_tx=$v"
	read -r v < $TAP_STATS/rx_packets && echo "tap_rx=$v"
	[ -r $L2_DIR/qemu.pid ] && read -r pid < $L2_DIR/qemu.pid
	[ -n "$pid" ] || return 0
	for f in /sys/kernel/debug/vhost_net/"$pid"-*; do
		[ -d "$f" ] && d=$f
	done
	[ -n "$d" ] || return 0
	for f in rx tx; do
		while IFS=': ' read -r k v; do
			case "$k" in
			signals_sent|timer_fires|packets|state|signals_deferred|\
			frame_flushes|flushes|profile|profile_moves)
				echo "h_${f}_$k=$v" ;;
			esac
		done < "$d/$f"
	done
}

# per X N [SCALE]: X * SCALE / N with 6 significant digits; "" if X is
# empty or N is 0.
per() {
	awk -v x="$1" -v n="$2" -v s="${3:-1}" 'BEGIN {
		if (x == "" || n + 0 <= 0) print ""; else printf "%.6g\n", x * s / n }'
}

# since T0: seconds since $EPOCHREALTIME was T0, one decimal (builtins)
since() {
	local d=$(( ${EPOCHREALTIME/./} - ${1/./} ))

	echo "$((d / 1000000)).$(( (d / 100000) % 10 ))"
}

# kvb KEY LINE: the value of KEY in a line of key=value pairs (kv of
# lib_guest.sh without its three forks)
kvb() {
	local x v=""

	for x in $2; do
		[[ "$x" == "$1="* ]] && v=${x#*=}
	done
	echo "$v"
}

# split_sections FILE PREFIX: a file of "== NAME" sections into
# PREFIX.NAME files (the guest's outputs fetched in one command).
split_sections() {
	awk -v p="$2" '/^== / { f = p "." $2; printf "" > f; next }
		f != "" { print > f }' "$1"
}

# USER_HZ ticks -> microseconds
TICK_US=10000

# guest_counters GB GA HB HA PKTS: the counter columns shared by the
# guest scenarios, from guest (GB, GA) and host (HB, HA) snapshots,
# per PKTS packets (one awk: forks are expensive here):
#   guest_irqs, guest_rx_irqs, guest_tx_irqs, guest_rx_kicks,
#   guest_tx_kicks, host_signals, host_timer_fires, l2_ctxsw, l1_ctxsw,
#   l2_cpu_us, l1_cpu_us (all per packet), host_state, guest_state,
#   host_rx_timer_fires, host_tx_timer_fires (per packet: which ring held)
guest_counters() {
	awk -v n="$5" -v tick=$TICK_US '
	FNR == 1 { f++ }
	{ i = index($0, "="); if (i) { k = substr($0, 1, i - 1); v[f, k] = substr($0, i + 1); h[f, k] = 1 } }
	function d(b, a, k) { return (h[b, k] && h[a, k]) ? v[a, k] - v[b, k] : "" }
	function per(x, s) { return (x == "" || n + 0 <= 0) ? "" : sprintf("%.6g", x * (s ? s : 1) / n) }
	function sum(x, y) { return (x == "" || y == "") ? "" : x + y }
	END {
		# files: 1 guest before, 2 guest after, 3 host before, 4 host after
		ii = d(1, 2, "irq_in"); io = d(1, 2, "irq_out")
		hs = h[4, "h_rx_state"] ? v[4, "h_rx_state"] "/" v[4, "h_tx_state"] : ""
		printf "%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s",
			per(sum(ii, io)), per(ii), per(io),
			per(d(1, 2, "rx_kicks")), per(d(1, 2, "tx_kicks")),
			per(sum(d(3, 4, "h_rx_signals_sent"), d(3, 4, "h_tx_signals_sent"))),
			per(sum(d(3, 4, "h_rx_timer_fires"), d(3, 4, "h_tx_timer_fires"))),
			per(d(1, 2, "ctxt")), per(d(3, 4, "ctxt")),
			per(d(1, 2, "busy"), tick), per(d(3, 4, "busy"), tick),
			hs, v[2, "gstate"],
			per(d(3, 4, "h_rx_timer_fires")), per(d(3, 4, "h_tx_timer_fires"))
	}' "$1" "$2" "$3" "$4"
}
GUEST_COUNTER_COLUMNS=guest_irqs_per_pkt,guest_rx_irqs_per_pkt,guest_tx_irqs_per_pkt,guest_rx_kicks_per_pkt,guest_tx_kicks_per_pkt,host_signals_per_pkt,host_timer_fires_per_pkt,l2_ctxsw_per_pkt,l1_ctxsw_per_pkt,l2_cpu_us_per_pkt,l1_cpu_us_per_pkt,host_state,guest_state,host_rx_timer_fires_per_pkt,host_tx_timer_fires_per_pkt

# The guest scenarios run together, rig by rig: one guest boot per kind
# of comparator and repetition, whatever the number of scenarios. Each
# scenario file registers itself (guest_register); the first bench_<s>
# that bench-l1.sh calls runs every selected guest scenario (bench-l1.sh's
# "only" list, or just itself), the others return its status.
declare -A GUEST_FN GUEST_COLS
GUEST_RAN=0
GUEST_STATUS=0

# guest_register SCENARIO ONEFN COLUMNS: ONEFN REP DIR RATE SETTING does
# one run and prints its metric columns (after "ok"), or fails.
guest_register() {
	GUEST_FN[$1]=$2
	GUEST_COLS[$1]=$3
}

# guest_bench SCENARIO: bench_<scenario> of every guest scenario.
guest_bench() {
	local -a sel=()
	local x

	if [ "$GUEST_RAN" = 1 ]; then
		return $GUEST_STATUS
	fi
	GUEST_RAN=1
	for x in "${only[@]:-$1}"; do
		[ -n "${GUEST_FN[$x]:-}" ] && sel+=("$x")
	done
	[ ${#sel[@]} -gt 0 ] || sel=("$1")
	guest_run "${sel[@]}"
	GUEST_STATUS=$?
	return $GUEST_STATUS
}

# guest_rigs SCENARIO...: the rigs their settings use, the one that is
# up first (one guest boot fewer), then in matrix order.
guest_rigs() {
	local s n r seen=" "

	[ -n "$GUEST_RIG" ] && l2_running && { echo "$GUEST_RIG"; seen+="$GUEST_RIG "; }
	for s in "$@"; do
		for n in $(bench_list "$s" SETTINGS); do
			read -r _ r _ <<< "$(bench_setting "$s" "$n")"
			[[ "$seen" == *" $r "* ]] && continue
			echo "$r"
			seen+="$r "
		done
	done
}

# guest_run SCENARIO...: reps, then rigs, then scenarios, then that
# rig's settings, directions and rates. With BENCH_ORDER=rig (matrix.sh)
# rigs come first and the reps inside each: one guest boot per rig, the
# settings of a rig alternating rep by rep. One CSV row per run.
guest_run() {
	local s rep rig status=0
	local -a rigs

	for s in "$@"; do
		mkdir -p "$BENCH_OUT/runs/$s"
	done
	if [ "${BENCH_ORDER:-rep}" = rig ]; then
		mapfile -t rigs < <(guest_rigs "$@")
		for rig in "${rigs[@]}"; do
			for ((rep = 1; rep <= BENCH_REPS; rep++)); do
				guest_rig_rep "$rig" "$rep" "$@" || status=1
			done
		done
		return $status
	fi
	for ((rep = 1; rep <= BENCH_REPS; rep++)); do
		mapfile -t rigs < <(guest_rigs "$@")
		for rig in "${rigs[@]}"; do
			guest_rig_rep "$rig" "$rep" "$@" || status=1
		done
	done
	return $status
}

# guest_rig_rep RIG REP SCENARIO...: one repetition of the settings of
# RIG in every scenario.
guest_rig_rep() {
	local rig=$1 rep=$2 s n dir rate status=0
	local -a rates dirs

	shift 2
	for s in "$@"; do
		mapfile -t rates < <(bench_list "$s" RATES)
		mapfile -t dirs < <(bench_list "$s" DIRS)
		GUEST_DUR=$(bench_list "$s" DURATION)
		for n in $(bench_list "$s" SETTINGS); do
			guest_parse_setting "$s" "$n" || return 1
			[ "$GS_RIG" = "$rig" ] || continue
			for dir in "${dirs[@]}"; do
				for rate in "${rates[@]}"; do
					guest_one "$s" "$rep" "$dir" "$rate" "$n" || status=1
				done
			done
		done
	done
	return $status
}

# guest_one SCENARIO REP DIR RATE SETTING: the rig and knobs, one run,
# one row (the setting already parsed: GS_*).
guest_one() {
	local s=$1 rep=$2 dir=$3 rate=$4 n=$5 id key err m knobs

	id=$n-$dir-$rate-r$rep
	err=$BENCH_OUT/runs/$s/$id.err
	key="$s,$GS_HOSTMOD,$n,$GS_USECS,$GS_FRAMES,$GS_THR,$GS_IV,$rate,$dir,$rep"
	knobs="$GS_RIG $GS_HRUS $GS_HTUS $GS_HMODE $GS_GUS $GS_GMODE $GS_DIM $GS_SYNC $GS_NAPI"
	if [ "$GUEST_RIG" != "$GS_RIG" ] || ! l2_running; then
		log "guest: booting L2, rig $GS_RIG"
		GUEST_APPLIED=
	fi
	bench_progress "$s rep $rep $dir $([ "$rate" = 0 ] && echo max || echo "$rate") $n"
	: > "$err"
	if ! guest_rig "$GS_RIG" >> "$err" 2>&1 ||
	   { [ "$GUEST_APPLIED" != "$knobs" ] && ! guest_apply >> "$err" 2>&1; }; then
		bench_error "$s $id: rig $GS_RIG / setting" "$err"
		bench_row "$s" "${GUEST_COLS[$s]}" "$key,0"
		GUEST_RIG=
		GUEST_APPLIED=
		return 1
	fi
	GUEST_APPLIED=$knobs
	if m=$("${GUEST_FN[$s]}" "$rep" "$dir" "$rate" "$n" 2>> "$err"); then
		bench_row "$s" "${GUEST_COLS[$s]}" "$key,1,$m"
		return 0
	fi
	bench_error "$s $id" "$err"
	bench_row "$s" "${GUEST_COLS[$s]}" "$key,0"
	# a wedged guest must not fail every later run
	l2 -t 10 true >/dev/null 2>&1 || GUEST_RIG=
	return 1
}
