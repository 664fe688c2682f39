#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# shmem memfd live update tests through the QEMU runner:
#   shmem-stock-to-stock baseline: stock 7.3 both sides (its known bugs SKIP)
#   shmem-stock-to-luo   stock 7.3 preserves, our kernel retrieves
#   shmem-luo-to-stock   our kernel preserves, stock 7.3 retrieves
#   shmem-stock-luo-stock stock -> ours -> stock, the data written on the
#                        first stock kernel read on the last
#   shmem-luo-chain3     luo -> luo -> luo, re-preserving what was retrieved
#   shmem-corrupt        every corruption across one kexec, each mode in a
#                        file and session of its own: our kernel corrupts
#                        them at freeze, the next must refuse each and give
#                        its memory back. The folio array: dup pfn,
#                        unsorted, flags, index past EOF, stale pfn, first
#                        chunk beyond RAM, chunk list that loops, a page of
#                        the array named twice; the header: position past
#                        MAX_LFS_FILESIZE, size below the folios, unknown
#                        file flag, unknown seal, a folio count one short,
#                        a folio count of 2^40; serialized_data beyond RAM
#                        or in memory nobody preserved; every page comes
#                        back, what the handler cannot reach from LUO's
#                        record at finish (patch 0059)
#   shmem-race           races: one file preserved from two sessions at once,
#                        a session closed under a preserve, truncate and
#                        fallocate under a preserve, writers under preserve
#                        and freeze (one file in THP, khugepaged running),
#                        pages preserve must migrate (movablecore=) while
#                        a pipe holds one
#   hugetlb-race         the same races on HugeTLB memfds (race_hugetlb)
#   shmem-sparse         sparse memfds luo -> luo -> luo (tests/shmem/sparse.c):
#                        shmem 0/1/50/100 % written and HugeTLB alike keep
#                        their holes (no memory, no huge page taken), holes
#                        written after preserve come through (write(2) and
#                        mmap), pages swapped out (zram) before preserve and
#                        after it are read back in; pool ends at hugepages=N
#   shmem-sparse-to-stock  the shmem files luo -> stock (stock's retrieve
#                        takes the arrays with gaps)
#   shmem-sparse-from-stock  stock -> luo (stock fills holes: SKIP with the
#                        cost it measured)
#   shmem-retry          (--debug only) a retrieve that fails for want of
#                        memory (fail_function) or at a cgroup limit
#                        (HugeTLB): a retry gives the whole file, a finish
#                        without one gives its memory back; a freeze that
#                        fails aborts the kexec and loses nothing; so does
#                        an accounting FLB that cannot be preserved
#   shmem-kunit          KUnit suite luo_memfd_common on the luo kernel
#   kho-tracker-kunit    KUnit suite kho_tracker (patch 0058), which LUO's
#                        record of each file's memory is made of
# Each run prints "NAME: N passed, N failed, N skipped"; exits non-zero if
# any run failed. Needs the stock and luo kernels built.
#
# With --debug our kernel is the debug variant (KASAN, lockdep, DEBUG_VM,
# kmemleak), with default KHO scratch like every other kernel (patch 0052
# sizes it for the KASAN shadow).
#
# --only takes one name or several, separated by spaces or commas.
#
# usage: tests/shmem/run.sh [--debug] [--only NAMES]
set -euo pipefail
. "$(dirname "$0")/../../scripts/lib.sh"

only="" ours=luo sfx="" extra=()
while [ $# -gt 0 ]; do
	case "$1" in
	--only) only=$2; shift 2 ;;
	--debug) ours=debug sfx=-debug; shift ;;
	*) die "usage: $0 [--debug] [--only NAMES]" ;;
	esac
done
out=$BUILD/tests/shmem
mkdir -p "$out"
khdr=$BUILD/kernel/luo/usr/include
[ -d "$khdr" ] || die "kernel luo is not built (make kernels)"

build() {
	for t in interop corrupt race retry sparse; do
		gcc -static -O2 -Wall -Wextra -Werror -pthread -isystem "$khdr" \
			-o "$out/$t" "$REPO/tests/shmem/$t.c" || return 1
	done
}
step "build shmem interop stage" "$LOGS/shmem-build.log" build

