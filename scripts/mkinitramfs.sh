#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# mkinitramfs.sh l1|l2|probe OUT: build an initramfs for the test VMs.
#
#   l1     the test host: busybox, the 9p modules; its init mounts this
#          machine's root over 9p (read-only) and runs the command the
#          runner put in the output share (scripts/vm.d/l1-init).
#   l2     the guest: busybox, our virtio_net.ko (and the stock one for
#          comparison), iperf3, ethtool and sockperf with their
#          libraries, nginx and memcached (unpacked from Debian's .debs
#          by scripts/guest-debs.sh, never installed here) with theirs
#          and nginx's config (scripts/vm.d/nginx.conf), our static test
#          tools; its init brings eth0 up and serves commands on TCP
#          port 7000 (scripts/vm.d/l2-init).
#   probe  an init that prints a marker and powers off (KVM probe).

set -euo pipefail
. "$(dirname "$0")/lib.sh"

kind=${1:?usage: mkinitramfs.sh l1|l2|probe OUT}
out=${2:?usage: mkinitramfs.sh l1|l2|probe OUT}
kver=$(ncoal_kver)
mods=/lib/modules/$kver
mkdir -p "$NCOAL_BUILD"
work=$(mktemp -d "$NCOAL_BUILD/initramfs.XXXXXX")
trap 'rm -rf "$work"' EXIT

mkdir -p "$work"/{bin,sbin,lib,lib64,proc,sys,dev,tmp,run,etc,newroot,root}
cp /bin/busybox "$work/bin/busybox"
for a in sh mount insmod mkdir cat echo sleep poweroff; do
	ln -s busybox "$work/bin/$a"
done

# Stock module, decompressed (busybox insmod does not read .ko.xz).
add_mod() {
	local name=$1 dest=${2:-$1} f

	f=$(find "$mods/kernel" -name "$name.ko*" | head -n1)
	[ -n "$f" ] || die "module $name not found in $mods"
	case "$f" in
	*.xz) xz -dc "$f" > "$work/lib/$dest.ko" ;;
	*) cp "$f" "$work/lib/$dest.ko" ;;
	esac
}

# A dynamically linked program (a name in PATH, or a path) and the
# libraries it needs.
add_bin() {
	local bin lib

	case "$1" in
	*/*) bin=$1; [ -x "$bin" ] || die "$1 missing; run 'make deps'" ;;
	*) bin=$(command -v "$1") || die "$1 not installed; run 'make deps'" ;;
	esac
	ldd "$bin" | grep -q 'not found' &&
		die "$bin: libraries missing ($(ldd "$bin" | grep 'not found' | xargs)); run 'make deps'"
	cp -L "$bin" "$work/bin/"
	for lib in $(ldd "$bin" | grep -oE '/[^ ]+'); do
		mkdir -p "$work$(dirname "$lib")"
		cp -Ln "$lib" "$work$lib"
	done
}

case "$kind" in
probe)
	cat > "$work/init" <<'EOI'
#!/bin/sh
echo NCOAL_KVM_PROBE_OK
poweroff -f
EOI
	;;
l1)
	for m in netfs 9pnet 9pnet_virtio 9p; do
		add_mod "$m"
	done
	cp "$NCOAL_ROOT/scripts/vm.d/l1-init" "$work/init"
	;;
l2)
	[ -f "$NCOAL_BUILD/virtio_net.ko" ] || die "build the modules first ('make modules')"
	add_mod failover
	add_mod net_failover
	add_mod virtio_net virtio_net_stock
	cp "$NCOAL_BUILD/virtio_net.ko" "$work/lib/virtio_net.ko"
	add_bin iperf3
	add_bin ethtool
	# the benchmark's RR server (tools/bench/scenarios/guest-rr.sh)
	add_bin sockperf
	# the benchmark's web and key-value servers (guest-web.sh,
	# guest-memcached.sh), from Debian's .debs: see scripts/guest-debs.sh
	# (only those two scenarios need them: without them, e.g. offline,
	# the image is made without, and the scenarios say so)
	debs=$NCOAL_BUILD/guest-debs/root
	if "$NCOAL_ROOT/scripts/guest-debs.sh" --check ||
	   "$NCOAL_ROOT/scripts/guest-debs.sh"; then
		add_bin "$debs/usr/sbin/nginx"
		add_bin "$debs/usr/bin/memcached"
		mkdir -p "$work/etc/nginx"
		cp "$NCOAL_ROOT/scripts/vm.d/nginx.conf" "$work/etc/nginx/nginx.conf"
	else
		echo "mkinitramfs: WARNING: no nginx and memcached in the guest image (scripts/guest-debs.sh failed): the benchmark's guest-web and guest-memcached will fail" >&2
	fi
	for t in "$NCOAL_BUILD"/l2-tools/*; do
		[ -x "$t" ] && cp "$t" "$work/bin/"
	done
	cp "$NCOAL_ROOT/scripts/vm.d/l2-init" "$work/init"
	cp "$NCOAL_ROOT/scripts/vm.d/l2-exec" "$work/bin/l2-exec"
	echo "root:x:0:0:root:/root:/bin/sh" > "$work/etc/passwd"
	echo "root:x:0:" > "$work/etc/group"
	;;
*)
	die "unknown initramfs kind $kind"
	;;
esac
chmod +x "$work/init"

mkdir -p "$(dirname "$out")"
(cd "$work" && find . | cpio -o -H newc --quiet | gzip -1) > "$out.tmp"
mv "$out.tmp" "$out"
