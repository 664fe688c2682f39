#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Stage program for investigation B (1 GiB HugeTLB pages + KHO scratch).
# Run as "/stage STAGE NSTAGES"; the expectation comes from the kernel
# command line: research.expect=broken (stock: KHO must be disabled by the
# scratch failure) or research.expect=works (KHO/LUO up, gigantic pool
# intact, and a memfd carried across the kexec by /bin/memfd_bench).
stage=$1
nstages=$2
n=0
fails=0
expect=$(sed -n 's/.*research\.expect=\([a-z]*\).*/\1/p' /proc/cmdline)
want=$(sed -n 's/.*hugepages=\([0-9]*\).*/\1/p' /proc/cmdline)
ok() { n=$((n + 1)); echo "ok $n $*"; }
nok() { n=$((n + 1)); fails=$((fails + 1)); echo "not ok $n $*"; }
check() { # DESCRIPTION COMMAND...
	d=$1; shift
	if "$@"; then ok "$d"; else nok "$d"; fi
}

echo "KTAP version 1"
echo "# stage $stage of $nstages on $(uname -r), expect=$expect"
# The plan, from the same conditions as the checks below.
if [ "$expect" = broken ]; then
	plan=4
elif [ -x /bin/memfd_bench ]; then
	plan=6
else
	plan=5
fi
echo "1..$plan"
hp=/sys/kernel/mm/hugepages/hugepages-1048576kB
nr=$(cat $hp/nr_hugepages 2>/dev/null || echo missing)
free_nr=$(cat $hp/free_hugepages 2>/dev/null || echo missing)
echo "# 1G pages: nr_hugepages=$nr free_hugepages=$free_nr (asked $want)"
dmesg | grep -E 'KHO|liveupdate|kexec handover|scratch|HugeTLB' | sed 's/^/# dmesg: /'
kho_boot=no
dmesg | grep -q 'KHO: found kexec handover data' && kho_boot=yes
echo "# kho boot: $kho_boot"

if [ "$expect" = broken ]; then
	check "stock kernel logs a scratch reservation failure" \
		sh -c 'dmesg | grep -q "KHO: Failed to reserve .* scratch buffer"'
	check "and disables KHO" sh -c 'dmesg | grep -q "disabling kexec handover"'
	check "so /dev/liveupdate is not usable" sh -c '! [ -c /dev/liveupdate ] || ! (exec 3<>/dev/liveupdate) 2>/dev/null'
	check "$want gigantic pages allocated" [ "$nr" = "$want" ]
else
	check "no scratch reservation failure" \
		sh -c '! dmesg | grep -q "Failed to reserve"'
	check "KHO enabled (no 'disabling kexec handover')" \
		sh -c '! dmesg | grep -q "disabling kexec handover"'
	check "$want gigantic pages allocated" [ "$nr" = "$want" ]
	check "all $want free" [ "$free_nr" = "$want" ]
	if [ "$stage" -gt 1 ]; then
		check "stage $stage is a KHO boot" [ "$kho_boot" = yes ]
	else
		check "stage 1 is a cold boot (no KHO data)" [ "$kho_boot" = no ]
	fi
	# A memfd carried across the kexec (preserve in stage 1, retrieve later).
	if [ -x /bin/memfd_bench ]; then
		out=$(/bin/memfd_bench "$stage" "$nstages")
		rc=$?
		echo "$out" | grep -v '^KTAP' |
			sed 's/^ok /# memfd_bench: ok /; s/^not ok /# memfd_bench: not ok /; s/^1\.\./# memfd_bench: 1../'
		check "live update of a memfd (memfd_bench stage $stage)" [ $rc -eq 0 ]
	fi
fi
[ "$n" -eq "$plan" ] || { echo "# BUG: $n results for a plan of $plan"; fails=$((fails + 1)); }
[ $fails -eq 0 ]
