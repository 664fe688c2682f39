#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Investigation B: 1 GiB HugeTLB pages + KHO scratch, 6 GiB guest.
#  1. default settings, stock and luo: KHO stays enabled, 3 gigantic pages,
#     and on luo a memfd is carried across a kexec (cold boot, then KHO boot).
#  2. scratch that no longer fits next to the gigantic pages (forced with
#     kho_scratch=1000%, i.e. kernel reservations ~5x those of this guest):
#     stock disables KHO and LUO; luo (patch 0051) shrinks the area, keeps
#     KHO, kexecs, and both kernels have the 3 gigantic pages.
# Last line: "gigantic-scratch: N passed, N failed".
set -uo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
. "$repo/scripts/lib.sh"
out=$BUILD/research
mkdir -p "$out"
hdr=$BUILD/kernel/stock/usr/include
gcc -static -O2 -Wall -Wextra -Werror -I "$hdr" -o "$out/memfd_bench" \
	"$repo/tests/research/memfd_bench.c" || die "cannot build memfd_bench"
stage=$repo/tests/research/gigantic_stage.sh
huge="hugepagesz=1G hugepages=3"
carry="lubench.reps=0 lubench.carry=64"
pass=0 fail=0
run() { # NAME EXPECT-EXIT ARGS...
	local n=$1 want=$2 rc=0
	shift 2
	"$repo/scripts/qemu-run.sh" --name "$n" --stage "$stage" --mem 6G --timeout 900 "$@" \
		> "$out/$n.log" 2>&1 || rc=$?
	grep -h '^ *\(not \)\?ok\|^# 1G\|^# kho boot' "$BUILD/runs/$n/stage.log" | sed "s/^/  $n: /"
	if { [ "$want" = pass ] && [ $rc -eq 0 ]; } || { [ "$want" = fail ] && [ $rc -ne 0 ]; }; then
		pass=$((pass + 1)); echo "ok - $n"
	else
		fail=$((fail + 1)); echo "not ok - $n ($(tail -1 "$out/$n.log"))"
	fi
}
run research-giga-stock-default pass --chain stock,stock --append "$huge research.expect=works"
run research-giga-luo-default pass --chain luo,luo --file "$out/memfd_bench" \
	--append "$huge research.expect=works $carry"
run research-giga-stock-tight pass --chain stock --append "$huge kho_scratch=1000% research.expect=broken"
run research-giga-luo-tight pass --chain luo,luo --file "$out/memfd_bench" \
	--append "$huge kho_scratch=1000% research.expect=works $carry"
grep -a "KHO:.*scratch" "$BUILD/runs/research-giga-luo-tight/console.log" | sed 's/^/# luo-tight: /'
echo "gigantic-scratch: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
