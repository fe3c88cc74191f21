#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# install.sh install|uninstall|status: put our built vhost_net.ko and
# virtio_net.ko where modprobe prefers them over the distribution's, or
# take them away again (make install, make uninstall).
#
#   KVER     target kernel release (default: the running kernel, uname -r)
#   DESTDIR  root of the target tree (default: /); like the kernel's
#            INSTALL_MOD_PATH: modules go to $DESTDIR/lib/modules/$KVER
#   SIGN_KEY, SIGN_CERT  sign the installed modules with this private
#            key and DER certificate (Secure Boot, README.md)
#
# The modules go to /lib/modules/$KVER/updates/ncoal/: depmod searches
# updates/ before the kernel's own directory, so "modprobe vhost_net"
# then loads ours, and the stock files under kernel/ are never written,
# moved or removed. install records what it added in a manifest
# (updates/ncoal/MANIFEST); uninstall removes exactly that and runs
# depmod again, after which modprobe finds the stock modules. Both are
# idempotent. install refuses modules built for another kernel: modprobe
# would refuse them later, at a worse moment (boot, a VM start).

set -euo pipefail
. "$(dirname "$0")/lib.sh"

MODS=(vhost_net virtio_net)
SUB=updates/ncoal

usage() {
	echo "usage: $0 install|uninstall|status   (env: KVER, DESTDIR, NCOAL_BUILD)" >&2
	exit 2
}

