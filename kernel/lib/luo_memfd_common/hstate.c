// SPDX-License-Identifier: GPL-2.0
/*
 * luo_memfd_common: per-hstate count of preserved huge pages (an FLB).
 *
 * Outgoing: every preserved HugeTLB file adds its huge pages to the count of
 * their order, unpreserve subtracts them. Incoming: early boot reads the
 * counts (flb_early.c) so the boot-time pool is hugepages=N minus the pages
 * that come back. The FLB payload is struct hugetlb_pool_luo_ser.
 */
#define pr_fmt(fmt) "luo_memfd_common: " fmt

#include <linux/error-injection.h>
#include <linux/export.h>
#include <linux/init.h>
#include <linux/io.h>
#include <linux/kexec_handover.h>
#include <linux/kho/abi/hugetlb_memfd.h>
#include <linux/liveupdate.h>
#include <linux/luo_memfd_common.h>
#include <linux/memblock.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/string.h>

#include "internal.h"

/* The payload's records are the library's per-hstate count records. */
static_assert(LUO_MEMFD_MAX_HSTATES == HUGETLB_POOL_LUO_MAX_HSTATES);
static_assert(sizeof(struct hugetlb_pool_luo_count) ==
	      LUO_MEMFD_HSTATE_REC_SIZE);

/**
 * luo_memfd_hstate_check - Validate an incoming accounting FLB payload.
 * @ser:     The payload (untrusted).
 * @max_pfn: End of memory in base pages.
 *
 * Pure. The used records are checked by the library's
 * luo_memfd_check_hstates() (at most LUO_MEMFD_MAX_HSTATES, orders in
 * 1..LUO_MEMFD_MAX_ORDER and unique, reserved bits zero, all pages together
 * within memory); in addition the header's reserved field and every unused
 * record must be zero.
 *
 * Return: 0 if acceptable, -EINVAL otherwise.
 */
int luo_memfd_hstate_check(const struct hugetlb_pool_luo_ser *ser, u64 max_pfn)
{
	struct luo_memfd_hstate_count hc[LUO_MEMFD_MAX_HSTATES];
	struct luo_memfd_verdict v;
	u32 i;

	if (ser->reserved)
		return -EINVAL;
	if (!luo_memfd_check_hstates(ser->counts, sizeof(ser->counts),
				     ser->nr_counts, max_pfn, hc, &v))
		return -EINVAL;
	for (i = ser->nr_counts; i < HUGETLB_POOL_LUO_MAX_HSTATES; i++) {
		const struct hugetlb_pool_luo_count *c = &ser->counts[i];

		if (c->order || c->reserved || c->nr_pages)
			return -EINVAL;
	}
	return 0;
}
EXPORT_SYMBOL_GPL(luo_memfd_hstate_check);

/**
 * luo_memfd_hstate_lookup - Preserved pages of one order in a payload.
 * @ser:   A payload that passed luo_memfd_hstate_check().
 * @order: Huge page order.
 *
 * Return: the count, 0 if the order has no entry.
 */
u64 luo_memfd_hstate_lookup(const struct hugetlb_pool_luo_ser *ser,
			    unsigned int order)
{
	u32 i;

	for (i = 0; i < ser->nr_counts && i < HUGETLB_POOL_LUO_MAX_HSTATES; i++)
		if (ser->counts[i].order == order)
			return ser->counts[i].nr_pages;
	return 0;
}
EXPORT_SYMBOL_GPL(luo_memfd_hstate_lookup);

/**
 * luo_memfd_hstate_add - Adjust the count of one order in a payload.
 * @ser:   Outgoing payload.
 * @order: Huge page order (1..LUO_MEMFD_MAX_ORDER).
 * @delta: Pages to add (negative to remove).
 *
 * Pure. An order gets an entry when its count leaves 0 and loses it when the
 * count returns to 0 (later entries move down), so preserve + unpreserve
 * leaves the payload byte-for-byte as before. The payload is unchanged on
 * error.
 *
 * Return: 0; -EINVAL for a bad order or a count that would go below 0 or
 * overflow; -ENOSPC if all entries are used by other orders.
 */
