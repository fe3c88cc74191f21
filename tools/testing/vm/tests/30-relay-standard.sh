#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The QEMU relay (tools/qemu, issue 5) with a stock guest: the standard
# virtio-net coalescing commands that the distribution's virtio_net sends
# for `ethtool -C` and `ethtool -Q ... --coalesce` reach our vhost_net
# through the patched QEMU and show up in the host's debugfs; the host
# admin's caps clamp them; link down/up re-applies them; a device reset
# returns the rings to the host defaults; multiqueue maps virtqueues to
# the right vhost-net device; a NIC with x-notf-coal-relay=off behaves
# as stock. (30-relay-fallback.sh: no relay; 30-relay-sync.sh: the SYNC
# command and malformed requests.)
#
# One guest boot, the relay QEMU with three NICs: eth0 (lib.sh's, the
# relay), eth1 (x-notf-coal-relay=off, tap1), eth2 (two queue pairs,
# tap2 multi_queue). The relay QEMU replaces the system one through a
# shell function (tools/qemu/vm-test-lib.sh): lib.sh needs no change.
#
# No traffic is judged here, so no rate scaling applies; the values
# (500 us, 32 frames...) are the ones of issue 5.

. "$(dirname "$0")/../lib.sh"
# shellcheck source=../../../qemu/vm-test-lib.sh
. "$NCOAL_ROOT/tools/qemu/vm-test-lib.sh"
ksft_begin

# eth1 and eth2 (eth0 is lib.sh's).
# shellcheck disable=SC2054 # commas belong to QEMU options
EXTRA_NICS=(-netdev tap,id=n1,ifname=tap1,script=no,downscript=no,vhost=on
	-device virtio-net-pci,netdev=n1,mac=52:54:00:12:34:12,romfile=,x-notf-coal-relay=off
	-netdev tap,id=n2,ifname=tap2,script=no,downscript=no,vhost=on,queues=2
	-device virtio-net-pci,netdev=n2,mac=52:54:00:12:34:22,romfile=,mq=on,vectors=6)

cleanup() {
	params_restore
	l2_stop
	taps_extra down tap1 tap2
	use_qemu system
}

