# SPDX-License-Identifier: GPL-2.0
# Judge the KTAP of one QEMU run (scripts/qemu-run.sh): counts and plans.
#
# Input: the stage output and the kernel log (printk timestamps removed),
# with init's "LUO-RUNNER: stage K of N starting" markers between stages.
# Output: "P F S" (leaf results passed, failed, skipped), then one line per
# problem found ("problem: ...").
#
# Rules (docs/testing.md):
# - A result directly after deeper results closes a subtest and is not
#   counted again: only leaves are counted.
# - "ok ... # SKIP" is a skip; "not ok ... # SKIP" is a failure unless the
#   line matches the ERE in -v skippable=... (declared skippable).
# - Each KTAP document ("KTAP version" at column 0) must print its plan
#   "1..N" before its first top-level result and then exactly N top-level
#   results. A nested level with a plan is held to it too (KUnit prints
#   none for parameterized cases; such a level is only counted).
function indent_of(s) { return match(s, /[^ ]/) - 1 }
function problem(msg) { problems[++np] = "stage " stage ": " msg }
function close_level(i) {
	if ((i in plan) && cnt[i] != plan[i])
		problem("plan 1.." plan[i] " at depth " i / 4 " but " cnt[i] " result(s)" \
			(i == 0 && cnt[i] < plan[i] ? " (output truncated or cases dropped)" : ""))
	delete plan[i]; delete cnt[i]; delete seen[i]
}
function close_deeper(ind,   i) { for (i in seen) if (i + 0 > ind) close_level(i + 0) }
function close_all(   i) { for (i in seen) close_level(i + 0) }
BEGIN { stage = 1; np = 0 }
/^LUO-RUNNER: stage [0-9]+ of [0-9]+ starting/ { close_all(); stage = $3; next }
/^ *KTAP version/ { if (indent_of($0) == 0) close_all(); next }
/^ *1\.\.[0-9]+/ {
	ind = indent_of($0)
	close_deeper(ind)
	if (ind in seen) close_level(ind)
	n = $0; sub(/^ *1\.\./, "", n); sub(/[^0-9].*$/, "", n)
	plan[ind] = n + 0; cnt[ind] = 0; seen[ind] = 1
	next
}
/^ *(not )?ok [0-9]+/ {
	ind = indent_of($0)
	closes_subtest = deeper[ind]
	close_deeper(ind)
	if (!(ind in seen)) {
		seen[ind] = 1; cnt[ind] = 0
		if (ind == 0) problem("result before any plan: " $0)
	}
	cnt[ind]++
	if (closes_subtest) { deeper[ind] = 0; next }
	for (i = 0; i < ind; i++) deeper[i] = 1
	if ($0 ~ /^ *not ok/) {
		if ($0 ~ /# *(SKIP|skip)/ && skippable != "" && $0 ~ skippable) s++
		else f++
	} else if ($0 ~ /# *(SKIP|skip)/) s++
	else p++
	next
}
END {
	close_all()
	printf "%d %d %d\n", p, f, s
	for (k = 1; k <= np; k++) print "problem: " problems[k]
}