cat > "$out/kunit-stage.sh" <<'SH'
#!/bin/sh
# KUnit ran during boot; its KTAP is in the kernel log.
exit 0
SH
chmod +x "$out/kunit-stage.sh"

rc=0
run() { # NAME ARGS...
	selected "$only" "$1" || return 0
	"$REPO/scripts/qemu-run.sh" --name "$1$sfx" "${@:2}" "${extra[@]}" || rc=1
}
# Stages on stock get shmem_kernel=stock: checks of stock 7.3 bugs fixed in
# our kernel then report SKIP instead of failing.
run shmem-stock-to-stock --chain stock,stock --stage "$out/interop" --timeout 400 \
	--append-stage 1:shmem_kernel=stock --append-stage 2:shmem_kernel=stock
run shmem-stock-to-luo --chain stock,$ours --stage "$out/interop" --timeout 400 \
	--append-stage 1:shmem_kernel=stock
run shmem-luo-to-stock --chain $ours,stock --stage "$out/interop" --timeout 400 \
	--append-stage 2:shmem_kernel=stock
# Data written on stock, carried by ours, read on stock again.
run shmem-stock-luo-stock --chain stock,$ours,stock --stage "$out/interop" --timeout 400 \
	--append-stage 1:shmem_kernel=stock --append-stage 3:shmem_kernel=stock
run shmem-luo-chain3 --chain $ours,$ours,$ours --stage "$out/interop" --timeout 600
# Corrupted folio arrays and headers (debugfs knob in the first kernel) must
# be refused by the next kernel with a clear error, their memory given back.
# All modes in one kexec (tests/shmem/corrupt.c, shmem_corrupt=all;
# shmem_corrupt=N tries one).
run shmem-corrupt --chain $ours,$ours --stage "$out/corrupt" --timeout 300 \
	--append shmem_corrupt=all
# Races around preserve and freeze (tests/shmem/race.c): two sessions
# preserving one file, a session closed under a preserve, truncate and
# fallocate under a preserve, writers (one file in THP) under preserve and
# freeze; the next kernel checks size and every word. movablecore= puts the
# files' pages where they cannot stay pinned, so preserve migrates them
# (under the writers, and while a pipe holds a page).
run shmem-race --chain $ours,$ours --stage "$out/race" --timeout 300 \
	--append movablecore=512M
# The same races on HugeTLB memfds of 2 MiB pages.
run hugetlb-race --chain $ours,$ours --stage "$out/race" --timeout 300 \
	--append "race_hugetlb hugepages=48"
# Sparse memfds: only pages with data are preserved, pages written into
# holes after preserve are picked up at freeze (tests/shmem/sparse.c).
run shmem-sparse --chain $ours,$ours,$ours --stage "$out/sparse" --timeout 400 \
	--append "hugepages=80"
run shmem-sparse-to-stock --chain $ours,stock --stage "$out/sparse" --timeout 400 \
	--append sparse_shmem_only --append-stage 2:shmem_kernel=stock
run shmem-sparse-from-stock --chain stock,$ours --stage "$out/sparse" --timeout 400 \
	--append sparse_shmem_only --append-stage 1:shmem_kernel=stock \
	--append-stage 2:sparse_prev=stock
# A retrieve that runs out of memory (fail_function, debug kernel only) or
# meets a cgroup limit must cost no data: retried it gives the whole file,
# never retried its memory is back at finish; a failing freeze or FLB
# preserve costs nothing either (tests/shmem/retry.c; shmem and HugeTLB).
[ "$ours" = debug ] &&
	run shmem-retry --chain $ours,$ours --stage "$out/retry" --timeout 300 \
		--append "hugepages=32"
run shmem-kunit --chain $ours --kunit 'luo_memfd_common*' \
	--stage "$out/kunit-stage.sh" --timeout 600
run kho-tracker-kunit --chain $ours --kunit 'kho_tracker' \
	--stage "$out/kunit-stage.sh" --timeout 300
exit $rc
