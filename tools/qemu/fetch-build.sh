#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# fetch-build.sh: build the QEMU that relays virtio-net coalescing
# requests to our vhost_net (issue 5).
#
# 1. Makes sure apt knows a deb-src entry for the Debian archive the
#    installed qemu-system-x86 comes from (adds
#    /etc/apt/sources.list.d/ncoal-qemu-src.sources when it does not).
# 2. `apt-get source qemu=<version of the installed qemu-system-x86>` into
#    $NCOAL_BUILD/qemu-src (Debian's own patches applied; cached).
# 3. Applies tools/qemu/patches/series on a copy of it
#    ($NCOAL_BUILD/qemu-tree); stops naming the patch if one does not apply.
# 4. Configures a minimal x86_64 system emulator (only the devices of
#    devices-x86_64.mak) and builds only qemu-system-x86_64; the binary
#    lands in $NCOAL_BUILD/qemu/qemu-system-x86_64.
#
# The result is keyed by the QEMU source version, the configure line, the
# device list and the patch files: when the key matches the cached binary
# nothing is rebuilt. Idempotent; needs root for the apt steps (only when
# the source is not cached yet). Run the binary with
#   -L /usr/share/qemu -L /usr/share/seabios ... -device virtio-net-pci,romfile=
#
# usage: tools/qemu/fetch-build.sh [-f|--force] [-j N]

set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
NCOAL_ROOT=${NCOAL_ROOT:-$(cd "$HERE/../.." && pwd)}
NCOAL_BUILD=${NCOAL_BUILD:-$NCOAL_ROOT/build}
PATCHES=${NCOAL_QEMU_PATCHES:-$HERE/patches}
SRC=$NCOAL_BUILD/qemu-src
TREE=$NCOAL_BUILD/qemu-tree
OUT=$NCOAL_BUILD/qemu
SRC_LIST=/etc/apt/sources.list.d/ncoal-qemu-src.sources

# The devices: ours only (devices-x86_64.mak, copied into the tree as
# configs/devices/x86_64-softmmu/ncoal.mak before configure). No -g: the
# symbol table stays (a backtrace names functions), line numbers go.
DEVICES=$HERE/devices-x86_64.mak
CONFIGURE=(--target-list=x86_64-softmmu --without-default-features
	--without-default-devices --with-devices-x86_64=ncoal
	--enable-kvm --enable-tcg --enable-vhost-net --enable-vhost-kernel
	--disable-docs --disable-werror --disable-user --disable-debug-info)

force=0
jobs=$(nproc)
while [ $# -gt 0 ]; do
	case "$1" in
	-f|--force) force=1; shift ;;
	-j) jobs=$2; shift 2 ;;
	-h|--help) sed -n '3,24p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "usage: $0 [-f|--force] [-j N]" >&2; exit 2 ;;
	esac
done

