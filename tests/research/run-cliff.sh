#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Investigation A: the shmem memfd PRESERVE_FD cost cliff, stock vs luo in
# one run. Boots each kernel once (4 GiB, TCG, 2 vCPUs), preserves fully
# written 4 KiB-page memfds of each size REPS times, then carries one memfd
# across a kexec into the same kernel and checks it there.
#
# usage: tests/research/run-cliff.sh [SIZES_MIB [REPS]]   (default 256,1024 3)
# Last line: "memfd-preserve-cliff: N passed, N failed".
set -uo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
. "$repo/scripts/lib.sh"
sizes=${1:-256,1024}
reps=${2:-3}
name=memfd-preserve-cliff
out=$BUILD/research
mkdir -p "$out"
hdr=$BUILD/kernel/stock/usr/include
[ -d "$hdr/linux" ] || die "build the stock kernel first (scripts/build-kernel.sh stock)"
gcc -static -O2 -Wall -Wextra -Werror -I "$hdr" -o "$out/memfd_bench" \
	"$repo/tests/research/memfd_bench.c" || die "cannot build memfd_bench"

pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok - $*"; }
nok() { fail=$((fail + 1)); echo "not ok - $*"; }

median() { sort -n | awk '{a[NR]=$1} END {if (NR) print a[int((NR+1)/2)]; else print "nan"}'; }

for k in stock luo; do
	if "$repo/scripts/qemu-run.sh" --name "research-cliff-$k" --stage "$out/memfd_bench" \
		--chain "$k,$k" --mem 4G --cpus 2 --timeout 1800 \
		--append "lubench.sizes=$sizes lubench.reps=$reps lubench.carry=256" \
		> "$out/cliff-$k.log" 2>&1; then
		ok "$k: preserve runs and the carried memfd survives the kexec"
	else
		nok "$k: run failed ($(tail -1 "$out/cliff-$k.log"))"
	fi
	cp "$BUILD/runs/research-cliff-$k/stage.log" "$out/cliff-$k.stage.log" 2>/dev/null
done

printf '\n%-6s %8s %14s %14s %10s %14s\n' size stock_ms "(min-max)" luo_ms "(min-max)" luo/stock
declare -A med
for s in ${sizes//,/ }; do
	row=$(printf '%-6s' "${s}M")
	for k in stock luo; do
		v=$(grep -o "BENCH size_mib=$s rep=[0-9]* preserve_ms=[0-9.]*" "$out/cliff-$k.stage.log" 2>/dev/null |
			sed 's/.*preserve_ms=//')
		m=$(echo "$v" | median)
		lo=$(echo "$v" | sort -n | head -1) hi=$(echo "$v" | sort -n | tail -1)
		med[$k.$s]=$m
		row="$row $(printf '%8s %14s' "$m" "($lo-$hi)")"
	done
	ratio=$(awk -v a="${med[luo.$s]}" -v b="${med[stock.$s]}" 'BEGIN {printf (b > 0 ? "%.3f" : "nan"), a / b}')
	echo "$row $(printf '%10s' "$ratio")"
	echo "# ${s} MiB: luo/stock median preserve ratio $ratio"
done
# The mechanism, deterministic whatever the host load: no page of any luo
# file sits in KHO scratch (CMA), so nothing has to be migrated at preserve.
bad=$(grep -o "cma_used_by_file_kb=[-0-9]*" "$out/cliff-luo.stage.log" 2>/dev/null | grep -vc "=0$")
[ "$(grep -c 'BENCH size' "$out/cliff-luo.stage.log" 2>/dev/null)" -gt 0 ] && [ "$bad" -eq 0 ] &&
	ok "luo: no memfd page was allocated in KHO scratch" ||
	nok "luo: $bad memfd(s) had pages in KHO scratch"
last=${sizes##*,}
awk -v a="${med[luo.$last]}" -v b="${med[stock.$last]}" 'BEGIN {exit !(a > 0 && b > 0 && a <= 1.05 * b)}' &&
	ok "${last} MiB: luo median preserve <= 1.05 x stock" ||
	nok "${last} MiB: luo median preserve <= 1.05 x stock"
for k in stock luo; do
	grep -o "BENCH size_mib=[0-9]* rep=[0-9]* preserve_ms=[0-9.]* .*cma_used_by_file_kb=[-0-9]*" \
		"$out/cliff-$k.stage.log" 2>/dev/null | sed "s/^/# $k: /"
	grep -o "BENCH retrieve.*" "$out/cliff-$k.stage.log" 2>/dev/null | sed "s/^/# $k: /"
done
# Linearity on luo: ms per MiB of the largest size within 2x of the smallest.
first=${sizes%%,*}
awk -v a="${med[luo.$first]}" -v b="${med[luo.$last]}" -v sa="$first" -v sb="$last" \
	'BEGIN {exit !(a > 0 && (b / sb) <= 2 * (a / sa))}' &&
	ok "luo preserve is linear: ${med[luo.$last]} ms/${last} MiB vs ${med[luo.$first]} ms/${first} MiB" ||
	nok "luo preserve is linear: ${med[luo.$last]} ms/${last} MiB vs ${med[luo.$first]} ms/${first} MiB"
echo "$name: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
