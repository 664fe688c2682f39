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

/*
 * Give back the folio of every entry from @from on that is still a
 * preserved block of an order the file accepts (lmc_restore_one() filters).
 */
static void lmc_give_back_from(const struct luo_memfd_in *in, const void *buf,
			       u64 from)
{
	struct luo_memfd_entry e;
	struct folio *folio;
	u64 i;

	for (i = from; i < in->nr; i++) {
		luo_memfd_decode_entry(buf, i, &e);
		folio = lmc_restore_one(in, e.pfn);
		if (folio)
			lmc_give_back(in, folio);
		cond_resched();
	}
}

/* What a stopped restore holds: its folio and every later entry's. */
static void lmc_give_back_held(const struct luo_memfd_in *in,
			       struct luo_memfd_resume *r)
{
	if (r->held)
		lmc_give_back(in, r->held);
	lmc_give_back_from(in, r->buf, r->next + !!r->held);
	r->held = NULL;
	r->pending = false;
}

/*
 * Restore entries from @r->next on (the array was checked as a whole), each
 * after checking the order KHO recorded for its block, alignment and
 * overlap, and pass them to @in->ops->add_folio(). If add_folio() runs out
 * of memory and may be retried (@in->ops->add_may_retry), stop there: the
 * folio is kept in @r->held, and everything from it on stays for the next
 * attempt. On any other failure the folios already added stay with the
 * handler; the failing one and every later one still preserved with an
 * order the file accepts are given back.
 */
static int lmc_restore_from(const struct luo_memfd_in *in,
			    struct luo_memfd_resume *r)
{
	struct luo_memfd_limits lim;
	struct luo_memfd_verdict v;
	struct luo_memfd_entry e;
	struct folio *folio;
	int err, order;
	u64 i;

	lmc_fill_limits(in, r->buf_len, &lim);
	for (i = r->next; i < in->nr; i++) {
		luo_memfd_decode_entry(r->buf, i, &e);
		if (!e.pfn)
			continue;

		folio = r->held;
		r->held = NULL;
		if (folio)
			goto add;
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
		if (!luo_memfd_check_folio(&lim, &e, i, order, &r->next_index,
					   &v)) {
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
add:
		err = lmc_inject() ? -ENOMEM :
		      in->ops->add_folio(folio, e.index, e.flags, in->arg);
		if (err == -ENOMEM && in->ops->add_may_retry) {
			r->held = folio;
			r->next = i;
			r->pending = true;
			pr_warn("%s: folio array entry %llu: out of memory; entries %llu to %llu wait for the next retrieve\n",
				in->name ?: "memfd", i, i, in->nr - 1);
			return err;
		}
		if (err) {
			pr_err("%s: folio array entry %llu: handler refused the folio: %pe\n",
			       in->name ?: "memfd", i, ERR_PTR(err));
			goto give_back;
		}
		cond_resched();
	}
	r->next = i;
	return 0;

give_back:
	lmc_give_back(in, folio);
	i++;
give_back_rest:
	lmc_give_back_from(in, r->buf, i);
	r->next = in->nr;
	return err;
}

/* Check the whole mapped array; on failure give back what it names. */
static int lmc_check_mapped(const struct luo_memfd_in *in,
			    const struct luo_memfd_resume *r)
{
	struct luo_memfd_limits lim;
	struct luo_memfd_verdict v;

	lmc_fill_limits(in, r->buf_len, &lim);
	if (luo_memfd_check_array(r->buf, &lim, &v))
		return 0;
	lmc_report(in, &v);
	luo_memfd_discard_entries(r->buf, r->buf_len, in);
	return -EINVAL;
}

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
 * count. Not resumable: see luo_memfd_restore_resume().
 *
 * Context: Process context, may sleep.
 * Return: 0, -EINVAL for corrupt data, or the error of add_folio().
 */
int luo_memfd_restore_entries(const void *buf, u64 buf_len,
			      const struct luo_memfd_in *in)
{
	struct luo_memfd_resume r = { .buf = (void *)buf, .buf_len = buf_len };
	int err;

	if (WARN_ON_ONCE(!in->ops || !in->ops->add_folio))
		return -EINVAL;
	err = lmc_check_mapped(in, &r);
	if (!err)
		err = lmc_restore_from(in, &r);
	/* A caller that cannot resume gets the old contract. */
	if (r.pending)
		lmc_give_back_held(in, &r);
	return err;
}
EXPORT_SYMBOL_GPL(luo_memfd_restore_entries);

/*
 * Map the incoming folio array. A function of its own so that fault
 * injection (fail_function) can make it fail like an allocation would.
 */
noinline void *lmc_map_array(const struct kho_vmalloc *desc)
{
	return kho_restore_vmalloc_err(desc);
}
ALLOW_ERROR_INJECTION(lmc_map_array, ERRNO);

/**
 * luo_memfd_restore_resume - Restore an incoming array, resumably.
 * @in: Descriptor, count, size, limits and hooks.
 * @r:  Where a previous attempt stopped; all zero for the first one.
 *
 * Validates the header and descriptor, maps the array, checks it as a
 * whole and restores its entries into @in->ops->add_folio(). A descriptor
 * that cannot be mapped is walked without mapping by luo_memfd_discard()
 * and every folio still found is given back. Running out of memory loses
 * nothing: if the array cannot be mapped for lack of memory (nothing is
 * restored then), or @in->ops->add_folio() fails with -ENOMEM and
 * @in->ops->add_may_retry is set, it returns -ENOMEM and @r says where to
 * go on; calling it again with the same @r continues from there, and
 * luo_memfd_resume_abort() gives back what is left instead. On every other
 * outcome @r is cleared and the array is freed.
 *
 * Context: Process context, may sleep.
 * Return: 0, -ENOMEM (resumable, see above), -EINVAL for corrupt data, or
 * the error of add_folio().
 */
int luo_memfd_restore_resume(const struct luo_memfd_in *in,
			     struct luo_memfd_resume *r)
{
	void *buf;
	int err;

