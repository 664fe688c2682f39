#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Run every suite listed in tests/suites, each with its output in
# build/logs/test-NAME.log, and end with one line "N passed, N failed, N skipped".
# A suite counts the results it prints ("X: N passed, N failed[, N skipped]"
# lines or cmocka's summary); a suite that exits non-zero without reporting a
# failure counts as one failure, so nothing fails silently.
#
# Like `go test`, a suite that passed before with exactly the same inputs is
# not run again: its counts are reported from the cache, marked "(cached)",
# and the summary says how many suites were. The inputs: every tracked and
# untracked file of the work tree (kernel overlay, patches and configs
# included), the kernel source version, the toolchain (gcc, clang, cmocka,
# static glibc, busybox, QEMU package versions), the environment variables
# that change what runs (LUO_*, KSRC, CONFORMANCE_*, CC, CFLAGS, LDFLAGS) and
# the suite's command. LUO_TEST_CACHE=0 turns this off; CI (CI=true) never
# reads it.
#
# The debug kernel is built while the first suites run; a run that boots it
# waits for that build (scripts/qemu-run.sh).
#
# Suites run LUO_TEST_JOBS (default: CPUs + 1) at a time: a suite is
# mostly one QEMU TCG vCPU thread that also waits (kexec, the runner's
# polls, kmemleak's ageing), so two debug-kernel suites kept only 1.2 of
# two cores busy. Shared build products (libluo, stage programs, runner
# tools) are built first, serially.
# The summary lists the suites in tests/suites order.
#
# Each result line ends with the suite's wall and CPU seconds (user +
# system, QEMU included); build/logs/suite-times.txt lists the suites run
# and the kernel builds, most CPU first: where a slow run's time went.
#
# --full also runs the suites of tests/suites-full (`make test-full`).
#
# usage: run-tests.sh [--full] [SUITE...]   (default: all suites in tests/suites)
set -euo pipefail
. "$(dirname "$0")/lib.sh"

# Whatever stops this script early, its last line is still a result line.
summary_done=0
trap 'rc=$?; if [ $summary_done -eq 0 ]; then
	echo "run-tests: stopped before the summary (exit $rc); see the lines above" >&2
	echo "0 passed, 1 failed, 0 skipped"
fi' EXIT

full=0 want=()
for arg in "$@"; do
	case "$arg" in
	--full) full=1 ;;
	-*) die "unknown option $arg (usage: run-tests.sh [--full] [SUITE...])" ;;
	*) want+=("$arg") ;;
	esac
done
# A named suite must exist; naming one of tests/suites-full runs it too.
for w in "${want[@]}"; do
	awk -v n="$w" '$1 == n { f = 1 } END { exit !f }' "$REPO/tests/suites" ||
		full=1
	awk -v n="$w" '$1 == n { f = 1 } END { exit !f }' "$REPO/tests/suites" "$REPO/tests/suites-full" ||
		die "no suite '$w' in tests/suites or tests/suites-full"
done
lists=("$REPO/tests/suites")
[ $full -eq 1 ] && lists+=("$REPO/tests/suites-full")

# Setup (not counted as tests): the kernels every QEMU suite boots. The
# debug variants build in the background, one after the other, while the
# first suites run; scripts/qemu-run.sh waits for a pending one.
TIMEFORMAT='%0R %0U %0S'
rm -f "$LOGS"/kernel-*.time
for v in stock luo; do
	rc=0
	{ time { "$REPO/scripts/build-kernel.sh" "$v" 2>&3 3>&-; } || rc=$?; } 3>&2 2> "$LOGS/kernel-$v.time"
	if [ $rc -ne 0 ]; then
		echo "run-tests: the $v kernel did not build" >&2
		exit 1
	fi
done
bg_variants=(${LUO_TEST_VARIANTS-debug})
for v in "${bg_variants[@]}"; do
	mkdir -p "$BUILD/kernel/$v"
	rm -f "$BUILD/kernel/$v/build.rc"
	touch "$BUILD/kernel/$v/build.pending"
