#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# kunit.sh [kunit.py exec options]: the engine's KUnit tests
# (lib/ncoal_kunit.c) on UML, the upstream way: tools/testing/kunit/kunit.py
# in a kernel tree made from KSRC (a linux-source tarball or a kernel tree;
# default Debian's /usr/src/linux-source-6.12.tar.xz) with our lib files and
# their Kconfig and Makefile lines added. Prints the KTAP of the run, then
# kunit.py's summary; the exit status is kunit.py's.
#
# Cached in $NCOAL_BUILD/kunit: linux/ is the source tree (extracted once
# per KSRC), out/ the UML build (W=1). The kernel is built only when an
# input changed (our lib files, this script, KSRC); kbuild then rebuilds
# only what that change touches. A warning of the compiler in one of our
# files fails the run. KUNIT_JOBS: make's -j (default: nproc).
#
# kunit.sh --wire TREE: only add the test's Kconfig entry and Makefile
# line to kernel tree TREE (scripts/mkpatches.sh, for the series).

set -euo pipefail
. "$(dirname "$0")/lib.sh"

K=$NCOAL_BUILD/kunit
KT=$K/linux
OUT=$K/out
KSRC=${KSRC:-/usr/src/linux-source-6.12.tar.xz}
JOBS=${KUNIT_JOBS:-$(nproc)}
OURS=(include/linux/ncoal.h include/linux/ncoal_dim.h lib/ncoal.c
      lib/ncoal_dim.c lib/ncoal_kunit.c)
EDITED=(lib/Kconfig lib/Kconfig.debug lib/Makefile)

command -v python3 > /dev/null || die "kunit.py needs python3"

# The test's Kconfig entry and Makefile line, in lib/Kconfig.debug and
# lib/Makefile of kernel tree $1 (next to cmdline's), as the series adds
# them (scripts/mkpatches.sh runs "kunit.sh --wire TREE").
wire() {
	local t=$1

	awk '
		$0 == "config BITS_TEST" && !done {
			print "config NCOAL_KUNIT_TEST"
			print "\ttristate \"KUnit test for the notification coalescing engine\" if !KUNIT_ALL_TESTS"
			print "\tdepends on KUNIT && NET"
			print "\tselect NCOAL"
			print "\tdefault KUNIT_ALL_TESTS"
			print "\thelp"
			print "\t  This builds the KUnit tests of the notification coalescing"
			print "\t  engine (lib/ncoal.c): its rate gate, frame and time bounds,"
			print "\t  profiles and counters, on a fake clock."
			print ""
			print "\t  For more information on KUnit and unit tests in general please refer"
			print "\t  to the KUnit documentation in Documentation/dev-tools/kunit/."
			print ""
			print "\t  If unsure, say N."
			print ""
			done = 1
		}
		{ print }
		END { if (!done) exit 1 }
	' "$t/lib/Kconfig.debug" > "$t/lib/Kconfig.debug.new" ||
		die "$t/lib/Kconfig.debug: no config BITS_TEST to put NCOAL_KUNIT_TEST before"
	mv "$t/lib/Kconfig.debug.new" "$t/lib/Kconfig.debug"
	awk '
		{ print }
		/^obj-\$\(CONFIG_CMDLINE_KUNIT_TEST\) \+= cmdline_kunit\.o$/ {
			print "obj-$(CONFIG_NCOAL_KUNIT_TEST) += ncoal_kunit.o"
			done = 1
		}
		END { if (!done) exit 1 }
	' "$t/lib/Makefile" > "$t/lib/Makefile.new" ||
		die "$t/lib/Makefile: no cmdline_kunit.o line to add ncoal_kunit.o after"
	mv "$t/lib/Makefile.new" "$t/lib/Makefile"
}

if [ "${1:-}" = --wire ]; then
	wire "${2:?usage: kunit.sh --wire TREE}"
	exit 0
fi

# 1. The source tree, with pristine copies of the files we edit.
if [ -d "$KSRC" ]; then
	stamp="dir:$(cd "$KSRC" && pwd):$(stat -c '%Y' "$KSRC/Makefile")"
elif [ -f "$KSRC" ]; then
	stamp="tar:$KSRC:$(stat -c '%s:%Y' "$KSRC")"
else
	die "KSRC=$KSRC is neither a kernel tree nor a source tarball; run 'make deps' or set KSRC"
