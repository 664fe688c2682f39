#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Upstream's tools/testing/selftests/liveupdate tests, built statically from
# the pristine source (the functional test against a copy of
# kselftest_harness.h whose per-test limit is 300 s, below) and run through
# the QEMU runner on one kernel variant:
# the functional "liveupdate" test in one boot, and the four kexec tests
# (luo_kexec_simple, luo_multi_session, luo_stress_files: 500 files in a
# session, luo_stress_sessions: 2000 sessions) across one kexec (KERNEL ->
# KERNEL): each stage runs all four, one KTAP result each (their session
# names are distinct and each holds its own sessions), which saves three
# chains of two boots.
#
# usage: tests/upstream/run.sh stock|luo|debug
set -euo pipefail
. "$(dirname "$0")/../../scripts/lib.sh"

[ $# -eq 1 ] || { echo "usage: $0 stock|luo|debug" >&2; exit 2; }
variant=$1
src=$(kernel_source)
st=$src/tools/testing/selftests
out=$BUILD/tests/upstream/$variant
mkdir -p "$out"
kexec_tests="luo_kexec_simple luo_multi_session luo_stress_files luo_stress_sessions"
# The debug kernel has the luo kernel's uAPI (and may still be building).
khdr=$BUILD/kernel/${variant/debug/luo}/usr/include
[ -d "$khdr" ] || die "kernel $variant is not built (make kernels)"

# The functional test runs under kselftest_harness.h, which kills a test
# after 30 s (TEST_TIMEOUT_DEFAULT): preserve_many_sessions took longer on
# the KASAN kernel with the host loaded, and failed as "Test terminated by
# timeout". A time limit here is a hang detector only (docs/testing.md), so
# it is built from a copy of the harness whose limit is 300 s: still below
# the runner's stall window, so a hung test is named by the harness. The
# test's own source is copied unchanged, beside the copied headers it
# includes by relative path.
harness_timeout=300
build() {
	local h=$out/src
	mkdir -p "$h/liveupdate"
	cp "$st/kselftest.h" "$h/" &&
	cp "$st/liveupdate/liveupdate.c" "$h/liveupdate/" &&
	sed "s/^#define TEST_TIMEOUT_DEFAULT 30\$/#define TEST_TIMEOUT_DEFAULT $harness_timeout/" \
		"$st/kselftest_harness.h" > "$h/kselftest_harness.h" || return 1
	grep -q "^#define TEST_TIMEOUT_DEFAULT $harness_timeout\$" "$h/kselftest_harness.h" || {
		echo "kselftest_harness.h: TEST_TIMEOUT_DEFAULT 30 not found" >&2
		return 1
	}
	for t in liveupdate $kexec_tests; do
		c=$st/liveupdate/$t.c
		[ "$t" = liveupdate ] && c=$h/liveupdate/$t.c
		gcc -static -O2 -Wall -Wno-unused-function -isystem "$khdr" \
			-I "$st" -I "$st/liveupdate/lib/include" \
			-o "$out/$t" "$c" "$st/liveupdate/lib/lu_utils.c" || return 1
	done
}
step "build upstream liveupdate selftests" "$LOGS/upstream-build-$variant.log" build

# Stage scripts turn each program's exit status into a KTAP line.
cat > "$out/functional.sh" <<'SH'
#!/bin/sh
/bin/liveupdate
SH
cat > "$out/kexec.sh" <<SH
#!/bin/sh
echo "KTAP version 1"
echo "1..$(echo $kexec_tests | wc -w)"
n=0 rc=0
# Each test's output as diagnostic lines, then its result. Its stdout is a
# pipe, so it comes in one block at the end: a line every 10 s meanwhile,
# since a stress test under KASAN on a slow host must not look like a hang.
for t in $kexec_tests; do
	n=\$((n + 1))
	echo "# \$t stage \$1: running"
	( while sleep 10; do echo "# \$t stage \$1: still running"; done ) &
	tick=\$!
	{ /bin/\$t -s \$1 2>&1; echo \$? > /tmp/\$t.rc; } | sed 's/^/# /'
	kill \$tick
	if [ "\$(cat /tmp/\$t.rc)" = 0 ]; then
		echo "ok \$n \$t stage \$1"
	else
		echo "not ok \$n \$t stage \$1"
		rc=1
	fi
done
exit \$rc
SH
chmod +x "$out"/*.sh

# Default KHO scratch on every kernel, the KASAN one included (patch 0052
# sizes it for the shadow).
extra=()
total_rc=0
"$REPO/scripts/qemu-run.sh" --name "upstream-liveupdate-$variant" --chain "$variant" \
	--stage "$out/functional.sh" --file "$out/liveupdate" --timeout 180 "${extra[@]}" || total_rc=1
files=()
for t in $kexec_tests; do
	files+=(--file "$out/$t")
done
"$REPO/scripts/qemu-run.sh" --name "upstream-kexec-$variant" --chain "$variant,$variant" \
	--stage "$out/kexec.sh" "${files[@]}" --timeout 240 "${extra[@]}" || total_rc=1
exit $total_rc
