#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# series.sh: edit the QEMU relay patches as git commits.
#
#   tools/qemu/series.sh edit [DIR]    DIR (default $NCOAL_BUILD/qemu-dev):
#                                      a git repository of Debian's QEMU
#                                      source (as fetch-build.sh fetched
#                                      it), tag "base", our patches on top
#                                      as commits (git am). Commit there
#                                      with `git commit -s`.
#   tools/qemu/series.sh export [DIR]  write DIR's commits since "base" to
#                                      tools/qemu/patches/ and rewrite its
#                                      series file.
#
# Then tools/qemu/fetch-build.sh builds what was exported.

set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
NCOAL_ROOT=${NCOAL_ROOT:-$(cd "$HERE/../.." && pwd)}
NCOAL_BUILD=${NCOAL_BUILD:-$NCOAL_ROOT/build}
PATCHES=$HERE/patches

die() {
	echo "error: qemu series: $*" >&2
	exit 1
}

cmd=${1:-}
dir=${2:-$NCOAL_BUILD/qemu-dev}
# The repository in $dir only: never the project's around it.
GIT_CEILING_DIRECTORIES=$(dirname "$dir")
export GIT_CEILING_DIRECTORIES

case "$cmd" in
edit)
	[ -e "$dir" ] && die "$dir exists; remove it or export from it"
	src=$(ls -d "$NCOAL_BUILD"/qemu-src/qemu-*/ 2>/dev/null | head -n1)
	[ -n "$src" ] || die "no source in $NCOAL_BUILD/qemu-src; run tools/qemu/fetch-build.sh"
	cp -a "$src" "$dir"
	cd "$dir"
	git init -q
	git add -A
	git -c user.name=base -c user.email=base@localhost commit -q -m base
	git tag base
	while read -r p _; do
		case "$p" in ''|\#*) continue ;; esac
		git -c user.name="ncoal team" -c user.email=ncoal@example.org \
			am -q --keep-cr "$PATCHES/$p" || die "$p does not apply"
	done < "$PATCHES/series"
	echo "series: $dir has $(git rev-list --count base..HEAD) patches on base"
	;;
export)
	git -C "$dir" rev-parse -q --verify base > /dev/null ||
		die "$dir has no base tag"
	mkdir -p "$PATCHES"
	rm -f "$PATCHES"/[0-9][0-9][0-9][0-9]-*.patch
	git -C "$dir" format-patch -q --no-signature --zero-commit \
		--no-numbered -o "$PATCHES" base..HEAD
	(cd "$PATCHES" && ls [0-9][0-9][0-9][0-9]-*.patch 2> /dev/null) \
		> "$PATCHES/series"
	echo "series: exported $(wc -l < "$PATCHES/series") patches to $PATCHES"
	;;
*)
	sed -n '4,16p' "$0" | sed 's/^# \{0,1\}//'
	exit 2
	;;
esac
