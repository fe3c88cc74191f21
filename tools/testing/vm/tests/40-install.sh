#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make install / make uninstall (scripts/install.sh) as an operator runs
# them, on the test host's own /lib/modules/$(uname -r):
#
#  - install puts both modules under updates/ncoal/ and modprobe then
#    resolves and loads ours (the loaded vhost_net's srcversion and
#    identity note are the built module's); a second install changes
#    nothing;
#  - uninstall removes exactly what install added, and modprobe loads the
#    stock modules again; a second uninstall is harmless;
#  - the stock module files are byte-identical throughout, and depmod's
#    modules.dep is what it was before;
#  - modules whose vermagic is not the target kernel's are refused, and
#    nothing is written;
#  - DESTDIR installs into a staging tree and uninstalls from it.
#
# The test host's root is this machine's filesystem over 9p, read-only:
# the test puts a tmpfs overlay on /lib/modules/$(uname -r), so that the
# install really happens where modprobe looks, and the machine's own tree
# is never written (checked through a second view of it).

# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
ksft_begin

KVER=$(uname -r)
MODDIR=/lib/modules/$KVER
W=/run/ncoal-install
INSTALL=$NCOAL_ROOT/scripts/install.sh
export KVER

cleanup() {
	umount "$MODDIR" 2>/dev/null
	umount "$W/lower" 2>/dev/null
}
trap cleanup EXIT

# modprobe reloads vhost_net: no guest may hold /dev/vhost-net.
l2_stop
rm -rf "$W"
mkdir -p "$W/lower" "$W/upper" "$W/work"
# A view of the machine's own tree, for the "untouched" check.
mount --bind "$MODDIR" "$W/lower" || { not_ok "bind mount of $MODDIR"; ksft_finish; }
if ! out=$(mount -t overlay ncoal-install \
		-o "lowerdir=$W/lower,upperdir=$W/upper,workdir=$W/work" "$MODDIR" 2>&1); then
	log "$out"
	not_ok "tmpfs overlay on $MODDIR"
	ksft_finish
fi
ok "tmpfs overlay on $MODDIR (the machine's tree stays read-only)"

# What must not change: the stock files of both modules and their deps.
stock_sums() {
	(cd "$MODDIR" && find kernel/drivers/vhost kernel/drivers/net/virtio_net.ko* \
		kernel/drivers/net/net_failover.ko* kernel/net/core/failover.ko* \
		-type f 2>/dev/null | sort | xargs sha256sum)
}
stock_before=$(stock_sums)
dep_before=$(sha256sum < "$MODDIR/modules.dep")
stock_vhost=$(modinfo -n vhost_net)
stock_virtio=$(modinfo -n virtio_net)
stock_src=$(modinfo -F srcversion vhost_net)
log "stock: $stock_vhost ($stock_src), $stock_virtio"
[ -n "$stock_before" ] || not_ok "stock module files found under $MODDIR/kernel"

unload() {
	local m

	for m in "$@"; do
		[ -d "/sys/module/$m" ] || continue
		rmmod "$m" || fail "rmmod $m"
	done
}

# loaded_is MODULE KO: the loaded MODULE is the file KO (srcversion).
loaded_is() {
	local got want

	got=$(cat "/sys/module/$1/srcversion" 2>/dev/null)
	want=$(modinfo -F srcversion "$2")
	[ -n "$want" ] && [ "$got" = "$want" ] ||
		fail "loaded $1 has srcversion '$got', $2 has '$want'"
}

installs() {
	"$INSTALL" install || fail "install failed"
	cmp "$NCOAL_BUILD/vhost_net.ko" "$MODDIR/updates/ncoal/vhost_net.ko" ||
		fail "updates/ncoal/vhost_net.ko is not the built one"
	cmp "$NCOAL_BUILD/virtio_net.ko" "$MODDIR/updates/ncoal/virtio_net.ko" ||
		fail "updates/ncoal/virtio_net.ko is not the built one"
	[ -f "$MODDIR/updates/ncoal/MANIFEST" ] || fail "no manifest"
	[ "$(modinfo -n vhost_net)" = "$MODDIR/updates/ncoal/vhost_net.ko" ] ||
		fail "modprobe resolves vhost_net to $(modinfo -n vhost_net)"
	[ "$(modinfo -n virtio_net)" = "$MODDIR/updates/ncoal/virtio_net.ko" ] ||
		fail "modprobe resolves virtio_net to $(modinfo -n virtio_net)"
}
check "install: both modules in updates/ncoal, modprobe resolves them there" installs

loads_ours() {
	local want got

	unload vhost_net virtio_net
	modprobe vhost_net || fail "modprobe vhost_net"
	loaded_is vhost_net "$NCOAL_BUILD/vhost_net.ko"
	want=$(built_ident vhost_net)
	got=$(loaded_ident vhost_net)
	[ -n "$want" ] && [ "$got" = "$want" ] || fail "identity: built '$want', loaded '$got'"
	echo "vhost_net: $got"
	# No virtio-net device in the test host: the module loads, binds
	# nothing, and goes again.
	modprobe virtio_net || fail "modprobe virtio_net"
	loaded_is virtio_net "$NCOAL_BUILD/virtio_net.ko"
	rmmod virtio_net
}
check "modprobe vhost_net, virtio_net load ours (srcversion, identity)" loads_ours

