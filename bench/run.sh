#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# `make bench`: one QEMU run per kernel (same memory, CPUs and command line),
# each a chain of REPS+1 kernels: every stage retrieves + finishes the
# previous stage's files and preserves a fresh set. Paths: stock shmem (stock
# kernel); luo shmem, luo HugeTLB 2 MiB, luo HugeTLB 1 GiB (luo kernel).
# Results: build/bench/results.{json,md}, build/bench/plot.png; with
# --publish also docs/performance.md and docs/performance.png.
#
# usage: bench/run.sh [--smoke] [--reps N] [--publish]
set -euo pipefail
. "$(dirname "$0")/../scripts/lib.sh"

reps=3 smoke=0 publish=0
while [ $# -gt 0 ]; do
	case "$1" in
	--smoke) smoke=1; reps=1; shift ;;
	--reps) reps=$2; shift 2 ;;
	--publish) publish=1; shift ;;
	*) echo "usage: $0 [--smoke] [--reps N] [--publish]" >&2; exit 2 ;;
	esac
done
[ "$reps" -ge 1 ] || die "--reps must be at least 1"

out=$BUILD/bench
mkdir -p "$out"
"$REPO/scripts/build-kernel.sh" stock
"$REPO/scripts/build-kernel.sh" luo
step "build bench program" "$LOGS/bench-build.log" make -C "$REPO" -s libluo bench-bin

M=$((1 << 20))
if [ $smoke -eq 1 ]; then
	sizes=(64)
	mem=3G
	hp="hugepagesz=2M hugepages=40"
else
	sizes=(64 256 1024)
	mem=8G
	hp="hugepagesz=2M hugepages=700 hugepagesz=1G hugepages=2 kho_scratch=64M,512M,256M"
fi
conf_stock=$out/stock.conf conf_luo=$out/luo.conf
: > "$conf_stock"; : > "$conf_luo"
for s in "${sizes[@]}"; do
	echo "shmem $((s * M))" >> "$conf_stock"
	echo "shmem $((s * M))" >> "$conf_luo"
	echo "hugetlb-2M $((s * M))" >> "$conf_luo"
	[ "$s" -ge 1024 ] && echo "hugetlb-1G $((s * M))" >> "$conf_luo"
done

chain() { local k=$1 c=$1 i; for ((i = 0; i < reps; i++)); do c="$c,$k"; done; echo "$c"; }
rc=0
for k in stock luo; do
	conf=$out/$k.conf
	say "bench: $k kernel, $reps repetitions of: $(awk '{printf "%s %dM, ", $1, $2 / 1048576}' "$conf")"
	"$REPO/scripts/qemu-run.sh" --name "bench-$k" --chain "$(chain $k)" --mem "$mem" \
		--cpus 2 --append "$hp" --timeout $((300 + 300 * reps)) \
		--stage "$BUILD/bench/bench" --file "$conf:/etc/bench.conf" || rc=1
done
[ $rc -eq 0 ] || die "step 'bench runs' failed (logs in $BUILD/runs/bench-*)"

args=(--out "$out" --runs "$BUILD/runs/bench-stock" "$BUILD/runs/bench-luo")
[ $publish -eq 1 ] && args+=(--publish "$REPO/docs")
step "bench report" "$LOGS/bench-report.log" python3 "$REPO/bench/report.py" "${args[@]}"
cat "$out/results.md"
echo "bench: 1 passed, 0 failed, 0 skipped"
