#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Export the whole kernel change as a `git format-patch` series against the
# pristine tree (build/kernel-patches/), one commit per overlay.map entry and
# one per kernel/patches entry, and run checkpatch.pl --strict on it.
# New files are listed in MAINTAINERS by their own patch of the series, so
# checkpatch's per-patch "does MAINTAINERS need updating?" is ignored.
#
# usage: export-patches.sh
set -euo pipefail
. "$(dirname "$0")/lib.sh"

src=$(kernel_source)
out=$BUILD/kernel-patches
tree=$CACHE/tree/$(make -s --no-print-directory -C "$src" kernelversion)
# The tree is shared with build-kernel.sh. If it was last prepared from
# exactly these inputs (its .luo-inputs-key), it holds them already: no need
# to wait for the lock (held for the whole debug build that run-tests.sh
# starts).
if luo_tree_current "$src" "$tree"; then
	say "luo tree: $tree (up to date)"
else
	exec 9> "$CACHE/build.lock"
	flock 9
	prepare_luo_tree "$src" "$tree"
	flock -u 9
fi

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

# One commit per overlay.map entry and per patch. The series file can place
# an overlay entry between patches with a "# export-overlay: SRC" line (so
# the series builds at every step); entries it does not place go first.
commit_overlay() { # SRC DST SUBJECT
	[ -d "$REPO/$1" ] && [ -n "$(ls -A "$REPO/$1")" ] || return 0
	mkdir -p "$git_dir/$2"
	cp -a "$REPO/$1/." "$git_dir/$2/"
	g add -A
	g diff --cached --quiet && return 0
	g commit -q -m "$3" -m "Files under $2 of the luo-memfd project." -m "$sob"
}
commit_patch() { # NAME
	local p=$1 pf=$REPO/kernel/patches/$1 subject body
	# Mail-style header: a Subject (possibly folded) and a body up to "---".
	subject=$(awk '/^Subject:/ {s = 1; sub(/^Subject: */, ""); sub(/^\[PATCH[^]]*\] */, ""); t = $0; next}
		s && /^[ \t]/ {sub(/^[ \t]+/, ""); t = t " " $0; next} s {exit} END {print t}' "$pf")
	[ -n "$subject" ] || die "kernel/patches/$p has no Subject: header (a mail-style header is required)"
	body=$(awk '/^Subject:/ {s = 1; next} s == 1 && /^[ \t]/ {next} s == 1 {s = 2}
		s == 2 && /^---$/ {exit} s == 2 && !/^Signed-off-by:/ {print}' "$pf")
	patch -s -p1 -d "$git_dir" < "$pf" || die "patch $p does not apply on the exported series"
	g add -A
	g commit -q -m "$subject" -m "$body" -m "$sob"
}
series=$REPO/kernel/patches/series
placed=$(sed -n 's/^# export-overlay: *//p' "$series")
while IFS=$'\t' read -r from to subject; do
	case "$from" in ''|'#'*) continue ;; esac
	grep -qxF "$from" <<< "$placed" && continue
	commit_overlay "$from" "$to" "$subject"
done < "$REPO/kernel/overlay.map"
while read -r line; do
	case "$line" in
	'# export-overlay:'*)
		from=${line#*: }
		entry=$(awk -F'\t' -v f="$from" '$1 == f' "$REPO/kernel/overlay.map")
		[ -n "$entry" ] || die "series places overlay $from, which kernel/overlay.map does not list"
		IFS=$'\t' read -r _ to subject <<< "$entry"
		commit_overlay "$from" "$to" "$subject" ;;
	''|'#'*) ;;
	*) commit_patch "$line" ;;
	esac
done < "$series"

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
	if ! (cd "$src" && scripts/checkpatch.pl --strict -q --ignore FILE_PATH_CHANGES "$p") > "$p.checkpatch" 2>&1; then
		echo "checkpatch --strict: $(basename "$p"):" >&2
		sed 's/^/    /' "$p.checkpatch" | head -40 >&2
		bad=$((bad + 1))
	fi
	rm -f "$p.checkpatch"
done
echo "kernel-patches: $((n - bad)) passed, $bad failed, 0 skipped"
[ $bad -eq 0 ]
