#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The runner must report what happened: a good chain across all three
# kinds of hop passes, and so does a stage slower than its budget that keeps
# printing; a failing KTAP line, a stage exiting non-zero, a kernel panic, a
# stage that hangs (sleeps forever), one that prints forever, a run without
# results, output that falls short of its plan, results before a plan and a
# "not ok # SKIP" each fail (docs/testing.md). With --debug, on the debug
# kernel instead: its hang detectors have the thresholds the runner passes,
# and a kernel memory leak (the test-only debugfs knob
# luo_memfd_common/leak) fails the run, so kmemleak's findings do reach the
# verdict.
#
# usage: selftest.sh [--debug]
set -euo pipefail
. "$(dirname "$0")/../../scripts/lib.sh"
debug=0
case "${1:-}" in
'') ;;
--debug) debug=1 ;;
*) echo "usage: $0 [--debug]" >&2; exit 2 ;;
esac

dir=$BUILD/tests/runner
mkdir -p "$dir"
mk() { # NAME BODY: a busybox sh stage script
	printf '#!/bin/sh\n%s\n' "$2" > "$dir/$1.sh"
	chmod +x "$dir/$1.sh"
}
mk good 'echo "KTAP version 1"; echo "1..1"; echo "ok 1 stage $1 of $2"'
mk notok 'echo "KTAP version 1"; echo "1..2"; echo "ok 1 a"; echo "not ok 2 b"'
mk exit3 'echo "KTAP version 1"; echo "1..1"; echo "ok 1 a"; exit 3'
mk panic 'echo "KTAP version 1"; echo "1..1"; echo "ok 1 a"; echo c > /proc/sysrq-trigger; sleep 30'
mk hang 'echo "KTAP version 1"; echo "1..1"; echo "ok 1 a"; while :; do sleep 100000; done'
mk livelock 'echo "KTAP version 1"; echo "1..1"; while :; do echo "# still busy"; sleep 1; done'
mk slow 'echo "KTAP version 1"; echo "1..5"; for i in 1 2 3 4 5; do sleep 8; echo "ok $i step $i"; done'
mk short 'echo "KTAP version 1"; echo "1..3"; echo "ok 1 a"; echo "ok 2 b"'
mk noplan 'echo "KTAP version 1"; echo "ok 1 a"; echo "1..1"'
mk notokskip 'echo "KTAP version 1"; echo "1..2"; echo "ok 1 a"; echo "not ok 2 b # SKIP not here"'
mk silent 'exit 0'
# The debug kernel's hang detectors got the runner's thresholds (a plain
# hung_task_timeout_secs=300 was silently ignored: 7.3 has only the sysctl).
mk detectors 'echo "KTAP version 1"; echo "1..4"; i=0
for kv in hung_task_timeout_secs=300 hung_task_panic=1 watchdog_thresh=60 softlockup_panic=1; do
	i=$((i + 1)); k=${kv%%=*}; v=$(cat /proc/sys/kernel/$k 2>&1)
	if [ "$v" = "${kv#*=}" ]; then echo "ok $i kernel.$k = $v"; else echo "not ok $i kernel.$k = $v, expected ${kv#*=}"; fi
done'
mk leak 'echo "KTAP version 1"; echo "1..1"
sh -c "echo 1 > /sys/kernel/debug/luo_memfd_common/leak" && echo "ok 1 leaked 8 objects"'

n=0 pass=0
check() { # DESC EXPECT(pass|fail) PATTERN RUNNER-ARGS...
	local desc=$1 expect=$2 pat=$3 out rc=0
	shift 3
	n=$((n + 1))
	out=$("$REPO/scripts/qemu-run.sh" "$@" 2>&1) || rc=$?
	if { [ "$expect" = pass ] && [ $rc -eq 0 ]; } ||
	   { [ "$expect" = fail ] && [ $rc -ne 0 ] && grep -q "$pat" <<< "$out"; }; then
		echo "ok $n $desc"; pass=$((pass + 1))
	else
		echo "not ok $n $desc (exit $rc)"; echo "$out" | sed 's/^/# /'
	fi
}
echo "KTAP version 1"
if [ $debug -eq 1 ]; then
	echo "1..3"
	check "the hang detectors have the runner's thresholds" pass "" \
		--name runner-detectors-debug --stage "$dir/detectors.sh" --chain debug
	check "a kernel memory leak fails the run (kmemleak)" fail "unreferenced object" \
		--name runner-leak-debug --stage "$dir/leak.sh" --chain debug
	# The knob's objects were reported, not some other leak.
	n=$((n + 1))
	if grep -q "kmemleak-report: .*lmc_leak_write" "$BUILD/runs/runner-leak-debug/console.log"; then
		echo "ok $n the report names the leaking function (lmc_leak_write)"; pass=$((pass + 1))
	else
		echo "not ok $n the report names the leaking function (lmc_leak_write)"
	fi
	echo "runner-debug: $pass passed, $((n - pass)) failed, 0 skipped"
	[ $pass -eq $n ]
	exit
fi
echo "1..13"
check "chain stock -> luo -> luo -> stock passes" pass "" \
	--name runner-good --stage "$dir/good.sh" --chain stock,luo,luo,stock
check "a not ok line fails the run" fail "KTAP test(s) not ok" \
	--name runner-notok --stage "$dir/notok.sh" --chain luo
check "a stage exiting non-zero fails the run" fail "stage 1 did not run or exited non-zero" \
	--name runner-exit3 --stage "$dir/exit3.sh" --chain luo,luo
check "a kernel panic fails the run" fail "Kernel panic" \
	--name runner-panic --stage "$dir/panic.sh" --chain luo
check "a stage that sleeps forever fails as hung" fail "hang: no console or stage output for 20s" \
	--name runner-hang --stage "$dir/hang.sh" --chain luo --stall 20
check "a stage that prints forever fails at the ceiling" fail "livelock: still printing after 40s" \
	--name runner-livelock --stage "$dir/livelock.sh" --chain luo --timeout 4 --stall 60
check "a stage 4x over its budget that keeps printing passes" pass "" \
	--name runner-slow --stage "$dir/slow.sh" --chain luo --timeout 15 --stall 60
check "output short of its plan fails" fail "plan 1..3 at depth 0 but 2 result" \
	--name runner-short --stage "$dir/short.sh" --chain luo
check "a result before the plan fails" fail "result before any plan" \
	--name runner-noplan --stage "$dir/noplan.sh" --chain luo
check "not ok # SKIP fails" fail "1 KTAP test(s) not ok" \
	--name runner-notokskip --stage "$dir/notokskip.sh" --chain luo
check "not ok # SKIP declared skippable passes" pass "" \
	--name runner-skippable --stage "$dir/notokskip.sh" --chain luo --skippable "not here"
check "a run without results fails" fail "no KTAP result" \
	--name runner-silent --stage "$dir/silent.sh" --chain luo
check "a missing kernel image is refused" fail "does not exist" \
	--name runner-nokernel --stage "$dir/good.sh" --chain /nonexistent/bzImage
echo "runner: $pass passed, $((n - pass)) failed, 0 skipped"
[ $pass -eq $n ]
