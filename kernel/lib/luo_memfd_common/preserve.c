// SPDX-License-Identifier: GPL-2.0
/*
 * luo_memfd_common: pin and preserve the folios of a file, write the array.
 */
#define pr_fmt(fmt) "luo_memfd_common: " fmt

#include <linux/delay.h>
#include <linux/export.h>
#include <linux/fs.h>
#include <linux/hugetlb.h>
#include <linux/kexec_handover.h>
#include <linux/kho/abi/memfd.h>
#include <linux/memfd.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>

#include "internal.h"

/**
 * luo_memfd_preserve_pinned - Preserve an array of pinned folios.
 * @folios: Folios in increasing index order, one reference (pin) each.
 * @nr:     Number of folios.
 * @ops:    Handler hooks (may be NULL).
 * @arg:    Handler argument for @ops.
 * @desc:   Where to write the KHO vmalloc descriptor of the array (inside
 *          the handler's preserved struct).
 * @out:    Outgoing state, needed by luo_memfd_unpreserve().
 *
 * For each folio: ops->prepare_folio() gives its wire flags, then the folio is
 * preserved with KHO and its entry {pfn, flags, index} written. Finally the
 * array itself is preserved. Linear in @nr.
 *
 * On success the library owns the pins (released by luo_memfd_unpreserve());
 * @folios itself stays the caller's. On failure everything done here is
 * undone and the pins stay with the caller.
 *
 * Context: Process context, may sleep.
 * Return: 0 or a negative errno.
 */
int luo_memfd_preserve_pinned(struct folio **folios, u64 nr,
			      const struct luo_memfd_preserve_ops *ops,
			      void *arg, struct kho_vmalloc *desc,
			      struct luo_memfd_out *out)
{
	void *ser;
	int err = 0;
	u64 i;

	memset(out, 0, sizeof(*out));
	memset(desc, 0, sizeof(*desc));
	out->desc = desc;
	out->ops = ops;
	out->arg = arg;
	if (!nr)
		return 0;

	ser = lmc_inject() ? NULL : vcalloc(nr, LUO_MEMFD_ENTRY_SIZE);
	if (!ser)
		return -ENOMEM;

	for (i = 0; i < nr; i++) {
		struct folio *folio = folios[i];
		struct luo_memfd_entry e;
		int flags = 0;

		if (ops && ops->prepare_folio) {
			flags = lmc_inject() ? -EIO :
				ops->prepare_folio(folio, arg);
			if (flags < 0) {
				err = flags;
				break;
			}
			if (flags > LUO_MEMFD_FLAGS_MASK) {
				err = -EINVAL;
				break;
			}
		}
		err = lmc_inject() ? -ENOMEM : kho_preserve_folio(folio);
		if (err)
			break;
		e.pfn = folio_pfn(folio);
		e.flags = flags;
		e.index = folio->index;
		luo_memfd_encode_entry(ser, i, &e);
		cond_resched();
	}

	if (!err) {
		err = lmc_inject() ? -ENOMEM : kho_preserve_vmalloc(ser, desc);
		if (!err) {
			out->ser = ser;
			out->nr = nr;
			return 0;
		}
	}

	if (i < nr)
		pr_err("preserving folio %llu of %llu failed: %pe\n", i, nr,
		       ERR_PTR(err));
	else
		pr_err("preserving the array of %llu folios failed: %pe\n", nr,
		       ERR_PTR(err));
	while (i--) {
		kho_unpreserve_folio(folios[i]);
		cond_resched();
	}
	vfree(ser);
	memset(desc, 0, sizeof(*desc));
	return err;
}
EXPORT_SYMBOL_GPL(luo_memfd_preserve_pinned);

/*
 * Times preserve pins the file again after a failure that passes: a pinned
 * folio that left the page cache (below), or memfd_pin_folios() failing
 * with -ENOMEM because a folio it had to move out of movable or CMA memory
 * (KHO scratch is CMA) could not be migrated, which any short-lived
 * reference causes: a writer faulting, khugepaged, a pipe. The waits in
 * between double from 1 ms, about 1 s in all.
 */
#define LMC_PIN_TRIES 10

/*
 * Whether every pinned folio is still the file's. memfd_pin_folios() can
 * pin a folio that khugepaged is collapsing: the collapse checked the
 * folio's references before the pin and then replaces it in the page cache
 * with the new huge folio, which receives every later write, while the pin
 * keeps the old copy. The collapse holds the old folio locked until it is
 * out of the page cache, so the check waits for the lock. A folio pinned
 * and checked here can no longer be collapsed (the pin fails the
 * collapse's reference check).
 */
