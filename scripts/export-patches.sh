#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Export the whole kernel change as a `git format-patch` series against the
# pristine tree (build/kernel-patches/), one commit per overlay.map entry and
# one per kernel/patches entry, and run checkpatch.pl --strict on it.
#
# usage: export-patches.sh
set -euo pipefail
. "$(dirname "$0")/lib.sh"

src=$(kernel_source)
out=$BUILD/kernel-patches
tree=$CACHE/tree/$(make -s -C "$src" kernelversion)
exec 9> "$CACHE/build.lock"   # the tree is shared with build-kernel.sh
flock 9
step "prepare luo tree" "$LOGS/prepare-tree.log" "$REPO/scripts/prepare-tree.sh" "$src" "$tree"
flock -u 9

git_dir=$(mktemp -d)
trap 'rm -rf "$git_dir"' EXIT
g() { git -C "$git_dir" -c user.name="LUO memfd team" -c user.email="luo-memfd@localhost.localdomain" "$@"; }
sob="Signed-off-by: LUO memfd team <luo-memfd@localhost.localdomain>"
g init -q
# Base: the pristine versions of every file the change touches.
while read -r f; do
	[ -e "$src/$f" ] || continue
	mkdir -p "$git_dir/$(dirname "$f")"
	cp -p "$src/$f" "$git_dir/$f"
done < "$tree/.luo-manifest"
g add -A
g commit -q --allow-empty -m "pristine $(basename "$src")"
base=$(g rev-parse HEAD)

while IFS=$'\t' read -r from to subject; do
	case "$from" in ''|'#'*) continue ;; esac
	[ -d "$REPO/$from" ] || continue
	[ -n "$(ls -A "$REPO/$from")" ] || continue
	mkdir -p "$git_dir/$to"
	cp -a "$REPO/$from/." "$git_dir/$to/"
	g add -A
	g diff --cached --quiet && continue
	g commit -q -m "$subject" -m "Files under $to of the luo-memfd project." -m "$sob"
done < "$REPO/kernel/overlay.map"

while read -r p; do
	case "$p" in ''|'#'*) continue ;; esac
	pf=$REPO/kernel/patches/$p
	subject=$(sed -n 's/^Subject: \(\[PATCH[^]]*\] \)\{0,1\}//p' "$pf" | head -n1)
	[ -n "$subject" ] || subject=${p%.patch}
	body=$(awk '/^Subject:/ {s = 1; next} s && /^---$/ {exit} s && !/^Signed-off-by:/ {print}' "$pf")
	patch -s -p1 -d "$git_dir" < "$pf" || die "patch $p does not apply on the exported series"
	g add -A
	g commit -q -m "$subject" -m "${body:-Change from kernel/patches/$p.}" -m "$sob"
done < "$REPO/kernel/patches/series"

rm -rf "$out"
mkdir -p "$out"
g format-patch -q --cover-letter -o "$out" "$base"..HEAD
n=$(ls "$out" | grep -vc 0000-cover-letter || true)
say "exported $n patches to $out"
if [ "$n" -eq 0 ]; then
	echo "kernel-patches: no change against the pristine tree yet"
	exit 0
fi
bad=0
for p in "$out"/*.patch; do
	case "$p" in *0000-cover-letter.patch) continue ;; esac
	if ! (cd "$src" && scripts/checkpatch.pl --strict -q "$p") > "$p.checkpatch" 2>&1; then
		echo "checkpatch --strict: $(basename "$p"):" >&2
		sed 's/^/    /' "$p.checkpatch" | head -40 >&2
		bad=$((bad + 1))
	fi
	rm -f "$p.checkpatch"
done
echo "kernel-patches: $((n - bad)) passed, $bad failed, 0 skipped"
[ $bad -eq 0 ]
