#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The vmm suite: Debian's unmodified qemu-system-x86_64 inside the test
# guest, its guest RAM in a memfd that is preserved across a real kexec
# (tests/vmm/vmm_stage.c says how). Variants:
#   hugetlb      luo -> luo, guest RAM a HugeTLB memfd of 2 MiB pages
#   hugetlb-1G   luo -> luo, 1 GiB of guest RAM in one 1 GiB page
#   shmem        luo -> luo, guest RAM a shmem memfd
#   shmem-stock  luo -> stock, a shmem memfd (a fleet that rolls back)
# usage: tests/vmm/run.sh [VARIANT...]   (default: all four)
set -euo pipefail
. "$(dirname "$0")/../../scripts/lib.sh"

variants=("$@")
[ ${#variants[@]} -gt 0 ] || variants=(hugetlb hugetlb-1G shmem shmem-stock)
qemu=$(command -v qemu-system-x86_64) || die "qemu-system-x86_64 is missing (run scripts/deps.sh)"
bios=/usr/share/seabios/bios-256k.bin
mboot=/usr/share/qemu/multiboot_dma.bin
# Debian builds TCG as a module that QEMU loads at start.
tcg=/usr/lib/$(gcc -dumpmachine)/qemu/accel-tcg-x86_64.so
for f in "$bios" "$mboot" "$tcg"; do
	[ -f "$f" ] || die "QEMU's $f is missing (packages qemu-system-x86, seabios, qemu-system-data)"
done
make -s -C "$REPO" vmm-stage >/dev/null || die "step 'build the vmm stage program and guest' failed"

rc=0
for v in "${variants[@]}"; do
	case $v in
	# Huge pages for the VM's RAM and the plain migration's fresh RAM, and
	# 32 of 2 MiB for the VM of the VMM that dies before the kexec.
	hugetlb) chain=luo,luo mem=3G append="vmm.backing=hugetlb-2M hugepagesz=2M hugepages=300" ;;
	hugetlb-1G) chain=luo,luo mem=5G
		append="vmm.backing=hugetlb-1G vmm.ram_mib=1024 hugepagesz=1G hugepages=2 hugepagesz=2M hugepages=40" ;;
	shmem) chain=luo,luo mem=3G append="vmm.backing=shmem hugepagesz=2M hugepages=40" ;;
	shmem-stock) chain=luo,stock mem=3G append="vmm.backing=shmem hugepagesz=2M hugepages=40" ;;
	*) die "unknown variant $v (hugetlb, hugetlb-1G, shmem, shmem-stock)" ;;
	esac
	"$REPO/scripts/qemu-run.sh" --name "vmm-$v" --chain "$chain" --mem "$mem" \
		--stage "$BUILD/tests/vmm/vmm_stage" --append "$append" --timeout 300 \
		--host-bin "$qemu" --host-bin "$tcg" --file "$BUILD/tests/vmm/guest.elf:/vmm/guest.elf" \
		--file "$bios:/vmm/fw/bios-256k.bin" --file "$mboot:/vmm/fw/multiboot_dma.bin" \
		--file "$BUILD/luod/luod:/bin/luod" || rc=1
done

# The blackout of each variant that ran, from its stage 2's "VMM" line.
echo "VM blackout, stop to cont, in ms (one run each; 'plain': the same VM"
echo "migrated with its RAM to a file and back, with the same kexec and boot):"
printf '%-12s %5s %9s %6s %9s %7s %9s %8s %9s | %7s %7s %10s %9s\n' variant MiB \
	state_B save preserve kexec retrieve load blackout "p.save" "p.load" "p.RAM_B" "p.total"
for v in "${variants[@]}"; do
	{ grep -h '^# VMM ' "$BUILD/runs/vmm-$v/stage.log" 2>/dev/null || true; } | tail -1 | awk -v v="$v" '{
		for (i = 3; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
		printf "%-12s %5s %9s %6s %9s %7s %9s %8s %9s | %7s %7s %10s %9s\n", v,
			f["ram_mib"], f["state_bytes"], f["save_ms"], f["preserve_ms"], f["boot_ms"],
			f["retrieve_ms"], f["load_ms"], f["blackout_ms"], f["plain_save_ms"],
			f["plain_load_ms"], f["plain_ram_bytes"], f["plain_blackout_ms"] }'
done
exit $rc
