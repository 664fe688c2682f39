#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# `make bench`: QEMU runs with the same memory, CPUs and command line, each a
# chain of REPS+1 kernels where every stage retrieves + finishes the previous
# stage's files and preserves a fresh set:
#   bench-stock-rN        stock kernel, shmem
#   bench-luo-rN          luo kernel, the same shmem files
#   bench-luo-hugetlb     luo kernel, HugeTLB 2 MiB and 1 GiB
#   bench-stock-thp, bench-luo-thp
#                         shmem in 2 MiB folios (shmem THP forced while each
#                         file is written), each kernel its own run so that the
#                         first file's kexec->retrieved is a blackout of its
#                         own; --smoke has one such file in the shmem runs
# The shmem runs alternate stock, luo, stock, luo ... for ROUNDS rounds, so
# that drift of a shared, noisy host hits both kernels alike; medians are over
# all ROUNDS x REPS samples. HugeTLB has its own run so that its files do not
# change where the luo run's shmem files land (in or out of KHO scratch).
# Every size is also measured with 1 % of its pages written (the rest
# holes) at the largest size: rows "shmem 1%" and "hugetlb-2M 1%", with the
# memory preserve took, and 16 GiB with 64 MiB written (luo only). --sparse
# measures 1 GiB at 1 % and 100 %, 64 MiB and 16 GiB with 64 MiB written.
# Results: build/bench/results.{json,md}, build/bench/plot.png; with
# --publish also docs/performance.md and docs/performance.png.
#
# usage: bench/run.sh [--smoke] [--sparse] [--reps N] [--rounds N] [--publish]
set -euo pipefail
. "$(dirname "$0")/../scripts/lib.sh"

reps=4 rounds=2 smoke=0 sparse=0 publish=0
while [ $# -gt 0 ]; do
	case "$1" in
	--smoke) smoke=1; reps=1; rounds=1; shift ;;
	--sparse) sparse=1; shift ;;
	--reps) reps=$2; shift 2 ;;
	--rounds) rounds=$2; shift 2 ;;
	--publish) publish=1; shift ;;
	*) echo "usage: $0 [--smoke] [--sparse] [--reps N] [--rounds N] [--publish]" >&2; exit 2 ;;
	esac
done
[ "$reps" -ge 1 ] || die "--reps must be at least 1"
[ "$rounds" -ge 1 ] || die "--rounds must be at least 1"

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
elif [ $sparse -eq 1 ]; then
	sizes=(1024)
	mem=8G
	hp="hugepagesz=2M hugepages=700 kho_scratch=64M,512M,256M"
else
	sizes=(64 256 1024)
	mem=8G
	hp="hugepagesz=2M hugepages=760 hugepagesz=1G hugepages=2 kho_scratch=64M,512M,256M"
fi
runs=()
for ((r = 1; r <= rounds; r++)); do runs+=("stock-r$r" "luo-r$r"); done
runs+=(luo-hugetlb)
: > "$out/shmem.conf"; : > "$out/hugetlb.conf"
for s in "${sizes[@]}"; do
	echo "shmem $((s * M))" >> "$out/shmem.conf"
	echo "hugetlb-2M $((s * M))" >> "$out/hugetlb.conf"
	[ "$s" -ge 1024 ] && [ $sparse -eq 0 ] && echo "hugetlb-1G $((s * M))" >> "$out/hugetlb.conf"
done
# The largest size again with 1 % of its pages written.
echo "shmem $((sizes[-1] * M)) 1" >> "$out/shmem.conf"
echo "hugetlb-2M $((sizes[-1] * M)) 1" >> "$out/hugetlb.conf"
# 16 GiB with 64 MiB written, beside a full 64 MiB file (--sparse only has
# 1 GiB). Not on stock, which fills every hole at preserve: 16 GiB would not
# fit in the guest.
if [ $sparse -eq 1 ]; then
	echo "shmem $((64 * M))" >> "$out/shmem.conf"
	echo "hugetlb-2M $((64 * M))" >> "$out/hugetlb.conf"
fi
# shmem in 2 MiB folios, every size (not --sparse).
: > "$out/thp.conf"
if [ $sparse -eq 0 ]; then
	for s in "${sizes[@]}"; do echo "shmem-thp $((s * M))" >> "$out/thp.conf"; done
	if [ $smoke -eq 1 ]; then
		cat "$out/thp.conf" >> "$out/shmem.conf"
	else
		runs+=(stock-thp luo-thp)
	fi
fi
cp "$out/shmem.conf" "$out/shmem-luo.conf"
if [ $smoke -eq 0 ]; then
	echo "shmem $((16384 * M)) 1/256" >> "$out/shmem-luo.conf"
	echo "hugetlb-2M $((16384 * M)) 1/256" >> "$out/hugetlb.conf"
fi

chain() { local k=$1 c=$1 i; for ((i = 0; i < $2; i++)); do c="$c,$k"; done; echo "$c"; }
rc=0 dirs=()
for r in "${runs[@]}"; do
	k=${r%%-*} conf=$out/shmem.conf n=$reps
	[ "$k" = luo ] && conf=$out/shmem-luo.conf
	[ "$r" = luo-hugetlb ] && conf=$out/hugetlb.conf
	case $r in *-thp) conf=$out/thp.conf ;; esac
	# Every file first in some stage (bench.c, "Cold and warm"): round N
	# of a kernel starts where round N-1 stopped, and a run of one round
	# has at least as many repetitions as files.
	nf=$(wc -l < "$conf")
	rot=0
	case $r in
	*-r[0-9]*) rot=$(((${r##*-r} - 1) * reps)) ;;
	*) [ $smoke -eq 1 ] || [ "$nf" -le "$n" ] || n=$nf ;;
	esac
	{ echo "rotate $rot"; cat "$conf"; } > "$out/conf-$r"
	say "bench: $r ($k kernel), $n repetitions of: $(awk '{printf "%s %dM %s, ", $1, $2 / 1048576, $3 ? $3 : "all"}' "$conf")"
	"$REPO/scripts/qemu-run.sh" --name "bench-$r" --chain "$(chain "$k" "$n")" --mem "$mem" \
		--cpus 2 --append "$hp" --timeout $((300 + 300 * n)) \
		--stage "$BUILD/bench/bench" --file "$out/conf-$r:/etc/bench.conf" || rc=1
	dirs+=("$BUILD/runs/bench-$r")
done
[ $rc -eq 0 ] || die "step 'bench runs' failed (logs in $BUILD/runs/bench-*)"

args=(--out "$out" --runs "${dirs[@]}")
[ $publish -eq 1 ] && args+=(--publish "$REPO/docs")
step "bench report" "$LOGS/bench-report.log" python3 "$REPO/bench/report.py" "${args[@]}"
cat "$out/results.md"
echo "bench: 1 passed, 0 failed, 0 skipped"
