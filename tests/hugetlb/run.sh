#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# HugeTLB memfd live update tests through the QEMU runner (luo kernel):
#   hugetlb-chain3    luo -> luo -> luo, 6 GiB guest, hugepages 2M=64 1G=2:
#                     2 MiB and 1 GiB files (one 1 GiB page), three sessions
#                     (retrieved A re-preserved each time, fresh B, U finished
#                     without retrieve), seals, position, holes, frozen file,
#                     abort before kexec, pool counters before/after; in A
#                     also an MFD_NOEXEC_SEAL file (F_SEAL_EXEC only, 0666,
#                     mappable writable), a 12 KiB file (fallocate) in one
#                     2 MiB page, and seals added after PRESERVE_FD (kept;
#                     F_SEAL_WRITE refused with EBUSY)
#   hugetlb-unknown   luo -> luo, the second without the HugeTLB handler: the
#                     HugeTLB file fails its retrieve (EOPNOTSUPP), the shmem
#                     files beside it and in another session come back
#   hugetlb-k-gt-n    2 MiB only, 27 pages preserved, next kernel hugepages=8:
#                     boot pool 0, pool 27 once everything is back (set A's
#                     exec-sealed, 12 KiB and late-sealed files run here too)
#   hugetlb-to-stock-loss  luo -> stock with a HugeTLB file preserved: stock
#                     loses the whole handover (EIO on open), logged
#   hugetlb-to-stock-avoid  the same after the sender closed the HugeTLB
#                     file's session: the shmem session comes back on stock
#   hugetlb-pool-sysctl  next kernel without hugepages=: vm.nr_hugepages=12
#                     written while 8 pages are owed allocates 4, the pool
#                     ends at 12 once they are back (not 20)
#   hugetlb-pool-surplus  next kernel hugepages=8 with 4 surplus pages in
#                     use: the 4 finished pages make them persistent; the
#                     pool ends at its 8 pages, all free
#   hugetlb-pernode   2 MiB only, next kernel hugepages=0:40 (per node):
#                     refused with a warning, node-balanced 40 - 27 at boot
#   hugetlb-cma       hugetlb_cma=1G: a 1 GiB file from CMA is refused
#                     (EOPNOTSUPP, logged), a 2 MiB file is not
#   hugetlb-corrupt   luo x2: the first kernel corrupts one file per mode of
#                     luo_memfd_common's test knob at freeze (folio array:
#                     modes 1-7; header: position, size, flag, seal, count
#                     one short, count 2^40; serialized_data beyond RAM or
#                     not preserved); the
#                     next refuses each (EINVAL or EOPNOTSUPP, logged during
#                     its retrieve) and gives the pages back to the pool
#   hugetlb-corrupt-flb luo x2: the accounting FLB's counts corrupted at
#                     freeze; the next kernel refuses them at boot (logged,
#                     pool not reduced), both files still come back whole
#   hugetlb-kunit     KUnit suites luo_memfd_hstate and memfd_hugetlb_luo
# Each run prints "NAME: N passed, N failed, N skipped"; exits non-zero if
# any run failed. Needs the luo kernel built (scripts/build-kernel.sh luo).
#
# With --debug the runs boot the debug variant (KASAN, lockdep, DEBUG_VM,
# kmemleak, UBSAN) and are named NAME-debug. --only takes one name or
# several, separated by spaces or commas.
#
# usage: tests/hugetlb/run.sh [--debug] [--only NAMES]
set -euo pipefail
. "$(dirname "$0")/../../scripts/lib.sh"

only="" ours=luo sfx=""
while [ $# -gt 0 ]; do
	case "$1" in
	--only) only=$2; shift 2 ;;
	--debug) ours=debug sfx=-debug; shift ;;
	*) die "usage: $0 [--debug] [--only NAMES]" ;;
	esac
done
out=$BUILD/tests/hugetlb
mkdir -p "$out"
khdr=$BUILD/kernel/luo/usr/include
[ -d "$khdr" ] || die "kernel luo is not built (scripts/build-kernel.sh luo)"

