// SPDX-License-Identifier: GPL-2.0
/*
 * luo_memfd_common: pin and preserve the folios of a file, write the array.
 */
#define pr_fmt(fmt) "luo_memfd_common: " fmt

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
 * lmc_preserve_folios - Preserve pinned folios with KHO and write their entries.
 * @folios: Folios in increasing index order, one pin each.
 * @nr:     Number of folios.
 * @ops:    Handler hooks (may be NULL).
 * @arg:    Handler argument for @ops.
 * @ser:    Room for @nr entries.
 *
 * For each folio: ops->prepare_folio() gives its wire flags, then the folio is
 * preserved with KHO and its entry {pfn, flags, index} written at the same
 * position in @ser. On failure the folios preserved here are unpreserved.
 *
 * Return: 0 or a negative errno.
 */
int lmc_preserve_folios(struct folio **folios, u64 nr,
			const struct luo_memfd_preserve_ops *ops, void *arg,
			void *ser)
{
	int err = 0;
	u64 i;

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
	if (!err)
		return 0;

	pr_err("preserving folio %llu of %llu failed: %pe\n", i, nr,
	       ERR_PTR(err));
	while (i--) {
		kho_unpreserve_folio(folios[i]);
		cond_resched();
	}
	return err;
}

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
	int err;
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

	err = lmc_preserve_folios(folios, nr, ops, arg, ser);
	if (err)
		goto out_free;
	err = lmc_inject() ? -ENOMEM : kho_preserve_vmalloc(ser, desc);
	if (!err) {
		out->ser = ser;
		out->nr = nr;
		for (i = 0; i < nr; i++)
			out->nr_pages += folio_nr_pages(folios[i]);
		return 0;
	}
	pr_err("preserving the array of %llu folios failed: %pe\n", nr,
	       ERR_PTR(err));
	for (i = 0; i < nr; i++) {
		kho_unpreserve_folio(folios[i]);
		cond_resched();
	}
out_free:
	vfree(ser);
	memset(desc, 0, sizeof(*desc));
	return err;
}
EXPORT_SYMBOL_GPL(luo_memfd_preserve_pinned);

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
 * luo_memfd_preserve_file - Pin and preserve the folios of a memfd that hold data.
 * @file: A shmem or hugetlbfs memfd; the caller holds the inode lock and has
 *        frozen the mapping so its size cannot change and no range can be
 *        punched.
 * @ops:  Handler hooks (may be NULL); @ops->unpin_folio must be NULL (the
 *        pins come from memfd_pin_folios()).
 * @arg:  Handler argument for @ops.
 * @desc: Where to write the KHO vmalloc descriptor of the array.
 * @out:  Outgoing state, needed by luo_memfd_unpreserve().
 *
 * Pins the folios of [0, i_size) that are in the page cache, and shmem
 * pages that are swapped out (read back in), moving them out of movable and
 * CMA memory (so out of KHO scratch), then luo_memfd_preserve_pinned().
 * Holes are left alone: they cost nothing here and are holes in the next
 * kernel. A folio that fills a hole later is picked up by
 * luo_memfd_freeze(). A file without data gives an empty array. Time and
 * memory are linear in the folios present, not in the size.
 *
 * Context: Process context, may sleep.
 * Return: 0, -ENOMEM if pinning kept failing that way (see
 * lmc_pin_present()), -EAGAIN if folios kept leaving the page cache, or
 * another negative errno. On failure nothing is left pinned or preserved.
 */
int luo_memfd_preserve_file(struct file *file,
			    const struct luo_memfd_preserve_ops *ops, void *arg,
			    struct kho_vmalloc *desc, struct luo_memfd_out *out)
{
	struct folio **folios;
	unsigned long nr;
	int err;

	if (WARN_ON_ONCE(ops && ops->unpin_folio))
		return -EINVAL;

	err = lmc_pin_present(file, NULL, &folios, &nr);
	if (err)
		return err;
	err = luo_memfd_preserve_pinned(folios, nr, ops, arg, desc, out);
	if (err)
		unpin_folios(folios, nr);
	kvfree(folios);
	return err;
}
EXPORT_SYMBOL_GPL(luo_memfd_preserve_file);
