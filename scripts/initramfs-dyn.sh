#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Host programs (or modules) for a test guest's initramfs: prints the gen_init_cpio lines
# for each BIN and the shared libraries it loads, at the paths the loader
# asks for, in the directories' real places (Debian's merged /usr: /lib,
# /lib64 and /sbin are links into /usr, made here too).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

[ $# -ge 1 ] || { echo "usage: $0 BIN..." >&2; exit 2; }
libs=()
for bin in "$@"; do
	[ -f "$bin" ] || die "$bin does not exist on the host"
	# A static program has no libraries (ldd says so and fails).
	out=$(ldd "$bin" 2>&1) || continue
	if grep -q 'not found' <<<"$out"; then
		die "$bin needs a library the host lacks: $(grep 'not found' <<<"$out" | tr -s ' \t' ' ')"
	fi
	libs+=($(awk '$(NF-1) ~ /^\// { print $(NF-1) } $1 ~ /^\// { print $1 }' <<<"$out"))
done

# Every directory above PATH, top first (gen_init_cpio makes none itself).
parents() {
	local d
	d=$(dirname "$1")
	while [ "$d" != / ]; do
		echo "dir $d 0755 0 0"
		d=$(dirname "$d")
	done | tac
}

for l in lib lib64 sbin; do
	[ -L "/$l" ] && echo "slink /$l $(readlink "/$l") 0777 0 0"
done
# Each file under the name the loader asks for (libacl.so.1, not the
# versioned file the link points at).
printf '%s\n' "$@" "${libs[@]}" | sort -u | while read -r f; do
	dst=$(realpath "$(dirname "$f")")/$(basename "$f")
	parents "$dst"
	echo "file $dst $(realpath "$f") 0755 0 0"
done | awk '!seen[$0]++'
