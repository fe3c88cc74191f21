#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# ncoal-level: e2e
#
# The relay's place in QEMU's guest ABI (issue 18, item 8): the device's
# coalescing features are host features of the machine type, off for
# machine types older than the relay (hw_compat_7_1: pc-q35-7.1,
# pc-i440fx-7.1 and older), on for the current ones (7.2, "pc", "q35"),
# and the backend only masks them. A guest that acked them cannot be
# migrated to a destination that does not offer them: the destination
# refuses the device state on virtio's feature check, and the source
# runs on.
#
# The machine types are looked at in QEMUs that never run a guest (-S);
# the migration is one guest's, to a destination whose NIC does not
# offer the relay (-global virtio-net-device.x-notf-coal-relay=off, the
# features' path of a host without our vhost_net).

. "$(dirname "$0")/../lib.sh"
# shellcheck source=../../../qemu/vm-test-lib.sh
. "$NCOAL_ROOT/tools/qemu/vm-test-lib.sh"
ksft_begin

CSOCK=$L2_DIR/compat-monitor.sock
DMON=$L2_DIR/dst-monitor.sock

cleanup() {
	[ -f "$L2_DIR/compat.pid" ] && kill "$(cat "$L2_DIR/compat.pid")" 2> /dev/null
	[ -f "$L2_DIR/dst.pid" ] && kill "$(cat "$L2_DIR/dst.pid")" 2> /dev/null
	rm -f "$L2_DIR/compat.pid" "$L2_DIR/dst.pid"
	l2_stop
	taps_extra down tapc tapm0
	use_qemu system
}

relay_begin
taps_extra up tapc || not_ok "tapc for the machine type probes"

# mon SOCK CMD: one monitor command.
mon() {
	printf '%s\n' "$2" | timeout 10 socat - "UNIX-CONNECT:$1" 2>&1 |
		tr -d '\r' | grep -v '^(qemu)\|^QEMU .*monitor'
}

# probe MACHINE [DEVICE-OPTS]: "RELAY FEATURE" of a virtio-net NIC on a
# vhost-net tap in a relay QEMU of that machine type: the property's
# value and whether VIRTIO_NET_F_NOTF_COAL is among the host features.
probe() {
	local i path prop feat

	rm -f "$CSOCK" "$L2_DIR/compat.pid"
	# shellcheck disable=SC2054 # commas belong to QEMU options
	"$RELAY_QEMU" -L /usr/share/qemu -L /usr/share/seabios -machine "$1" \
		-accel tcg -S -display none -nodefaults -m 64 \
		-monitor "unix:$CSOCK,server=on,wait=off" \
		-netdev tap,id=c0,ifname=tapc,script=no,downscript=no,vhost=on \
		-device "virtio-net-pci,netdev=c0,romfile=${2:+,$2}" \
		-pidfile "$L2_DIR/compat.pid" > "$L2_DIR/compat.log" 2>&1 < /dev/null &
	for i in $(seq 1 100); do
		[ -S "$CSOCK" ] && [ -s "$L2_DIR/compat.pid" ] && break
		proc_alive $! || break
		sleep 0.2
	done
	if [ ! -S "$CSOCK" ]; then
		sed 's/^/qemu: /' "$L2_DIR/compat.log" >&2
		echo "none none"
		return
	fi
	prop=$(mon "$CSOCK" 'info qtree' |
		sed -n 's/^ *x-notf-coal-relay = \([a-z]*\).*/\1/p' | head -n1)
	path=$(mon "$CSOCK" 'info virtio' | awk '/\[virtio-net\]/ { print $1; exit }')
	feat=absent
	mon "$CSOCK" "info virtio-status $path" |
		sed -n '/[Hh]ost features:/,/[Bb]ackend features:/p' |
		grep -qw VIRTIO_NET_F_NOTF_COAL && feat=offered
	mon "$CSOCK" quit > /dev/null
	wait $! 2> /dev/null
	rm -f "$L2_DIR/compat.pid"
	echo "${prop:-none} $feat"
}

