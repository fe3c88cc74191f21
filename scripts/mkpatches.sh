#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# mkpatches.sh [--only kernel|qemu]: the upstream submission, made from
# what this repository has (make patches):
#
#   $NCOAL_BUILD/patches/kernel/  git format-patch series for the kernel,
#                                 [PATCH net-next NN/MM], cover letter,
#                                 base-commit
#   $NCOAL_BUILD/patches/qemu/    the same for QEMU 7.2 (tools/qemu/patches)
#
# The kernel series is committed on a git tree of the whole kernel source
# (scripts/kernel-tree.sh, tag "base", cached under $NCOAL_BUILD/mkpatches):
#
#   - lib: include/linux/ncoal.h and lib/ncoal.c as a library module
#     (exports, Kconfig symbol NCOAL, a MAINTAINERS section);
#   - the uAPI of include/uapi/linux/{vhost_net,virtio_net}_coalesce.h,
#     merged into the headers upstream keeps it in (vhost.h, vhost_types.h,
#     virtio_net.h), with the ioctl-number.rst entry;
#   - patches/series, vhost_net patches first, then virtio_net; each new
#     file of ours is added by the first patch that uses it (or uses a
#     file that uses it), with its Makefile and Kconfig lines, and an
#     upstream file that starts including the engine's header selects
#     NCOAL, so every patch builds;
#   - Documentation/networking/*.rst and Documentation/ABI/ last.
#
# Nothing here is edited by hand: patches/, our files and the out-of-tree
# build stay what they are, and this output follows them. The build
# identity files (drivers/ncoal_ident.c) are not part of the series.
# Every patch is authored and signed off by whoever runs this (git config
# user.name, user.email), not the team address the repository's patches
# carry.

set -euo pipefail
. "$(dirname "$0")/lib.sh"

only=
while [ $# -gt 0 ]; do
	case "$1" in
	--only) only=${2:?--only kernel|qemu}; shift 2 ;;
	-h|--help) sed -n '3,33p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "usage: $0 [--only kernel|qemu]" >&2; exit 2 ;;
	esac
done

OUT=${NCOAL_PATCHES_OUT:-$NCOAL_BUILD/patches}
WORK=$NCOAL_BUILD/mkpatches
KT=$WORK/linux
QT=$WORK/qemu
PATCHES=$NCOAL_ROOT/patches
QPATCHES=$NCOAL_ROOT/tools/qemu/patches
MAX_PATCHES=15
PREFIX="PATCH net-next"

# The identity the repository's patches carry (tools/qemu/series.sh).
TEAM_NAME="ncoal team"
TEAM_EMAIL=ncoal@example.org

# Whoever makes the series is its author and signs it off: git config's
# user.name and user.email (the team's without them).
ME_NAME=$(git -C "$NCOAL_ROOT" config user.name || true)
ME_EMAIL=$(git -C "$NCOAL_ROOT" config user.email || true)
if [ -z "$ME_NAME" ] || [ -z "$ME_EMAIL" ]; then
	note "no git config user.name/user.email: the series is signed off by $TEAM_NAME <$TEAM_EMAIL>"
	ME_NAME=${ME_NAME:-$TEAM_NAME}
	ME_EMAIL=${ME_EMAIL:-$TEAM_EMAIL}
fi

# The uAPI headers of the out-of-tree build and where upstream keeps them.
VHOST_UAPI=include/uapi/linux/vhost_net_coalesce.h
VIRTIO_UAPI=include/uapi/linux/virtio_net_coalesce.h

mkdir -p "$WORK"
# One run at a time: the trees under $WORK are shared (make lint, the
# ship tests).
exec 9> "$WORK/lock"
flock 9
tmp=$(mktemp -d "$WORK/tmp.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# ---------------------------------------------------------------------------
# Text transformations shared by the kernel and the QEMU series.

# Our header names in text (code comments, docs, commit messages) become
# the upstream headers they are merged into.
fix_text() {
	sed -i -e 's|linux/vhost_net_coalesce\.h|linux/vhost.h|g' \
	       -e 's|linux/virtio_net_coalesce\.h|linux/virtio_net.h|g' "$@"
}

# The same in a commit message, where a path may be broken over two lines.
fix_message() {
	perl -0pi -e '
		s{include/uapi/linux/\s*vhost_net_coalesce\.h}{include/uapi/linux/vhost.h}g;
		s{include/uapi/linux/\s*virtio_net_coalesce\.h}{include/uapi/linux/virtio_net.h}g;
		s{linux/vhost_net_coalesce\.h}{linux/vhost.h}g;
		s{linux/virtio_net_coalesce\.h}{linux/virtio_net.h}g;
		# The uAPI patch defines the ioctls; the patch using them
		# implements them.
		s{^Add (VHOST_NET_\{SET,GET\}_VRING_COALESCE)}{Implement $1}m;
	' "$@"
	# Refill plain paragraphs that the substitutions left too long.
	perl -MText::Wrap -0pi -e '
		$Text::Wrap::columns = 73;
		$Text::Wrap::huge = "overflow";
		s{((?:^[^\s-][^\n]*\n)+)}{
			my $p = $1;
			($p =~ /^.{76,}$/m) ? wrap("", "", join(" ", split(/\s*\n/, $p))) . "\n" : $p
		}gme;
	' "$@"
}

# An #include of one of our uAPI headers: drop it where the file already
# includes the upstream header it was merged into, else include that one.
# $1: file; $2: include style ("linux" for <linux/x.h>, or a quoted
# directory prefix such as "linux-headers/linux" for QEMU).
fix_includes() {
	local f=$1 old new

	for old in vhost_net_coalesce virtio_net_coalesce; do
		case $old in
		vhost_net_coalesce) new=vhost ;;
		*) new=virtio_net ;;
		esac
		grep -qE "#include [<\"]([a-z-]+/)*linux/$old\.h[>\"]" "$f" || continue
		if grep -qE "#include [<\"]([a-z-]+/)*linux/$new\.h[>\"]" "$f"; then
			sed -i -E "/#include [<\"]([a-z-]+\/)*linux\/$old\.h[>\"]/d" "$f"
		else
			sed -i -E "s|(#include [<\"]([a-z-]+/)*linux/)$old\.h([>\"])|\1$new.h\3|" "$f"
		fi
	done
}