int luo_memfd_hstate_add(struct hugetlb_pool_luo_ser *ser, unsigned int order,
			 long delta)
{
	struct hugetlb_pool_luo_count *c = NULL;
	u32 i, n = ser->nr_counts;
	u64 nr;

	if (!order || order > LUO_MEMFD_MAX_ORDER ||
	    n > HUGETLB_POOL_LUO_MAX_HSTATES)
		return -EINVAL;
	if (!delta)
		return 0;

	for (i = 0; i < n; i++) {
		if (ser->counts[i].order == order) {
			c = &ser->counts[i];
			break;
		}
	}
	nr = c ? c->nr_pages : 0;
	if (delta < 0 ? nr < -(u64)delta : nr + delta < nr)
		return -EINVAL;
	nr += delta;

	if (!c) {
		if (n == HUGETLB_POOL_LUO_MAX_HSTATES)
			return -ENOSPC;
		c = &ser->counts[n];
		c->order = order;
		c->reserved = 0;
		ser->nr_counts = n + 1;
	}
	c->nr_pages = nr;
	if (!nr) {
		/* Drop the entry; keep used entries packed, unused zero. */
		memmove(c, c + 1, (char *)&ser->counts[n] - (char *)(c + 1));
		memset(&ser->counts[n - 1], 0, sizeof(ser->counts[0]));
		ser->nr_counts = n - 1;
	}
	return 0;
}
EXPORT_SYMBOL_GPL(luo_memfd_hstate_add);

/* ---------------------------------------------------------------------- */
/* The FLB                                                                 */
/* ---------------------------------------------------------------------- */

/* Serializes updates of the outgoing payload by concurrent preserves. */
static DEFINE_MUTEX(lmc_hstate_lock);

/*
 * A failure here fails the first HugeTLB preserve and costs nothing (tested
 * with fail_function: ALLOW_ERROR_INJECTION below).
 */
static int lmc_hstate_flb_preserve(struct liveupdate_flb_op_args *args)
{
	struct hugetlb_pool_luo_ser *ser;

	ser = kho_alloc_preserve(sizeof(*ser));
	if (IS_ERR(ser))
		return PTR_ERR(ser);
	args->data = virt_to_phys(ser);
	args->obj = ser;
	return 0;
}
ALLOW_ERROR_INJECTION(lmc_hstate_flb_preserve, ERRNO);

static void lmc_hstate_flb_unpreserve(struct liveupdate_flb_op_args *args)
{
	kho_unpreserve_free(args->obj);
}

static int lmc_hstate_flb_retrieve(struct liveupdate_flb_op_args *args)
{
	/*
	 * The counts were consumed in early boot; here only the page that
	 * holds them is taken back so finish() can free it.
	 */
	if (!args->data || !PAGE_ALIGNED(args->data) ||
	    kho_preserved_order(args->data) < 0) {
		pr_err("hugetlb accounting FLB: bad handle %#llx\n", args->data);
		return -EINVAL;
	}
	args->obj = phys_to_virt(args->data);
	return 0;
}

static void lmc_hstate_flb_finish(struct liveupdate_flb_op_args *args)
{
	kho_restore_free(args->obj);
}

static const struct liveupdate_flb_ops lmc_hstate_flb_ops = {
	.preserve = lmc_hstate_flb_preserve,
	.unpreserve = lmc_hstate_flb_unpreserve,
	.retrieve = lmc_hstate_flb_retrieve,
	.finish = lmc_hstate_flb_finish,
	.owner = THIS_MODULE,
};

/*
 * The FLB a HugeTLB file handler registers (liveupdate_register_flb()) so
 * that LUO preserves the counts with the first HugeTLB file and drops them
 * with the last.
 */
struct liveupdate_flb luo_memfd_hstate_flb = {
	.ops = &lmc_hstate_flb_ops,
	.compatible = HUGETLB_POOL_LUO_FLB_COMPATIBLE,
};
EXPORT_SYMBOL_GPL(luo_memfd_hstate_flb);

/**
 * luo_memfd_hstate_account - Count preserved huge pages for the next kernel.
 * @order: Huge page order of the pages.
 * @delta: Number of pages preserved (positive) or unpreserved (negative).
 *
 * Called by the HugeTLB handler from its preserve() and unpreserve(), when
 * LUO has already preserved the FLB for the file (it does so before the
 * handler's preserve() and drops it after its unpreserve()).
 *
 * Context: Process context, may sleep.
 * Return: 0, an error of luo_memfd_hstate_add(), or -ENOENT if the FLB is
 * not preserved.
 */