machines() {
	local m want got bad=0

	for m in pc-q35-7.2:true pc:true q35:true pc-q35-7.1:false \
		 pc-i440fx-7.1:false pc-i440fx-6.2:false; do
		want=${m#*:}
		got=$(probe "${m%%:*}")
		echo "${m%%:*}: x-notf-coal-relay ${got% *}, VIRTIO_NET_F_NOTF_COAL ${got#* }"
		[ "$got" = "$want $([ "$want" = true ] && echo offered || echo absent)" ] ||
			bad=1
	done
	[ $bad = 0 ] || fail "want the relay on for 7.2 and off (not offered) for 7.1 and older"
}
check "machine types: relay on for pc-q35-7.2/pc/q35, off and not offered for pc-q35-7.1, pc-i440fx-7.1, pc-i440fx-6.2" machines

opt_in() {
	local got

	got=$(probe pc-q35-7.1 x-notf-coal-relay=on)
	echo "pc-q35-7.1 with x-notf-coal-relay=on: ${got% *}, VIRTIO_NET_F_NOTF_COAL ${got#* }"
	[ "$got" = "true offered" ]
}
check "pc-q35-7.1 with -device ...,x-notf-coal-relay=on offers the relay" opt_in

# Migration of a guest that acked the features to a destination that
# does not offer them.
use_qemu relay
if guest_up "relay" stock; then
	refused() {
		local src args=() a i st

		feature 53 || fail "VIRTIO_NET_F_NOTF_COAL not negotiated" ||
			return 1
		src=$(cat "$L2_DIR/qemu.pid") || return 1
		taps_extra up tapm0 || return 1
		while IFS= read -r -d '' a; do
			case "$a" in
			*ifname=tap0,*) a=${a/ifname=tap0,/ifname=tapm0,} ;;
			"$L2_DIR/qemu.pid") a=$L2_DIR/dst.pid ;;
			file:*serial.log) a=file:$L2_DIR/dst-serial.log ;;
			unix:"$MON",*) a=unix:$DMON,server=on,wait=off ;;
			unix:"$L2_MON",*) a=unix:$L2_DIR/dst-l2-monitor.sock,server=on,wait=off ;;
			"$TRACE") a=$L2_DIR/dst-trace.log ;;
			esac
			args+=("$a")
		done < /proc/"$src"/cmdline
		rm -f "$L2_DIR/dst.pid" "$L2_DIR/migrate.sock" "$DMON"
		"${args[@]}" -global virtio-net-device.x-notf-coal-relay=off \
			-incoming defer > "$L2_DIR/dst.log" 2>&1 < /dev/null &
		for i in $(seq 1 50); do
			[ -S "$DMON" ] && [ -s "$L2_DIR/dst.pid" ] && break
			proc_alive $! || { cat "$L2_DIR/dst.log"; return 1; }
			sleep 0.2
		done
		# The return path: the source hears of the refusal and runs on.
		mon "$DMON" 'migrate_set_capability return-path on'
		mon "$DMON" "migrate_incoming unix:$L2_DIR/migrate.sock"
		for i in $(seq 1 50); do
			[ -S "$L2_DIR/migrate.sock" ] && break
			sleep 0.2
		done
		hmp 'migrate_set_capability return-path on'
		hmp "migrate -d unix:$L2_DIR/migrate.sock"
		for i in $(seq 1 300); do
			st=$(hmp 'info migrate' | sed -n 's/^Migration status: //p')
			case "$st" in completed|failed|cancelled) break ;; esac
			sleep 0.5
		done
		echo "migration: ${st:-no status} after about $((i / 2)) s"
		sed -n 's/^/destination: /p' "$L2_DIR/dst.log" | head -n 5
		[ "$st" = failed ] || fail "migration $st, want failed" || return 1
		grep -q 'Features 0x[0-9a-f]* unsupported' "$L2_DIR/dst.log" ||
			fail "the destination did not refuse on the feature check" ||
			return 1
		kill -0 "$src" || fail "the source QEMU is gone" || return 1
		for i in $(seq 1 20); do
			[ "$(hmp 'info status')" = "VM status: running" ] && break
			sleep 0.5
		done
		hmp 'info status'
		l2_ping || fail "the guest does not answer on the source"
	}
	check "migration to a destination without the relay's features: refused on the feature check, the source runs on" refused
fi

cleanup
ksft_finish