t0=$SECONDS
note() {
	printf '==> [%3ds] qemu: %s\n' $((SECONDS - t0)) "$*" >&2
}
die() {
	echo "error: qemu: $*" >&2
	exit 1
}
as_root() {
	if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

# Build tools (make deps installs them all; it is idempotent and quick).
missing=
for t in qemu-system-x86_64 dpkg-source git ninja meson flex bison cc; do
	command -v "$t" > /dev/null || missing+=" $t"
done
for p in libglib2.0-dev libpixman-1-dev libfdt-dev; do
	[ "$(dpkg-query -W -f='${Status}' "$p" 2> /dev/null)" = \
	  "install ok installed" ] || missing+=" $p"
done
if [ -n "$missing" ]; then
	note "missing:$missing; running scripts/deps.sh"
	"$NCOAL_ROOT/scripts/deps.sh" >&2
fi

# The source package and version the installed qemu-system-x86 was built
# from (a binNMU such as +b3 has no source of its own).
src_ver=$(dpkg-query -W -f='${source:Version}' qemu-system-x86 2>/dev/null) ||
	die "qemu-system-x86 is not installed; run 'make deps'"
src_pkg=$(dpkg-query -W -f='${source:Package}' qemu-system-x86)
upstream_ver=${src_ver#*:}
upstream_ver=${upstream_ver%-*}
note "installed qemu-system-x86 is built from $src_pkg $src_ver"

series=()
if [ -f "$PATCHES/series" ]; then
	while read -r p _; do
		case "$p" in ''|\#*) continue ;; esac
		[ -f "$PATCHES/$p" ] || die "series names $p, missing in $PATCHES"
		series+=("$p")
	done < "$PATCHES/series"
fi

# The series carries a copy of our uAPI header in linux-headers/ (as
# QEMU's update-linux-headers.sh copies vhost.h): it must be the
# project's header byte for byte, or the relay builds against a layout
# the module no longer has.
UAPI=include/uapi/linux/vhost_net_coalesce.h
uapi_copy() {
	awk -v f="+++ b/linux-headers/linux/${UAPI##*/}" '
		/^diff --git / { on = 0 }
		$0 == f { on = 1; next }
		on && /^\+/ { print substr($0, 2) }' "$1"
}
if [ -f "$NCOAL_ROOT/$UAPI" ]; then
	for p in "${series[@]}"; do
		grep -qx "+++ b/linux-headers/linux/${UAPI##*/}" "$PATCHES/$p" ||
			continue
		uapi_copy "$PATCHES/$p" | cmp -s - "$NCOAL_ROOT/$UAPI" ||
			die "$p: its linux-headers/linux/${UAPI##*/} is not $UAPI: tools/qemu/series.sh edit, copy $UAPI over it, commit --fixup, rebase --autosquash, export (tools/qemu/README.md)"
	done
fi

# The cache key: everything the binary depends on that we control.
key=$(
	{
		echo "src $src_pkg $src_ver"
		echo "configure ${CONFIGURE[*]}"
		echo "devices"
		cat "$DEVICES"
		for p in "${series[@]}"; do
			echo "patch $p"
			cat "$PATCHES/$p"
		done
	} | sha256sum | cut -d' ' -f1
)
if [ $force = 0 ] && [ -x "$OUT/qemu-system-x86_64" ] &&
   [ "$(cat "$OUT/key" 2>/dev/null)" = "$key" ]; then
	note "cached: $OUT/qemu-system-x86_64 (key ${key:0:12}, ${#series[@]} patches)"
	exit 0
fi

# --- 1. a deb-src entry for the archive the binary package came from ----

have_source() {
	apt-cache showsrc "$src_pkg" 2>/dev/null |
		grep -x "Version: $src_ver" > /dev/null
}

# A deb822 copy of the system's Debian entries with Types: deb-src.
debsrc_entries() {
	local f

	for f in /etc/apt/sources.list.d/*.sources; do
		[ -f "$f" ] && [ "$f" != "$SRC_LIST" ] || continue
		awk '
			function flush() {
				if (isdeb && !isdebsrc && debian && block != "")
					printf "%s\n", block
				block = ""; isdeb = 0; isdebsrc = 0; debian = 0
			}
			/^[ \t]*$/ { flush(); next }
			/^[ \t]*#/ { next }
			/^Types:/ {
				if ($0 ~ /[ \t]deb([ \t]|$)/) isdeb = 1
				if ($0 ~ /deb-src/) isdebsrc = 1
				block = block "Types: deb-src\n"
				next
			}
			/^URIs:/ && /debian/ { debian = 1 }
			{ block = block $0 "\n" }
			END { flush() }
		' "$f"
	done
	# One-line style (/etc/apt/sources.list, *.list).
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
		[ -f "$f" ] || continue
		awk '$1 == "deb" && $0 ~ /debian/ {
			opts = ""; i = 2
			if ($2 ~ /^\[/) {
				while ($i !~ /\]$/) { opts = opts " " $i; i++ }
				opts = opts " " $i; i++
			}
			printf "Types: deb-src\nURIs: %s\nSuites: %s\nComponents:", $i, $(i + 1)
			for (j = i + 2; j <= NF; j++) printf " %s", $j
			printf "\n"
			if (opts ~ /signed-by=/) {
				s = opts; sub(/.*signed-by=/, "", s); sub(/[] ].*/, "", s)
				printf "Signed-By: %s\n", s
			}
			printf "\n"
		}' "$f"
	done
}

