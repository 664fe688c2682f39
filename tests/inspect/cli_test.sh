#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
# luo-inspect's command line against fake debugfs trees (tests/inspect/
# mktree.c): output, JSON (parsed by python3), exit status, error messages.
# usage: cli_test.sh BUILD_DIR   (holds luo-inspect and mktree)
set -euo pipefail
[ $# -eq 1 ] || { echo "usage: $0 BUILD_DIR" >&2; exit 2; }
bin=$1/luo-inspect mktree=$1/mktree
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0 n=0

ok() { # COND-STATUS DESCRIPTION
	n=$((n + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $n $2"; pass=$((pass + 1))
	else
		echo "not ok $n $2"; fail=$((fail + 1))
	fi
}
# run NAME ARGS...: output in $tmp/NAME.out, status in $rc
run() { local name=$1; shift; rc=0; "$bin" "$@" > "$tmp/$name.out" 2>&1 || rc=$?; }
has() { grep -qF -- "$2" "$tmp/$1.out"; }
# check DESCRIPTION COMMAND...: one result from the command's status
check() { local d=$1 r=0; shift; "$@" || r=1; ok "$r" "$d"; }

for s in cold kexec truncated freed zeroed mismatch nokho; do
	"$mktree" "$tmp/$s" "$s"
done

run cold --debugfs "$tmp/cold"
ok $((rc != 0)) "cold boot: exit 0 (got $rc)"
check "cold boot: LUO's entry with its size and address" has cold "entry LUO: 32 bytes at 0x202f0000"
check "cold boot: LUO's blob decoded (ABI, live update number)" has cold 'LUO ABI "luo-v5", live update 1'
check "cold boot: kexec metadata decoded" has cold "kexec metadata v1: previous kernel 7.3.4, kexec count 1"
check "cold boot: scratch areas" has cold "scratch: 0x70000000, 0x400000 bytes"
check "cold boot: says there is no incoming handover" has cold "in: no incoming handover"

run cold-in --debugfs "$tmp/cold" --in
ok $((rc != 3)) "cold boot, --in: exit 3 (got $rc)"

run kexec --debugfs "$tmp/kexec" --json
ok $((rc != 0)) "after a kexec, --json: exit 0 (got $rc)"
r=0
python3 - "$tmp/kexec.out" <<'PY' > "$tmp/kexec.check" 2>&1 || r=1
import json, sys
d = json.load(open(sys.argv[1]))
v = {x["view"]: x for x in d["views"]}
b = {x["name"]: x for x in v["in"]["blobs"]}
assert d["ok"] is True
assert [e["name"] for e in v["in"]["root"]["entries"]] == ["LUO", "LUO-file-memory", "kexec-metadata", "memblock"]
assert b["LUO"]["live_update"] == 1 and b["LUO"]["sessions_pa"] == "0x1234000"
assert b["LUO-file-memory"]["files"] == 2
assert b["memblock"]["kind"] == "fdt" and b["memblock"]["compatible"] == "memblock-v1" and b["memblock"]["nodes"] == 2
assert {x["name"]: x for x in v["out"]["blobs"]}["LUO"]["live_update"] == 2
assert v["out"]["scratch"][1] == {"phys": "0x70000000", "bytes": 4194304}
PY
ok $r "after a kexec, --json: valid JSON with both views decoded ($(tail -1 "$tmp/kexec.check" 2>/dev/null))"

run truncated --debugfs "$tmp/truncated"
ok $((rc != 1)) "truncated root FDT: exit 1 (got $rc)"
check "truncated root FDT: says so" has truncated "root FDT: CORRUPT: truncated: the header says"
check "truncated root FDT: the blobs are still shown" has truncated "blob LUO: 32 bytes"

run freed --debugfs "$tmp/freed" --in
ok $((rc != 1)) "a blob that is not what its entry says: exit 1 (got $rc)"
check "a blob that is not what its entry says: named corrupt" has freed "CORRUPT: no compatible string"

run zeroed --debugfs "$tmp/zeroed" --in
ok $((rc != 1)) "a LUO blob of zeros: exit 1 (got $rc)"
check "a LUO blob of zeros: corrupt, not another ABI" has zeroed "CORRUPT: the compatible field is empty"

run mismatch --debugfs "$tmp/mismatch" --out
ok $((rc != 1)) "blob size differs from its entry: exit 1 (got $rc)"
check "blob size differs from its entry: says so" has mismatch "MISMATCH: debugfs shows 70 bytes"

run nokho --debugfs "$tmp/nokho" --json
ok $((rc != 3)) "no kho directory: exit 3 (got $rc)"
check "no kho directory: names KHO" has nokho "KHO is not in this kernel"
check "no kho directory: --json still prints valid JSON" python3 -c \
	'import json,sys; d=json.load(open(sys.argv[1])); assert d["available"] is False' "$tmp/nokho.out"

run missing --debugfs "$tmp/does-not-exist"
ok $((rc != 3)) "missing debugfs directory: exit 3 (got $rc)"

if [ "$(id -u)" -eq 0 ] && command -v setpriv > /dev/null; then
	chmod 0700 "$tmp/cold"
	chmod 0755 "$tmp"
	rc=0
	setpriv --reuid=65534 --regid=65534 --clear-groups "$bin" --debugfs "$tmp/cold" \
		> "$tmp/nonroot.out" 2>&1 || rc=$?
	ok $((rc != 3)) "not root: exit 3 (got $rc)"
	check "not root: says permission denied" has nonroot "permission denied"
else
	echo "ok $((n + 1)) not root # SKIP needs root and setpriv"; n=$((n + 1))
	echo "ok $((n + 1)) not root: message # SKIP needs root and setpriv"; n=$((n + 1))
fi

run usage --in --out
ok $((rc != 2)) "--in with --out: usage, exit 2 (got $rc)"

echo "inspect-cli: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
