#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
# Copyright (c) 2026 The luo-memfd authors
# Fail unless the dynamic symbols a shared libluo defines are exactly the
# version script's global lists, each versioned with the node that lists it
# (nodes chain: LIBLUO_1.1 { ... } LIBLUO_1.0;), and the header's LUO_API
# declarations name the same functions.
#
# usage: check-exports.sh LIB.so MAP HEADER
set -eu
[ $# -eq 3 ] || { echo "usage: $0 LIB.so MAP HEADER" >&2; exit 2; }
lib=$1 map=$2 header=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# "name@@NODE" for every name between a node's "global:" and "local:" or
# its closing brace; the node names themselves go to $tmp/nodes.
sed -e 's|/\*.*\*/||g' "$map" | awk -v nodes="$tmp/nodes" '
	/^[[:space:]]*[A-Za-z0-9_.]+[[:space:]]*\{/ {
		node = $1; sub(/\{.*/, "", node); print node > nodes; on = 0; next }
	/global:/ { on = 1; next }
	/local:/  { on = 0; next }
	/\}/      { on = 0; next }
	on { gsub(/[;[:space:]]/, ""); if ($0 != "") print $0 "@@" node }' |
	sort > "$tmp/map.versioned"
[ -s "$tmp/nodes" ] || { echo "check-exports: no version node in $map" >&2; exit 1; }
sed 's/@.*//' "$tmp/map.versioned" > "$tmp/map"
if [ -n "$(uniq -d "$tmp/map")" ]; then
	echo "check-exports: listed in two nodes of $map: $(uniq -d "$tmp/map" | tr '\n' ' ')" >&2
	exit 1
fi

# Defined dynamic symbols other than the version nodes, as name@@VERSION.
readelf --dyn-syms -W "$lib" | awk '
	$1 ~ /^[0-9]+:$/ && $7 != "UND" && $5 != "LOCAL" && $4 != "SECTION" && $4 != "FILE" {
		print $8 }' | grep -vxF -f "$tmp/nodes" | sort > "$tmp/dyn.versioned"

# LUO_API function declarations in the public header.
grep '^LUO_API ' "$header" | sed -e 's/(.*//' -e 's/.*[[:space:]*]//' |
	sort > "$tmp/header"

fail=0
if ! cmp -s "$tmp/map.versioned" "$tmp/dyn.versioned"; then
	echo "check-exports: exported symbols or their versions differ from $map (< map, > library):" >&2
	diff "$tmp/map.versioned" "$tmp/dyn.versioned" >&2 || true
	fail=1
fi
if ! cmp -s "$tmp/map" "$tmp/header"; then
	echo "check-exports: LUO_API declarations differ from $map (< map, > header):" >&2
	diff "$tmp/map" "$tmp/header" >&2 || true
	fail=1
fi
[ "$fail" -eq 0 ] || exit 1
echo "check-exports: $(wc -l < "$tmp/map") symbols in $(wc -l < "$tmp/nodes") version nodes ($(tr '\n' ' ' < "$tmp/nodes" | sed 's/ $//'))"
