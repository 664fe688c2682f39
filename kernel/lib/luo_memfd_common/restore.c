// SPDX-License-Identifier: GPL-2.0
/*
 * luo_memfd_common: validated walk of an incoming folio array (retrieve).
 */
#define pr_fmt(fmt) "luo_memfd_common: " fmt

#include <linux/error-injection.h>
#include <linux/export.h>
#include <linux/fs.h>
#include <linux/kexec_handover.h>
#include <linux/kho/abi/memfd.h>
#include <linux/memblock.h>
#include <linux/mm.h>
#include <linux/vmalloc.h>

#include "internal.h"

/**
 * lmc_fill_limits - Limits for validating the array described by @in.
 * @in:      The incoming array.
 * @buf_len: Bytes available in the restored array buffer.
 * @lim:     Filled in.
 */
void lmc_fill_limits(const struct luo_memfd_in *in, u64 buf_len,
		     struct luo_memfd_limits *lim)
{
	lim->nr = in->nr;
	lim->buf_len = buf_len;
	lim->size = in->size;
	lim->max_size = MAX_LFS_FILESIZE;
	lim->max_pfn = max_pfn;
	lim->allowed_flags = in->allowed_flags;
	lim->page_shift = PAGE_SHIFT;
	lim->min_order = in->min_order;
	lim->max_order = in->max_order;
}

/**
 * lmc_report - Log why an incoming array was rejected.
 * @in: The incoming array (for its name).
 * @v:  The verdict.
 */
void lmc_report(const struct luo_memfd_in *in,
		const struct luo_memfd_verdict *v)
{
	const char *name = in->name ?: "memfd";

	switch (v->fault) {
	case LUO_MEMFD_BAD_COUNT:
	case LUO_MEMFD_SHORT_ARRAY:
	case LUO_MEMFD_LONG_ARRAY:
	case LUO_MEMFD_BAD_DESC:
	case LUO_MEMFD_BAD_SIZE:
		pr_err("%s: folio array (%llu entries, size %llu): %s (%#llx)\n",
		       name, in->nr, in->size, luo_memfd_fault_str(v->fault),
		       v->value);
		break;
	default:
		pr_err("%s: folio array entry %llu: %s (%#llx)\n", name,
		       v->entry, luo_memfd_fault_str(v->fault), v->value);
	}
}

/*
 * Order of the block preserved at @pfn, or -ENOENT if @pfn is not the head
 * of a preserved block that is still waiting to be restored. Changes
 * nothing. KHO decodes orders up to 52 from its radix keys: the result is
 * bounded here, before anybody shifts by it.
 */
static int lmc_probe(const struct luo_memfd_in *in, u64 pfn)
{
	phys_addr_t phys = PFN_PHYS(pfn);
	int order;

	if (!pfn || pfn >= max_pfn)
		return -ENOENT;
	if (in->ops && in->ops->preserved_order)
		order = in->ops->preserved_order(phys, in->arg);
	else
		order = kho_preserved_order(phys);
	if (order < 0 || order > LUO_MEMFD_MAX_ORDER)
		return -ENOENT;
	return order;
}

/**
 * lmc_restore_one - Restore the preserved folio at @pfn, silently.
 * @in:  The incoming array (for its hooks and order limits).
 * @pfn: Untrusted pfn from the array.
 *
 * The block is taken only if its preserved order is one this file can hold
 * (@in->min_order..@in->max_order): a block of another order is not one of
 * the file's folios and is left preserved for its owner.
 *
 * Return: the folio, or NULL if @pfn is not the head of a preserved block
 * of an acceptable order that is still waiting to be restored.
 */
struct folio *lmc_restore_one(const struct luo_memfd_in *in, u64 pfn)
{
	phys_addr_t phys = PFN_PHYS(pfn);
	int order = lmc_probe(in, pfn);

	if (order < 0 || (u32)order < in->min_order ||
	    (u32)order > in->max_order)
		return NULL;
	if (in->ops && in->ops->restore_folio)
		return in->ops->restore_folio(phys, in->arg);
	return kho_restore_folio(phys);
}

/**
 * lmc_give_back - Return a restored folio that nobody will use.
 * @in:    The incoming array (for its hooks).
 * @folio: The folio, with the single reference restore gave it.
 */
void lmc_give_back(const struct luo_memfd_in *in, struct folio *folio)
{
	if (in->ops && in->ops->discard_folio)
		in->ops->discard_folio(folio, in->arg);
	else
		folio_put(folio);
}

