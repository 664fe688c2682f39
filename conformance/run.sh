#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Run the LUO conformance suite through the QEMU runner: the in-kernel layer
# (KUnit suite luo_conformance) and the end-to-end layer (across kexecs).
#
# usage: conformance/run.sh [--handler shmem|hugetlb-2M|hugetlb-1G|eventfd|all] [--kernel luo|debug|stock]
#                           [--require H1,H2] [--part all|main|debug] [--only NAMES]
#                           [--no-build]
#
# Chains, in this order (one QEMU run each, run directory
# build/runs/conformance-NAME; the debug kernel's last, as it may still be
# building):
#   kunit-K     KUnit suite luo_conformance booted on K (not on stock, which
#               has no such suite), 3 GiB guest with 2 MiB and 1 GiB pools
#   K3          K,K,K (K = --kernel, default luo): three kernels, 3 GiB guest,
#               HugeTLB pools, the 1 GiB variants (luo_conformance.big=1)
#   stock-luo   stock -> luo, shmem (memfd-v2) only
#   luo-stock   luo -> stock, shmem (memfd-v2) only
#   kunit-debug kunit-K on the debug kernel (unless K is debug)
#   debug       debug -> debug (KASAN, lockdep, DEBUG_VM, kmemleak), if
#               build/kernel/debug/bzImage exists and --kernel is not debug;
#               3 GiB like K3; with --handler all, shmem, hugetlb-2M and
#               eventfd
#   debug-1G    the same for hugetlb-1G (with --handler all)
# Prints each chain's "NAME: N passed, N failed, N skipped" line, then
# "conformance total: N passed, N failed, N skipped". Exit 1 if anything failed.
#
# --require makes a missing handler a failure instead of a skip
# (luo_conformance.require=...; also CONFORMANCE_REQUIRE in the environment).
# --part main runs the chains above kunit-debug, --part debug the debug
# kernel's chains only (kunit-debug, debug, debug-1G): scripts/run-tests.sh
# runs them as separate suites, so that the main part does not hold a slot
# while the debug kernel is still building.
# --only runs the named chains only (names as above, separated by commas or
# spaces: "--only kunit-debug,debug-1G"); tests/suites splits the debug part
# in two suites so that they can run side by side.
set -euo pipefail
. "$(dirname "$0")/../scripts/lib.sh"

handler=all kernel=luo require=${CONFORMANCE_REQUIRE:-} build=1 part=all only=""
usage() {
	sed -n 's/^# \{0,1\}//; 6,8p' "$0" >&2
	exit 2
}
while [ $# -gt 0 ]; do
	case "$1" in
	--handler) handler=$2; shift 2 ;;
	--kernel) kernel=$2; shift 2 ;;
	--require) require=$2; shift 2 ;;
	--part) part=$2; shift 2 ;;
	--only) only=$2; shift 2 ;;
	--no-build) build=0; shift ;;
	-h | --help) usage ;;
	*) echo "conformance: unknown option $1" >&2; usage ;;
	esac
done
case "$handler" in shmem | hugetlb-2M | hugetlb-1G | eventfd | all) ;; *) usage ;; esac
case "$kernel" in luo | debug | stock) ;; *) usage ;; esac
case "$part" in all | main | debug) ;; *) usage ;; esac

bin=$REPO/build/conformance/luo-conformance
if [ $build -eq 1 ]; then
	make -s -C "$REPO" -f conformance/conformance.mk REPO="$REPO" conformance-build >&2
fi
[ -x "$bin" ] || { echo "conformance: $bin is missing (make conformance-build)" >&2; exit 1; }

# HugeTLB pools: 48 x 2 MiB covers the 2 MiB variants (main, unretrieved and
# closed files at once) in every stage. One 1 GiB page for the 1 GiB variant,
# in stage 1 only: later stages reuse the retrieved file, and a preserved
# 1 GiB page plus a fresh pool page plus the 1 GiB shmem variant would not fit
# a 3 GiB guest. Later stages still register the 1 GiB page size.
pools="hugepagesz=2M hugepages=64 hugepagesz=1G"
common="luo_conformance.handlers=$handler"
[ -n "$require" ] && common="$common luo_conformance.require=$require"
# Stock 7.3 fills holes at preserve: a sparse file comes back without them.
[ "$kernel" = stock ] && common="$common luo_conformance.holes_filled=1"