ensure_debsrc() {
	local want

	have_source && return 0
	want=$(debsrc_entries)
	[ -n "$want" ] ||
		die "no Debian 'deb' entry found in /etc/apt to mirror as deb-src"
	if [ ! -f "$SRC_LIST" ] || [ "$(cat "$SRC_LIST")" != "$want" ]; then
		note "adding deb-src entries: $SRC_LIST"
		printf '%s\n' "$want" | as_root tee "$SRC_LIST" > /dev/null
	fi
	note "apt-get update"
	as_root apt-get update -q > "$NCOAL_BUILD/qemu-apt.log" 2>&1 || {
		tail -n 20 "$NCOAL_BUILD/qemu-apt.log" >&2
		die "apt-get update failed (log: $NCOAL_BUILD/qemu-apt.log)"
	}
	have_source ||
		die "the archive has no source for $src_pkg $src_ver (did the installed package leave it? try 'apt-get install --only-upgrade qemu-system-x86')"
}

# --- 2. the Debian source, Debian patches applied -----------------------

mkdir -p "$NCOAL_BUILD"
srcdir=$SRC/$src_pkg-$upstream_ver
if [ "$(cat "$SRC/.version" 2>/dev/null)" != "$src_pkg $src_ver" ] ||
   [ ! -d "$srcdir" ]; then
	ensure_debsrc
	note "apt-get source $src_pkg=$src_ver (into $SRC)"
	command -v dpkg-source > /dev/null || die "dpkg-source missing; run 'make deps'"
	rm -rf "$SRC" "$TREE"
	mkdir -p "$SRC"
	# apt's sandbox user must be able to write the download directory.
	chmod 0755 "$SRC"
	(cd "$SRC" && apt-get source -q --only-source "$src_pkg=$src_ver") \
		> "$NCOAL_BUILD/qemu-apt.log" 2>&1 || {
		tail -n 20 "$NCOAL_BUILD/qemu-apt.log" >&2
		die "apt-get source failed (log: $NCOAL_BUILD/qemu-apt.log)"
	}
	[ -d "$srcdir" ] || die "apt-get source did not create $srcdir"
	echo "$src_pkg $src_ver" > "$SRC/.version"
else
	note "source cached: $srcdir"
fi

# --- 3. our patches on a copy -------------------------------------------

# git apply must not see /work/main (or any repository around the tree):
# inside another repository's work tree it silently skips every path
# outside the current directory. The ceiling stops its search above TREE.
gitapply() {
	(cd "$TREE/src" && GIT_CEILING_DIRECTORIES=$TREE git apply "$@")
}

# Files a patch touches (both names of a rename).
patch_files() {
	sed -n 's|^diff --git a/\([^ ]*\) b/\([^ ]*\)$|\1\n\2|p' "$1" | sort -u
}