done
if [ ${#bg_variants[@]} -gt 0 ]; then
	(
		for v in "${bg_variants[@]}"; do
			rc=0
			{ time { "$REPO/scripts/build-kernel.sh" "$v" > "$LOGS/kernel-$v-background.log" 2>&1; } ||
				rc=$?; } 2> "$LOGS/kernel-$v.time"
			echo "$rc" > "$BUILD/kernel/$v/build.rc"
			rm -f "$BUILD/kernel/$v/build.pending"
		done
	) &
	say "building kernels ${bg_variants[*]} in the background (log: $LOGS/kernel-*-background.log)"
fi

# Setup: what several suites build, so that concurrent suites only read it.
step "build shared test programs (libluo, stage programs, luo-inspect, runner tools)" "$LOGS/test-setup.log" \
	make -C "$REPO" -s libluo libluo-integration examples bench-bin conformance-build \
		luo-inspect-static
runner_tools > /dev/null

use_cache=1
[ "${LUO_TEST_CACHE:-1}" = 0 ] && use_cache=0
[ "${CI:-}" = true ] && use_cache=0
jobs_max=${LUO_TEST_JOBS:-$(($(nproc) + 1))}
[[ "$jobs_max" =~ ^[1-9][0-9]*$ ]] || die "LUO_TEST_JOBS must be a positive number"
rcache=$CACHE/test-results
mkdir -p "$rcache"
# The inputs every suite shares (the kernel images follow from the tree, the
# source version and the toolchain).
inputs_key=$( {
	cd "$REPO"
	git ls-files -co --exclude-standard -z | sort -z | xargs -0 sha1sum 2>/dev/null
	cat "$BUILD/kernel/stock/objdir"
	[ -n "${LUO_EXTRA_CONFIG:-}" ] && sha1sum "$LUO_EXTRA_CONFIG"
	dpkg-query -W -f '${Package}=${Version}\n' gcc clang libcmocka-dev libc6-dev \
		busybox-static qemu-system-x86 2>/dev/null
	gcc --version | head -n1
	# No such variable is the common case: grep finding nothing is fine.
	{ env | grep -E '^(LUO_|KSRC=|CONFORMANCE_|CC=|CFLAGS=|LDFLAGS=)' |
		grep -vE '^LUO_(T0|TEST_CACHE|TEST_JOBS)=' | sort; } || true
} | sha1sum | cut -d' ' -f1)

# read_time FILE: set w, u, sy (wall, user and system seconds) from the
# last line of a `time` report; false if FILE has none (a suite killed by
# a signal can leave the shell's notice there instead).
read_time() {
	local l
	l=$(tail -n 1 "$1" 2>/dev/null) || return 1
	[[ "$l" =~ ^([0-9]+)\ ([0-9]+)\ ([0-9]+)$ ]] || return 1
	w=${BASH_REMATCH[1]} u=${BASH_REMATCH[2]} sy=${BASH_REMATCH[3]}
}

# run_suite NAME CMD: run (or take from the cache) one suite; write
# "PASSED FAILED SKIPPED" to its .result file and print its result line.
run_suite() {
	local name=$1 cmd=$2 log=$LOGS/test-$1.log key rc=0 p f s
	rm -f "$log.time"
	key=$(echo "$inputs_key $name $cmd" | sha1sum | cut -d' ' -f1)
	if [ $use_cache -eq 1 ] && [ -f "$rcache/$key" ]; then
		cp "$rcache/$key" "$log"
		touch "$log.cached"
		say "suite $name: (cached: passed before with the same inputs)"
	else
		rm -f "$log.cached"
		say "suite $name: started: $cmd"
		# Wall and CPU seconds (user + system, QEMU's included: every
		# child is waited for), for the time table of the summary.
		# (With redirections on the timed command itself, bash wrote
		# time's report into the suite's log: hence the inner braces.)
		{ time { (cd "$REPO" && bash -c "$cmd") > "$log" 2>&1; } || rc=$?; } 2> "$log.time"
	fi
	# "X total: ..." lines repeat a suite's own parts and are not added.
	read -r p f s < <(awk '
		/^[^ ]* total: / { next }
		match($0, /[0-9]+ passed, [0-9]+ failed(, [0-9]+ skipped)?$/) {
			split(substr($0, RSTART), a, /[^0-9]+/); p += a[1]; f += a[2]; s += a[3]
		}
		/^\[  PASSED  \] [0-9]+ test/ { p += $4 }
		/^\[  FAILED  \] [0-9]+ test/ { f += $4 }
		/^\[  SKIPPED \] [0-9]+ test/ { s += $4 }
		END { printf "%d %d %d\n", p, f, s }' "$log")
	if [ $rc -ne 0 ] && [ "$f" -eq 0 ]; then
		f=1
	fi
	if [ $rc -eq 0 ] && [ $((p + f)) -eq 0 ]; then
		echo "suite $name exited 0 but reported no result" >> "$log"
		f=1
	fi
	local took=""
	if read_time "$log.time"; then
		took=" (${w}s, cpu $((u + sy))s)"
	fi
	if [ "$f" -gt 0 ]; then
		say "suite $name: FAILED ($p passed, $f failed, $s skipped; exit $rc)$took -- log: $log"
		grep -E 'FAIL|not ok|error' "$log" | head -15 | sed 's/^/    /' >&2 || true
	else
		say "suite $name: $p passed, $f failed, $s skipped$took"
		cp "$log" "$rcache/$key"
	fi
	echo "$p $f $s" > "$log.result"
}

# Only suites count against LUO_TEST_JOBS, not the background kernel build:
# a suite waiting for the debug kernel must not leave the other slot idle.
names=() suite_pids=()
running_suites() {
	local n=0 p
	for p in "${suite_pids[@]}"; do
		kill -0 "$p" 2>/dev/null && n=$((n + 1))
	done
	echo "$n"
}
while read -r name cmd; do
	case "$name" in ''|'#'*) continue ;; esac
	if [ ${#want[@]} -gt 0 ] && ! printf '%s\n' "${want[@]}" | grep -qxF "$name"; then
		continue
	fi
	names+=("$name")
	rm -f "$LOGS/test-$name.log.result"
	while [ "$(running_suites)" -ge "$jobs_max" ]; do
		wait -n || true
	done
	run_suite "$name" "$cmd" &
	suite_pids+=($!)
done < <(cat "${lists[@]}")
wait

total_p=0 total_f=0 total_s=0 cached=0
failed_suites=()
for name in "${names[@]}"; do
	result=$LOGS/test-$name.log.result
	if [ -f "$result" ]; then
		read -r p f s < "$result"
	else
		echo "suite $name: no result (runner died?)" >&2
		p=0 f=1 s=0
	fi
	total_p=$((total_p + p)); total_f=$((total_f + f)); total_s=$((total_s + s))
	[ "$f" -gt 0 ] && failed_suites+=("$name")
	[ -f "$LOGS/test-$name.log.cached" ] && cached=$((cached + 1))
done

# Where the time went: one line per suite run here (not cached), longest
# CPU first, in build/logs/suite-times.txt.
{
	for t in "$LOGS"/kernel-*.time; do
		[ -f "$t" ] || continue
		n=${t##*/}
		echo "$t ${n%.time}"
	done
	for name in "${names[@]}"; do
		echo "$LOGS/test-$name.log.time $name"
	done
} | while read -r t name; do
	read_time "$t" || continue
	printf '%6d %6d %s\n' "$((u + sy))" "$w" "$name"
done | sort -rn | { echo "# cpu_s wall_s suite (scripts/run-tests.sh)"; cat; } > "$LOGS/suite-times.txt"
say "suite times (cpu and wall seconds): $LOGS/suite-times.txt"
[ ${#failed_suites[@]} -gt 0 ] && echo "failed suites: ${failed_suites[*]}"
# Cold boots that hung before init and were booted again (scripts/qemu-run.sh).
for name in "${names[@]}"; do
	grep -h ': FLAKE: ' "$LOGS/test-$name.log" 2>/dev/null | sed "s/^/flake in suite $name: /" || true
done
[ $use_cache -eq 1 ] &&
	echo "suites: ${#names[@]}, $cached of them cached (passed before with the same inputs; LUO_TEST_CACHE=0 reruns them)"
summary_done=1
echo "$total_p passed, $total_f failed, $total_s skipped"
[ "$total_f" -eq 0 ]
