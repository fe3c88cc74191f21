#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# 20-docs.sh: what operators read matches what ships.
#
#  1. every parameter of the built vhost_net.ko (modinfo -p) has a
#     MODULE_PARM_DESC (in the module and in the source), and is
#     documented in Documentation/networking/vhost_net_coalesce.rst and
#     in the ABI file (Documentation/ABI/testing/sysfs-module-vhost_net);
#  2. every attribute of the guest's virtio_coalesce group (the
#     attribute array of the built, patched drivers/net/virtio_net.c) is in
#     virtio_net_coalesce.rst and in the ABI file
#     (sysfs-class-net-virtio_coalesce), and in the built virtio_net.ko;
#  3. every knob the documents name exists: parameters in modinfo -p,
#     sysfs files among the strings of the built virtio_net.ko;
#  4. every ethtool coalescing parameter our series adds to virtio_net's
#     supported_coalesce_params (pkt-rate-low, sample-interval, which is
#     the kernel's rate_sample_interval, tx-aggr-*) is documented under
#     its ethtool -C name;
#  5. every ABI entry has What, Date, KernelVersion, Contact, Description;
#  6. self-check: the same checks on copies of the documents with one
#     host parameter and one sysfs file deleted, and with a knob that
#     does not exist added, fail and name the knob.
#
# Every input can be pointed elsewhere (DOC_HOST, DOC_GUEST, ABI_HOST,
# ABI_GUEST), which is how the self-check runs. kselftest TAP; exit 1 on
# failure, 4 (skip) without built modules.

set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
NCOAL_ROOT=${NCOAL_ROOT:-$(cd "$HERE/../../.." && pwd)}
NCOAL_BUILD=${NCOAL_BUILD:-$NCOAL_ROOT/build}

DOC_HOST=${DOC_HOST:-$NCOAL_ROOT/Documentation/networking/vhost_net_coalesce.rst}
DOC_GUEST=${DOC_GUEST:-$NCOAL_ROOT/Documentation/networking/virtio_net_coalesce.rst}
ABI_HOST=${ABI_HOST:-$NCOAL_ROOT/Documentation/ABI/testing/sysfs-module-vhost_net}
ABI_GUEST=${ABI_GUEST:-$NCOAL_ROOT/Documentation/ABI/testing/sysfs-class-net-virtio_coalesce}
HOST_SRC=$NCOAL_ROOT/drivers/vhost/net_coalesce.c
SYSFS_SRC=$NCOAL_BUILD/src/drivers/net/virtio_net.c
HOST_KO=$NCOAL_BUILD/vhost_net.ko
GUEST_KO=$NCOAL_BUILD/virtio_net.ko

. "$HERE/lib.sh"
for f in "$HOST_KO" "$GUEST_KO" "$SYSFS_SRC"; do
	if [ ! -f "$f" ]; then
		skip_all "docs match the modules" "no $f (make modules)"
	fi
done

# --- what ships ------------------------------------------------------------

# Parameter names of the built module, and of those the ones the stock
# module of the same kernel has too (upstream's, documented upstream:
# experimental_zcopytx); ours are the others.
kver=$(modinfo -F vermagic "$HOST_KO" | cut -d' ' -f1)
stock=$(find "/lib/modules/$kver/kernel/drivers/vhost" -name 'vhost_net.ko*' 2>/dev/null | head -n1)
if [ -n "$stock" ]; then
	upstream=$(modinfo -p "$stock" | sed -n 's/^\([a-z0-9_]*\):.*/\1/p')
else
	# No stock module to ask: the upstream source of the build.
	upstream=$(sed -nE 's/^module_param[a-z_]*\(([a-z0-9_]+),.*/\1/p' \
		"$NCOAL_BUILD/upstream/drivers/vhost/net.c" 2>/dev/null)
