#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
# Fail unless the dynamic symbols a shared libluo defines are exactly the
# version script's global list, each versioned with the script's node, and
# the header's LUO_API declarations name the same functions.
#
# usage: check-exports.sh LIB.so MAP HEADER
set -eu
lib=$1 map=$2 header=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

node=$(sed -n 's/^[[:space:]]*\([A-Za-z0-9_.]*\)[[:space:]]*{.*/\1/p' "$map" | head -n1)
[ -n "$node" ] || { echo "check-exports: no version node in $map" >&2; exit 1; }

# Names between "global:" and "local:" in the version script.
sed -e 's|/\*.*\*/||g' "$map" | awk '
	/global:/ { on = 1; next }
	/local:/  { on = 0 }
	on { gsub(/[;[:space:]]/, ""); if ($0 != "") print }' | sort > "$tmp/map"

# Defined dynamic symbols (not the version node itself), as name@@VERSION.
readelf --dyn-syms -W "$lib" | awk '
	$1 ~ /^[0-9]+:$/ && $7 != "UND" && $5 != "LOCAL" && $4 != "SECTION" && $4 != "FILE" {
		print $8 }' | grep -vx "${node}" | sort > "$tmp/dyn.versioned"
sed 's/@.*//' "$tmp/dyn.versioned" > "$tmp/dyn"

# LUO_API function declarations in the public header.
grep '^LUO_API ' "$header" | sed -e 's/(.*//' -e 's/.*[[:space:]*]//' |
	sort > "$tmp/header"

fail=0
if ! cmp -s "$tmp/map" "$tmp/dyn"; then
	echo "check-exports: exported symbols differ from $map (< map, > library):" >&2
	diff "$tmp/map" "$tmp/dyn" >&2 || true
	fail=1
fi
if grep -v "@@${node}\$" "$tmp/dyn.versioned" >&2; then
	echo "check-exports: the symbols above are not versioned ${node}" >&2
	fail=1
fi
if ! cmp -s "$tmp/map" "$tmp/header"; then
	echo "check-exports: LUO_API declarations differ from $map (< map, > header):" >&2
	diff "$tmp/map" "$tmp/header" >&2 || true
	fail=1
fi
[ "$fail" -eq 0 ] || exit 1
echo "check-exports: $(wc -l < "$tmp/map") symbols, all ${node}"
