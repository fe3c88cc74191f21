#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# kernel-tree.sh DIR: make DIR a git repository holding the whole kernel
# source that matches KDIR, as one commit tagged "base", and print that
# commit. KSRC names the source (a linux-source tarball or a kernel tree;
# default: Debian's /usr/src/linux-source-6.12.tar.xz), as for the build.
#
# The commit is reproducible: author, committer and dates are fixed and
# derived from the source, so the same tarball gives the same base-commit
# on every machine. The result is cached; it is made again only when the
# source changes (its path, size or time). Making it takes a few minutes.
#
# Used by scripts/mkpatches.sh (the series is committed on top of "base")
# and tools/testing/ship (git am onto a clean checkout of "base").

set -euo pipefail
. "$(dirname "$0")/lib.sh"

DEST=${1:?usage: kernel-tree.sh DIR}
KSRC=${KSRC:-/usr/src/linux-source-6.12.tar.xz}

if [ -d "$KSRC" ]; then
	stamp="dir:$(cd "$KSRC" && pwd):$(stat -c '%Y' "$KSRC/Makefile")"
elif [ -f "$KSRC" ]; then
	stamp="tar:$KSRC:$(stat -c '%s:%Y' "$KSRC")"
else
	die "KSRC=$KSRC is neither a kernel tree nor a source tarball; run 'make deps' or set KSRC"
fi

# The repository in DEST only, never the project's around it.
GIT_CEILING_DIRECTORIES=$(dirname "$DEST")
export GIT_CEILING_DIRECTORIES

if [ -d "$DEST/.git" ] &&
   [ "$(git -C "$DEST" config --get ncoal.stamp 2>/dev/null)" = "$stamp" ] &&
   base=$(git -C "$DEST" rev-parse -q --verify 'base^{commit}'); then
	echo "$base"
	exit 0
fi

tmp=$DEST.tmp
rm -rf "$tmp"
mkdir -p "$tmp"
note "importing the kernel source from $KSRC into $DEST (once; a few minutes)"
if [ -d "$KSRC" ]; then
	(cd "$KSRC" && git ls-files -z 2>/dev/null || find . -type f -print0) |
		(cd "$KSRC" && cpio -0pdm --quiet "$tmp") ||
		die "cannot copy $KSRC"
else
	tar xf "$KSRC" -C "$tmp" --strip-components=1 ||
		die "cannot extract $KSRC"
fi
version=$(ncoal_tree_version "$tmp") || die "$KSRC has no kernel Makefile"
debver=
if [ -f "$KSRC" ]; then
	debver=$(dpkg-query -S "$KSRC" 2>/dev/null | cut -d: -f1 |
		 xargs -r dpkg-query -W -f='${Package} ${Version}' 2>/dev/null || true)
fi
# The source's own date: its Makefile's time, as the tarball recorded it.
date="@$(stat -c '%Y' "$tmp/Makefile") +0000"

cd "$tmp"
git init -q
git config gc.auto 0
git config core.autocrlf false
git config ncoal.stamp "$stamp"
# -f: the tree's .gitignore files must not hide any file of the source.
git add -f -A .
GIT_AUTHOR_NAME="Linux $version" GIT_AUTHOR_EMAIL=linux@localhost \
GIT_COMMITTER_NAME="Linux $version" GIT_COMMITTER_EMAIL=linux@localhost \
GIT_AUTHOR_DATE=$date GIT_COMMITTER_DATE=$date \
	git commit -q --no-verify -m "Linux $version${debver:+ ($debver)}" \
	-m "The kernel source ${debver:+of $debver }as one commit: the base of the ncoal series."
git tag base
cd - > /dev/null
rm -rf "$DEST"
mv "$tmp" "$DEST"
git -C "$DEST" rev-parse 'base^{commit}'