# Undo the previously applied patches by restoring the files they touched
# from the pristine source (with a new mtime, so ninja notices), instead
# of copying the whole tree again: keeps the build incremental.
tree_reset() {
	local f p

	if [ ! -d "$TREE/src" ] || [ ! -f "$TREE/.version" ] ||
	   [ "$(cat "$TREE/.version")" != "$src_pkg $src_ver" ]; then
		note "copying the source to $TREE/src"
		rm -rf "$TREE"
		mkdir -p "$TREE"
		cp -a "$srcdir" "$TREE/src"
		echo "$src_pkg $src_ver" > "$TREE/.version"
		mkdir -p "$TREE/applied"
		return
	fi
	for p in "$TREE"/applied/*; do
		[ -f "$p" ] || continue
		for f in $(patch_files "$p"); do
			if [ -e "$srcdir/$f" ]; then
				cmp -s "$srcdir/$f" "$TREE/src/$f" ||
					cp "$srcdir/$f" "$TREE/src/$f"
			else
				rm -f "$TREE/src/$f"
			fi
		done
		rm -f "$p"
	done
}

tree_reset
n=0
for p in "${series[@]}"; do
	n=$((n + 1))
	# git apply is all or nothing per patch: a patch that does not apply
	# leaves the tree as the previous ones made it, and those are
	# recorded in applied/ for the next run's tree_reset.
	if ! out=$(gitapply --whitespace=nowarn "$PATCHES/$p" 2>&1); then
		echo "$out" | sed 's/^/    /' >&2
		die "patch $p does not apply to $src_pkg $src_ver (files: $(patch_files "$PATCHES/$p" | tr '\n' ' '))"
	fi
	cp "$PATCHES/$p" "$TREE/applied/$(printf '%04d' $n)-$p"
	# Belt and braces: every file the patch creates or changes is there.
	for f in $(sed -n 's|^+++ b/||p' "$PATCHES/$p"); do
		[ -e "$TREE/src/$f" ] ||
			die "patch $p: $f not written (git apply skipped it)"
	done
	note "applied $p"
done
[ $n -gt 0 ] || note "no patches in $PATCHES/series: building stock QEMU"

# --- 4. configure and build ---------------------------------------------

# Our device list, where --with-devices-x86_64=ncoal reads it (copied only
# when it differs: meson regenerates the build when it changes).
devmak=$TREE/src/configs/devices/x86_64-softmmu/ncoal.mak
cmp -s "$DEVICES" "$devmak" || cp "$DEVICES" "$devmak"
# The configure stamp: the line and the device list (a new list configures
# afresh, as a new line does).
stamp="${CONFIGURE[*]} devices $(sha256sum < "$DEVICES" | cut -d' ' -f1)"

bdir=$TREE/build
if [ "$(cat "$bdir/.configure" 2>/dev/null)" != "$stamp" ]; then
	note "configure ${CONFIGURE[*]}"
	rm -rf "$bdir"
	mkdir -p "$bdir"
	(cd "$bdir" && ../src/configure "${CONFIGURE[@]}") \
		> "$TREE/configure.log" 2>&1 || {
		tail -n 30 "$TREE/configure.log" >&2
		die "configure failed (log: $TREE/configure.log)"
	}
	echo "$stamp" > "$bdir/.configure"
fi

note "ninja -j$jobs qemu-system-x86_64 (a full build: about 4 min on 2 cores)"
if ! ninja -C "$bdir" -j "$jobs" qemu-system-x86_64 > "$TREE/build.log" 2>&1; then
	grep -E 'error|Error' "$TREE/build.log" | head -n 30 >&2 || true
	tail -n 10 "$TREE/build.log" >&2
	die "build failed (log: $TREE/build.log)"
fi
grep -E ' warning: ' "$TREE/build.log" | sed 's/^/warning: /' >&2 || true

mkdir -p "$OUT"
cp "$bdir/qemu-system-x86_64" "$OUT/qemu-system-x86_64.new"
mv -f "$OUT/qemu-system-x86_64.new" "$OUT/qemu-system-x86_64"
echo "$key" > "$OUT/key"
{
	echo "source: $src_pkg $src_ver"
	echo "configure: ${CONFIGURE[*]}"
	echo "patches: ${series[*]:-none}"
	echo "key: $key"
} > "$OUT/build-info"
note "built $OUT/qemu-system-x86_64 ($n patches, key ${key:0:12})"
"$OUT/qemu-system-x86_64" --version | head -n1 >&2
