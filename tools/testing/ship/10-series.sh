#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# 10-series.sh: the upstream series (make patches) is one netdev can take.
#
#  1. make patches (scripts/mkpatches.sh) writes the kernel and QEMU series;
#     every From: and Signed-off-by: of both is git config's identity;
#  2. the kernel series has at most 15 patches, [PATCH net-next NN/MM]
#     subjects with a subsystem prefix, a message body and Signed-off-by
#     in every patch, no packaging-only file (ncoal_ident), no upstream
#     file renamed, copied or deleted, and a filled-in cover letter whose
#     base-commit is the tree below; the QEMU series has bodies,
#     Signed-off-by and base-commit too;
#  3. that tree is the current Debian kernel source: the files the series
#     changes equal the tarball's (KSRC), and its version is KDIR's;
#  4. the series applies with git am, one patch at a time, to a clean
#     checkout of the tree, and after each patch vhost_net.ko,
#     virtio_net.ko and the library module (lib/ncoal.o) build from the
#     tree's own files and Makefile lines, out of tree against KDIR, with
#     W=1 and no warning the unpatched tree does not have;
#  5. with Debian's kernel config, the patched Kconfig gives NCOAL=m;
#  6. the QEMU series applies with git am to Debian's QEMU 7.2 source,
#     and the C files it changes compile (with the compiler commands of
#     the cached relay build, make qemu; a skip without one).
#
# The trees are cached under $NCOAL_BUILD (mkpatches/, ship/): a run after
# the first takes a few minutes. kselftest TAP; exit status 1 on failure.

set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
NCOAL_ROOT=${NCOAL_ROOT:-$(cd "$HERE/../../.." && pwd)}
. "$NCOAL_ROOT/scripts/lib.sh"

OUT=${NCOAL_PATCHES_OUT:-$NCOAL_BUILD/patches}
KT=$NCOAL_BUILD/mkpatches/linux
QT=$NCOAL_BUILD/mkpatches/qemu
WORK=$NCOAL_BUILD/ship
# git am runs in the trees make patches keeps (their series stay in the
# branch "series"): no second checkout of the kernel source.
W=$KT
B=$WORK/kbuild
QW=$QT
KSRC=${KSRC:-/usr/src/linux-source-6.12.tar.xz}
MAX_PATCHES=15
GIT_CEILING_DIRECTORIES=$NCOAL_BUILD
export GIT_CEILING_DIRECTORIES
# git am records a committer; the checkout is scratch.
export GIT_COMMITTER_NAME="ncoal ship test" GIT_COMMITTER_EMAIL=ship@localhost

. "$HERE/lib.sh"
mkdir -p "$WORK"

# Without the kernel headers or source nothing here can run (make deps).
kdir=$( (ncoal_kdir) 2>&1) ||
	skip_all "the upstream series" "no kernel build directory: $kdir"
[ -f "$KSRC" ] || [ -d "$KSRC" ] ||
	skip_all "the upstream series" "no kernel source: KSRC=$KSRC (make deps: linux-source-6.12)"

# --- 1. make patches ----------------------------------------------------------

if ! "$NCOAL_ROOT/scripts/mkpatches.sh" > "$WORK/mkpatches.log" 2>&1; then
	not_ok "make patches writes the kernel and QEMU series" "$(tail -n 20 "$WORK/mkpatches.log")"
	finish
fi
ok "make patches writes the kernel and QEMU series"

# Whoever makes the series signs it, not the team address that the
# repository's patches carry: every From: and Signed-off-by: is git
# config's identity (make check sets one where none is).
ID_NAME=$(git -C "$NCOAL_ROOT" config user.name || true)
ID_EMAIL=$(git -C "$NCOAL_ROOT" config user.email || true)

# Every From: and Signed-off-by: line of the series that is not ID's,
# and every patch that has none.
identity_check() {
	local p lines

	if [ -z "$ID_NAME" ] || [ -z "$ID_EMAIL" ]; then
		echo "no git config user.name and user.email to check against"
		return
	fi
	for p in "$OUT"/kernel/[0-9]*.patch "$OUT"/qemu/[0-9]*.patch; do
		[ -f "$p" ] || { echo "no series in $OUT"; return; }
		# format-patch folds a long From: over two lines
		lines=$(awk 'NR > 1 && !body && /^[ \t]/ { h = h $0; next }
			NR > 1 && !body { if (h ~ /^From: /) print h; h = $0 }
			!body && /^$/ { body = 1 }
			body && /^Signed-off-by: /' "$p")
		grep -q '^From: ' <<< "$lines" ||
			echo "${p#"$OUT"/}: no From:"
		case $p in
		*/0000-cover-letter.patch) ;;
		*) grep -q '^Signed-off-by: ' <<< "$lines" ||
			echo "${p#"$OUT"/}: no Signed-off-by:" ;;
		esac
		grep -vxF -e "From: $ID_NAME <$ID_EMAIL>" \
			-e "Signed-off-by: $ID_NAME <$ID_EMAIL>" <<< "$lines" |
			sed "s|^|${p#"$OUT"/}: |"
	done
}