/**
 * luo_memfd_check_in - Validate the header fields of an incoming array.
 * @in: Size, count and KHO descriptor from the previous kernel.
 *
 * Checks what can be checked before touching any preserved memory: size,
 * count against size, and the descriptor against the count. Logs the
 * reason on failure. Handlers may call it before building their file.
 *
 * Return: true if acceptable.
 */
bool luo_memfd_check_in(const struct luo_memfd_in *in)
{
	struct luo_memfd_limits lim;
	struct luo_memfd_verdict v;

	lmc_fill_limits(in, 0, &lim);
	if (!luo_memfd_check_header(&lim, &v))
		goto bad;
	if (!in->nr)
		return true;
	if (luo_memfd_check_desc(&lim, in->desc->total_pages,
				 in->desc->order, &v))
		return true;
bad:
	lmc_report(in, &v);
	return false;
}
EXPORT_SYMBOL_GPL(luo_memfd_check_in);

/**
 * luo_memfd_check_file_in - Validate the file fields of an incoming header.
 * @in:            The file's incoming array (for its name in the log).
 * @f:             Position, seals and flags from the previous kernel.
 * @allowed_seals: Seals this kernel can put back.
 *
 * The prologue every memfd handler's retrieve() shares: luo_memfd_check_file()
 * against MAX_LFS_FILESIZE, the reason logged on failure.
 *
 * Return: 0; -EOPNOTSUPP for seals or flags this kernel does not know (not
 * corrupt, maybe from a newer kernel, but not for this one); -EINVAL for a
 * position out of range.
 */
int luo_memfd_check_file_in(const struct luo_memfd_in *in,
			    const struct luo_memfd_file_hdr *f,
			    u32 allowed_seals)
{
	struct luo_memfd_verdict v;

	if (luo_memfd_check_file(f, allowed_seals, MAX_LFS_FILESIZE, &v))
		return 0;
	pr_err("%s: file header: %s (%#llx)\n", in->name ?: "memfd",
	       luo_memfd_fault_str(v.fault), v.value);
	return v.fault == LUO_MEMFD_BAD_POS ? -EINVAL : -EOPNOTSUPP;
}
EXPORT_SYMBOL_GPL(luo_memfd_check_file_in);

/**
 * luo_memfd_restore_entries - Validate an array and hand its folios over.
 * @buf:     The array, already mapped.
 * @buf_len: Bytes readable at @buf.
 * @in:      Count, size, limits and hooks; @in->ops->add_folio required.
 *
 * Validates the whole array first (luo_memfd_check_array()), then for each
 * entry checks the order KHO recorded for its block, alignment and overlap
 * (luo_memfd_check_folio()) before the block is restored, restores it and
 * passes it to @in->ops->add_folio(). On any failure the folios already
 * added stay with the handler; the failing one and every later one still
 * preserved with an order the file accepts are given back. Linear in the
 * count.
 *
 * Context: Process context, may sleep.
 * Return: 0, -EINVAL for corrupt data, or the error of add_folio().
 */
int luo_memfd_restore_entries(const void *buf, u64 buf_len,
			      const struct luo_memfd_in *in)
{
	struct luo_memfd_limits lim;
	struct luo_memfd_verdict v;
	struct luo_memfd_entry e;
	struct folio *folio;
	u64 i, next = 0;
	int err, order;

	if (WARN_ON_ONCE(!in->ops || !in->ops->add_folio))
		return -EINVAL;

	lmc_fill_limits(in, buf_len, &lim);
	if (!luo_memfd_check_array(buf, &lim, &v)) {
		lmc_report(in, &v);
		luo_memfd_discard_entries(buf, buf_len, in);
		return -EINVAL;
	}

	for (i = 0; i < in->nr; i++) {
		luo_memfd_decode_entry(buf, i, &e);
		if (!e.pfn)
			continue;

		/* Check before taking: a bad entry may name another's block. */
		order = lmc_probe(in, e.pfn);
		if (order < 0) {
			v.fault = LUO_MEMFD_NOT_PRESERVED;
			v.entry = i;
			v.value = e.pfn;
			lmc_report(in, &v);
			err = -EINVAL;
			goto give_back_rest;
		}
		if (!luo_memfd_check_folio(&lim, &e, i, order, &next, &v)) {
			lmc_report(in, &v);
			err = -EINVAL;
			goto give_back_rest;
		}
		folio = lmc_restore_one(in, e.pfn);
		if (!folio) {
			v.fault = LUO_MEMFD_NOT_PRESERVED;
			v.entry = i;
			v.value = e.pfn;
			lmc_report(in, &v);
			err = -EINVAL;
			goto give_back_rest;
		}
		err = lmc_inject() ? -ENOMEM :
		      in->ops->add_folio(folio, e.index, e.flags, in->arg);
		if (err) {
			pr_err("%s: folio array entry %llu: handler refused the folio: %pe\n",
			       in->name ?: "memfd", i, ERR_PTR(err));
			goto give_back;
		}
		cond_resched();
	}
	return 0;

give_back:
	lmc_give_back(in, folio);
	i++;
give_back_rest:
	/* From the failing entry on (lmc_restore_one() filters by order). */
	for (; i < in->nr; i++) {
		luo_memfd_decode_entry(buf, i, &e);
		folio = lmc_restore_one(in, e.pfn);
		if (folio)
			lmc_give_back(in, folio);
		cond_resched();
	}
	return err;
}
EXPORT_SYMBOL_GPL(luo_memfd_restore_entries);