build() {
	gcc -static -O2 -Wall -Wextra -Werror -isystem "$khdr" \
		-o "$out/hugetlb_stage" "$REPO/tests/hugetlb/hugetlb_stage.c" &&
	make -s -C "$REPO" libluo &&
	gcc -static -O2 -Wall -Wextra -Werror -I"$REPO/include" \
		-o "$out/unknown" "$REPO/tests/common/unknown.c" "$BUILD/libluo/libluo.a" &&
	gcc -static -O2 -Wall -Wextra -Werror -I"$REPO/include" \
		-o "$out/pool" "$REPO/tests/hugetlb/pool.c" "$BUILD/libluo/libluo.a"
}
step "build hugetlb stage programs" "$LOGS/hugetlb-build.log" build

cat > "$out/kunit-stage.sh" <<'SH'
#!/bin/sh
# KUnit ran during boot; its KTAP is in the kernel log.
exit 0
SH
chmod +x "$out/kunit-stage.sh"

rc=0
run() { # NAME ARGS...
	selected "$only" "$1" || return 0
	"$REPO/scripts/qemu-run.sh" --name "$1$sfx" "${@:2}" || rc=1
}
run hugetlb-chain3 --chain $ours,$ours,$ours --mem 6G --stage "$out/hugetlb_stage" \
	--append "hugepagesz=2M hugepages=64 hugepagesz=1G hugepages=2" \
	--timeout 420
# The next kernel lacks the HugeTLB handler (its initcall is blacklisted):
# only the HugeTLB file is lost, not its session or the others.
run hugetlb-unknown --chain $ours,$ours --mem 2G --stage "$out/unknown" \
	--append "hugepagesz=2M hugepages=4" \
	--append-stage "2:initcall_blacklist=hml_init" --timeout 240
# Into stock 7.3, which has no HugeTLB handler: what it costs, and the
# sender's way to avoid it (docs/hugetlb.md, rollback to stock).
run hugetlb-to-stock-loss --chain $ours,stock --mem 2G --stage "$out/unknown" \
	--append "hugepagesz=2M hugepages=4 unknown.mode=stock-loss" --timeout 240
run hugetlb-to-stock-avoid --chain $ours,stock --mem 2G --stage "$out/unknown" \
	--append "hugepagesz=2M hugepages=4 unknown.mode=stock-avoid" --timeout 240
# The pool when it is not set by hugepages= at boot alone (tests/hugetlb/pool.c).
run hugetlb-pool-sysctl --chain $ours,$ours --mem 2G --stage "$out/pool" \
	--append-stage "1:hugepagesz=2M hugepages=16" \
	--append-stage "2:hugepagesz=2M hlt.pool=sysctl" --timeout 240
run hugetlb-pool-surplus --chain $ours,$ours --mem 2G --stage "$out/pool" \
	--append-stage "1:hugepagesz=2M hugepages=16" \
	--append-stage "2:hugepagesz=2M hugepages=8 hlt.pool=surplus" --timeout 240
run hugetlb-k-gt-n --chain $ours,$ours --mem 2G --stage "$out/hugetlb_stage" \
	--append "hlt.mode=2m" \
	--append-stage "1:hugepagesz=2M hugepages=64" \
	--append-stage "2:hugepagesz=2M hugepages=8" --timeout 240
run hugetlb-pernode --chain $ours,$ours --mem 2G --stage "$out/hugetlb_stage" \
	--append "hlt.mode=2m" \
	--append-stage "1:hugepagesz=2M hugepages=64" \
	--append-stage "2:hugepagesz=2M hugepages=0:40 hlt.pernode=1" --timeout 240
run hugetlb-cma --chain $ours --mem 6G --stage "$out/hugetlb_stage" \
	--append "hlt.mode=cma hugetlb_cma=1G hugepagesz=1G hugepages=0 hugepagesz=2M hugepages=8 kho_scratch=32M,128M,128M" \
	--timeout 200
run hugetlb-corrupt --chain $ours,$ours --mem 2G --stage "$out/hugetlb_stage" \
	--append "hlt.mode=corrupt hugepagesz=2M hugepages=192" --timeout 300
run hugetlb-corrupt-flb --chain $ours,$ours --mem 2G --stage "$out/hugetlb_stage" \
	--append "hlt.mode=corrupt-flb hugepagesz=2M hugepages=16" --timeout 300
run hugetlb-kunit --chain $ours --mem 6G --kunit '*memfd_h*' \
	--append "hugepagesz=2M hugepages=8 hugepagesz=1G hugepages=2" \
	--stage "$out/kunit-stage.sh" --timeout 300
exit $rc
