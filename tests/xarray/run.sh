#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The luo kernel patches lib/xarray.c (kernel/patches/0009: xas_find() skips
# runs of empty slots). Build the pristine tree's lib/ with the series'
# patches to lib/xarray.c and run, in userspace under ASan and UBSan, the
# kernel's own XArray test suite (tools/testing/radix-tree, with the kernel's
# 64-slot nodes) and our case tests/xarray/xas_find_limit.c.
# usage: tests/xarray/run.sh
set -euo pipefail
. "$(dirname "$0")/../../scripts/lib.sh"
[ $# -eq 0 ] || { echo "usage: $0" >&2; exit 2; }

"$REPO/scripts/deps.sh"
src=$(kernel_source)
work=$BUILD/xarray
rt=$work/tools/testing/radix-tree
rm -rf "$work"
mkdir -p "$work"
step "copy tools/, include/ and lib/ of the kernel source" "$LOGS/xarray-copy.log" \
	bash -c "cd '$src' && tar cf - tools include lib | tar xf - -C '$work'"
n=0
while read -r p; do
	case "$p" in ''|'#'*) continue ;; esac
	grep -q '^+++ b/lib/xarray.c' "$REPO/kernel/patches/$p" || continue
	patch -s -p1 -d "$work" < "$REPO/kernel/patches/$p" ||
		die "step 'apply $p' failed"
	n=$((n + 1))
done < "$REPO/kernel/patches/series"
say "xarray: $n patch(es) of the series applied to lib/xarray.c"
cp "$REPO/tests/xarray/xas_find_limit.c" "$rt/"
step "build the XArray test programs" "$LOGS/xarray-build.log" \
	make -C "$rt" -f Makefile -f "$REPO/tests/xarray/extra.mk" -j2 SHIFT=6 \
	generated/map-shift.h generated/bit-length.h xarray xas_find_limit

pass=0 fail=0
say "xarray: the kernel's XArray suite ..."
if (cd "$rt" && timeout 1800 ./xarray) > "$LOGS/xarray-suite.log" 2>&1 &&
	grep -Eq '^XArray: ([0-9]+) of \1 tests passed' "$LOGS/xarray-suite.log"; then
	pass=$((pass + 1))
	say "xarray: $(grep -E '^XArray:' "$LOGS/xarray-suite.log")"
else
	fail=$((fail + 1))
	echo "xarray: FAIL: the kernel's XArray suite; last lines of $LOGS/xarray-suite.log:" >&2
	tail -n 5 "$LOGS/xarray-suite.log" >&2
fi
# Our case: KTAP, its plan held (every planned result "ok", none missing).
out=$LOGS/xarray-limit.log rc=0
(cd "$rt" && timeout 600 ./xas_find_limit) > "$out" 2>&1 || rc=$?
plan=$(sed -n 's/^1\.\.\([0-9][0-9]*\)$/\1/p' "$out")
oks=$(grep -c '^ok ' "$out" || true)
if [ $rc -eq 0 ] && [ -n "$plan" ] && [ "$oks" -eq "$plan" ] && ! grep -q '^not ok' "$out"; then
	pass=$((pass + oks))
else
	fail=$((fail + 1))
	echo "xarray: FAIL: xas_find_limit (exit $rc, plan ${plan:-none}, $oks ok); its output:" >&2
	cat "$out" >&2
fi
echo "xarray: $pass passed, $fail failed, 0 skipped"
[ $fail -eq 0 ]