/*
 * Map the incoming folio array. A function of its own so that fault
 * injection (fail_function) can make it fail like an allocation would.
 */
noinline void *lmc_map_array(const struct kho_vmalloc *desc)
{
	return kho_restore_vmalloc(desc);
}
ALLOW_ERROR_INJECTION(lmc_map_array, NULL);

/**
 * luo_memfd_restore - Restore an incoming folio array into the handler.
 * @in: Descriptor, count, size, limits and hooks from the handler.
 *
 * Validates the header and descriptor, maps the array with
 * kho_restore_vmalloc(), runs luo_memfd_restore_entries() and frees the
 * array. If the array cannot be mapped (no memory, or a chunk list that
 * kho_restore_vmalloc() refuses; it then restores nothing), it is walked
 * without mapping by luo_memfd_discard() and every folio that can still be
 * found is given back. After a failure the handler has nothing left to
 * give back in finish().
 *
 * Context: Process context, may sleep.
 * Return: 0, -EINVAL for corrupt data, -ENOMEM, or the error of add_folio().
 */
int luo_memfd_restore(const struct luo_memfd_in *in)
{
	void *buf;
	int err;

	if (!luo_memfd_check_in(in)) {
		luo_memfd_discard(in);
		return -EINVAL;
	}
	if (!in->nr) {
		/* Nothing to restore; free a stray array if there is one. */
		luo_memfd_discard(in);
		return 0;
	}

	buf = lmc_map_array(in->desc);
	if (!buf) {
		pr_err("%s: could not map the folio array (%llu entries); giving its folios back\n",
		       in->name ?: "memfd", in->nr);
		/* A chain that walks cleanly could only not be mapped. */
		return luo_memfd_discard(in) ? -ENOMEM : -EINVAL;
	}
	err = luo_memfd_restore_entries(buf,
					(u64)in->desc->total_pages << PAGE_SHIFT,
					in);
	vfree(buf);
	return err;
}
EXPORT_SYMBOL_GPL(luo_memfd_restore);

/**
 * luo_memfd_claim_header - Take back a handler's serialized struct first.
 * @phys: args->serialized_data, from the previous kernel (untrusted).
 * @size: Size of the handler's struct.
 *
 * Checks that @phys is the head of a preserved block large enough for
 * @size before anything reads it, and restores it before the folio array
 * is walked, so that a corrupt entry naming this page finds it taken
 * instead of putting it into the file. Release with
 * luo_memfd_release_header().
 *
 * Return: the struct, or NULL.
 */
void *luo_memfd_claim_header(u64 phys, size_t size)
{
	int order = kho_preserved_order(phys);
	struct folio *folio;

	if (order < 0 || order > MAX_PAGE_ORDER || (PAGE_SIZE << order) < size)
		return NULL;
	folio = kho_restore_folio(phys);
	return folio ? folio_address(folio) : NULL;
}
EXPORT_SYMBOL_GPL(luo_memfd_claim_header);

/**
 * luo_memfd_release_header - Free a struct from luo_memfd_claim_header().
 * @ser: The struct.
 */
void luo_memfd_release_header(void *ser)
{
	folio_put(virt_to_folio(ser));
}
EXPORT_SYMBOL_GPL(luo_memfd_release_header);
