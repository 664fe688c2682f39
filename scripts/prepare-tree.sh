#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Make TREE = pristine kernel source + the project's overlay + kernel/patches.
# Only files whose content changes are rewritten, so incremental builds stay
# incremental. A patch that does not apply stops with its name.
#
# usage: prepare-tree.sh PRISTINE_SRC TREE
set -euo pipefail

[ $# -eq 2 ] || { echo "usage: $0 PRISTINE_SRC TREE" >&2; exit 2; }
src=$(realpath "$1")
tree=$2
repo=$(cd "$(dirname "$0")/.." && pwd)
die() { echo "prepare-tree: $*" >&2; exit 1; }

[ -f "$src/Makefile" ] || die "$src is not a kernel tree"

# 1. A full copy of the pristine tree, made once per source.
if [ ! -f "$tree/.luo-pristine" ] || [ "$(cat "$tree/.luo-pristine")" != "$src" ]; then
	echo "prepare-tree: copying pristine tree to $tree" >&2
	rm -rf "$tree"
	mkdir -p "$(dirname "$tree")"
	# Not the object dirs a build may have left in the source (obj-*).
	rsync -a --exclude='/obj-*' "$src/" "$tree/"
	echo "$src" > "$tree/.luo-pristine"
	: > "$tree/.luo-manifest"
fi

# 2. Compute the final content of every touched file in a scratch dir.
delta=$(mktemp -d)
trap 'rm -rf "$delta"' EXIT
while read -r from to _; do
	case "$from" in ''|'#'*) continue ;; esac
	[ -d "$repo/$from" ] || continue
	mkdir -p "$delta/$to"
	cp -a "$repo/$from/." "$delta/$to/"
done < "$repo/kernel/overlay.map"

series="$repo/kernel/patches/series"
while read -r p; do
	case "$p" in ''|'#'*) continue ;; esac
	pf="$repo/kernel/patches/$p"
	[ -f "$pf" ] || die "patch $p listed in series is missing"
	# Seed the scratch dir with pristine copies of the files it touches.
	for f in $(sed -n 's|^+++ b/\([^[:space:]]*\).*|\1|p; s|^--- a/\([^[:space:]]*\).*|\1|p' "$pf" | sort -u); do
		if [ ! -e "$delta/$f" ] && [ -e "$src/$f" ]; then
			mkdir -p "$delta/$(dirname "$f")"
			cp -p "$src/$f" "$delta/$f"
		fi
	done
	patch -s -p1 -N -d "$delta" --no-backup-if-mismatch < "$pf" >/dev/null 2>&1 ||
		die "patch $p does not apply (kernel/patches/$p)"
done < "$series"
(cd "$delta" && find . -type f | sed 's|^\./||' | sort) > "$delta.manifest"

# 3. Files touched last time but not now go back to pristine (or away).
# Without -p: the restored file must look newer than the objects built
# from the patched one, or make would keep them.
while read -r f; do
	[ -n "$f" ] || continue
	grep -qxF "$f" "$delta.manifest" && continue
	if [ -e "$src/$f" ]; then
		cp "$src/$f" "$tree/$f"
	else
		rm -f "$tree/$f"
	fi
done < "$tree/.luo-manifest"

# 4. Write only what differs.
rsync -rc "$delta/" "$tree/"
mv "$delta.manifest" "$tree/.luo-manifest"
echo "$tree"
