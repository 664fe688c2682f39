#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# luo-inspect in QEMU (tests/inspect/inspect_stage.c), with the tool in the
# initramfs as /bin/luo-inspect:
#   inspect          luo -> luo: no incoming handover on a cold boot, the
#                    outgoing view, the same entries incoming after the
#                    kexec, live update number + 1, not root -> exit 3
#   inspect-kho-off  a cold boot with kho=off: the tool says KHO is off
# --debug runs the first on the debug kernel (KASAN would see a read of a
# blob its owner freed: patch 0060).
# usage: tests/inspect/run.sh [--debug]
set -euo pipefail
. "$(dirname "$0")/../../scripts/lib.sh"

ours=luo sfx=""
case "${1:-}" in
--debug) ours=debug sfx=-debug ;;
"") ;;
*) die "usage: $0 [--debug]" ;;
esac
out=$BUILD/tests/inspect
mkdir -p "$out"
khdr=$BUILD/kernel/luo/usr/include
[ -d "$khdr" ] || die "kernel luo is not built (make kernels)"

build() {
	make -s -C "$REPO" luo-inspect-static &&
	gcc -static -O2 -Wall -Wextra -Werror -isystem "$khdr" \
		-o "$out/inspect_stage" "$REPO/tests/inspect/inspect_stage.c"
}
step "build luo-inspect and its stage program" "$LOGS/inspect-build.log" build

tool=(--file "$BUILD/inspect/luo-inspect-static:/bin/luo-inspect")
rc=0
"$REPO/scripts/qemu-run.sh" --name "inspect$sfx" --stage "$out/inspect_stage" \
	--chain "$ours,$ours" --timeout 300 "${tool[@]}" || rc=1
if [ "$ours" = luo ]; then
	"$REPO/scripts/qemu-run.sh" --name inspect-kho-off --stage "$out/inspect_stage" \
		--chain luo --timeout 120 --append kho=off "${tool[@]}" || rc=1
fi
exit $rc
