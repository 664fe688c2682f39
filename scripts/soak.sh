#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# `make soak`: boot a kernel N times with a trivial stage and report how
# many boots logged a kernel report (KASAN, BUG, WARNING, ...), by kind.
# Made for the intermittent KASAN wild-memory-access at boot of the debug
# kernel: the rate it prints is the figure to quote.
#
# usage: scripts/soak.sh [-n N] [-j JOBS] [-k KERNEL]   (default 100, 2, debug)
set -euo pipefail
. "$(dirname "$0")/lib.sh"

n=${SOAK_N:-100} jobs_max=${SOAK_JOBS:-2} kernel=debug
while getopts "n:j:k:" o; do
	case "$o" in
	n) n=$OPTARG ;;
	j) jobs_max=$OPTARG ;;
	k) kernel=$OPTARG ;;
	*) echo "usage: $0 [-n N] [-j JOBS] [-k KERNEL]" >&2; exit 2 ;;
	esac
done
[[ "$n" =~ ^[1-9][0-9]*$ && "$jobs_max" =~ ^[1-9][0-9]*$ ]] ||
	die "-n and -j take positive numbers"

"$REPO/scripts/build-kernel.sh" "$kernel"
out=$BUILD/soak
rm -rf "$out"
mkdir -p "$out"
say "soak: $n boots of the $kernel kernel, $jobs_max at a time (logs: $out)"
boot() { # I
	"$REPO/scripts/qemu-run.sh" --name "soak-$1" --chain "$kernel" \
		--stage "$REPO/tests/smoke/stage.sh" --timeout 120 --no-retry > "$out/$1.log" 2>&1 ||
		true
}
for ((i = 1; i <= n; i++)); do
	while [ "$(jobs -rp | wc -l)" -ge "$jobs_max" ]; do
		wait -n || true
	done
	boot "$i" &
	[ $((i % 10)) -eq 0 ] && say "soak: $i of $n boots started"
done
wait

# Classify every failed boot by the first report in its kernel log.
bad=0
: > "$out/kinds"
for ((i = 1; i <= n; i++)); do
	tail -n1 "$out/$i.log" | grep -q ' 0 failed' && continue
	bad=$((bad + 1))
	kind=$(grep -Eo 'BUG: [A-Za-z]+: [a-z-]+|BUG: [^ ]+ [^ ]+|WARNING: .* at [^ ]+|Kernel panic[^,]*|hang: [a-z ]+' \
		"$BUILD/runs/soak-$i/console.log" "$out/$i.log" 2>/dev/null | head -n1 | cut -d: -f2-)
	echo "${kind:-failed without a kernel report (see $out/$i.log)} (boot $i)" >> "$out/kinds"
done
if [ $bad -gt 0 ]; then
	sed 's/ (boot [0-9]*)$//' "$out/kinds" | sort | uniq -c | sed 's/^/soak: /'
fi
awk -v b=$bad -v n="$n" 'BEGIN { printf "soak: %d of %d boots reported a problem (%.1f%%)\n", b, n, 100 * b / n }'
echo "soak: $((n - bad)) passed, $bad failed, 0 skipped"
[ $bad -eq 0 ]