int luo_memfd_hstate_account(unsigned int order, long delta)
{
	struct hugetlb_pool_luo_ser *ser;
	void *obj;
	int err;

	/* Only preserve (delta > 0) may fail: unpreserve cannot undo it. */
	if (delta > 0 && lmc_inject())
		return -ENOSPC;
	err = liveupdate_flb_get_outgoing(&luo_memfd_hstate_flb, &obj);
	if (err)
		return err;
	ser = obj;
	mutex_lock(&lmc_hstate_lock);
	err = luo_memfd_hstate_add(ser, order, delta);
	mutex_unlock(&lmc_hstate_lock);
	liveupdate_flb_put_outgoing(&luo_memfd_hstate_flb);
	if (err)
		pr_err("hugetlb accounting: %+ld pages of order %u: %pe\n",
		       delta, order, ERR_PTR(err));
	return err;
}
EXPORT_SYMBOL_GPL(luo_memfd_hstate_account);

/* ---------------------------------------------------------------------- */
/* Incoming, early boot                                                    */
/* ---------------------------------------------------------------------- */

static struct {
	bool done;
	int err;
	struct hugetlb_pool_luo_ser counts;
} lmc_hstate_in __initdata;

/**
 * luo_memfd_hstate_early_init - Read and keep the incoming counts.
 *
 * Copies the incoming accounting FLB payload with
 * luo_memfd_flb_incoming_early() and validates it. Must run before LUO's
 * early initcall frees the LUO state it walks: HugeTLB calls it at the start
 * of hugetlb_bootmem_alloc(). Later calls do nothing.
 *
 * Context: Early boot (memblock active).
 */
void __init luo_memfd_hstate_early_init(void)
{
	const struct hugetlb_pool_luo_ser *ser;
	u64 data, max = PHYS_PFN(memblock_end_of_DRAM());
	int err, i;

	if (lmc_hstate_in.done)
		return;
	lmc_hstate_in.done = true;

	err = luo_memfd_flb_incoming_early(&luo_memfd_hstate_flb, &data);
	if (err == -ENOENT || err == -ENODATA || err == -EOPNOTSUPP)
		return;
	if (err)
		goto bad;
	if (!PAGE_ALIGNED(data) || data + sizeof(*ser) < data ||
	    !memblock_is_region_memory(data, sizeof(*ser))) {
		err = -EINVAL;
		goto bad;
	}

	ser = phys_to_virt(data);
	memcpy(&lmc_hstate_in.counts, ser, sizeof(*ser));
	err = luo_memfd_hstate_check(&lmc_hstate_in.counts, max);
	if (err)
		goto bad;

	for (i = 0; i < lmc_hstate_in.counts.nr_counts; i++)
		pr_info("live update hands over %llu huge pages of order %u\n",
			lmc_hstate_in.counts.counts[i].nr_pages,
			lmc_hstate_in.counts.counts[i].order);
	return;

bad:
	memset(&lmc_hstate_in.counts, 0, sizeof(lmc_hstate_in.counts));
	lmc_hstate_in.err = err;
	pr_err("hugetlb accounting FLB from the previous kernel is corrupt (%pe); boot-time huge page pools are not reduced\n",
	       ERR_PTR(err));
}

/**
 * luo_memfd_hstate_preserved - Huge pages of one order coming back.
 * @order:    Huge page order.
 * @nr_pages: Set to the number of preserved pages of @order (0 if none or
 *            if the incoming counts are unusable).
 *
 * Read-only and allocation-free; reads the copy made by
 * luo_memfd_hstate_early_init() (called here if it has not run yet).
 *
 * Context: Boot (init code).
 * Return: 0, or -EINVAL if the incoming counts were corrupt.
 */
int __init luo_memfd_hstate_preserved(unsigned int order, u64 *nr_pages)
{
	luo_memfd_hstate_early_init();
	*nr_pages = luo_memfd_hstate_lookup(&lmc_hstate_in.counts, order);
	return lmc_hstate_in.err;
}
