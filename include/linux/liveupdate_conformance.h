/* SPDX-License-Identifier: GPL-2.0 */
/*
 * In-kernel conformance suite for LUO file handlers (KUnit).
 *
 * A file handler describes itself with one struct luo_cf_handler; the
 * suite (kernel/liveupdate/conformance/) turns every descriptor listed in
 * its table into all generic cases. See docs/conformance.md.
 */
#ifndef _LINUX_LIVEUPDATE_CONFORMANCE_H
#define _LINUX_LIVEUPDATE_CONFORMANCE_H

#include <linux/bits.h>
#include <linux/liveupdate.h>
#include <linux/types.h>

struct file;

/* Capabilities: a generic case whose capability is missing is skipped. */

/* The handler preserves memfd seals (checked in the serialized state). */
#define LUO_CF_CAP_SEALS	BIT(0)
/* The handler preserves the file position, refreshed by .freeze(). */
#define LUO_CF_CAP_POSITION	BIT(1)
/* Size cannot change while preserved; it can again after unpreserve. */
#define LUO_CF_CAP_SIZE_LOCK	BIT(2)
/* File sizes are whole multiples of luo_cf_handler.unit. */
#define LUO_CF_CAP_FIXED_PAGE	BIT(3)
/*
 * The file's memory is its page cache (file->f_mapping): the suite checks
 * folio references and compares the preserved blocks with the folios.
 */
#define LUO_CF_CAP_FOLIOS	BIT(4)

/*
 * Holes are not preserved: a file with holes costs preserve no memory for
 * them and its serialized state names only the folios present; a hole
 * filled after preserve is in the state after .freeze(). Needs
 * LUO_CF_CAP_FOLIOS and .visit; holes are punched with fallocate(), the
 * filled-after-preserve case also needs .fill.
 */
#define LUO_CF_CAP_SPARSE	BIT(5)

/* luo_cf_block.index of a block that holds metadata, not file data. */
#define LUO_CF_METADATA		U64_MAX

/**
 * struct luo_cf_block - One block of memory the serialized state points at.
 * @phys:  Physical address of the block.
 * @order: Order the block must be preserved with.
 * @index: Page-cache index (in base pages) of the file data the block
 *         holds, or %LUO_CF_METADATA.
 */
struct luo_cf_block {
	phys_addr_t phys;
	unsigned int order;
	u64 index;
};

/**
 * typedef luo_cf_visit_fn - Called by luo_cf_handler.visit for each block.
 * @ctx: The suite's context.
 * @b:   The block.
 *
 * Return: 0 to continue, non-zero to stop (the value is passed back).
 */
typedef int (*luo_cf_visit_fn)(void *ctx, const struct luo_cf_block *b);

/**
 * struct luo_cf_handler - What the conformance suite needs from a handler.
 * @name:        Short name (KUnit parameter and luo_conformance.require=).
 * @handler:     The registered LUO file handler under test.
 * @caps:        LUO_CF_CAP_* flags.
 * @unit:        Granule of the sizes the suite asks @create for, in bytes:
 *               a memfd's allocation unit (PAGE_SIZE, the huge page size).
 *               A file without a size (an eventfd) says 1 and derives
 *               its state from size and seed as it likes.
 * @max_units:   Largest test file the suite may create, in @unit.
 * @create:      Required. Make a file of @size bytes whose contents derive
 *               from @seed. ERR_PTR(-ENODEV) or ERR_PTR(-ENOSPC): the
 *               handler or its memory is not available on this boot (case
 *               skipped, unless luo_conformance.require= names it).
 * @check:       Required. 0 if @file has @size bytes of @seed's contents,
 *               else a negative errno (and a kunit-visible pr_err()).
 * @check_serialized: Optional. 0 if the serialized state in @args
 *               describes @file now (size, position, seals …).
 * @visit:       Optional. Call @fn for every block of memory the
 *               serialized state in @args points at (the state itself
 *               included). Needed by the KHO cases.
 * @free_units:  Optional. Free memory of the handler's own kind, exact (for
 *               example free huge pages of the hstate).
 * @fill:        Optional (LUO_CF_CAP_SPARSE). Put data into the unit at
 *               byte offset @pos of a preserved file, the way a user can
 *               while it is preserved (write(2), a fault), allocating it if
 *               it is a hole. 0 or a negative errno.
 * @mutate:      Optional. Change @file through its own user interface, as
 *               its owner may at any time (a read(2) of an eventfd), and
 *               return 0, or the negative errno the file gave. Must not
 *               block (-EAGAIN if there is nothing to change). Lets the
 *               suite check that after .freeze() the serialized state
 *               still describes the file: a change is carried or refused.
 * @inject:      Optional. @fail_at > 0: make fallible step @fail_at of the
 *               handler fail and reset the step counter; 0: disarm and
 *               return how many fallible steps ran since arming.
 */
struct luo_cf_handler {
	const char *name;
	struct liveupdate_file_handler *handler;
	unsigned long caps;
	size_t unit;
	unsigned int max_units;
	struct file *(*create)(const struct luo_cf_handler *h, size_t size,
			       u64 seed);
	int (*check)(const struct luo_cf_handler *h, struct file *file,
		     size_t size, u64 seed);
	int (*check_serialized)(const struct luo_cf_handler *h,
				struct liveupdate_file_op_args *args);
	int (*visit)(const struct luo_cf_handler *h,
		     struct liveupdate_file_op_args *args, luo_cf_visit_fn fn,
		     void *ctx);
	unsigned long (*free_units)(const struct luo_cf_handler *h);
	int (*fill)(const struct luo_cf_handler *h, struct file *file,
		    loff_t pos);
	int (*mutate)(const struct luo_cf_handler *h, struct file *file);
	unsigned int (*inject)(unsigned int fail_at);
};

/* Descriptors of the handlers in this tree (listed in the suite's table). */
extern const struct luo_cf_handler memfd_luo_cf_shmem;
extern const struct luo_cf_handler memfd_hugetlb_luo_cf_2m;
extern const struct luo_cf_handler memfd_hugetlb_luo_cf_1g;
extern const struct luo_cf_handler eventfd_luo_cf;

#endif /* _LINUX_LIVEUPDATE_CONFORMANCE_H */