idempotent() {
	local before after

	before=$(cd "$MODDIR/updates" && find . -printf '%p %s\n' | sort && cat ncoal/MANIFEST)
	"$INSTALL" install || fail "second install failed"
	after=$(cd "$MODDIR/updates" && find . -printf '%p %s\n' | sort && cat ncoal/MANIFEST)
	[ "$before" = "$after" ] || fail "second install changed updates/: $(diff <(echo "$before") <(echo "$after"))"
	[ "$(modinfo -n vhost_net)" = "$MODDIR/updates/ncoal/vhost_net.ko" ] ||
		fail "after a second install vhost_net resolves to $(modinfo -n vhost_net)"
}
check "install twice: the same files, the same manifest" idempotent

uninstalls() {
	unload vhost_net
	"$INSTALL" uninstall || fail "uninstall failed"
	[ ! -e "$MODDIR/updates/ncoal" ] || fail "updates/ncoal left: $(ls -A "$MODDIR/updates/ncoal")"
	# The test host's tree has no updates/ of its own: install made it.
	if [ ! -e "$W/lower/updates" ]; then
		[ ! -e "$MODDIR/updates" ] || fail "updates/ left behind"
	fi
	[ "$(modinfo -n vhost_net)" = "$stock_vhost" ] ||
		fail "vhost_net resolves to $(modinfo -n vhost_net), not $stock_vhost"
	[ "$(modinfo -n virtio_net)" = "$stock_virtio" ] ||
		fail "virtio_net resolves to $(modinfo -n virtio_net), not $stock_virtio"
	modprobe vhost_net || fail "modprobe vhost_net"
	[ "$(cat /sys/module/vhost_net/srcversion)" = "$stock_src" ] ||
		fail "loaded vhost_net is not the stock one"
	[ -z "$(loaded_ident vhost_net)" ] || fail "loaded vhost_net has our identity note"
	"$INSTALL" uninstall || fail "a second uninstall failed"
}
check "uninstall: our files gone, modprobe loads the stock vhost_net again" uninstalls

stock_intact() {
	[ "$(stock_sums)" = "$stock_before" ] || fail "stock module files changed"
	[ "$(sha256sum < "$MODDIR/modules.dep")" = "$dep_before" ] ||
		fail "modules.dep differs from before the install"
	# Nothing reached the machine's own tree.
	[ ! -e "$W/lower/updates/ncoal" ] || fail "the machine's $MODDIR/updates/ncoal exists"
}
check "stock files byte-identical, modules.dep as before, machine untouched" stock_intact

# refused DESC: install (with the caller's environment) fails, names the
# vermagic mismatch, and writes nothing.
refused() {
	local out rc root=${DESTDIR:-}

	out=$("$INSTALL" install 2>&1)
	rc=$?
	echo "$out" | tail -n 2
	[ $rc -ne 0 ] || fail "install succeeded"
	grep -q 'vermagic mismatch' <<< "$out" || fail "no 'vermagic mismatch' in the message"
	[ ! -e "$root/lib/modules/$KVER/updates" ] || fail "updates/ written"
}

# A kernel release other than the modules': staged tree of a fake kernel.
other_release() {
	local d=$W/other

	rm -rf "$d"
	mkdir -p "$d/lib/modules/6.12.999-other-amd64"
	DESTDIR=$d KVER=6.12.999-other-amd64 refused
}
check "refuses modules built for another kernel release" other_release

# The right release but other options (a kernel built without
# modversions, say): our modules with one vermagic word changed.
other_options() {
	local b=$W/badbuild m

	mkdir -p "$b"
	for m in vhost_net virtio_net; do
		sed 's/ mod_unload / mod_unlo4d /' "$NCOAL_BUILD/$m.ko" > "$b/$m.ko"
	done
	modinfo -F vermagic "$b/vhost_net.ko" | grep -q mod_unlo4d || fail "test module not altered"
	NCOAL_BUILD=$b refused
}
check "refuses modules whose vermagic options differ from the kernel's" other_options

# Packaging: DESTDIR with no module tree of its own: files and manifest,
# no depmod, and uninstall leaves the tree as it found it.
destdir() {
	local d=$W/stage

	rm -rf "$d"
	mkdir -p "$d/lib/modules/$KVER"
	DESTDIR=$d "$INSTALL" install || fail "DESTDIR install failed"
	[ -f "$d/lib/modules/$KVER/updates/ncoal/vhost_net.ko" ] || fail "nothing in DESTDIR"
	[ ! -e "$d/lib/modules/$KVER/modules.dep" ] || fail "depmod ran on a bare DESTDIR"
	[ ! -e "$MODDIR/updates" ] || fail "DESTDIR install wrote $MODDIR"
	DESTDIR=$d "$INSTALL" uninstall || fail "DESTDIR uninstall failed"
	[ -z "$(ls -A "$d/lib/modules/$KVER")" ] || fail "left in DESTDIR: $(ls -AR "$d/lib/modules/$KVER")"
}
check "DESTDIR: install to a staging tree, uninstall leaves it empty" destdir

ksft_finish