# Split one of our uAPI headers into blocks (separated by blank lines) and
# sort them by where upstream keeps such definitions:
#   $2/comment  the file's description (first comment-only block)
#   $2/feature  feature bits (VHOST_BACKEND_F_*, VIRTIO_NET_F_*)
#   $2/ioctl    ioctl numbers
#   $2/ctrl     virtio-net control commands
#   $2/types    everything else (structures, flags, constants)
# License, include guard, #includes and the VHOST_VIRTIO fallback go.
uapi_split() {
	local hdr=$1 dir=$2

	mkdir -p "$dir"
	: > "$dir/comment"; : > "$dir/feature"; : > "$dir/ioctl"
	: > "$dir/ctrl"; : > "$dir/types"
	awk -v dir="$dir" '
		function flush(   cls, i, only_comment, only_include) {
			if (n == 0)
				return
			only_comment = 1; only_include = 1
			for (i = 1; i <= n; i++) {
				if (b[i] !~ /^(\/\*| \*)/)
					only_comment = 0
				if (b[i] !~ /^#include /)
					only_include = 0
			}
			if (blk ~ /^#ifndef VHOST_VIRTIO/ || only_include)
				cls = ""
			else if (only_comment && !seen_comment) {
				cls = "comment"; seen_comment = 1
			} else if (blk ~ /_IO(W|R|WR)?\(/)
				cls = "ioctl"
			else if (blk ~ /#define (VHOST_BACKEND_F_|VIRTIO_NET_F_)/)
				cls = "feature"
			else if (blk ~ /#define VIRTIO_NET_CTRL_/)
				cls = "ctrl"
			else
				cls = "types"
			if (cls != "") {
				if (count[cls]++)
					print "" >> (dir "/" cls)
				for (i = 1; i <= n; i++)
					print b[i] >> (dir "/" cls)
			}
			n = 0; blk = ""
		}
		/^$/ { flush(); next }
		/SPDX-License-Identifier/ { next }
		/^#(ifndef|define) _UAPI_/ || /^#endif \/\* _UAPI_/ { next }
		{ b[++n] = $0; blk = blk $0 "\n" }
		END { flush() }
	' "$hdr"
	# The feature bit's comment points at the ioctls "below", which are
	# not below it in vhost_types.h.
	sed -i 's|the coalescing ioctls below are supported|the VHOST_NET_*_COALESCE* ioctls are supported|' \
		"$dir/feature"
}

# Insert file $3 into file $1 after the last line matching regex $2
# (mode "after"), or before the last line matching it ("before"), with a
# blank line between the block and its neighbours when $4 is "blank".
insert_block() {
	local f=$1 re=$2 block=$3 mode=$4 sep=${5:-} n

	[ -s "$block" ] || return 0
	n=$(grep -nE "$re" "$f" | tail -n1 | cut -d: -f1)
	[ -n "$n" ] || die "$f: no line matches /$re/ to insert $(basename "$block") at"
	awk -v n="$n" -v mode="$mode" -v sep="$sep" -v blk="$block" '
		function emit(   l) {
			if (sep == "blank" && mode == "after")
				print ""
			while ((getline l < blk) > 0)
				print l
			close(blk)
			if (sep == "blank" && mode == "before")
				print ""
		}
		NR == n && mode == "before" { emit() }
		{ print }
		NR == n && mode == "after" { emit() }
	' "$f" > "$f.new"
	mv "$f.new" "$f"
}

# Insert a feature block (comment + "#define PREFIXNAME <bit>") into the
# feature list of $1, in the order of the bits.
insert_feature() {
	local f=$1 prefix=$2 block=$3 bit n

	[ -s "$block" ] || return 0
	bit=$(sed -nE "s/^#define ${prefix}[A-Z0-9_]+[[:space:]]+([0-9x]+).*/\1/p" "$block" | head -n1)
	[ -n "$bit" ] || die "no ${prefix}* bit in $block"
	n=$(awk -v p="^#define $prefix" -v bit="$((bit))" '
		$0 ~ p && $3 ~ /^(0x)?[0-9a-fA-F]+$/ {
			v = ($3 ~ /^0x/) ? -1 : $3 + 0
			if (v > bit && !found) { found = NR }
			last = NR
		}
		END { print (found ? found ":before" : last ":after") }
	' "$f")
	case $n in
	:*) die "$f: no ${prefix}* feature list" ;;
	*:before)
		# Before the first larger bit, and before the comment lines
		# that belong to it.
		n=${n%:before}
		while [ "$n" -gt 1 ] && sed -n "$((n - 1))p" "$f" | grep -qE '^(/\*| \*)'; do
			n=$((n - 1))
		done
		sed -i "$((n - 1))r $block" "$f"
		;;
	*:after)
		sed -i "${n%:after}r $block" "$f"
		;;
	esac
}

# Kernel and standard-headers flavours of a uAPI block: QEMU's
# scripts/update-linux-headers.sh turns kernel types into stdint ones in
# include/standard-headers.
qemu_portable() {
	sed -e 's/__aligned_u64/__u64 __attribute__((aligned(8)))/g' \
	    -e 's/__u\([0-9][0-9]*\)/uint\1_t/g' \
	    -e 's/__s\([0-9][0-9]*\)/int\1_t/g' \
	    -e 's/__le\([0-9][0-9]*\)/uint\1_t/g' \
	    -e 's/__be\([0-9][0-9]*\)/uint\1_t/g' \
	    -e 's/__virtio\([0-9][0-9]*\)/uint\1_t/g' \
	    -e 's/<linux\/\([^>]*\)>/"standard-headers\/linux\/\1"/' \
	    -e 's/__bitwise//' "$1" > "$1.portable"
	mv "$1.portable" "$1"
}

# Merge our two uAPI headers into upstream's. $1: tree; $2: "kernel" or
# "qemu" (paths and flavour); $3: vhost or virtio.
merge_uapi() {
	local tree=$1 flavour=$2 which=$3 d types vhost virtio n

	d=$tmp/uapi-$which
	if [ "$flavour" = kernel ]; then
		types=$tree/include/uapi/linux/vhost_types.h
		vhost=$tree/include/uapi/linux/vhost.h
		virtio=$tree/include/uapi/linux/virtio_net.h
	else
		types=$tree/include/standard-headers/linux/vhost_types.h
		vhost=$tree/linux-headers/linux/vhost.h
		virtio=$tree/include/standard-headers/linux/virtio_net.h
	fi
	rm -rf "$d"
	if [ "$which" = vhost ]; then
		uapi_split "$NCOAL_ROOT/$VHOST_UAPI" "$d"
		[ -s "$d/ctrl" ] && die "$VHOST_UAPI: virtio control command in the vhost header?"
		if [ "$flavour" = qemu ]; then
			qemu_portable "$d/feature"
			qemu_portable "$d/types"
		fi
		insert_block "$types" '^#define VHOST_BACKEND_F_' "$d/feature" after
		insert_block "$types" '^#endif' "$d/types" before blank
		{ cat "$d/comment"; [ -s "$d/comment" ] && echo; cat "$d/ioctl"; } > "$d/vhost.h"
		insert_block "$vhost" '^#define VHOST_NET_SET_BACKEND' "$d/vhost.h" after blank
	else
		uapi_split "$NCOAL_ROOT/$VIRTIO_UAPI" "$d"
		[ -s "$d/ioctl" ] && die "$VIRTIO_UAPI: ioctls in the virtio header?"
		for f in feature ctrl types; do
			[ "$flavour" = qemu ] && qemu_portable "$d/$f"
		done
		insert_feature "$virtio" VIRTIO_NET_F_ "$d/feature"
		{ cat "$d/ctrl"; [ -s "$d/types" ] && echo && cat "$d/types"; } > "$d/ctrl+types"
		# After the NOTF_COAL definitions: the last of their structures.
		n=$(awk '/^struct +virtio_net_ctrl_coal_vq \{/ { s = 1 }
			 s && /^};/ { print NR; exit }' "$virtio")
		[ -n "$n" ] || die "$virtio: no struct virtio_net_ctrl_coal_vq to put the sync command after"
		sed -i "${n}{p;s/.*//}" "$virtio"
		sed -i "$((n + 1))r $d/ctrl+types" "$virtio"
	fi
}

# A repository patch's message (subject, blank line, body) into $2, and
# its date on stdout.
patch_message() {
	local p=$1 msg=$2 info

	info=$(git mailinfo "$tmp/body" /dev/null < "$p")
	{
		echo "$info" | sed -n 's/^Subject: //p'
		echo
		cat "$tmp/body"
	} > "$msg"
	echo "$info" | sed -n 's/^Date: //p'
}

# Date of the newest project commit touching any of the given paths (the
# project's HEAD if none is committed yet): generated commits get stable
# dates, so the same repository gives the same series.
project_date() {
	local d

	d=$(git -C "$NCOAL_ROOT" log -1 --format=%aD -- "$@" 2>/dev/null || true)
	[ -n "$d" ] || d=$(git -C "$NCOAL_ROOT" log -1 --format=%aD)
	echo "$d"
}

# Commit everything in tree $1 with message file $2, dated $3, as ME: the
# author, and the sign-off in place of the team's (other trailers stay).
commit_step() {
	local tree=$1 msg=$2 date=$3 me="$ME_NAME <$ME_EMAIL>"

	TEAM="$TEAM_NAME <$TEAM_EMAIL>" ME=$me perl -ni -e '
		if (/^Signed-off-by: (.*)$/) {
			my $who = $1 eq $ENV{TEAM} ? $ENV{ME} : $1;
			next if $seen{$who}++;
			$_ = "Signed-off-by: $who\n";
		}
		print;
	' "$msg"
	git interpret-trailers --in-place --where end --if-exists addIfDifferent \
		--trailer "Signed-off-by: $me" "$msg"
	git -C "$tree" add -f -A .
	GIT_AUTHOR_NAME=$ME_NAME GIT_AUTHOR_EMAIL=$ME_EMAIL GIT_AUTHOR_DATE=$date \
	GIT_COMMITTER_NAME=$ME_NAME GIT_COMMITTER_EMAIL=$ME_EMAIL \
	GIT_COMMITTER_DATE=$date \
		git -C "$tree" commit -q --no-verify --cleanup=whitespace -F "$msg"
}

# Apply a repository patch to tree $1; $2: the patch.
apply_patch() {
	local tree=$1 p=$2 out

	out=$(cd "$tree" && git apply --whitespace=nowarn "$p" 2>&1) ||
		die "$(basename "$p") does not apply in the series tree: $out"
}

# ---------------------------------------------------------------------------
# Benchmark numbers for the cover letters, from the generated report
# (Documentation/benchmarks/results.rst) and the README's defaults.

RESULTS=$NCOAL_ROOT/Documentation/benchmarks/results.rst

# The run's metadata lines we quote.
results_meta() {
	sed -nE 's/^:(revision|our vhost_net|our virtio_net|kernels|started|command): */\1: /p' "$RESULTS" |
		fold -s -w 70 | sed 's/ *$//; s/^/  /'
}

# One list-table of results.rst (title matching $1) as a plain text table
# of medians; "median [min, max]" cells keep their median.
results_table() {
	LC_ALL=C awk -v want="$1" '
		/^\.\. list-table:: / {
			intable = 0
			if (!got && index($0, want) > 0) {
				intable = 1; got = 1
				title = $0; sub(/^\.\. list-table:: /, "", title)
			}
			next
		}
		intable && /^   \* - / {
			rows++; cols = 1
			cell[rows, 1] = substr($0, 8)
			next
		}
		intable && /^     - / {
			v = substr($0, 8); sub(/ \[.*/, "", v); sub(/ pps$/, "", v)
			cell[rows, ++cols] = v
			if (cols > ncol) ncol = cols
			next
		}
		intable && /^[^ ]/ && rows { intable = 0 }
		END {
			if (!rows)
				exit 1
			for (c = 1; c <= ncol; c++) {
				w[c] = 0
				for (r = 1; r <= rows; r++)
					if (length(cell[r, c]) > w[c]) w[c] = length(cell[r, c])
			}
			print title > "/dev/stderr"
			for (r = 1; r <= rows; r++) {
				line = sprintf("  %-" w[1] "s", cell[r, 1])
				for (c = 2; c <= ncol; c++)
					line = line sprintf("  %" w[c] "s", cell[r, c])
				print line
			}
		}
	' "$RESULTS" 2> "$tmp/title" > "$tmp/table" || return 1
	fold -s -w 72 "$tmp/title" | sed 's/ *$//'
	echo
	cat "$tmp/table"
}

# The settings the tables compare (the report's "Settings" list).
results_legend() {
	awk '
		/^Settings$/ { t = 1; next }
		t && /^[A-Z]/ && !/^-/ { exit }
		t && /^- ``/ { sub(/^- /, ""); gsub(/``/, ""); print }
	' "$RESULTS" | while IFS= read -r line; do
		fold -s -w 68 <<< "$line" | sed 's/ *$//; 1s/^/  /; 2,$s/^/    /'
	done
}

benchmarks() {
	local t

	if [ ! -f "$RESULTS" ]; then
		echo "No benchmark report in this tree (Documentation/benchmarks/results.rst)."
		return
	fi
	cat <<EOT
The numbers are from Documentation/benchmarks/results.rst of the project
tree this series is made from (generated by its benchmark harness), run
in an EMULATED rig: QEMU TCG, about 100x slower than hardware, on a
shared 2-CPU machine. Rates are scaled down accordingly and the rate
gate is set to 1,000 pps instead of the shipped 10,000; compare ratios
to stock measured in the same boot, not absolute values. No hardware
numbers yet.

$(results_meta)

Two levels: our vhost_net in the test host, a nested guest with our
virtio_net under the relay QEMU (vhost=on); floods, UDP request/response
(sockperf), web and memcached. Each cell is the median of paired ratios
(repetition r of a setting over repetition r of its base, in the same
boot); the base's column gives its absolute value and its noise floor
(the largest distance of a repetition from its median). A mark says
where a median lies outside the floor: + better, - worse, = no measured
difference. Ranges and per-run rows are in the report's data.

EOT
	results_legend
	echo
	for t in 'paired ratio to ours-off' 'paired ratio to stock'; do
		results_table "$t" || echo "(table \"$t\" not found in results.rst)"
		echo
	done
	if grep -q PLACEHOLDER "$RESULTS"; then
		cat <<EOT
Guest scenarios (virtio_net kick coalescing, the sync command, floods,
request/response latency) are not in the report yet: it marks that
section as a placeholder.

EOT
	fi
}

# The host defaults, from the README's table of module parameters.
defaults_table() {
	awk -F'|' '/^\| `[a-z_]+` \| [0-9]+ \|/ {
		p = $2; gsub(/[ `]/, "", p); v = $3; gsub(/ /, "", v)
		printf "  %-26s %6s\n", p, v
	}' "$NCOAL_ROOT/README.md"
}

# ---------------------------------------------------------------------------
# The kernel series.

# Our files that go upstream as new files, in the project (working tree,
# tracked or not ignored). The build identity is packaging only.
our_files() {
	git -C "$NCOAL_ROOT" ls-files -co --exclude-standard -- \
		'include/linux/*.h' 'lib/*.c' 'drivers/*.c' 'drivers/*.h' |
		grep -v 'ncoal_ident' | sort -u
}

our_docs() {
	git -C "$NCOAL_ROOT" ls-files -co --exclude-standard -- \
		'Documentation/networking/*.rst' 'Documentation/ABI/*' | sort -u
}

# Global functions a .c file defines (kernel style: name at the start of
# a line, or after the return type, with the opening parenthesis).
defined_symbols() {
	awk '
		/^[A-Za-z_][A-Za-z0-9_ *]*\(/ && !/^(static|typedef)/ {
			cand = $0
			sub(/\(.*/, "", cand); sub(/.*[ *]/, "", cand)
			pending = !/;[ \t]*$/
			next
		}
		pending && $0 == "{" { print cand; pending = 0 }
		pending && /;[ \t]*$/ { pending = 0 }
	' "$1" | sort -u
}

# Whether text file $1 refers to our file $2: includes it (header) or
# calls one of its functions (.c).
refers_to() {
	local text=$1 f=$2 b

	b=$(basename "$f")
	case $f in
	include/linux/*.h)
		grep -qE "#include <linux/$b>" "$text" ;;
	*.h)
		grep -qE "#include \"$b\"" "$text" ;;
	*.c)
		[ -s "$tmp/syms/$b" ] && grep -qwF -f "$tmp/syms/$b" "$text" ;;
	*)
		return 1 ;;
	esac
}

# Module, Makefile and Kconfig symbol of one of our .c files, from the
# out-of-tree Kbuild (which names every object of each module): prints
# "module makefile symbol".
module_of() {
	local f=$1 o m mk sym

	o=${f%.c}.o
	m=$(awk -v o="$o" '
		/^[a-z_]+-y[ \t]*[:+]?=/ || cont {
			if (!cont) { name = $1; sub(/-y$/, "", name) }
			for (i = 1; i <= NF; i++) if ($i == o) { print name; exit }
			cont = ($NF == "\\")
		}' "$NCOAL_ROOT/Kbuild")
	[ -n "$m" ] || die "$f: no module in Kbuild links $o"
	mk=$(dirname "$f")/Makefile
	sym=$(sed -nE "s/^obj-\\\$\\(CONFIG_([A-Z0-9_]+)\\)[[:space:]]*\\+=[[:space:]]*$m\\.o.*/\\1/p" "$KT/$mk")
	[ -n "$sym" ] || die "$mk: no obj-\$(CONFIG_...) += $m.o"
	echo "$m $mk $sym"
}

# An upstream .c file $1 of a patch that includes the engine's header:
# its module's Kconfig symbol selects NCOAL (our new files get theirs in
# add_files).
engine_user() {
	local f=$1 mms sym

	case $f in *.c) ;; *) return 0 ;; esac
	grep -q '<linux/ncoal.h>' "$KT/$f" || return 0
	mms=$(module_of "$f")
	read -r _ _ sym <<< "$mms"
	kconfig_select "$KT/$(dirname "$f")/Kconfig" "$sym" NCOAL
}

# Add "select SYM" to "config CFG" in Kconfig file $1 (after its last
# select, else after its type), once.
kconfig_select() {
	local f=$1 cfg=$2 sym=$3

	awk -v cfg="$cfg" -v sym="$sym" '
		{ line[NR] = $0 }
		$0 == "config " cfg { inblk = 1; start = NR; next }
		inblk && /^[^ \t]/ { inblk = 0 }
		inblk && /^\t(help|---help---)/ { inblk = 0 }
		inblk && /^\t(tristate|bool)/ && !sel { at = NR }
		inblk && /^\tdepends on/ && !sel { at = NR }
		inblk && /^\tselect / { at = NR; sel = 1; if ($2 == sym) have = 1 }
		END {
			if (!start) { print "no config " cfg > "/dev/stderr"; exit 1 }
			for (i = 1; i <= NR; i++) {
				print line[i]
				if (i == at && !have) print "\tselect " sym
			}
		}
	' "$f" > "$f.new" || die "$f: cannot add select $sym to $cfg"
	mv "$f.new" "$f"
}

# Link object $3 into module $2 in Makefile $1 (after its object list).
makefile_obj() {
	local f=$1 m=$2 o=$3 src=$4 cflags=

	# A trace header next to the source needs its directory on the path.
	if grep -q '^#define CREATE_TRACE_POINTS' "$src"; then
		cflags="CFLAGS_$o := -I\$(src)"
	fi
	grep -qE "^$m-y[[:space:]]*:?=" "$f" || die "$f: no $m-y object list"
	awk -v m="$m" -v o="$o" -v cflags="$cflags" '
		{ line[NR] = $0 }
		$0 ~ "^" m "-y[ \t]*[:+]?=" { last = NR; if ($NF == o) have = 1 }
		END {
			for (i = 1; i <= NR; i++) {
				print line[i]
				if (i != last)
					continue
				if (!have) print m "-y += " o
				if (cflags != "") print cflags
			}
		}' "$f" > "$f.new"
	mv "$f.new" "$f"
}

MAINT_TITLE="NOTIFICATION COALESCING (NCOAL)"

# Create our MAINTAINERS section, in alphabetical order of titles.
maint_section() {
	local f=$KT/MAINTAINERS

	{
		echo "$MAINT_TITLE"
		printf 'M:\t%s <%s>\n' "$ME_NAME" "$ME_EMAIL"
		printf 'L:\tnetdev@vger.kernel.org\n'
		printf 'L:\tvirtualization@lists.linux.dev\n'
		printf 'S:\tMaintained\n'
		echo
	} > "$tmp/section"
	LC_ALL=C awk -v title="$MAINT_TITLE" -v sect="$tmp/section" '
		{ line[NR] = $0 }
		END {
			for (i = 2; i < NR; i++)
				if (line[i - 1] == "" && line[i] !~ /^[A-Z]:\t/ &&
				    line[i + 1] ~ /^[A-Z]:\t/ && started++ &&
				    toupper(line[i]) > toupper(title) && !at)
					at = i
			if (!at) exit 1
			for (i = 1; i <= NR; i++) {
				if (i == at)
					while ((getline l < sect) > 0) print l
				print line[i]
			}
		}' "$f" > "$f.new" || die "MAINTAINERS: no place for our section"
	mv "$f.new" "$f"
}

# Add F: entries for files to our section, keeping them sorted.
maint_files() {
	local f=$KT/MAINTAINERS

	[ $# -gt 0 ] || return 0
	printf 'F:\t%s\n' "$@" > "$tmp/newf"
	awk -v title="$MAINT_TITLE" -v newf="$tmp/newf" '
		$0 == title { insec = 1 }
		insec && /^F:\t/ { fl[++nf] = $0; next }
		insec && /^$/ {
			while ((getline l < newf) > 0) fl[++nf] = l
			cmd = "LC_ALL=C sort -u"
			for (i = 1; i <= nf; i++) print fl[i] | cmd
			close(cmd)
			insec = 0
		}
		{ print }
	' "$f" > "$f.new"
	mv "$f.new" "$f"
}

# Add toctree entries to Documentation/networking/index.rst, each after the
# last entry that sorts before it.
doc_index() {
	local f=$KT/Documentation/networking/index.rst name

	for name in "$@"; do
		grep -qx "   $name" "$f" && continue
		LC_ALL=C awk -v name="$name" '
			{ line[NR] = $0 }
			/^\.\. toctree::/ { toc++ }
			toc == 1 && /^   [a-z0-9]/ { e = $1; if (e < name) at = NR }
			END {
				if (!at) exit 1
				for (i = 1; i <= NR; i++) {
					print line[i]
					if (i == at) print "   " name
				}
			}' "$f" > "$f.new" || die "$f: no toctree"
		mv "$f.new" "$f"
	done
}

# lib/Kconfig: the engine's symbol, after DIMLIB's (a library of the same
# kind), selected by its users.
lib_kconfig() {
	local f=$KT/lib/Kconfig

	grep -qx 'config DIMLIB' "$f" || die "$f: no config DIMLIB to put NCOAL after"
	awk '
		$0 == "config DIMLIB" { d = 1 }
		{ print }
		d && $0 == "" && !done {
			print "config NCOAL"
			print "\ttristate"
			print "\tselect DIMLIB"
			print "\thelp"
			print "\t  Notification coalescing engine: holds the notifications of a"
			print "\t  driver (interrupts, eventfd signals, doorbells) for a bounded"
			print "\t  time while the packet rate is high, for as long as the"
			print "\t  adaptive moderation of the kernel (net_dim) finds it pays. Used"
			print "\t  by vhost_net and virtio_net."
			print ""
			done = 1
		}
	' "$f" > "$f.new"
	mv "$f.new" "$f"
}

# The new-file additions of one step: copy, transform, wire into the build.
add_files() {
	local f dest m mk sym b mms

	for f in "$@"; do
		dest=$KT/$f
		mkdir -p "$(dirname "$dest")"
		cp "$NCOAL_ROOT/$f" "$dest"
		fix_text "$dest"
		fix_includes "$dest"
		case $f in
		lib/*_kunit.c) ;;
		lib/*.c)
			lib_module "$dest" ;;
		drivers/*.c)
			mms=$(module_of "$f")
			read -r m mk sym <<< "$mms"
			makefile_obj "$KT/$mk" "$m" "$(basename "${f%.c}").o" "$dest"
			if grep -q '<linux/ncoal.h>' "$dest"; then
				kconfig_select "$KT/$(dirname "$f")/Kconfig" "$sym" NCOAL
			fi
			;;
		esac
	done
	maint_files "$@"
	for f in "$@"; do
		b=$(basename "$f")
		case $f in
		Documentation/networking/*.rst) doc_index "${b%.rst}" ;;
		esac
	done
}

# lib/ncoal.c upstream is a library module: export what the header
# declares, module information, and a description that fits the tree.
lib_module() {
	local f=$1 syms what desc

	syms=$(defined_symbols "$f")
	[ -n "$syms" ] || die "$f: no functions to export"
	case $(basename "$f") in
	ncoal_dim.c)
		what="ncoal_dim: how long an ncoal engine holds, see include/linux/ncoal_dim.h."
		desc="Adaptive notification coalescing policy" ;;
	*)	what="ncoal: notification coalescing engine, see include/linux/ncoal.h."
		desc="Notification coalescing engine" ;;
	esac
	awk -v syms=" $(echo "$syms" | tr '\n' ' ') " -v what="$what" -v desc="$desc" '
		NR == 1 { print; next }
		# Replace the file description (our build notes) with the
		# upstream one.
		NR == 2 && /^\/\*/ { incomment = 1 }
		incomment {
			if (/\*\//) {
				incomment = 0
				print "/*"
				print " * " what
				print " *"
				print " * Knows nothing of its users (vhost_net, virtio_net): they own the"
				print " * timer and the locking."
				print " */"
			}
			next
		}
		/^#include <linux\// && !inc {
			inc = 1
			print "#include <linux/export.h>"
		}
		/^#include <linux\/ncoal\.h>/ { print "#include <linux/module.h>" }
		/^[A-Za-z_].*\(/ && !/^static/ && !/;[ \t]*$/ {
			name = $0
			sub(/\(.*/, "", name); sub(/.*[ *]/, "", name)
			if (index(syms, " " name " ")) fn = name
		}
		{ print }
		/^}/ && fn != "" { print "EXPORT_SYMBOL_GPL(" fn ");"; fn = "" }
		END {
			print ""
			print "MODULE_DESCRIPTION(\"" desc "\");"
			print "MODULE_LICENSE(\"GPL\");"
		}
	' "$f" > "$f.new"
	mv "$f.new" "$f"
	# Keep the includes sorted.
	awk '/^#include </ { inc[++n] = $0; next }
	     n && !done { cmd = "LC_ALL=C sort -u"; for (i = 1; i <= n; i++) print inc[i] | cmd
			  close(cmd); done = 1 }
	     { print }' "$f" > "$f.new"
	mv "$f.new" "$f"
}

# Which upstream file a repository patch changes: vhost or virtio.
patch_group() {
	local files

	files=$(sed -nE 's|^diff --git a/([^ ]+) b/.*|\1|p' "$1" | sort -u)
	case $files in
	drivers/vhost/*) echo vhost ;;
	drivers/net/virtio_net.c) echo virtio ;;
	*) die "$(basename "$1") changes $files: neither vhost_net nor virtio_net alone" ;;
	esac
}

msg_lib() {
	cat <<'EOT'
lib: add ncoal, a notification coalescing engine

A driver that notifies its peer each time it completes buffers (an
injected interrupt, an eventfd signal, a doorbell write that exits to
the hypervisor) pays that notification per packet at high small-packet
rates, where it costs more than the packet. vhost_net's guest signals
and virtio_net's TX kicks are two such notifications, on the two sides
of the same virtqueue, and want the same policy: hold a due
notification until max_frames frames are pending or usecs have passed
since the first held one, whichever comes first, but only while the
packet rate, sampled every rate_interval_ms, is at or above a threshold
(with hysteresis), so that low-rate, latency-sensitive traffic keeps
today's behaviour.

Add that policy as a small library in the shape of lib/dim: a pure
state machine with no timer, lock or allocation of its own. The caller
passes the time, serialises the calls, owns the timer it is told to
arm and reports the timer's expiry back; the engine returns what to do
(send now, arm, hold) and keeps counters whose invariants the callers
can expose (sent <= due, every held frame is sent by the timer, a flush
or a reconfiguration). Knowing nothing of its users, it is unit tested
with KUnit on a fake clock (lib/ncoal_kunit.c).

The users select NCOAL in the following patches.
EOT
}

msg_vhost_uapi() {
	cat <<'EOT'
vhost_net: add the notification coalescing uAPI

The following patches let vhost_net hold guest notifications per ring,
and a VMM needs to configure that per ring: it relays what the guest
asks for through the virtio-net control queue (NOTF_COAL) and the host
administrator's defaults apply otherwise.

Define three vhost-net ioctls, next to VHOST_NET_SET_BACKEND (0x30):
VHOST_NET_SET_VRING_COALESCE (0x31), VHOST_NET_GET_VRING_COALESCE (0x32)
and VHOST_NET_GET_VRING_COALESCE_STATS (0x33), their structures, and
the backend feature bit VHOST_BACKEND_F_NET_COALESCE by which a VMM
discovers them with VHOST_GET_BACKEND_FEATURES instead of probing. The
structures carry reserved fields so that they can grow without new
ioctl numbers.

They go into the existing vhost.h and vhost_types.h, where VMMs already
import vhost definitions from and where the other device-specific
ioctls live, rather than into a header of their own.

The vhost ioctl range, 0xAF, has never been listed in ioctl-number.rst,
and it overlaps the Freescale hypervisor's 0xAF 00-1F; list it, with
the new numbers, and mark both as conflicting.
EOT
}

msg_virtio_uapi() {
	cat <<'EOT'
virtio_net: add the notification coalescing sync definitions

The TX kick coalescing that follows delays the driver's kicks, while
the device's NOTF_COAL parameters delay its RX notifications: the two
delays add up on a round trip, and neither side knows the other's.
Define the proposed VIRTIO_NET_F_NOTF_COAL_SYNC feature (bit 58, the
lowest unassigned one above the NOTF_COAL bits) and the command
VIRTIO_NET_CTRL_NOTF_COAL_SYNC (command 4 of class
VIRTIO_NET_CTRL_NOTF_COAL): the driver proposes one latency budget and
its split, the device answers what it applied after its own limits,
and the driver fits its kick delay into the rest.

This is a proposal to the virtio specification; the device side is a
QEMU relay to vhost-net (sent separately), and the spec text is in the
documentation patch of this series.
EOT
}

msg_docs() {
	cat <<'EOT'
docs: networking: notification coalescing in vhost_net and virtio_net

Operators need to know what the coalescer does, when it helps and when
it hurts (request/response traffic, TCP small queues), every knob with
its default and range, how to read the counters and how to switch it
all off; VMM authors need the ioctls and the synchronisation command
described.

Add the vhost_net guide (module parameters, ioctls, debugfs), the
virtio_net guide (sysfs, ethtool -C and -S), the description of
VIRTIO_NET_F_NOTF_COAL_SYNC as proposed to the virtio specification,
and the ABI entries of vhost_net's module parameters and of the
virtio_coalesce sysfs files.
EOT
}

make_kernel() {
	local base version p g n i f step date msg libobj
	local -a series vhost_p virtio_p steps lib_files cands docs
	local -A placed

	base=$("$NCOAL_ROOT/scripts/kernel-tree.sh" "$KT")
	version=$(git -C "$KT" log -1 --format=%s base)
	export GIT_CEILING_DIRECTORIES=$WORK
	note "kernel series on $version (base-commit $base)"

	# The repository's series, grouped by the upstream file it changes.
	while read -r p _; do
		case "$p" in ''|\#*) continue ;; esac
		[ -f "$PATCHES/$p" ] || die "patches/series lists $p, which does not exist"
		series+=("$p")
		g=$(patch_group "$PATCHES/$p")
		if [ "$g" = vhost ]; then vhost_p+=("$p"); else virtio_p+=("$p"); fi
	done < "$PATCHES/series"

	steps=(lib)
	if [ ${#vhost_p[@]} -gt 0 ]; then
		steps+=(vhost-uapi)
		for p in "${vhost_p[@]}"; do steps+=("patch:$p"); done
	fi
	if [ ${#virtio_p[@]} -gt 0 ]; then
		steps+=(virtio-uapi)
		for p in "${virtio_p[@]}"; do steps+=("patch:$p"); done
	fi
	steps+=(docs)

	# Plan: each of our files goes into the first step that uses it or
	# uses a file that uses it.
	mkdir -p "$tmp/syms"
	mapfile -t cands < <(our_files)
	for f in "${cands[@]}"; do
		case $f in *.c) defined_symbols "$NCOAL_ROOT/$f" > "$tmp/syms/$(basename "$f")" ;; esac
	done
	for f in "${cands[@]}"; do
		case $f in
		include/linux/*|lib/*) placed[$f]=lib; lib_files+=("$f") ;;
		esac
	done
	for step in "${steps[@]}"; do
		case $step in patch:*) ;; *) continue ;; esac
		grep '^+' "$PATCHES/${step#patch:}" | grep -v '^+++' > "$tmp/text" || true
		while :; do
			n=0
			for f in "${cands[@]}"; do
				[ -z "${placed[$f]:-}" ] || continue
				refers_to "$tmp/text" "$f" || continue
				placed[$f]=$step
				# A .c file's calls count; a header's
				# prototypes do not, only what it includes.
				case $f in
				*.c) cat "$NCOAL_ROOT/$f" >> "$tmp/text" ;;
				*) grep '^#include' "$NCOAL_ROOT/$f" >> "$tmp/text" || true ;;
				esac
				n=1
			done
			[ $n = 1 ] || break
		done
	done
	for f in "${cands[@]}"; do
		[ -n "${placed[$f]:-}" ] ||
			die "$f: no patch of patches/series uses it (nor any file that a patch uses)"
	done
	mapfile -t docs < <(our_docs)

	n=$(( ${#steps[@]} ))
	[ "$n" -le $MAX_PATCHES ] ||
		die "the series would have $n patches; netdev takes at most $MAX_PATCHES"

	# Execute: a fresh branch on base, one commit per step (after any
	# git am the ship tests left unfinished).
	git -C "$KT" am --abort > /dev/null 2>&1 || true
	git -C "$KT" checkout -q -f --detach base
	git -C "$KT" clean -q -fdx
	git -C "$KT" checkout -q -B series
	i=0
	for step in "${steps[@]}"; do
		i=$((i + 1))
		msg=$tmp/msg
		local -a added=()
		for f in "${cands[@]}"; do
			[ "${placed[$f]}" = "$step" ] && added+=("$f")
		done
		case $step in
		lib)
			msg_lib > "$msg"
			date=$(project_date "${lib_files[@]}")
			maint_section
			add_files "${added[@]}"
			lib_kconfig
			# one object a line, after DIMLIB's (ncoal_dim.o last)
			for libobj in ncoal_dim ncoal; do
				[ -f "$NCOAL_ROOT/lib/$libobj.c" ] || continue
				sed -i "/^obj-\\\$(CONFIG_DIMLIB) += dim\\//a obj-\$(CONFIG_NCOAL) += $libobj.o" "$KT/lib/Makefile"
			done
			grep -q 'CONFIG_NCOAL' "$KT/lib/Makefile" || die "lib/Makefile: no DIMLIB line to add NCOAL after"
			if [ -f "$NCOAL_ROOT/lib/ncoal_kunit.c" ]; then
				"$NCOAL_ROOT/scripts/kunit.sh" --wire "$KT"
			fi
			;;
		vhost-uapi)
			msg_vhost_uapi > "$msg"
			date=$(project_date "$VHOST_UAPI")
			merge_uapi "$KT" kernel vhost
			ioctl_numbers
			;;
		virtio-uapi)
			msg_virtio_uapi > "$msg"
			date=$(project_date "$VIRTIO_UAPI")
			merge_uapi "$KT" kernel virtio
			;;
		patch:*)
			p=${step#patch:}
			date=$(patch_message "$PATCHES/$p" "$msg")
			apply_patch "$KT" "$PATCHES/$p"
			for f in $(git -C "$KT" diff --name-only); do
				fix_includes "$KT/$f"
				engine_user "$f"
			done
			[ ${#added[@]} -eq 0 ] || add_files "${added[@]}"
			fix_message "$msg"
			dependency_note "$PATCHES/$p" "$msg" "${added[@]}"
			;;
		docs)
			msg_docs > "$msg"
			date=$(project_date "${docs[@]}")
			add_files "${docs[@]}"
			;;
		esac
		commit_step "$KT" "$msg" "$date"
	done

	rm -rf "$OUT/kernel"
	mkdir -p "$OUT/kernel"
	GIT_COMMITTER_NAME=$ME_NAME GIT_COMMITTER_EMAIL=$ME_EMAIL \
	GIT_COMMITTER_DATE=$(git -C "$KT" log -1 --format=%aD series) \
		git -C "$KT" format-patch -q -M --cover-letter --base=base \
		--no-signature --subject-prefix="$PREFIX" -o "$OUT/kernel" base..series
	kernel_cover "$OUT/kernel/0000-cover-letter.patch" "$version"
	echo "kernel: $(find "$OUT/kernel" -name '0*.patch' ! -name '0000-*' | wc -l) patches in $OUT/kernel (base-commit $base)"
}

# Files added with a patch because a file it uses needs them, not because
# the patch itself does: say so in its message.
dependency_note() {
	local p=$1 msg=$2 f g by note
	local -a notes=()

	shift 2
	grep '^+' "$p" | grep -v '^+++' > "$tmp/own" || true
	for f in "$@"; do
		case $f in *.c) ;; *) continue ;; esac
		refers_to "$tmp/own" "$f" && continue
		by=
		for g in "$@"; do
			case $g in *.c) ;; *) continue ;; esac
			[ "$g" != "$f" ] && refers_to "$NCOAL_ROOT/$g" "$f" &&
				by="$by${by:+, }$(basename "$g")"
		done
		notes+=("$(basename "$f") comes with this patch because ${by:-the code it adds} calls into it.")
	done
	# Functions of the files added here that only later patches call.
	for f in "$@"; do
		case $f in *.c) ;; *) continue ;; esac
		local later=() sym
		while read -r sym; do
			[ -n "$sym" ] || continue
			grep -qw -- "$sym" "$tmp/own" && continue
			# Called in its own file (beyond its definition and
			# its kernel-doc)?
			[ "$(grep -w -- "$sym" "$NCOAL_ROOT/$f" | grep -cvE '^[[:space:]]*(\*|/\*)')" -gt 1 ] && continue
			for g in "$@"; do
				case $g in *.c) [ "$g" != "$f" ] || continue ;; *) continue ;; esac
				grep -qw -- "$sym" "$NCOAL_ROOT/$g" && continue 2
			done
			later+=("$sym()")
		done < "$tmp/syms/$(basename "$f")"
		[ ${#later[@]} -gt 0 ] || continue
		notes+=("$(basename "$f") also has what later patches of the series wire up: $(printf '%s, ' "${later[@]}" | sed 's/, $//').")
	done
	[ ${#notes[@]} -gt 0 ] || return 0
	note=$(for f in "${notes[@]}"; do
		echo "$f" | fold -s -w 72 | sed 's/ *$//'
		echo
	done)
	# Before the trailers.
	NOTE=$note perl -0pi -e 's/\n\n(Signed-off-by:)/\n\n$ENV{NOTE}\n\n$1/' "$msg"
}

# vhost's ioctl range in ioctl-number.rst (it was never listed).
ioctl_numbers() {
	local f=$KT/Documentation/userspace-api/ioctl/ioctl-number.rst line fsl hi ours

	fsl=$(grep -nE '^0xAF  00-1F  linux/fsl_hypervisor.h' "$f" | cut -d: -f1)
	[ -n "$fsl" ] || die "$f: no 0xAF line (Freescale hypervisor) to put vhost next to"
	grep -q 'linux/vhost.h' "$f" && die "$f: lists linux/vhost.h already; update ioctl_numbers()"
	# The range vhost.h uses now, and the numbers the series adds.
	nums() {
		sed -nE 's/.*_IO[RW]*\(VHOST_VIRTIO, *0x([0-9A-Fa-f]+).*/\1/p' "$@" |
			tr 'a-f' 'A-F' | while read -r x; do printf '%02X\n' "$((16#$x))"; done |
			sort -u
	}
	hi=$(nums "$KT/include/uapi/linux/vhost.h" | tail -n1)
	ours=$(nums "$NCOAL_ROOT/$VHOST_UAPI" | sed -n '1p;$p' | paste -sd- -)
	[ -n "$hi" ] && [ -n "$ours" ] || die "no VHOST_VIRTIO ioctl numbers found"
	line=$(printf '%-6s%-7s%-58s%s' 0xAF "00-$hi" linux/vhost.h "vhost (vhost-net coalescing: $ours) conflict!")
	sed -i "${fsl}s/ *\$//; ${fsl}s/\$/ conflict!/" "$f"
	sed -i "${fsl}a $line" "$f"
}

# The cover letter: format-patch's skeleton, our subject and blurb.
kernel_cover() {
	local f=$1 version=$2 nvhost nvirtio

	nvhost=$(grep -c '^Subject: .*vhost_net:' "$OUT"/kernel/0*.patch | awk -F: '{s += $NF} END {print s}')
	nvirtio=$(grep -c '^Subject: .*virtio_net:' "$OUT"/kernel/0*.patch | awk -F: '{s += $NF} END {print s}')
	{
		cat <<EOT
Small packets at high rates pay a notification per packet in KVM
paravirtual networking: vhost_net signals the guest's call eventfd (an
injected interrupt) every time it adds used buffers, and virtio_net
kicks the device (a doorbell write, a VM exit and a wakeup of the
vhost worker) at the end of every transmit burst. At those rates the
notifications, and the context switches they cause, cost more than the
packets; NAPI polling only takes over once the guest is saturated.

This series holds those notifications for a short, bounded time while
a queue's packet rate is high, on both sides, and keeps today's
behaviour below the rate:

Design
------

- lib/ncoal (patch 1) is the policy: a due notification is held until
  max_frames are pending or usecs have passed since the first held
  one, only while the rate, sampled every rate_interval_ms, is at or
  above a threshold (with 1/8 hysteresis). It is a pure state machine
  in the shape of lib/dim: no timer, lock or allocation; the callers
  own those. It is unit tested in userspace with a fake clock.

- vhost_net ($nvhost patches including its uAPI): vhost_net_signal_used() and
  the other vhost_add_used_and_signal*() sites now add the buffers and
  ask the coalescer, which sends the signal or holds it. The hrtimer
  callback only queues vhost work: vhost_signal() reads guest memory
  for event-idx suppression, so it runs in the ring's worker under the
  vq mutex. Stopping a ring sends what it holds, and so does RX when
  it finds no guest buffer for a packet; nothing in vhost.h or struct
  vhost_virtqueue changes. Defaults are module parameters (below),
  bounded by administrator caps that also bound what a VMM (and
  through it a guest) may ask for per ring.

- virtio_net ($nvirtio patches including its sync definitions): TX kicks are
  held the same way, with the same engine, per send queue; a stopped
  queue, a netpoll transmit (netconsole, also at panic), the watchdog,
  close and ring resize send what is held, and XDP keeps kicking at
  once. Knobs in sysfs
  (/sys/class/net/<dev>/virtio_coalesce/) and ethtool -C (pkt-rate-low,
  sample-interval, tx-aggr-max-frames, tx-aggr-time-usecs), counters in
  ethtool -S (txN_kick_*), all in virtio_net.c, next to the code
  they hook into.

- Synchronisation (the last three virtio_net patches, and a proposal to
  the virtio specification): with VIRTIO_NET_F_NOTF_COAL_SYNC the driver proposes
  one latency budget and its split between the device's RX
  notification delay and its own TX kick delay; the device answers what
  it applied, and the driver fits its kick delay into the rest.

uAPI
----

- vhost-net: VHOST_NET_SET_VRING_COALESCE, VHOST_NET_GET_VRING_COALESCE
  and VHOST_NET_GET_VRING_COALESCE_STATS (0xAF 0x31-0x33, next to
  VHOST_NET_SET_BACKEND) with struct vhost_vring_coalesce{,_stats},
  discovered through VHOST_GET_BACKEND_FEATURES bit
  VHOST_BACKEND_F_NET_COALESCE (0x9). Values outside the administrator's
  caps fail with ERANGE, or are clamped with
  VHOST_VRING_COALESCE_F_CLAMP (for a VMM relaying a guest's request).
- virtio-net: VIRTIO_NET_F_NOTF_COAL_SYNC (58) and
  VIRTIO_NET_CTRL_NOTF_COAL_SYNC (command 4 of class 6), struct
  virtio_net_ctrl_coal_sync.

Both are added to the existing headers, include/uapi/linux/vhost.h and
vhost_types.h, and include/uapi/linux/virtio_net.h, not to new ones:
VMMs import vhost and virtio definitions from exactly these files
(QEMU's update-linux-headers.sh, the rust-vmm crates), the other
per-device vhost ioctls and the NOTF_COAL commands live there, and one
ioctl number space is easier to keep collision-free in one file. The
vhost 0xAF range is added to ioctl-number.rst, where it was missing.

The QEMU side, a relay of the standard NOTF_COAL commands and of the
sync command from the control queue to these ioctls for vhost=on, is
posted separately against QEMU.

Testing
-------

- lib/ncoal: KUnit tests on a fake clock (lib/ncoal_kunit.c, run on
  UML with tools/testing/kunit/kunit.py).
- Every patch builds (vhost_net, virtio_net, and the engine as a
  module) with W=1 and no new warnings, and is checkpatch.pl --strict
  --codespell clean; the whole series adds no sparse warning and
  kernel-doc -Wall is clean on the new files.
- Integration, in an emulated two-level rig (no hardware KVM was
  available): QEMU TCG runs a test host with this vhost_net, which
  runs a nested KVM guest (-netdev tap,vhost=on) with this virtio_net.
  Tests count signals, interrupts, kicks and context switches per
  packet against coalescing off in the same boot, check the engine's
  counter invariants and that nothing is lost, the error paths of the
  module parameters, ioctls, sysfs and ethtool knobs, teardown with
  kicks held (link down/up, ring resize, module reload), the sync
  command through the QEMU relay (malformed commands, suspend and
  resume included), and that neither kernel logs a warning or an oops.
  Delays are not judged in time: the rig is too slow for that.
- Tested on $version
  only; not yet rebased onto net-next.

Defaults
--------

vhost_net module parameters (per-ring defaults and administrator caps):

$(defaults_table)

virtio_net: off (tx_kick_usecs 0); once on, 32 frames, 10,000 pps
sampled every second.  Both sides ship off: held notifications cost
request/response traffic with one request in flight (Benchmarks).

Benchmarks
----------

$(benchmarks)

Open questions
--------------

- The kick coalescing lives in virtio_net.c itself; files of its own
  would need virtio_net.c renamed (kbuild links no other object into a
  module whose only object has the module's name), which would break
  every patch in flight against it.
- VIRTIO_NET_F_NOTF_COAL_SYNC needs the virtio TC first; the rest of the
  series does not depend on it.
- Hardware numbers (real interrupt injection and VM exits) are missing.
EOT
	} > "$tmp/blurb"
	cover_fill "$f" "vhost_net, virtio_net: notification coalescing" "$tmp/blurb"
}

# Replace format-patch's placeholders.
cover_fill() {
	local f=$1 subject=$2 blurb=$3

	grep -q '\*\*\* SUBJECT HERE \*\*\*' "$f" || die "$f: no subject placeholder"
	sed -i "s|\\*\\*\\* SUBJECT HERE \\*\\*\\*|$subject|" "$f"
	awk -v blurb="$blurb" '
		/^\*\*\* BLURB HERE \*\*\*$/ {
			while ((getline l < blurb) > 0) print l
			next
		}
		{ print }' "$f" > "$f.new"
	mv "$f.new" "$f"
}

# ---------------------------------------------------------------------------
# The QEMU series.

qemu_tree() {
	local src stamp ver date

	src=$(find "$NCOAL_BUILD/qemu-src/" -maxdepth 1 -mindepth 1 -type d -name 'qemu-*' 2>/dev/null | head -n1 || true)
	if [ -z "$src" ]; then
		note "no QEMU source in $NCOAL_BUILD/qemu-src: fetching it (tools/qemu/fetch-build.sh)"
		"$NCOAL_ROOT/tools/qemu/fetch-build.sh" >&2
		src=$(find "$NCOAL_BUILD/qemu-src/" -maxdepth 1 -mindepth 1 -type d -name 'qemu-*' | head -n1)
		[ -n "$src" ] || die "tools/qemu/fetch-build.sh left no source in $NCOAL_BUILD/qemu-src"
	fi
	ver=$(cat "$NCOAL_BUILD/qemu-src/.version" 2>/dev/null || basename "$src")
	stamp="$src:$ver"
	if [ -d "$QT/.git" ] && [ "$(git -C "$QT" config --get ncoal.stamp)" = "$stamp" ] &&
	   git -C "$QT" rev-parse -q --verify 'base^{commit}' > /dev/null; then
		return
	fi
	note "importing $ver into $QT"
	rm -rf "$QT" "$QT.tmp"
	cp -a "$src" "$QT.tmp"
	date="@$(stat -c '%Y' "$QT.tmp/VERSION") +0000"
	(
		cd "$QT.tmp"
		rm -rf .git .pc
		git init -q
		git config gc.auto 0
		git config ncoal.stamp "$stamp"
		git add -f -A .
		GIT_AUTHOR_NAME="QEMU $(cat VERSION)" GIT_AUTHOR_EMAIL=qemu@localhost \
		GIT_COMMITTER_NAME="QEMU $(cat VERSION)" GIT_COMMITTER_EMAIL=qemu@localhost \
		GIT_AUTHOR_DATE=$date GIT_COMMITTER_DATE=$date \
			git commit -q --no-verify -m "QEMU $(cat VERSION) ($ver)" \
			-m "Debian's QEMU source, Debian patches applied, as one commit: the base of the relay series."
		git tag base
	)
	mv "$QT.tmp" "$QT"
}

msg_qemu_headers() {
	cat <<'EOT'
linux-headers: vhost-net coalescing and virtio-net NOTF_COAL definitions

Not for merge: a placeholder for the next linux-headers update, until
the kernel side is merged.

- linux-headers/linux/vhost.h, standard-headers/linux/vhost_types.h:
  VHOST_NET_{SET,GET}_VRING_COALESCE, VHOST_NET_GET_VRING_COALESCE_STATS,
  struct vhost_vring_coalesce{,_stats}, their flags and the backend
  feature bit VHOST_BACKEND_F_NET_COALESCE, as the kernel series
  "vhost_net, virtio_net: notification coalescing"
  adds them.
- standard-headers/linux/virtio_net.h: VIRTIO_NET_F_VQ_NOTF_COAL (52),
  VIRTIO_NET_CTRL_NOTF_COAL_VQ_SET/_VQ_GET and struct
  virtio_net_ctrl_coal{,_vq}, as in Linux since 6.6 (QEMU 7.2's copy
  predates them), and the proposed VIRTIO_NET_F_NOTF_COAL_SYNC (58) and
  VIRTIO_NET_CTRL_NOTF_COAL_SYNC with struct virtio_net_ctrl_coal_sync.

No functional change.
EOT
}

make_qemu() {
	local base p first=1 msg date out newfiles f
	local -a series

	qemu_tree
	export GIT_CEILING_DIRECTORIES=$WORK
	base=$(git -C "$QT" rev-parse 'base^{commit}')
	note "QEMU series on $(git -C "$QT" log -1 --format=%s base)"
	git -C "$QT" am --abort > /dev/null 2>&1 || true
	git -C "$QT" checkout -q -f --detach base
	git -C "$QT" clean -q -fdx
	git -C "$QT" checkout -q -B series
	while read -r p _; do
		case "$p" in ''|\#*) continue ;; esac
		[ -f "$QPATCHES/$p" ] || die "tools/qemu/patches/series lists $p, which does not exist"
		series+=("$p")
	done < "$QPATCHES/series"
	[ ${#series[@]} -gt 0 ] || die "tools/qemu/patches/series is empty"
	for p in "${series[@]}"; do
		msg=$tmp/msg
		date=$(patch_message "$QPATCHES/$p" "$msg")
		# Our uAPI headers as new files become hunks of the upstream
		# headers, as in the kernel series.
		newfiles=$(sed -nE 's|^\+\+\+ b/(.*_coalesce\.h)$|\1|p' "$QPATCHES/$p")
		local -a excl=()
		for f in $newfiles; do excl+=("--exclude=$f"); done
		out=$(cd "$QT" && git apply --whitespace=nowarn "${excl[@]}" "$QPATCHES/$p" 2>&1) ||
			die "$p does not apply to QEMU: $out"
		if [ -n "$newfiles" ]; then
			[ $first = 1 ] || die "$p adds $newfiles; only the first QEMU patch may add headers"
			merge_uapi "$QT" qemu vhost
			merge_uapi "$QT" qemu virtio
			msg_qemu_headers > "$msg"
		fi
		for f in $(git -C "$QT" diff --name-only); do
			fix_includes "$QT/$f"
			fix_text "$QT/$f"
		done
		fix_message "$msg"
		commit_step "$QT" "$msg" "$date"
		first=0
	done
	rm -rf "$OUT/qemu"
	mkdir -p "$OUT/qemu"
	GIT_COMMITTER_NAME=$ME_NAME GIT_COMMITTER_EMAIL=$ME_EMAIL \
	GIT_COMMITTER_DATE=$(git -C "$QT" log -1 --format=%aD series) \
		git -C "$QT" format-patch -q -M --cover-letter --base=base \
		--no-signature -o "$OUT/qemu" base..series
	qemu_cover "$OUT/qemu/0000-cover-letter.patch" "$(git -C "$QT" log -1 --format=%s base)"
	echo "qemu: $(find "$OUT/qemu" -name '0*.patch' ! -name '0000-*' | wc -l) patches in $OUT/qemu (base-commit $base)"
}

qemu_cover() {
	local f=$1 version=$2

	{
		cat <<EOT
With -netdev tap,vhost=on the guest's control queue is served by QEMU
while the rings are served by vhost-net in the kernel, so the guest's
notification coalescing requests never reach the code that sends its
notifications: QEMU does not offer VIRTIO_NET_F_NOTF_COAL with vhost
at all, and \`ethtool -C eth0 rx-usecs 100\` in the guest fails with
"Operation not supported".

The kernel series "vhost_net, virtio_net: notification coalescing" lets
vhost-net hold guest notifications per ring and adds per-ring ioctls
for the VMM. This series relays the guest's commands to them.

Design
------

- When every queue pair's backend is an in-kernel vhost-net whose
  VHOST_GET_BACKEND_FEATURES has VHOST_BACKEND_F_NET_COALESCE (asked,
  never assumed) and the control queue is offered, the device offers
  VIRTIO_NET_F_NOTF_COAL, VIRTIO_NET_F_VQ_NOTF_COAL and the proposed
  VIRTIO_NET_F_NOTF_COAL_SYNC; x-notf-coal-relay=off turns it off, and
  off or without backend support the device is exactly as before.
- TX_SET/RX_SET go to every TX/RX ring of the addressed queue pairs,
  VQ_SET/VQ_GET to one ring (virtqueue 2n/2n+1 is ring 0/1 of pair n);
  every request carries VHOST_VRING_COALESCE_F_CLAMP so that the host
  administrator's caps win, and what applied is read back. Commands
  touching several rings are all or nothing; malformed ones get
  VIRTIO_NET_ERR and change nothing.
- Device reset returns the rings to the host's defaults; the settings
  are re-applied when vhost restarts and migrate in a subsection sent
  only once the driver set something.

uAPI
----

Patch 1 is a placeholder linux-headers update (not for merge) with the
kernel series' definitions: the vhost-net ioctls in linux/vhost.h and
vhost_types.h, where the kernel series puts them, and the virtio-net
NOTF_COAL definitions QEMU 7.2's copy lacks.

Testing
-------

In an emulated rig (QEMU TCG test host running this QEMU as the VMM of
a nested KVM guest, vhost=on, with the kernel series on both levels):
ethtool -C/-c/-Q in a stock guest against the host's debugfs, the
caps, link down/up, device reset, multiqueue, a NIC with the relay
off, this QEMU on a stock vhost-net and a stock QEMU on the new one;
the sync command, VQ_GET, malformed requests and migration through a
test module that sends raw control commands.

Based on $version,
the QEMU of Debian 12; not yet rebased onto master.

Benchmarks
----------

$(benchmarks)
EOT
	} > "$tmp/blurb"
	cover_fill "$f" "virtio-net: relay notification coalescing to vhost-net" "$tmp/blurb"
}

# What a part's series is made from: the project's files and commit
# (patch dates come from its log), who signs, and the base sources. make
# lint and the ship tests each run make patches; the second run with the
# same inputs finds its series made and its tree kept (about 30 s saved
# per run, more on a fresh clone).
inputs_key() {
	{
		echo "$1 $ME_NAME <$ME_EMAIL>"
		git -C "$NCOAL_ROOT" rev-parse HEAD
		stat -c '%n %s %Y' "${KSRC:-/usr/src/linux-source-6.12.tar.xz}" 2>&1
		find "$NCOAL_BUILD/qemu-src/" -maxdepth 1 -mindepth 1 \
			-name 'qemu-*' 2>/dev/null
		(cd "$NCOAL_ROOT" && git ls-files -co --exclude-standard -z |
			xargs -0 sha1sum 2>&1)
	} | sha1sum | cut -d' ' -f1
}

# make_part kernel|qemu: the part's series, unless made from these inputs.
make_part() {
	local key stamp=$OUT/.$1.key tree=$KT

	[ "$1" = qemu ] && tree=$QT
	key=$(inputs_key "$1")
	if [ -d "$OUT/$1" ] && [ -d "$tree/.git" ] &&
	   [ "$(cat "$stamp" 2>/dev/null)" = "$key" ]; then
		echo "$1: $(find "$OUT/$1" -name '0*.patch' ! -name '0000-*' | wc -l) patches in $OUT/$1 (made from these inputs before)"
		return
	fi
	rm -f "$stamp"
	"make_$1"
	echo "$key" > "$stamp"
}

case $only in
'') make_part kernel; make_part qemu ;;
kernel|qemu) make_part "$only" ;;
*) die "--only takes kernel or qemu" ;;
esac
