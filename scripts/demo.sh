#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# `make demo`: build the luo kernel and libluo's demo program, boot QEMU,
# write data into memfds, preserve them, kexec into the next kernel,
# retrieve them, verify every byte, size, position and seals, and print a
# table. Exit code non-zero if anything failed.
#
# usage: demo.sh
set -euo pipefail
. "$(dirname "$0")/lib.sh"

"$REPO/scripts/build-kernel.sh" luo
step "build libluo, luod and the demo program" "$LOGS/demo-build.log" \
	make -C "$REPO" libluo examples luod
demo_bin=$BUILD/examples/luo-memfd-demo
[ -x "$demo_bin" ] || die "step 'build demo program': $demo_bin is missing"

# session token backing size pos seals eventfd (the counter of an eventfd
# kept in the same session beside the memfd, or -)
list=$BUILD/demo.list
cat > "$list" <<LIST
demo-small 1 shmem 4096 100 yes -
demo-shmem 2 shmem 67108864 12345 yes 42
demo-big 3 shmem 268435456 0 no -
demo-huge2m 4 hugetlb-2M 67108864 4096 yes 7
demo-huge1g 5 hugetlb-1G 1073741824 0 no -
LIST

rc=0
"$REPO/scripts/qemu-run.sh" --name demo --chain luo,luo --mem 4G --timeout 300 \
	--append "hugepagesz=2M hugepages=40 hugepagesz=1G hugepages=1" \
	--stage "$REPO/tests/demo/stage.sh" --file "$demo_bin" --file "$list:/etc/demo.list" \
	--file "$BUILD/luod/luod:/bin/luod" --file "$BUILD/luod/luoctl:/bin/luoctl" || rc=$?

# One table row per file, from the RESULT lines of both stages.
log=$BUILD/runs/demo/stage.log
echo
printf '%-12s %-11s %12s %8s %8s %12s %12s %9s\n' session backing size pos eventfd preserve_ms retrieve_ms verified
awk '/^RESULT / {
	delete f
	for (i = 2; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
	key = f["name"] "/" f["token"]
	if ("preserve_ms" in f) pre[key] = f["preserve_ms"]
	if ("verified" in f) {
		printf "%-12s %-11s %12s %8s %8s %12s %12s %9s\n", f["name"], f["backing"], f["size"],
			("pos" in f ? f["pos"] : "-"), ("eventfd" in f ? f["eventfd"] : "-"),
			(key in pre ? pre[key] : f["preserve_ms"]),
			f["retrieve_ms"], f["verified"]
		rows++
	}
}
END { if (!rows) print "(no file was retrieved)" }' "$log"
echo
if [ $rc -ne 0 ]; then
	echo "demo: FAILED (logs: $BUILD/runs/demo/)" >&2
	exit 1
fi
# Stage 1's luoctl status (what luod holds going into the kexec), then
# stage 2's (every session reclaimed and finished: no file left in it).
awk 'BEGIN { t[1] = "luoctl status before the kexec (luod holds every session):"
	     t[2] = "luoctl status in the new kernel, after the demo finished its sessions:" }
	/^# luoctl status:/ { b++; on = 1; if (b <= 2) print t[b]; next }
	on && /^# / { if (b <= 2) print "  " substr($0, 3); next }
	{ on = 0 }' "$log"
echo "demo: all files preserved, retrieved and verified"
