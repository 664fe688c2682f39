#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The eventfd handler beside the memfd ones, across real kexecs, where the
# conformance suite does not reach: a next kernel without the handler.
#
# usage: tests/eventfd/run.sh [--only NAMES]
#
# Runs (build/runs/NAME):
#   eventfd-unknown          luo -> luo, the second kernel booted without the
#                            eventfd handler (initcall_blacklist=eventfd_luo_init):
#                            only the eventfd is lost (EOPNOTSUPP), the memfds
#                            beside it come back, its page is given back
#   eventfd-to-stock-loss    luo -> stock 7.3 (no eventfd handler, no patch
#                            0055): the whole handover is lost (EIO), as the
#                            docs say
#   eventfd-to-stock-avoid   the same after the sender closed the eventfd's
#                            session: the memfd session comes back on stock
# The counter, modes, poll and read across kexecs are the conformance
# suite's (conformance/variants_eventfd.c).
set -euo pipefail
. "$(dirname "$0")/../../scripts/lib.sh"

only=""
while [ $# -gt 0 ]; do
	case "$1" in
	--only) only=$2; shift 2 ;;
	*) die "usage: $0 [--only NAMES]" ;;
	esac
done
out=$BUILD/tests/eventfd
mkdir -p "$out"

build() {
	make -s -C "$REPO" libluo &&
	gcc -static -O2 -Wall -Wextra -Werror -I"$REPO/include" \
		-o "$out/unknown" "$REPO/tests/common/unknown.c" "$BUILD/libluo/libluo.a"
}
step "build eventfd stage programs" "$LOGS/eventfd-build.log" build

rc=0
run() { # NAME ARGS...
	selected "$only" "$1" || return 0
	"$REPO/scripts/qemu-run.sh" --name "$1" "${@:2}" || rc=1
}
run eventfd-unknown --chain luo,luo --mem 2G --stage "$out/unknown" \
	--append "unknown.kind=eventfd" \
	--append-stage "2:initcall_blacklist=eventfd_luo_init" --timeout 240
run eventfd-to-stock-loss --chain luo,stock --mem 2G --stage "$out/unknown" \
	--append "unknown.kind=eventfd unknown.mode=stock-loss" --timeout 240
run eventfd-to-stock-avoid --chain luo,stock --mem 2G --stage "$out/unknown" \
	--append "unknown.kind=eventfd unknown.mode=stock-avoid" --timeout 240
exit $rc
