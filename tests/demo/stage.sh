#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Stage program of `make demo`: stage 1 preserves the memfds listed in
# /etc/demo.list ("session token backing size pos seals eventfd" per line;
# eventfd is the counter of an eventfd kept beside the memfd, or -), stage 2
# retrieves and verifies them. luo-memfd-demo prints one RESULT line per file.
stage=$1
n=$(grep -c . /etc/demo.list)
# luod holds the device for every process; luo-memfd-demo goes through it.
if [ -x /bin/luod ]; then
	luod 2> /dev/kmsg &
	i=0
	# Up to 300 s, a hang detector only (a slow host must not fail here).
	while [ ! -S /run/luod/liveupdate.sock ] && [ $i -lt 3000 ]; do
		sleep 0.1
		i=$((i + 1))
		[ $((i % 100)) -eq 0 ] && echo "# waiting for luod's socket ($((i / 10)) s)"
	done
fi
echo "KTAP version 1"
echo "1..$n"
i=0
rc=0
while read -r session token backing size pos seals efd; do
	i=$((i + 1))
	set -- --session "$session" --token "$token" --size "$size" --pos "$pos"
	[ "$backing" = shmem ] || set -- "$@" --hugetlb "${backing#hugetlb-}"
	[ "$seals" = yes ] && set -- "$@" --seals
	what="$backing, $size bytes"
	if [ "${efd:--}" != - ]; then
		set -- "$@" --eventfd "$efd"
		what="$what, eventfd $efd"
	fi
	if [ "$stage" = 1 ]; then
		verb=preserve
	else
		verb=retrieve
	fi
	if luo-memfd-demo "$verb" "$@"; then
		echo "ok $i $verb $session ($what)"
	else
		echo "not ok $i $verb $session ($what)"
		rc=1
	fi
done < /etc/demo.list
if [ -x /bin/luoctl ]; then
	echo "# luoctl status:"
	luoctl status | sed 's/^/# /'
fi
exit $rc
