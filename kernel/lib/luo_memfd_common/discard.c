// SPDX-License-Identifier: GPL-2.0
/*
 * luo_memfd_common: give back the folios of an array nobody retrieved.
 */
#define pr_fmt(fmt) "luo_memfd_common: " fmt

#include <linux/export.h>
#include <linux/highmem.h>
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

/*
 * Give back the folios named by the array @desc describes, walking its KHO
 * chunk list directly: each chunk and each block of the array is checked to
 * be preserved memory before it is read, then restored, read one page at a
 * time and freed. Nothing is allocated, so this cannot fail for lack of
 * memory. A block that is not preserved memory of the expected order (named
 * twice, or not ours) is skipped; the walk stops at the first chunk that is
 * not (what follows it cannot be found and stays reserved).
 *
 * Return: true if the whole chain was walked and every block was ours.
 */
static bool lmc_discard_chain(const struct kho_vmalloc *desc,
			      const struct luo_memfd_in *in)
{
	const unsigned long contig = 1UL << desc->order;
	unsigned long left = desc->total_pages, nr_chunks = 0, max_chunks;
	phys_addr_t chunk_phys = desc->first.phys;
	bool all_ours = true;

	/* kho_preserve_vmalloc() starts a new chunk whenever one fills up. */
	max_chunks = left / contig / KHO_VMALLOC_SIZE + 1;

	while (chunk_phys) {
		struct kho_vmalloc_chunk *chunk;
		struct page *cpage;
		int i;

		if (++nr_chunks > max_chunks || !PAGE_ALIGNED(chunk_phys) ||
		    kho_preserved_order(chunk_phys) != 0)
			return false;
		cpage = kho_restore_pages(chunk_phys, 1);
		if (!cpage)
			return false;
		chunk = page_address(cpage);

		for (i = 0; i < ARRAY_SIZE(chunk->phys) && chunk->phys[i]; i++) {
			phys_addr_t phys = chunk->phys[i];
			struct page *page = NULL;
			unsigned long j;

			/* Never more blocks than the descriptor counts. */
			if (left < contig) {
				all_ours = false;
				break;
			}
			left -= contig;
			if (IS_ALIGNED(phys, PAGE_SIZE << desc->order) &&
			    kho_preserved_order(phys) == desc->order)
				page = kho_restore_pages(phys, contig);
			if (!page) {
				all_ours = false;
				continue;
			}
			/* Entries (16 bytes) never straddle a page. */
			for (j = 0; j < contig; j++) {
				void *p = kmap_local_page(page + j);

				luo_memfd_discard_entries(p, PAGE_SIZE, in);
				kunmap_local(p);
				__free_page(page + j);
			}
		}
		chunk_phys = chunk->hdr.next.phys;
		__free_page(cpage);
	}
	return !left && all_ours;
}

/**
 * luo_memfd_discard - Give back all folios of an incoming array.
 * @in: Descriptor and hooks (count and size are not trusted here).
 *
 * For finish() of a file that was never retrieved, and for a retrieve that
 * failed before its folios could be walked. Walks the array's KHO chunk list
 * without mapping it (no allocation, so it cannot fail with -ENOMEM), gives
 * back every folio it names and frees the array. A descriptor that cannot
 * be used is reported; its memory then stays reserved (it cannot be found
 * without the descriptor).
 *
 * Context: Process context, may sleep.
 * Return: true if the whole array was walked.
 */
bool luo_memfd_discard(const struct luo_memfd_in *in)
{
	const struct kho_vmalloc *desc = in->desc;
	u64 total = desc->total_pages;

	if (!desc->first.phys)
		return true;
	if (desc->order > 10 || !total || (total & ((1ULL << desc->order) - 1)) ||
	    total > max_pfn) {
		pr_err("%s: folio array descriptor unusable (%llu pages, order %u); its folios stay reserved\n",
		       in->name ?: "memfd", total, desc->order);
		return false;
	}
	if (!lmc_discard_chain(desc, in)) {
		pr_err("%s: folio array chunk list is corrupt; the folios of blocks it cannot reach stay reserved\n",
		       in->name ?: "memfd");
		return false;
	}
	return true;
}
EXPORT_SYMBOL_GPL(luo_memfd_discard);