fi
if [ ! -f "$KT/.ncoal-stamp" ] || [ "$(cat "$KT/.ncoal-stamp")" != "$stamp" ]; then
	note "extracting the kernel source from $KSRC into $KT (once; a minute or two)"
	rm -rf "$KT.tmp" "$OUT" "$K/inputs"
	mkdir -p "$KT.tmp"
	if [ -d "$KSRC" ]; then
		(cd "$KSRC" && git ls-files -z 2>/dev/null || find . -type f -print0) |
			(cd "$KSRC" && cpio -0pdm --quiet "$KT.tmp") ||
			die "cannot copy $KSRC"
	else
		tar xf "$KSRC" -C "$KT.tmp" --strip-components=1 ||
			die "cannot extract $KSRC"
	fi
	echo "$stamp" > "$KT.tmp/.ncoal-stamp"
	rm -rf "$KT"
	mv "$KT.tmp" "$KT"
fi
[ -f "$KT/tools/testing/kunit/kunit.py" ] || die "$KT has no tools/testing/kunit/kunit.py"
for f in "${EDITED[@]}"; do
	[ -f "$KT/$f.ncoal-orig" ] || cp "$KT/$f" "$KT/$f.ncoal-orig"
done

# 2. Our files and their Kconfig and Makefile lines, staged, then copied
# into the tree only where they differ (kbuild goes by the file times).
STAGE=$K/stage
rm -rf "$STAGE"
mkdir -p "$STAGE/lib" "$STAGE/include/linux"
for f in "${OURS[@]}"; do
	[ -f "$NCOAL_ROOT/$f" ] || die "$f: missing"
	cp "$NCOAL_ROOT/$f" "$STAGE/$f"
done
for f in "${EDITED[@]}"; do
	cp "$KT/$f.ncoal-orig" "$STAGE/$f"
done
awk '
	{ print }
	$0 == "config DIMLIB" { d = 1 }
	d && $0 == "" && !done {
		print "config NCOAL"
		print "\ttristate"
		print "\tselect DIMLIB"
		print ""
		done = 1
	}
	END { if (!done) exit 1 }
' "$KT/lib/Kconfig.ncoal-orig" > "$STAGE/lib/Kconfig" ||
	die "lib/Kconfig: no config DIMLIB to put NCOAL after"
awk '
	{ print }
	/^obj-\$\(CONFIG_DIMLIB\) \+= dim\/$/ {
		print "obj-$(CONFIG_NCOAL) += ncoal.o ncoal_dim.o"
		done = 1
	}
	END { if (!done) exit 1 }
' "$KT/lib/Makefile.ncoal-orig" > "$STAGE/lib/Makefile" ||
	die "lib/Makefile: no DIMLIB line to add NCOAL after"
wire "$STAGE"
cat > "$STAGE/.kunitconfig" <<'EOC'
CONFIG_KUNIT=y
CONFIG_NET=y
CONFIG_NCOAL_KUNIT_TEST=y
EOC
for f in "${OURS[@]}" "${EDITED[@]}" .kunitconfig; do
	cmp -s "$STAGE/$f" "$KT/$f" || cp "$STAGE/$f" "$KT/$f"
done

# 3. Build, unless nothing that goes into the kernel changed.
kunit() {
	(cd "$KT" && python3 tools/testing/kunit/kunit.py "$@")
}
inputs=$( { echo "$stamp"; cat "$0"; for f in "${OURS[@]}"; do cat "$KT/$f"; done; } |
	  sha256sum | cut -d' ' -f1)
if [ -f "$OUT/vmlinux" ] && [ "$(cat "$K/inputs" 2>/dev/null)" = "$inputs" ]; then
	note "UML kernel up to date ($OUT)"
else
	note "building the UML kernel in $OUT (-j$JOBS; cold: about 14 CPU minutes)"
	rm -f "$K/inputs"
	log=$K/build.log
	if ! kunit build --build_dir="$OUT" --kunitconfig="$KT/.kunitconfig" \
			--arch=um --jobs="$JOBS" --make_options=W=1 > "$log" 2>&1; then
		tail -n 60 "$log" >&2
		die "the UML kernel does not build (log: $log)"
	fi
	if grep -E '(^|/)(lib/ncoal[a-z_]*\.c|include/linux/ncoal[a-z_]*\.h):[0-9]+:[0-9]+: (warning|error)' "$log" >&2; then
		die "warnings in our files (W=1), see $log"
	fi
	echo "$inputs" > "$K/inputs"
fi

# 4. Run: the raw KTAP, then kunit.py's reading of it.
ktap=$K/ktap.txt
kunit exec --build_dir="$OUT" --arch=um --raw_output=kunit "$@" > "$ktap" || true
cat "$ktap"
rc=0
kunit parse "$ktap" > "$K/parsed.txt" || rc=$?
if [ $rc = 0 ]; then
	sed -n 's/^\[[0-9:]*\] //; /Testing complete/p' "$K/parsed.txt"
else
	sed 's/^\[[0-9:]*\] //' "$K/parsed.txt"
fi
exit $rc