result "make patches as $ID_NAME <$ID_EMAIL>: every From: and Signed-off-by: is that identity's" \
	"$(identity_check)"

# Its trees are ours until the end (make patches takes the same lock).
exec 9> "$NCOAL_BUILD/mkpatches/lock"
flock 9

mapfile -t kpatches < <(find "$OUT/kernel" -name '[0-9][0-9][0-9][0-9]-*.patch' \
	! -name '0000-cover-letter.patch' | sort)
mapfile -t qpatches < <(find "$OUT/qemu" -name '[0-9][0-9][0-9][0-9]-*.patch' \
	! -name '0000-cover-letter.patch' | sort)
total=${#kpatches[@]}

# --- 2. the form of the series ---------------------------------------------

if [ "$total" -ge 1 ] && [ "$total" -le $MAX_PATCHES ]; then
	ok "kernel series: $total patches (at most $MAX_PATCHES)"
else
	not_ok "kernel series: $total patches (at most $MAX_PATCHES)"
fi

# The subject of a patch file, folded lines joined.
subject() {
	awk '/^Subject: / { s = substr($0, 10); getline
			    while (/^ /) { s = s $0; getline }
			    print s; exit }' "$1"
}

bad=
i=0
for p in "${kpatches[@]}"; do
	i=$((i + 1))
	s=$(subject "$p")
	want=$(printf '[PATCH net-next %0*d/%d] ' "${#total}" "$i" "$total")
	case "$s" in
	"$want"*) ;;
	*) bad="$bad$(basename "$p"): \"$s\" does not start with \"$want\""$'\n'; continue ;;
	esac
	echo "${s#"$want"}" | grep -qE '^(lib|vhost_net|virtio_net|vhost|virtio|docs|Documentation)(/[a-z_-]+)?(, [a-z_]+)*: [^ ]' ||
		bad="$bad$(basename "$p"): \"${s#"$want"}\" has no netdev subsystem prefix"$'\n'
done
if [ -z "$bad" ]; then
	ok "kernel series: [PATCH net-next NN/MM] subjects with a subsystem prefix"
else
	not_ok "kernel series: [PATCH net-next NN/MM] subjects with a subsystem prefix" "$bad"
fi

# Every patch: a body besides its trailers, and a Signed-off-by.
bodies() {
	local p body bad=

	for p in "$@"; do
		body=$(git mailinfo /dev/stdout /dev/null < "$p" 2>/dev/null)
		grep -qE '^Signed-off-by: [^<]+ <[^>]+@[^>]+>$' <<< "$body" ||
			bad="$bad$(basename "$p"): no Signed-off-by"$'\n'
		grep -vE '^([A-Za-z-]+: |$)' <<< "$body" | grep -q . ||
			bad="$bad$(basename "$p"): no commit message body"$'\n'
	done
	printf '%s' "$bad"
}

bad=$(bodies "${kpatches[@]}")
if [ -z "$bad" ]; then
	ok "kernel series: every patch has a message body and Signed-off-by"
else
	not_ok "kernel series: every patch has a message body and Signed-off-by" "$bad"
fi

bad=$(grep -l 'ncoal_ident' "${kpatches[@]}" 2>/dev/null)
if [ -z "$bad" ]; then
	ok "kernel series: no packaging-only file (ncoal_ident)"
else
	not_ok "kernel series: no packaging-only file (ncoal_ident)" "$bad"
fi

# A renamed or deleted upstream file breaks every patch in flight
# against it, and git blame across it: the series only changes and adds.
bad=$(grep -HE '^(rename|copy) from |^deleted file mode ' "${kpatches[@]}" 2>/dev/null |
	sed "s|^$OUT/||")
result "kernel series: no upstream file renamed, copied or deleted" "$bad"

# $1: cover letter; $2: the base the series must name.
cover() {
	local f=$1 base=$2 have

	[ -f "$f" ] || { echo "no $f"; return 1; }
	if grep -qE '\*\*\* (SUBJECT|BLURB) HERE \*\*\*' "$f"; then
		echo "$f: format-patch placeholders left"
		return 1
	fi
	have=$(sed -n 's/^base-commit: //p' "$f")
	[ "$have" = "$base" ] || { echo "base-commit '$have', want $base"; return 1; }
}