	if (WARN_ON_ONCE(!in->ops || !in->ops->add_folio))
		return -EINVAL;
	r->pending = false;
	if (!r->buf) {
		if (!luo_memfd_check_in(in)) {
			luo_memfd_discard(in);
			return -EINVAL;
		}
		if (!in->nr) {
			/* Nothing to restore; free a stray array if any. */
			luo_memfd_discard(in);
			return 0;
		}
		buf = lmc_map_array(in->desc);
		if (IS_ERR(buf)) {
			err = PTR_ERR(buf);
			if (err == -ENOMEM) {
				pr_warn("%s: no memory to map the folio array (%llu entries); it waits for the next retrieve\n",
					in->name ?: "memfd", in->nr);
				r->pending = true;
				return err;
			}
			pr_err("%s: could not map the folio array (%llu entries): %pe; giving its folios back\n",
			       in->name ?: "memfd", in->nr, ERR_PTR(err));
			luo_memfd_discard(in);
			return -EINVAL;
		}
		r->buf = buf;
		r->buf_len = (u64)in->desc->total_pages << PAGE_SHIFT;
		err = lmc_check_mapped(in, r);
		if (err)
			goto out;
	}
	err = lmc_restore_from(in, r);
	if (r->pending)
		return err;
out:
	vfree(r->buf);
	*r = (struct luo_memfd_resume){};
	return err;
}
EXPORT_SYMBOL_GPL(luo_memfd_restore_resume);

/**
 * luo_memfd_resume_abort - Give back what a stopped restore still holds.
 * @in: The same descriptor and hooks as for luo_memfd_restore_resume().
 * @r:  Where it stopped; cleared.
 *
 * For finish() of a file whose retrieve ran out of memory and was never
 * tried again: the held folio and every later entry's folio are given
 * back, or, if the array was never mapped, the whole array as by
 * luo_memfd_discard(). Needs no memory.
 *
 * Context: Process context, may sleep.
 */
void luo_memfd_resume_abort(const struct luo_memfd_in *in,
			    struct luo_memfd_resume *r)
{
	if (!r->buf) {
		luo_memfd_discard(in);
		return;
	}
	lmc_give_back_held(in, r);
	vfree(r->buf);
	*r = (struct luo_memfd_resume){};
}
EXPORT_SYMBOL_GPL(luo_memfd_resume_abort);

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