static bool lmc_pinned_in_cache(struct file *file, struct folio **folios,
				long nr)
{
	bool ok = true;
	long i;

	for (i = 0; i < nr && ok; i++) {
		folio_lock(folios[i]);
		ok = folios[i]->mapping == file->f_mapping;
		folio_unlock(folios[i]);
	}
	return ok;
}

/**
 * luo_memfd_file_seals - The seals of a memfd, as a handler records them.
 * @file: A shmem or hugetlbfs memfd.
 *
 * Both handlers record the seals at preserve() and again at freeze(), since
 * F_ADD_SEALS keeps working on a preserved file (except F_SEAL_WRITE, which
 * the pins make fail with -EBUSY): a seal added in between is carried, not
 * dropped.
 *
 * Context: Any context that may read the file's seals.
 * Return: The seals (F_SEAL_* uAPI values), -EOPNOTSUPP if one is not in
 * MEMFD_LUO_ALL_SEALS, or the negative errno of memfd_get_seals().
 */
int luo_memfd_file_seals(struct file *file)
{
	int seals = memfd_get_seals(file);

	if (seals < 0)
		return seals;
	if (seals & ~MEMFD_LUO_ALL_SEALS)
		return -EOPNOTSUPP;
	return seals;
}
EXPORT_SYMBOL_GPL(luo_memfd_file_seals);

/**
 * luo_memfd_preserve_file - Pin and preserve all folios of a memfd.
 * @file: A shmem or hugetlbfs memfd; the caller holds the inode lock and has
 *        frozen the mapping so its size and folios cannot change.
 * @ops:  Handler hooks (may be NULL); @ops->unpin_folio must be NULL (the
 *        pins come from memfd_pin_folios()).
 * @arg:  Handler argument for @ops.
 * @desc: Where to write the KHO vmalloc descriptor of the array.
 * @out:  Outgoing state, needed by luo_memfd_unpreserve().
 *
 * Pins [0, i_size) with memfd_pin_folios(), which also fills holes and moves
 * folios out of movable/CMA memory (so out of KHO scratch), then
 * luo_memfd_preserve_pinned(). A zero-sized file gives an empty array.
 * A pin that fails with -ENOMEM (a migration out of movable memory that
 * failed, or memory that ran out) or whose folios left the page cache is
 * tried again, up to LMC_PIN_TRIES more times over about 1 s.
 *
 * Context: Process context, may sleep.
 * Return: 0, -EFBIG if the file has more than UINT_MAX folios of its
 * minimum size, -ENOMEM if the pin kept failing that way, -EAGAIN if
 * folios kept leaving the page cache, or another negative errno. On
 * failure nothing is left pinned or preserved.
 */
int luo_memfd_preserve_file(struct file *file,
			    const struct luo_memfd_preserve_ops *ops, void *arg,
			    struct kho_vmalloc *desc, struct luo_memfd_out *out)
{
	loff_t size = i_size_read(file_inode(file));
	unsigned int shift = PAGE_SHIFT;
	struct folio **folios;
	unsigned int tries;
	pgoff_t offset;
	long nr_pinned;
	u64 max;
	int err;

	if (WARN_ON_ONCE(ops && ops->unpin_folio))
		return -EINVAL;

	if (!size)
		return luo_memfd_preserve_pinned(NULL, 0, ops, arg, desc, out);

	if (is_file_hugepages(file))
		shift = huge_page_shift(hstate_file(file));
	max = DIV_ROUND_UP_ULL(size, 1ULL << shift);
	if (max > UINT_MAX)
		return -EFBIG;

	folios = lmc_inject() ? NULL : kvmalloc_array(max, sizeof(*folios),
						      GFP_KERNEL);
	if (!folios)
		return -ENOMEM;

	for (tries = 0;; tries++) {
		/* An injected failure is one that is not tried again. */
		nr_pinned = lmc_inject() ? -EIO :
			    memfd_pin_folios(file, 0, size - 1, folios, max,
					     &offset);
		if (nr_pinned >= 0) {
			if (lmc_pinned_in_cache(file, folios, nr_pinned))
				break;
			unpin_folios(folios, nr_pinned);
			err = -EAGAIN;
		} else {
			err = nr_pinned;
		}
		if ((err != -EAGAIN && err != -ENOMEM) ||
		    tries == LMC_PIN_TRIES || fatal_signal_pending(current)) {
			pr_err("pinning the folios failed (%u tries): %pe\n",
			       tries + 1, ERR_PTR(err));
			goto out;
		}
		msleep(1U << tries);
	}

	err = luo_memfd_preserve_pinned(folios, nr_pinned, ops, arg, desc, out);
	if (err)
		unpin_folios(folios, nr_pinned);
out:
	kvfree(folios);
	return err;
}
EXPORT_SYMBOL_GPL(luo_memfd_preserve_file);