fi
mapfile -t all_params < <(modinfo -p "$HOST_KO" | sed -n 's/^\([a-z0-9_]*\):.*/\1/p' | sort -u)
mapfile -t params < <(printf '%s\n' "${all_params[@]}" | grep -vxF -e "${upstream:-/}" | sort -u)
# The guest's attribute names: the entries of the attribute array, the
# only list sysfs registers (a macro instance that is not in it is no file).
mapfile -t attrs < <(awk '
	/^static struct attribute \*virtnet_coal_attrs\[\]/ { in_arr = 1; next }
	in_arr && /^};/ { exit }
	in_arr {
		if (match($0, /&virtnet_coal_attr_[a-z0-9_]+\.dattr\.attr/))
			print substr($0, RSTART + 19, RLENGTH - 30)
		else if (match($0, /&dev_attr_[a-z0-9_]+\.attr/))
			print substr($0, RSTART + 10, RLENGTH - 15)
	}' "$SYSFS_SRC" | sort -u)
guest_strings=$(strings -a "$GUEST_KO")

if [ ${#params[@]} -ge 1 ]; then
	ok "vhost_net.ko has ${#params[@]} parameters of ours: ${params[*]} (upstream's: $(echo "$upstream" | tr '\n' ' '))"
else
	not_ok "vhost_net.ko has parameters of ours (modinfo -p)"
fi
if [ ${#attrs[@]} -ge 1 ]; then
	ok "virtio_coalesce has ${#attrs[@]} attributes: ${attrs[*]}"
else
	not_ok "virtio_coalesce attributes found in $SYSFS_SRC"
fi

# --- helpers on the documents -----------------------------------------------

# in_rst FILE NAME: NAME is a row of one of FILE's tables or a literal
# (``NAME``) in its text.
in_rst() {
	grep -qE "^$2([[:space:]]|\$)|\`\`$2\`\`" "$1"
}

# in_abi FILE PATH: FILE has an entry "What: PATH".
in_abi() {
	grep -qE "^What:[[:space:]]+$2\$" "$1"
}

# First column of the body rows of FILE's simple tables, names only. A
# table is border, [header, border,] rows, border; it ends at a border
# followed by a blank line. With three borders, the rows between the
# first two are the header.
rst_table_names() {
	awk '
		{ line[NR] = $0 }
		END {
			for (i = 1; i <= NR; i++) {
				if (line[i] !~ /^=+( +=+)+ *$/)
					continue
				# one table: borders at b[1..nb]
				nb = 0
				for (j = i; j <= NR; j++) {
					if (line[j] ~ /^=+( +=+)+ *$/) {
						b[++nb] = j
						if (j == NR || line[j + 1] ~ /^ *$/)
							break
					}
				}
				from = nb >= 3 ? b[2] : b[1]
				for (k = from + 1; k < b[nb]; k++)
					if (line[k] ~ /^[a-z][a-z0-9_]*( |$)/) {
						split(line[k], f, " ")
						print f[1]
					}
				i = b[nb]
			}
		}
	' "$1" | sort -u
}

# The last path component of FILE's "What:" lines under DIR.
abi_names() {
	sed -n "s|^What:[[:space:]]*$2/\\([a-z0-9_]*\\)\$|\\1|p" "$1" | sort -u
}

# --- 1. host parameters ---------------------------------------------------------

# Upstream's too: an operator reads modinfo -p for all of them.
bad=
for p in "${all_params[@]}"; do
	desc=$(modinfo -p "$HOST_KO" | sed -n "s/^$p://p" | sed 's/ *([a-z]*)$//')
	[ -n "$desc" ] || bad="$bad$p: no description in modinfo -p"$'\n'
done
for p in "${params[@]}"; do
	grep -qE "MODULE_PARM_DESC\\($p," "$HOST_SRC" ||
		bad="$bad$p: no MODULE_PARM_DESC in $(basename "$HOST_SRC")"$'\n'
done
result "every vhost_net parameter has a MODULE_PARM_DESC" "$bad"

bad=
for p in "${params[@]}"; do
	in_rst "$DOC_HOST" "$p" || bad="$bad$p"$'\n'
done
result "every vhost_net parameter is in $(basename "$DOC_HOST")" "$bad"

bad=
for p in "${params[@]}"; do
	in_abi "$ABI_HOST" "/sys/module/vhost_net/parameters/$p" || bad="$bad$p"$'\n'
done
result "every vhost_net parameter is in the ABI file $(basename "$ABI_HOST")" "$bad"

# --- 2. guest sysfs ---------------------------------------------------------------

bad=
for a in "${attrs[@]}"; do
	in_rst "$DOC_GUEST" "$a" || bad="$bad$a"$'\n'
done
result "every virtio_coalesce file is in $(basename "$DOC_GUEST")" "$bad"

bad=
for a in "${attrs[@]}"; do
	in_abi "$ABI_GUEST" "/sys/class/net/<iface>/virtio_coalesce/$a" || bad="$bad$a"$'\n'
done
result "every virtio_coalesce file is in the ABI file $(basename "$ABI_GUEST")" "$bad"

# --- 3. every documented knob exists ------------------------------------------------

bad=
while read -r p; do
	[ -n "$p" ] || continue
	printf '%s\n' "${params[@]}" | grep -qx "$p" ||
		bad="$bad$p: in $(basename "$DOC_HOST")'s table, not a parameter of vhost_net.ko"$'\n'
done < <(rst_table_names "$DOC_HOST")
while read -r p; do
	[ -n "$p" ] || continue
	printf '%s\n' "${params[@]}" | grep -qx "$p" ||
		bad="$bad$p: in $(basename "$ABI_HOST"), not a parameter of vhost_net.ko"$'\n'
done < <(abi_names "$ABI_HOST" /sys/module/vhost_net/parameters)
result "every documented vhost_net parameter exists in vhost_net.ko" "$bad"

bad=
while read -r a; do
	[ -n "$a" ] || continue
	grep -qx "$a" <<< "$guest_strings" ||
		bad="$bad$a: in $(basename "$DOC_GUEST")'s tables, not in virtio_net.ko"$'\n'
done < <(rst_table_names "$DOC_GUEST")
while read -r a; do
	[ -n "$a" ] || continue
	grep -qx "$a" <<< "$guest_strings" ||
		bad="$bad$a: in $(basename "$ABI_GUEST"), not in virtio_net.ko"$'\n'
done < <(abi_names "$ABI_GUEST" '/sys/class/net/<iface>/virtio_coalesce')
# The source's list, against the build: a stale build would pass above.
for a in "${attrs[@]}"; do
	grep -qx "$a" <<< "$guest_strings" ||
		bad="$bad$a: in $(basename "$SYSFS_SRC"), not in the built virtio_net.ko (stale build?)"$'\n'
done
result "every documented virtio_coalesce file exists in virtio_net.ko" "$bad"

# --- 4. ethtool -C parameters --------------------------------------------------------

# The flags our series adds to supported_coalesce_params, and the name
# ethtool -C gives each (ethtool's own table; sample-interval is the
# kernel's rate_sample_interval).
declare -A ETHTOOL_NAME=(
	[PKT_RATE_LOW]=pkt-rate-low [PKT_RATE_HIGH]=pkt-rate-high
	[RATE_SAMPLE_INTERVAL]=sample-interval
	[TX_AGGR_MAX_FRAMES]=tx-aggr-max-frames
	[TX_AGGR_TIME_USECS]=tx-aggr-time-usecs
	[TX_AGGR_MAX_BYTES]=tx-aggr-max-bytes
)
# What the series adds.
added=$(cat "$NCOAL_ROOT"/patches/*.patch 2>/dev/null | grep -E '^\+' | grep -vE '^\+\+\+')
mapfile -t flags < <(grep -oE 'ETHTOOL_COALESCE_[A-Z_]+' <<< "$added" |
	sed 's/^ETHTOOL_COALESCE_//' | sort -u)
bad=
names=
for f in "${flags[@]}"; do
	[ -n "${ETHTOOL_NAME[$f]:-}" ] || continue
	names="$names ${ETHTOOL_NAME[$f]}"
	in_rst "$DOC_GUEST" "${ETHTOOL_NAME[$f]}" ||
		bad="$bad${ETHTOOL_NAME[$f]} (ETHTOOL_COALESCE_$f)"$'\n'
done
for want in pkt-rate-low sample-interval; do
	[[ " $names " == *" $want "* ]] ||
		bad="${bad}the series does not add $want to supported_coalesce_params"$'\n'
done
result "ethtool -C parameters of the series documented:$names" "$bad"

# --- 5. ABI format ---------------------------------------------------------------------

abi_format() {
	awk -v file="$(basename "$1")" '
		function check() {
			if (what == "") return
			for (k in need) if (!(k in have))
				printf "%s: %s has no %s\n", file, what, k
			delete have
		}
		BEGIN { need["Date"]; need["KernelVersion"]; need["Contact"]; need["Description"] }
		/^What:/ { if (!inwhat) check(); if (!inwhat) what = $2; inwhat = 1; next }
		/^[A-Za-z]+:/ { inwhat = 0; k = $1; sub(/:$/, "", k); have[k] = 1; next }
		END { check(); if (what == "") printf "%s: no entries\n", file }
	' "$1"
}
result "ABI entries have What, Date, KernelVersion, Contact, Description" \
	"$(abi_format "$ABI_HOST"; abi_format "$ABI_GUEST")"

# --- 6. self-check -------------------------------------------------------------------------

# These checks must be able to fail: run them on broken copies.
if [ -z "${NCOAL_DOCS_SELFTEST:-}" ]; then
	t=$(mktemp -d)
	trap 'rm -rf "$t"' EXIT
	# (a) one parameter's row and ABI entry gone, one sysfs file's too
	# (the copies keep their names: the messages name the files)
	a=$t/a
	mkdir -p "$a"
	cp "$DOC_HOST" "$DOC_GUEST" "$ABI_HOST" "$ABI_GUEST" "$a/"
	grep -v '^coalesce_min_usecs ' "$DOC_HOST" | sed 's/``coalesce_min_usecs``/x/g' > "$a/${DOC_HOST##*/}"
	awk 'BEGIN { RS = ""; ORS = "\n\n" } !/parameters\/coalesce_min_usecs\n/' "$ABI_HOST" > "$a/${ABI_HOST##*/}"
	grep -v '^tx_kick_frames ' "$DOC_GUEST" | sed 's/``tx_kick_frames``/x/g' > "$a/${DOC_GUEST##*/}"
	awk 'BEGIN { RS = ""; ORS = "\n\n" } !/virtio_coalesce\/host_rx_frames\n/' "$ABI_GUEST" > "$a/${ABI_GUEST##*/}"
	out=$(NCOAL_DOCS_SELFTEST=1 DOC_HOST=$a/${DOC_HOST##*/} ABI_HOST=$a/${ABI_HOST##*/} \
		DOC_GUEST=$a/${DOC_GUEST##*/} ABI_GUEST=$a/${ABI_GUEST##*/} bash "$0" 2>&1)
	rc=$?
	bad=
	[ $rc = 1 ] || bad="exit status $rc, want 1"$'\n'
	for want in "not ok [0-9]* every vhost_net parameter is in vhost_net_coalesce.rst" \
		    "not ok [0-9]* every vhost_net parameter is in the ABI file" \
		    "not ok [0-9]* every virtio_coalesce file is in virtio_net_coalesce.rst" \
		    "not ok [0-9]* every virtio_coalesce file is in the ABI file" \
		    "^# coalesce_min_usecs$" "^# tx_kick_frames$" "^# host_rx_frames$"; do
		grep -q -- "$want" <<< "$out" || bad="$bad'$want' not in the output"$'\n'
	done
	result "self-check: deleted knobs are reported" "$bad${bad:+$out}"

	# (b) a knob that does not exist, in a table and in an ABI entry
	b=$t/b
	mkdir -p "$b"
	sed 's/^coalesce_max_frames /coalesce_bogus_knob         1    not a parameter\n&/' "$DOC_HOST" > "$b/${DOC_HOST##*/}"
	{ cat "$ABI_GUEST"; printf '\nWhat:\t\t/sys/class/net/<iface>/virtio_coalesce/bogus_knob\n'; } > "$b/${ABI_GUEST##*/}"
	out=$(NCOAL_DOCS_SELFTEST=1 DOC_HOST=$b/${DOC_HOST##*/} ABI_GUEST=$b/${ABI_GUEST##*/} bash "$0" 2>&1)
	rc=$?
	bad=
	[ $rc = 1 ] || bad="exit status $rc, want 1"$'\n'
	for want in "coalesce_bogus_knob: in vhost_net_coalesce.rst's table, not a parameter" \
		    "bogus_knob: in sysfs-class-net-virtio_coalesce, not in virtio_net.ko" \
		    "has no Date"; do
		grep -q -- "$want" <<< "$out" || bad="$bad'$want' not in the output"$'\n'
	done
	result "self-check: knobs that do not exist are reported" "$bad${bad:+$out}"
fi

finish