[ $# -eq 1 ] || usage
action=$1
KVER=${KVER:-$(uname -r)}
DESTDIR=${DESTDIR:-}
# Secure Boot signing key and its DER certificate (the enrolled MOK),
# e.g. DKMS's /var/lib/dkms/mok.key and mok.pub.
SIGN_KEY=${SIGN_KEY:-}
SIGN_CERT=${SIGN_CERT:-}
MODDIR=$DESTDIR/lib/modules/$KVER
DEST=$MODDIR/$SUB
MANIFEST=$DEST/MANIFEST

# depmod only where there is a whole module tree to index: on a bare
# DESTDIR (packaging) it would write indexes that know our two modules
# only; the package's own postinst runs it there.
run_depmod() {
	if [ ! -f "$MODDIR/modules.order" ]; then
		note "no $MODDIR/modules.order: not running depmod (run 'depmod $KVER' on the target)"
		return 0
	fi
	if [ -n "$DESTDIR" ]; then
		depmod -a -b "$DESTDIR" "$KVER"
	else
		depmod -a "$KVER"
	fi
}

# The vermagic of a module file: its first word is the kernel release,
# the rest the ABI-relevant options (SMP, preempt, modversions...).
vermagic() {
	{ modinfo -F vermagic "$1" 2>/dev/null || true; } | sed 's/[[:space:]]*$//'
}

# Refuse modules the target kernel would not load: a release other than
# KVER, or options other than the stock vhost.ko's (the module our
# vhost_net links against, so it is there on every KVM host).
check_vermagic() {
	local m vm stock_ko stock_vm

	[ -d "$MODDIR" ] || die "no $MODDIR: kernel $KVER is not installed (set KVER to the target kernel)"
	stock_ko=$(find "$MODDIR/kernel/drivers/vhost" -name 'vhost.ko*' 2>/dev/null | head -n1 || true)
	stock_vm=
	[ -z "$stock_ko" ] || stock_vm=$(vermagic "$stock_ko")
	for m in "${MODS[@]}"; do
		[ -f "$NCOAL_BUILD/$m.ko" ] || die "$NCOAL_BUILD/$m.ko missing: run 'make' first"
		vm=$(vermagic "$NCOAL_BUILD/$m.ko")
		[ -n "$vm" ] || die "$NCOAL_BUILD/$m.ko has no vermagic: not a kernel module"
		if [ "${vm%% *}" != "$KVER" ]; then
			die "vermagic mismatch: $m.ko was built for ${vm%% *}, the target kernel is $KVER; rebuild for it (make KVER=$KVER, see README.md) or set KVER; nothing installed"
		fi
		if [ -n "$stock_vm" ] && [ "$vm" != "$stock_vm" ]; then
			die "vermagic mismatch: $m.ko has '$vm', $KVER's own modules have '$stock_vm'; nothing installed"
		fi
	done
}

# Secure Boot: sign the installed copy (build/ is rewritten by every
# make) with the key whose certificate is enrolled as a MOK, using the
# target kernel's sign-file and hash.
sign() {
	local sf hash cfg

	[ -f "$SIGN_KEY" ] && [ -f "$SIGN_CERT" ] ||
		die "SIGN_KEY=$SIGN_KEY and SIGN_CERT=${SIGN_CERT:-(unset)} must both be files"
	sf=$MODDIR/build/scripts/sign-file
	[ -x "$sf" ] || sf=$(ls /usr/lib/linux-kbuild-"${KVER%%-*}"*/scripts/sign-file 2>/dev/null | head -n1)
	[ -x "$sf" ] || die "no scripts/sign-file for $KVER (linux-headers-$KVER)"
	cfg=$MODDIR/build/.config
	[ -f "$cfg" ] || cfg=/boot/config-$KVER
	hash=$(sed -n 's/^CONFIG_MODULE_SIG_HASH="\(.*\)"$/\1/p' "$cfg" 2>/dev/null || true)
	"$sf" "${hash:-sha256}" "$SIGN_KEY" "$SIGN_CERT" "$1" || die "signing $1 failed"
}

do_install() {
	local m other created=()

	[ -n "$DESTDIR" ] || [ "$(id -u)" -eq 0 ] || die "install writes /lib/modules: run as root"
	check_vermagic
	# Two copies under updates/ (ours and DKMS's updates/dkms, say):
	# which one modprobe loads would depend on depmod's directory order.
	other=$(find "$MODDIR/updates" -path "$DEST" -prune -o \
		\( -name 'vhost_net.ko*' -o -name 'virtio_net.ko*' \) -print 2>/dev/null || true) 
	if [ -n "$other" ]; then
		die "other copies in $MODDIR/updates: $(echo "$other" | tr '\n' ' ')(dkms? 'dkms remove ncoal/<version> -k $KVER'); nothing installed"
	fi
	# Directories we create are ours to remove again; updates/ may be
	# shared with other packages (dkms), so only if we made it.
	[ -d "$MODDIR/updates" ] || created+=("dir updates")
	[ -d "$DEST" ] || created+=("dir $SUB")
	# A re-install keeps the directories the first install created.
	if [ -f "$MANIFEST" ]; then
		mapfile -t created < <(grep '^dir ' "$MANIFEST" || true)
	fi
	mkdir -p "$DEST"
	for m in "${MODS[@]}"; do
		install -m 0644 "$NCOAL_BUILD/$m.ko" "$DEST/$m.ko.tmp"
		[ -z "$SIGN_KEY" ] || sign "$DEST/$m.ko.tmp"
		# Same bytes: nothing to do (a second install is a no-op
		# apart from depmod; signatures are deterministic).
		if cmp -s "$DEST/$m.ko.tmp" "$DEST/$m.ko"; then
			rm -f "$DEST/$m.ko.tmp"
		else
			mv -f "$DEST/$m.ko.tmp" "$DEST/$m.ko"
		fi
	done
	{
		echo "# ncoal install manifest: what 'scripts/install.sh uninstall' removes"
		echo "# kernel $KVER, $(modinfo -F ncoal "$DEST/vhost_net.ko")"
		for m in "${MODS[@]}"; do
			echo "file $SUB/$m.ko $(sha256sum < "$DEST/$m.ko" | cut -d' ' -f1)"
		done
		[ ${#created[@]} -eq 0 ] || printf '%s\n' "${created[@]}"
	} > "$MANIFEST.tmp"
	mv -f "$MANIFEST.tmp" "$MANIFEST"
	run_depmod
	for m in "${MODS[@]}"; do
		echo "installed $DEST/$m.ko"
	done
	if [ -z "$DESTDIR" ] && [ "$KVER" = "$(uname -r)" ]; then
		echo "modprobe now loads these; modules loaded already stay until they are reloaded (rmmod, modprobe)"
	fi
	# A kernel that enforces signatures refuses unsigned modules at load
	# time, not here: say so now.
	if [ -z "$(modinfo -F signer "$DEST/vhost_net.ko" 2>/dev/null)" ] &&
	   command -v mokutil > /dev/null &&
	   mokutil --sb-state 2>/dev/null | grep -q 'SecureBoot enabled'; then
		note "Secure Boot is enabled and the modules are unsigned: sign them with an enrolled key (README.md, Installing)"
	fi
}

do_uninstall() {
	local kind path sum rest dirs=()

	[ -n "$DESTDIR" ] || [ "$(id -u)" -eq 0 ] || die "uninstall writes /lib/modules: run as root"
	if [ ! -f "$MANIFEST" ]; then
		echo "nothing installed for $KVER (no $MANIFEST)"
		return 0
	fi
	while read -r kind path sum rest; do
		case "$kind" in
		file)
			[ -e "$MODDIR/$path" ] || continue
			# Ours by name and place; a different content means
			# someone replaced it: still ours to remove, but say so.
			if [ "$(sha256sum < "$MODDIR/$path" | cut -d' ' -f1)" != "$sum" ]; then
				note "$MODDIR/$path changed since install; removing it anyway"
			fi
			rm -f "$MODDIR/$path"
			echo "removed $MODDIR/$path"
			;;
		dir)
			dirs=("$path" "${dirs[@]}")
			;;
		esac
	done < "$MANIFEST"
	rm -f "$MANIFEST"
	# Deepest first; only empty ones (rmdir): anything someone else put
	# there stays.
	for path in "${dirs[@]}"; do
		rmdir "$MODDIR/$path" 2>/dev/null || true
	done
	run_depmod
	if [ -z "$DESTDIR" ] && [ -r /sys/module/vhost_net/notes/.note.ncoal ]; then
		echo "our vhost_net is still loaded: rmmod vhost_net; modprobe vhost_net loads the stock one"
	fi
}

do_status() {
	local m

	if [ ! -f "$MANIFEST" ]; then
		echo "not installed for $KVER"
		return 0
	fi
	sed -n 's/^# kernel /installed for kernel /p' "$MANIFEST"
	for m in "${MODS[@]}"; do
		printf '%s: modprobe resolves to %s\n' "$m" \
			"$(modinfo -k "$KVER" ${DESTDIR:+-b "$DESTDIR"} -n "$m" 2>/dev/null || echo '?')"
	done
}

case "$action" in
install) do_install ;;
uninstall) do_uninstall ;;
status) do_status ;;
*) usage ;;
esac