relay_begin
RELAY_EXTRA=("${EXTRA_NICS[@]}")
taps_extra up tap1 tap2:mq || not_ok "relay: tap1, tap2 (multi_queue) for eth1, eth2"
use_qemu relay
RELAY_EXTRA=()
if guest_up "relay" stock; then
	ok "relay: guest up with the relay QEMU and the stock virtio_net"

	negotiated() {
		local path host

		feature 53 || fail "VIRTIO_NET_F_NOTF_COAL (53) not negotiated" ||
			return 1
		feature 52 || fail "VIRTIO_NET_F_VQ_NOTF_COAL (52) not negotiated" ||
			return 1
		# The stock driver does not know bit 58; the device offers it.
		path=$(hmp 'info virtio' | awk '/\[virtio-net\]/ { print $1; exit }')
		host=$(hmp "info virtio-status $path" |
			sed -n '/[Hh]ost features:/,/[Bb]ackend features:/p')
		echo "$host" | grep -o 'VIRTIO_NET_F_[A-Z_]*NOTF_COAL[A-Z_]*' | sort -u
		echo "$host" | grep -q VIRTIO_NET_F_NOTF_COAL_SYNC ||
			fail "VIRTIO_NET_F_NOTF_COAL_SYNC not offered ($path)"
	}
	check "relay: NOTF_COAL, VQ_NOTF_COAL negotiated, NOTF_COAL_SYNC offered (vhost=on)" negotiated

	mapfile -t D < <(vhost_dirs)
	log "vhost-net debugfs: ${D[*]:-none}"
	if [ ${#D[@]} -ne 4 ]; then
		not_ok "relay: four vhost-net devices in debugfs (eth0, eth1, eth2 x 2; found ${#D[@]})"
	else
		# Created in command line order: eth0, eth1, eth2 pair 0, pair 1.
		D0=${D[0]} D1=${D[1]} D2=${D[2]} D3=${D[3]}
		check "relay: rings follow the host defaults before any command" \
			ring_default "$D0" rx

		set_rx() {
			l2 'ethtool -C eth0 rx-usecs 500 rx-frames 32' || return 1
			ring_is "$D0" rx 500 32 explicit || return 1
			# ethtool -C sends TX_SET too, with the guest's TX
			# values (0 us, 1 frame): host TX coalescing off.
			ring_is "$D0" tx 0 1 explicit
		}
		check "relay: ethtool -C eth0 rx-usecs 500 rx-frames 32 -> host RX ring 500/32" set_rx

		read_back() {
			local out

			out=$(l2 'ethtool -c eth0') || return 1
			echo "$out" | grep -E '^(rx|tx)-(usecs|frames):'
			echo "$out" | grep -q '^rx-usecs:[[:space:]]*500$' &&
				echo "$out" | grep -q '^rx-frames:[[:space:]]*32$'
		}
		check "relay: ethtool -c eth0 reads 500/32 back" read_back

		per_queue() {
			local out

			l2 'ethtool -Q eth0 queue_mask 0x1 --coalesce rx-usecs 250 rx-frames 16 tx-usecs 100 tx-frames 8' ||
				return 1
			ring_is "$D0" rx 250 16 explicit || return 1
			ring_is "$D0" tx 100 8 explicit || return 1
			out=$(l2 'ethtool -Q eth0 queue_mask 0x1 --show-coalesce') || return 1
			echo "$out" | grep -q '^rx-usecs:[[:space:]]*250$' &&
				echo "$out" | grep -q '^rx-frames:[[:space:]]*16$' ||
				fail "per-queue read back: $(echo "$out" | grep -E '^rx-(usecs|frames)')"
		}
		check "relay: ethtool -Q eth0 queue_mask 0x1 --coalesce (VQ_SET) -> host rings 250/16, 100/8" per_queue

		off() {
			l2 'ethtool -C eth0 rx-usecs 0 rx-frames 0 tx-usecs 0 tx-frames 1' ||
				return 1
			ring_is "$D0" rx 0 1 explicit
		}
		check "relay: rx-usecs 0 -> host RX ring off (0 us, 1 frame)" off

		clamp() {
			local rc=0

			params_save
			caps_lower 300 48 || {
				params_restore
				fail "could not lower the caps"
				return 1
			}
			l2 'ethtool -C eth0 rx-usecs 1500 rx-frames 200' &&
				ring_is "$D0" rx 300 48 explicit || rc=1
			params_restore
			return $rc
		}
		check "relay: host caps clamp a guest request (1500 us/200 -> 300/48)" clamp

		relink() {
			local before after

			l2 'ethtool -C eth0 rx-usecs 400 rx-frames 24' || return 1
			before=$(grep -c 'virtio_net_coal_set vq 0:' "$TRACE")
			hmp 'set_link n0 off'
			sleep 1
			hmp 'set_link n0 on'
			sleep 1
			after=$(grep -c 'virtio_net_coal_set vq 0:' "$TRACE")
			echo "RX ring set $before times before link down/up, $after after"
			[ "$after" -gt "$before" ] ||
				fail "not re-applied on vhost start" || return 1
			ring_is "$D0" rx 400 24 explicit || return 1
			l2_ping ||
				fail "no ping after link up"
		}
		check "relay: link down/up (vhost stop/start) re-applies the settings" relink

		relay_off_nic() {
			local out

			if out=$(l2 'ethtool -C eth1 rx-usecs 100 2>&1'); then
				fail "ethtool -C eth1 rx-usecs 100 succeeded: $out"
				return 1
			fi
			echo "ethtool -C eth1 rx-usecs 100: $out"
			echo "$out" | grep -q 'Operation not supported' ||
				fail "want 'Operation not supported'" || return 1
			ring_default "$D1" rx
		}
		check "relay: eth1 with x-notf-coal-relay=off: no NOTF_COAL, host ring untouched" relay_off_nic

		mq_all() {
			l2 'ethtool -C eth2 rx-usecs 200 rx-frames 8' || return 1
			ring_is "$D2" rx 200 8 explicit || return 1
			ring_is "$D3" rx 200 8 explicit || return 1
			# Other NICs' rings stay as they were.
			ring_default "$D1" rx
		}
		check "relay: multiqueue RX_SET reaches both queue pairs' vhost-net (eth2: 200/8)" mq_all

		mq_vq() {
			l2 'ethtool -Q eth2 queue_mask 0x2 --coalesce rx-usecs 300 rx-frames 12 tx-usecs 50 tx-frames 4' ||
				return 1
			ring_is "$D3" rx 300 12 explicit || return 1
			ring_is "$D3" tx 50 4 explicit || return 1
			# Queue pair 0 keeps the RX_SET values.
			ring_is "$D2" rx 200 8 explicit
		}
		check "relay: multiqueue VQ_SET of queue 1 (vq 2, 3) reaches the second vhost-net only" mq_vq

		reset() {
			local i

			# Unbinding the driver resets the device; the guest
			# rebinds it and configures eth0 again by itself.
			l2 'd=$(basename $(readlink /sys/class/net/eth0/device))
			    drv=/sys/bus/virtio/drivers/virtio_net
			    ( sleep 0.5; echo $d > $drv/unbind; sleep 1
			      echo $d > $drv/bind; i=0
			      while [ ! -e /sys/class/net/eth0 ] && [ $i -lt 50 ]; do
				sleep 0.1; i=$((i + 1)); done
			      ip addr add '"$L2_IP"'/24 dev eth0; ip link set eth0 up
			    ) > /dev/null 2>&1 < /dev/null &' || return 1
			for i in $(seq 1 60); do
				[ "$(dbg "$D0" rx source)" = "module parameters" ] &&
					break
				sleep 0.5
			done
			ring_default "$D0" rx || return 1
			ring_default "$D0" tx || return 1
			for i in $(seq 1 60); do
				l2 -t 3 true > /dev/null 2>&1 && break
				sleep 0.5
			done
			l2 -t 3 'ethtool -c eth0' | grep -E '^rx-(usecs|frames):' ||
				fail "guest unreachable after rebind"
		}
		check "relay: device reset (driver unbind/bind) returns the rings to the host defaults" reset
	fi
fi

cleanup
ksft_finish
