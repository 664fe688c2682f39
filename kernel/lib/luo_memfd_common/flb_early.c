// SPDX-License-Identifier: GPL-2.0
/*
 * luo_memfd_common: read-only access to an incoming FLB before LUO is up.
 *
 * HugeTLB allocates its boot-time pool (gigantic pages in
 * mm_core_init_early(), the others in hugetlb_init()) before or without
 * LUO's own parsing of the incoming state, and must know how many huge pages
 * the previous kernel handed over. This file finds an FLB's data handle
 * directly in the LUO state that KHO passed over: no locks, no allocation,
 * no side effect on LUO's FLB life cycle, every field validated.
 * See docs/hugetlb.md.
 */
#define pr_fmt(fmt) "luo_memfd_common: " fmt

#include <linux/export.h>
#include <linux/init.h>
#include <linux/io.h>
#include <linux/kexec_handover.h>
#include <linux/kho/abi/luo.h>
#include <linux/liveupdate.h>
#include <linux/luo_memfd_common.h>
#include <linux/memblock.h>
#include <linux/mm.h>
#include <linux/string.h>

/* The FLB table is one page today; accept a few for forward compatibility. */
#define LMC_FLB_MAX_PGCNT	16

/**
 * luo_memfd_flb_find - Find an FLB's data handle in a serialized FLB table.
 * @buf:        The table: &struct luo_flb_header_ser, then its entries.
 * @len:        Bytes readable at @buf.
 * @compatible: Compatible string of the FLB to find.
 * @datap:      Set to the FLB's data handle when found.
 *
 * Pure and read-only; everything in @buf is untrusted. The entry count must
 * fit in @len, every name must be NUL-terminated within its field, the
 * wanted name must appear exactly once, with a non-zero handle and a non-zero
 * file count.
 *
 * Return: 0 if found, -ENOENT if the table has no such FLB, -EINVAL if the
 * table is malformed.
 */
int luo_memfd_flb_find(const void *buf, u64 len, const char *compatible,
		       u64 *datap)
{
	const struct luo_flb_header_ser *hdr = buf;
	const struct luo_flb_ser *ser;
	bool found = false;
	u64 i, max, data = 0;

	if (!buf || len < sizeof(*hdr))
		return -EINVAL;
	max = (len - sizeof(*hdr)) / sizeof(*ser);
	if (hdr->count > max)
		return -EINVAL;

	ser = (const void *)(hdr + 1);
	for (i = 0; i < hdr->count; i++) {
		if (!memchr(ser[i].name, '\0', sizeof(ser[i].name)))
			return -EINVAL;
		if (strcmp(ser[i].name, compatible))
			continue;
		if (found || !ser[i].data || !ser[i].count)
			return -EINVAL;
		found = true;
		data = ser[i].data;
	}
	if (!found)
		return -ENOENT;
	*datap = data;
	return 0;
}
EXPORT_SYMBOL_GPL(luo_memfd_flb_find);

/* @size bytes at @phys are RAM (and the range does not wrap). */
static bool __init lmc_early_ram(phys_addr_t phys, u64 size)
{
	return phys && phys + size > phys &&
	       memblock_is_region_memory(phys, size);
}

/**
 * luo_memfd_flb_incoming_early - Read an incoming FLB's handle in early boot.
 * @flb:   The FLB (only its compatible string is used).
 * @datap: Set to the data handle the previous kernel's FLB preserve() gave.
 *
 * Walks KHO's FDT to the LUO state and its FLB table, validating every
 * address (RAM, alignment) and field on the way, and returns the handle
 * without retrieving the FLB: LUO's reference counting and the FLB's
 * retrieve()/finish() are untouched, nothing is allocated or locked. Safe
 * from mm_core_init_early() on, up to LUO's early initcall (which frees the
 * LUO state this reads); callers that need the data later must copy it
 * before that (see luo_memfd_hstate_early_init()).
 *
 * The handle is the previous kernel's value: the caller validates what it
 * points to.
 *
 * Context: Early boot (memblock active), single threaded.
 * Return: 0 and *@datap set; -EOPNOTSUPP if live update is off; -ENODATA if
 * this is not a live update boot; -ENOENT if the previous kernel preserved
 * no such FLB; -EINVAL if the incoming state is malformed.
 */
int __init luo_memfd_flb_incoming_early(struct liveupdate_flb *flb, u64 *datap)
{
	const struct luo_flb_header_ser *hdr;
	const struct luo_ser *luo;
	phys_addr_t luo_phys, flbs;
	size_t len;
	u64 pgcnt;
	int err;

	if (!liveupdate_enabled())
		return -EOPNOTSUPP;

	err = kho_retrieve_subtree(LUO_KHO_ENTRY_NAME, &luo_phys, &len);
	if (err == -ENOENT)
		return -ENODATA;
	if (err)
		return -EINVAL;
	if (len < sizeof(*luo) || !lmc_early_ram(luo_phys, sizeof(*luo)))
		return -EINVAL;

	luo = phys_to_virt(luo_phys);
	if (strncmp(luo->compatible, LUO_ABI_COMPATIBLE, LUO_ABI_COMPAT_LEN))
		return -EINVAL;

	flbs = luo->flbs_pa;
	if (!flbs)
		return -ENOENT;
	if (!PAGE_ALIGNED(flbs) || !lmc_early_ram(flbs, PAGE_SIZE))
		return -EINVAL;

	hdr = phys_to_virt(flbs);
	pgcnt = hdr->pgcnt;
	if (!pgcnt || pgcnt > LMC_FLB_MAX_PGCNT ||
	    !lmc_early_ram(flbs, pgcnt << PAGE_SHIFT))
		return -EINVAL;

	return luo_memfd_flb_find(hdr, pgcnt << PAGE_SHIFT, flb->compatible,
				  datap);
}