total_p=0 total_f=0 total_s=0 failed=()
run_chain() { # NAME CHAIN MEM TIMEOUT APPEND [qemu-run.sh options...]
	local name=conformance-$1 chain=$2 mem=$3 timeout=$4 append=$5 line rc=0
	selected "$only" "$1" || return 0
	shift 5
	line=$("$REPO/scripts/qemu-run.sh" --name "$name" --stage "$bin" --chain "$chain" \
		--mem "$mem" --timeout "$timeout" --append "$append" "$@" \
		2> >(grep -v '^\[' >&2) | tail -1) || rc=$?
	if ! [[ "$line" =~ ([0-9]+)\ passed,\ ([0-9]+)\ failed,\ ([0-9]+)\ skipped$ ]]; then
		line="$name: 0 passed, 1 failed, 0 skipped"
		[[ "$line" =~ ([0-9]+)\ passed,\ ([0-9]+)\ failed,\ ([0-9]+)\ skipped$ ]]
	fi
	echo "$line"
	total_p=$((total_p + BASH_REMATCH[1]))
	total_f=$((total_f + BASH_REMATCH[2]))
	total_s=$((total_s + BASH_REMATCH[3]))
	if [ $rc -ne 0 ] || [ "${BASH_REMATCH[2]}" -gt 0 ]; then
		failed+=("$name")
	fi
}

# In-kernel layer: every generic case once per handler descriptor.
kpools="hugepagesz=2M hugepages=8 hugepagesz=1G hugepages=1"
kstage=$REPO/conformance/kunit-stage.sh
main=1 debug=1
[ "$part" = debug ] && main=0
[ "$part" = main ] && debug=0
if [ $main -eq 1 ] && [ "$kernel" != stock ]; then
	run_chain kunit-"$kernel" "$kernel" 3G 300 "$kpools $common" \
		--kunit luo_conformance --stage "$kstage"
fi

# End-to-end layer.
# Our kernels have the liveupdate_corrupt knob the corrupt cases need.
corrupt=""
[ "$kernel" != stock ] && corrupt="luo_conformance.corrupt=1"
[ $main -eq 1 ] && run_chain "$kernel"3 "$kernel,$kernel,$kernel" 3G 420 "$pools $common $corrupt luo_conformance.big=1" \
	--append-stage "1:hugepages=1"
if [ $main -eq 1 ] && { [ "$handler" = all ] || [ "$handler" = shmem ]; }; then
	# The 1 GiB shmem variant (luo_conformance.big=1) crosses stock -> luo too.
	run_chain stock-luo stock,luo 3G 240 "luo_conformance.handlers=shmem luo_conformance.big=1" \
		--append-stage "2:luo_conformance.holes_filled=1"
	run_chain luo-stock luo,stock 2G 240 "luo_conformance.handlers=shmem"
fi
# The debug kernel's chains come last: scripts/run-tests.sh builds it while
# the first suites run, and the runner waits for a pending build.
have_debug=0
[ -f "$REPO/build/kernel/debug/bzImage" ] || [ -f "$REPO/build/kernel/debug/build.pending" ] &&
	have_debug=1
if [ $debug -eq 1 ] && [ "$kernel" = luo ] && [ $have_debug -eq 1 ]; then
	run_chain kunit-debug debug 3G 600 "$kpools $common" \
		--kunit luo_conformance --stage "$kstage"
fi
if [ $debug -eq 1 ] && [ "$kernel" != debug ]; then
	if [ $have_debug -eq 1 ]; then
		# The luo chain's 3 GiB, default KHO scratch (patch 0052 counts
		# the KASAN shadow once), the 1 GiB variants (big=1). KASAN
		# needs its shadow (1/8 of memory) twice, once in use and once
		# in the scratch the next kernel boots in, so a pinned 1 GiB
		# shmem file and a 1 GiB page do not fit one 3 GiB debug guest
		# together (docs/testing.md): each gets a chain of its own.
		dcommon=${common/luo_conformance.handlers=all/}
		case "$handler" in
		all)
			run_chain debug debug,debug 3G 600 \
				"hugepagesz=2M hugepages=64 $dcommon luo_conformance.handlers=shmem,hugetlb-2M,eventfd luo_conformance.corrupt=1 luo_conformance.big=1"
			run_chain debug-1G debug,debug 3G 600 \
				"hugepagesz=1G $dcommon luo_conformance.handlers=hugetlb-1G luo_conformance.corrupt=1 luo_conformance.big=1" \
				--append-stage "1:hugepages=1"
			;;
		*)
			run_chain debug debug,debug 3G 600 \
				"$pools $common luo_conformance.corrupt=1 luo_conformance.big=1" \
				--append-stage "1:hugepages=1"
			;;
		esac
	else
		echo "conformance: debug chain not run: build/kernel/debug/bzImage is not built (make kernel-debug)" >&2
		echo "conformance-debug: 0 passed, 1 failed, 0 skipped"
		total_f=$((total_f + 1))
		failed+=(conformance-debug)
	fi
fi

[ ${#failed[@]} -gt 0 ] && echo "conformance: failed chains: ${failed[*]} (logs in build/runs/<chain>/)" >&2
echo "conformance total: $total_p passed, $total_f failed, $total_s skipped"
[ $total_f -eq 0 ]
