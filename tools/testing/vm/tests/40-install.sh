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
# The test host's root is this machine's filesystem over 9p, read-only,
# and depmod on the whole module tree takes over ten minutes there
# (every module is read and decompressed under emulation). So the test
# puts a small copy of the tree on /lib/modules/$(uname -r) (tmpfs, bind
# mounted over it): the stock modules vhost_net and virtio_net need, with
# their dependencies, and the kernel's modules.order and modules.builtin.
# install, depmod and modprobe then run unchanged on the real path, and
# the machine's own tree is never written (checked through a second view
# of it). The full tree is back when the test ends.

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
mkdir -p "$W/lower" "$W/tree"
# A view of the machine's own tree, for the "untouched" check.
mount --bind "$MODDIR" "$W/lower" || { not_ok "bind mount of $MODDIR"; ksft_finish; }

# small_tree: the stock modules vhost_net and virtio_net load (modprobe's
# own dependency list), and what depmod needs of the kernel's files.
small_tree() {
	local f rel

	for f in $( (modprobe --show-depends vhost_net; modprobe --show-depends virtio_net) |
			awk '$1 == "insmod" { print $2 }' | sort -u); do
		rel=${f#"$MODDIR"/}
		case "$rel" in kernel/*) ;; *) fail "$f is not a stock module";; esac
		mkdir -p "$W/tree/$(dirname "$rel")"
		cp "$W/lower/$rel" "$W/tree/$rel" || fail "copy $rel"
	done
	for f in modules.order modules.builtin modules.builtin.modinfo build source; do
		[ -e "$W/lower/$f" ] || [ -L "$W/lower/$f" ] || continue
		cp -P "$W/lower/$f" "$W/tree/$f" || fail "copy $f"
	done
	[ -e "$W/tree/kernel/drivers/vhost" ] || fail "no vhost modules copied"
	mount --bind "$W/tree" "$MODDIR" || fail "bind mount over $MODDIR"
	# The indexes of this tree (the copied ones list every module).
	depmod -a "$KVER" || fail "depmod"
	(cd "$MODDIR" && find kernel -name '*.ko*' -printf '%f ')
}
check "a small copy of $MODDIR in its place (tmpfs)" small_tree
[ -f "$MODDIR/modules.dep" ] && mountpoint -q "$MODDIR" || ksft_finish

# What must not change: the stock files (of the small tree: all of them).
stock_sums() {
	(cd "$MODDIR" && find kernel -type f | sort | xargs sha256sum)
}
stock_before=$(stock_sums)
lower_before=$(cd "$W/lower" && find kernel/drivers/vhost -type f | sort | xargs sha256sum)
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

# loaded_is MODULE KO: the loaded MODULE is the file KO: the same
# srcversion (upstream's virtio_net has none: MODULE_VERSION makes it),
# or else the same identity note (our builds have one, stock ones not).
loaded_is() {
	local got want

	want=$(modinfo -F srcversion "$2")
	if [ -n "$want" ]; then
		got=$(cat "/sys/module/$1/srcversion" 2>/dev/null)
		[ "$got" = "$want" ] || fail "loaded $1 has srcversion '$got', $2 has '$want'"
		return 0
	fi
	want=$(modinfo -F ncoal "$2")
	got=$(loaded_ident "$1")
	[ "$got" = "$want" ] || fail "loaded $1 has identity '$got', $2 has '$want'"
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
	echo "virtio_net: $(loaded_ident virtio_net)"
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
	[ "$(cd "$W/lower" && find kernel/drivers/vhost -type f | sort | xargs sha256sum)" = "$lower_before" ] ||
		fail "the machine's stock vhost modules changed"
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