kbase=$(git -C "$KT" rev-parse -q --verify 'base^{commit}')
if out=$(cover "$OUT/kernel/0000-cover-letter.patch" "$kbase"); then
	ok "kernel cover letter: filled in, base-commit $kbase"
else
	not_ok "kernel cover letter: filled in, base-commit of the Debian tree" "$out"
fi

qbase=$(git -C "$QT" rev-parse -q --verify 'base^{commit}')
bad=$(bodies "${qpatches[@]}")
if [ ${#qpatches[@]} -gt 0 ] && [ -z "$bad" ] &&
   out=$(cover "$OUT/qemu/0000-cover-letter.patch" "$qbase"); then
	ok "QEMU series: ${#qpatches[@]} patches with bodies and Signed-off-by, cover letter with base-commit"
else
	not_ok "QEMU series: patches with bodies and Signed-off-by, cover letter with base-commit" \
		"${bad}${out:-}"
fi

# --- 3. the base is the current Debian source ---------------------------------

# kdir: KDIR, found above
want=$(ncoal_kdir_version "$kdir")
have=$(git -C "$KT" show base:Makefile | awk -F' *= *' '/^VERSION =/{v=$2}
	/^PATCHLEVEL =/{p=$2} /^SUBLEVEL =/{s=$2} END{print v "." p "." s}')
# The upstream files the series changes, as they are in base.
mapfile -t touched < <(git -C "$KT" diff --no-renames --name-only --diff-filter=MD base series)
rm -rf "$WORK/ksrc"
mkdir -p "$WORK/ksrc"
bad=
if [ -d "$KSRC" ]; then
	for f in "${touched[@]}"; do
		cp "$KSRC/$f" "$WORK/ksrc/$f" 2>/dev/null || bad="$bad$f: not in $KSRC"$'\n'
	done
else
	top=$( (tar tf "$KSRC" 2>/dev/null || true) | head -n1 | cut -d/ -f1)
	tar xf "$KSRC" -C "$WORK/ksrc" --strip-components=1 "${touched[@]/#/$top/}" 2>/dev/null ||
		bad="cannot extract ${touched[*]} from $KSRC"$'\n'
fi
for f in "${touched[@]}"; do
	[ -f "$WORK/ksrc/$f" ] || continue
	git -C "$KT" show "base:$f" | cmp -s - "$WORK/ksrc/$f" ||
		bad="$bad$f: base differs from $KSRC"$'\n'
done
[ "$have" = "$want" ] || bad="${bad}base is Linux $have, KDIR ($kdir) is $want"$'\n'
if [ -z "$bad" ] && [ ${#touched[@]} -gt 0 ]; then
	ok "base tree is Linux $have from $KSRC (${#touched[@]} changed files compared)"
else
	not_ok "base tree is the current Debian source (KSRC, KDIR's version)" "$bad"
fi

# --- 4. git am, patch by patch, and the build after each ------------------------

# A clean checkout of base in repository $1.
clean_base() {
	git -C "$1" am --abort > /dev/null 2>&1
	git -C "$1" checkout -q -f --detach base &&
		git -C "$1" clean -q -fdx
}

# Lines of Makefile $1 that build module $2 (object list, flags), with its
# CONFIG_ symbol set to m.
make_lines() {
	awk -v m="$2" '
		{
			while (/\\$/) { l = $0; sub(/\\$/, "", l); getline; $0 = l $0 }
		}
		$0 ~ "^obj-\\$\\(CONFIG_[A-Z0-9_]+\\)[ \t]*\\+=[ \t]*" m "\\.o([ \t]|$)" {
			sub(/\$\(CONFIG_[A-Z0-9_]+\)/, "m"); print; found = 1; next
		}
		$0 ~ "^" m "-(y|objs)[ \t]*[:+]?=" {
			print
			for (i = 3; i <= NF; i++) objs[$i] = 1
			next
		}
		/^CFLAGS_[A-Za-z0-9_]+\.o[ \t]*[:+]?=/ { cf[++ncf] = $0 }
		END {
			if (!found) exit 1
			for (i = 1; i <= ncf; i++) {
				o = cf[i]; sub(/^CFLAGS_/, "", o); sub(/[ \t:+=].*/, "", o)
				if (o in objs) print cf[i]
			}
		}' "$1"
}

# Write $1 only if its content changes (kbuild rebuilds on time stamps).
put() {
	if ! cmp -s "$2" "$1"; then
		mkdir -p "$(dirname "$1")"
		cp "$2" "$1"
	fi
}

# The files the build of the current checkout needs, as paths in $W.
build_files() {
	(cd "$W" && find drivers/vhost -maxdepth 1 -type f -name '*.[ch]' &&
	 find drivers/net -maxdepth 1 -type f -name 'virtio_net*.[ch]' &&
	 git diff --name-only --diff-filter=AMR base -- lib include) | sort -u
}

baseline=$WORK/warnings.base

# build_step LABEL: sync the checkout's files into $B, generate the Kbuild
# files from its Makefiles, build. Prints the modules built.
build_step() {
	local label=$1 f built=() kb log=$B/build.log dirs=() libobjs

	mkdir -p "$B/include/uapi"
	build_files > "$WORK/files.new"
	# A header that appears or goes shadows another: kbuild's
	# dependencies cannot tell, so everything is rebuilt then.
	if ! cmp -s "$WORK/files.new" "$WORK/files" 2>/dev/null; then
		make -s -C "$kdir" M="$B" clean > /dev/null 2>&1
		if [ -f "$WORK/files" ]; then
			comm -23 "$WORK/files" "$WORK/files.new" | while read -r f; do
				rm -f "$B/$f"
			done
		fi
		mv "$WORK/files.new" "$WORK/files"
	fi
	while read -r f; do
		put "$B/$f" "$W/$f"
	done < "$WORK/files"

	kb=$WORK/Kbuild.new
	# Our copies of changed headers first, then the kernel's include/,
	# then our uapi: the search order of the kernel's own build.
	for d in drivers/vhost:vhost_net drivers/net:virtio_net; do
		{
			echo "# Generated by tools/testing/ship/10-series.sh from $W/${d%%:*}/Makefile"
			echo "NOSTDINC_FLAGS += -I$B/include -I\$(srctree)/include -I$B/include/uapi"
			make_lines "$W/${d%%:*}/Makefile" "${d#*:}" ||
				{ echo "${d%%:*}/Makefile does not build ${d#*:}.o" >&2; return 1; }
		} > "$kb"
		put "$B/${d%%:*}/Kbuild" "$kb"
		dirs+=("${d%%:*}/")
		built+=("${d%%:*}/${d#*:}.ko")
	done
	# The KUnit test needs CONFIG_KUNIT, which the target kernel may not
	# have: make kunit builds it.
	libobjs=$(cd "$W" && git diff --name-only --diff-filter=AR base -- 'lib/*.c' |
		  sed '/_kunit\.c$/d; s|^lib/||; s|\.c$||')
	if [ -n "$libobjs" ]; then
		{
			echo "# Generated by tools/testing/ship/10-series.sh from $W/lib/Makefile"
			echo "NOSTDINC_FLAGS += -I$B/include -I\$(srctree)/include -I$B/include/uapi"
			for o in $libobjs; do
				make_lines "$W/lib/Makefile" "$o" ||
					{ echo "lib/Makefile does not build lib/$o.o" >&2; return 1; }
				built+=("lib/$o.ko")
			done
		} > "$kb"
		put "$B/lib/Kbuild" "$kb"
		dirs+=(lib/)
	else
		rm -rf "${B:?}/lib"
	fi
	echo "obj-m += ${dirs[*]}" > "$kb"
	put "$B/Kbuild" "$kb"

	if ! make -C "$kdir" M="$B" W=1 -j"$(nproc)" modules > "$log" 2>&1; then
		tail -n 30 "$log" >&2
		return 1
	fi
	for f in "${built[@]}"; do
		[ -f "$B/$f" ] || { echo "$f was not built" >&2; return 1; }
	done
	# Warnings, without paths of this build and line numbers.
	grep -iE 'warning:' "$log" | sed -E "s|$B/||g; s|:[0-9]+:[0-9]+:|:|" |
		sort -u > "$WORK/warnings.$label"
	echo "${built[*]##*/}"
}

wt_ok=1
if ! out=$(clean_base "$W" 2>&1); then
	not_ok "a clean checkout of the base tree" "$out"
	wt_ok=0
elif mods=$(build_step base 2> "$WORK/err"); then
	ok "base tree builds: $mods (W=1, $(wc -l < "$baseline") warnings of its own)"
else
	not_ok "base tree builds" "$(cat "$WORK/err")"
	wt_ok=0
fi

i=0
for p in "${kpatches[@]}"; do
	i=$((i + 1))
	[ $wt_ok = 1 ] || break
	num=$(printf '%0*d/%d' "${#total}" "$i" "$total")
	if ! out=$(git -C "$W" am -q "$p" 2>&1); then
		not_ok "patch $num applies with git am: $(basename "$p")" "$out"
		git -C "$W" am --abort > /dev/null 2>&1
		break
	fi
	ok "patch $num applies with git am"
	if ! mods=$(build_step "$i" 2> "$WORK/err"); then
		not_ok "patch $num builds" "$(cat "$WORK/err")"
		continue
	fi
	new=$(comm -13 "$baseline" "$WORK/warnings.$i")
	if [ -n "$new" ]; then
		not_ok "patch $num builds: $mods, W=1, no new warnings" "$new"
	else
		ok "patch $num builds: $mods, W=1, no new warnings"
	fi
done

# --- 5. Kconfig ----------------------------------------------------------------

kconfig() {
	local o=$WORK/kconfig cfg

	cfg=$kdir/.config
	[ -f "$cfg" ] || cfg=/boot/config-$(ncoal_kver)
	[ -f "$cfg" ] || { echo "no kernel config ($kdir/.config, $cfg)"; return 2; }
	rm -rf "$o"
	mkdir -p "$o"
	cp "$cfg" "$o/.config"
	make -s -C "$W" O="$o" ARCH=x86 olddefconfig > "$o/log" 2>&1 ||
		{ tail -n 20 "$o/log"; return 1; }
	grep -E '^CONFIG_(NCOAL|VHOST_NET|VIRTIO_NET)=' "$o/.config"
	grep -qx 'CONFIG_NCOAL=m' "$o/.config"
}

if [ $wt_ok = 1 ] && [ "$i" = "$total" ]; then
	out=$(kconfig 2>&1)
	case $? in
	0) ok "Kconfig: Debian's config gives $(echo "$out" | tr '\n' ' ')" ;;
	2) skip "Kconfig: Debian's config selects NCOAL" "$out" ;;
	*) not_ok "Kconfig: Debian's config selects NCOAL (=m)" "$out" ;;
	esac
else
	not_ok "Kconfig: Debian's config selects NCOAL (=m)" "the series did not apply"
fi

# --- 6. the QEMU series ----------------------------------------------------------

if ! out=$(clean_base "$QW" 2>&1); then
	not_ok "QEMU series applies with git am to $(git -C "$QT" log -1 --format=%s base 2>/dev/null)" "$out"
elif out=$(git -C "$QW" am -q "${qpatches[@]}" 2>&1) && [ ${#qpatches[@]} -gt 0 ]; then
	ok "QEMU series (${#qpatches[@]} patches) applies with git am to $(git -C "$QT" log -1 --format=%s base)"
else
	git -C "$QW" am --abort > /dev/null 2>&1
	not_ok "QEMU series applies with git am to $(git -C "$QT" log -1 --format=%s base)" "$out"
	finish
fi

# The C files the QEMU series changes compile, with the compiler command
# lines of the relay QEMU's cached build (tools/qemu/fetch-build.sh), the
# series' tree in place of the tree that build was made from.
qemu_compile() {
	local db=$NCOAL_BUILD/qemu-tree/build/compile_commands.json

	[ -f "$db" ] || { echo "no QEMU build to take the compiler commands from ($db; make qemu)"; return 2; }
	(cd "$QW" && git diff --name-only base -- '*.c') |
	python3 -c '
import json, os, shlex, subprocess, sys
db, tree, obj = sys.argv[1:4]
want = [l.strip() for l in sys.stdin if l.strip()]
entries = json.load(open(db))
src = os.path.realpath(os.path.join(os.path.dirname(db), "..", "src"))
done, failed = [], []
for f in want:
    e = next((e for e in entries if e["file"].endswith("../src/" + f) or
              e["file"] == os.path.join(src, f)), None)
    if e is None:
        continue
    args = shlex.split(e["command"].replace(src, tree).replace("../src", tree))
    args[args.index("-o") + 1] = obj
    for opt in ("-MF", "-MQ"):
        if opt in args:
            i = args.index(opt)
            del args[i:i + 2]
    args = [a for a in args if a != "-MD"]
    r = subprocess.run(args, cwd=e["directory"], capture_output=True, text=True)
    if r.returncode:
        failed.append(f)
        print(r.stderr[-3000:])
    else:
        done.append(f)
print("compiled: " + " ".join(done))
if not done:
    print("none of " + " ".join(want) + " is in that build")
sys.exit(1 if failed or not done else 0)
' "$db" "$QW" "$WORK/qemu-check.o"
}

out=$(qemu_compile 2>&1)
case $? in
0) ok "QEMU series: $(echo "$out" | tail -n1)" ;;
2) skip "QEMU series: the C files it changes compile" "$out" ;;
*) not_ok "QEMU series: the C files it changes compile" "$out" ;;
esac

finish
