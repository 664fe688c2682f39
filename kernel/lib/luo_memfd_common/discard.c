// SPDX-License-Identifier: GPL-2.0
/*
 * luo_memfd_common: give back the folios of an array nobody retrieved.
 */
#define pr_fmt(fmt) "luo_memfd_common: " fmt

#include <linux/export.h>
#include <linux/kexec_handover.h>
#include <linux/kho/abi/kexec_handover.h>
#include <linux/memblock.h>
#include <linux/mm.h>
#include <linux/vmalloc.h>

#include "internal.h"

/**
 * luo_memfd_discard_entries - Give back every folio an array names.
 * @buf:     The array, already mapped.
 * @buf_len: Bytes readable at @buf.
 * @in:      Hooks and name (@in->nr is not trusted here).
 *
 * Walks every entry that fits in the buffer (also past a corrupted count:
 * the tail of a well-formed array is zero) and gives back each folio that is
 * still a preserved, unrestored block. Entries that name nothing preserved
 * (stale, duplicate or corrupt) are counted and reported once.
 *
 * Context: Process context, may sleep.
 */
void luo_memfd_discard_entries(const void *buf, u64 buf_len,
			       const struct luo_memfd_in *in)
{
	u64 n = buf_len / LUO_MEMFD_ENTRY_SIZE, i, missing = 0;
	struct luo_memfd_entry e;

	for (i = 0; i < n; i++) {
		struct folio *folio;

		luo_memfd_decode_entry(buf, i, &e);
		if (!e.pfn)
			continue;
		folio = lmc_restore_one(in, e.pfn);
		if (folio)
			lmc_give_back(in, folio);
		else
			missing++;
		cond_resched();
	}
	if (missing)
		pr_warn("%s: %llu folio array entries named no preserved folio\n",
			in->name ?: "memfd", missing);
}
EXPORT_SYMBOL_GPL(luo_memfd_discard_entries);

/**
 * luo_memfd_discard - Give back all folios of an incoming array.
 * @in: Descriptor and hooks (count and size are not trusted here).
 *
 * For finish() of a file that was never retrieved, and for a retrieve that
 * failed before its folios could be walked. Maps the array if its
 * descriptor is plausible on its own, gives back every folio it names and
 * frees it. A descriptor that cannot be used is reported; its memory then
 * stays reserved (it cannot be found without the descriptor).
 *
 * Context: Process context, may sleep.
 */
void luo_memfd_discard(const struct luo_memfd_in *in)
{
	const struct kho_vmalloc *desc = in->desc;
	u64 total = desc->total_pages;
	void *buf;

	if (!desc->first.phys)
		return;
	if (desc->order > 10 || !total || (total & ((1ULL << desc->order) - 1)) ||
	    total > max_pfn) {
		pr_err("%s: folio array descriptor unusable (%llu pages, order %u); its folios stay reserved\n",
		       in->name ?: "memfd", total, desc->order);
		return;
	}
	buf = kho_restore_vmalloc(desc);
	if (!buf) {
		pr_err("%s: could not restore the folio array; its folios stay reserved\n",
		       in->name ?: "memfd");
		return;
	}
	luo_memfd_discard_entries(buf, total << PAGE_SHIFT, in);
	vfree(buf);
}
EXPORT_SYMBOL_GPL(luo_memfd_discard);
