// SPDX-License-Identifier: GPL-2.0
/*
 * luo_memfd_common: last call before kexec. Pick up what was written into
 * holes since preserve.
 */
#define pr_fmt(fmt) "luo_memfd_common: " fmt

#include <linux/export.h>
#include <linux/fs.h>
#include <linux/kexec_handover.h>
#include <linux/kho/abi/kexec_handover.h>
#include <linux/mm.h>
#include <linux/pagemap.h>
#include <linux/shmem_fs.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>

#include "internal.h"

/*
 * Whether @file may hold data that @out lacks. The pinned folios cannot leave
 * the file (no truncate, no punch, no reclaim, no migration), so it holds
 * exactly the preserved pages unless a hole was filled since, and then its
 * page counts differ. Pages beyond i_size (fallocate() with
 * FALLOC_FL_KEEP_SIZE) also differ, and cost a walk that finds nothing.
 * Two counts, since each can miss a new page for a moment: shmem's
 * allocated count is raised only after the page is in the page cache (the
 * page is locked until then, so it cannot be swapped out meanwhile, and the
 * page-cache count already has it); the page-cache count plus the swap
 * count can miss a page swapped in between reading the two, which the
 * allocated count keeps. For hugetlbfs both are the page-cache count.
 */
static bool lmc_may_have_new(struct file *file, const struct luo_memfd_out *out)
{
	struct shmem_inode_info *info;
	bool differ;

	if (!shmem_file(file))
		return READ_ONCE(file->f_mapping->nrpages) != out->nr_pages;
	info = SHMEM_I(file_inode(file));
	spin_lock(&info->lock);
	differ = info->alloced != out->nr_pages ||
		 READ_ONCE(file->f_mapping->nrpages) + info->swapped !=
		 out->nr_pages;
	spin_unlock(&info->lock);
	return differ;
}

/*
 * Merge the @nr_new entries of @add (their own order) into @out's array, in
 * index order, as a new preserved array that replaces the old one.
 */
static int lmc_merge(struct luo_memfd_out *out, const void *add, u64 nr_new)
{
	struct luo_memfd_entry a, b;
	struct kho_vmalloc desc;
	u64 i = 0, j = 0, k;
	void *ser;
	int err;

	ser = lmc_inject() ? NULL : vcalloc(out->nr + nr_new,
					    LUO_MEMFD_ENTRY_SIZE);
	if (!ser)
		return -ENOMEM;
	for (k = 0; k < out->nr + nr_new; k++) {
		if (i < out->nr)
			luo_memfd_decode_entry(out->ser, i, &a);
		if (j < nr_new)
			luo_memfd_decode_entry(add, j, &b);
		if (j == nr_new || (i < out->nr && a.index < b.index)) {
			luo_memfd_encode_entry(ser, k, &a);
			i++;
		} else {
			luo_memfd_encode_entry(ser, k, &b);
			j++;
		}
	}
	err = lmc_inject() ? -ENOMEM : kho_preserve_vmalloc(ser, &desc);
	if (err) {
		vfree(ser);
		return err;
	}
	if (out->nr) {
		kho_unpreserve_vmalloc(out->desc);
		vfree(out->ser);
	}
	*out->desc = desc;
	out->ser = ser;
	out->nr += nr_new;
	return 0;
}

/*
 * Pin and preserve the folios @file gained since it was preserved and add
 * them to @out. Nothing changes on failure.
 */
static int lmc_pick_up(struct file *file, struct luo_memfd_out *out)
{
	struct folio **folios;
	unsigned long nr, i;
	void *add = NULL;
	int err;

	/* An array corrupted by a freeze whose reboot was aborted. */
	lmc_test_uncorrupt(out);
	err = lmc_pin_present(file, out, &folios, &nr);
	if (err || !nr)
		goto out;
	add = lmc_inject() ? NULL : vcalloc(nr, LUO_MEMFD_ENTRY_SIZE);
	err = -ENOMEM;
	if (!add)
		goto out_unpin;
	err = lmc_preserve_folios(folios, nr, out->ops, out->arg, add);
	if (err)
		goto out_unpin;
	err = lmc_merge(out, add, nr);
	if (err) {
		for (i = 0; i < nr; i++)
			kho_unpreserve_folio(folios[i]);
		goto out_unpin;
	}
	for (i = 0; i < nr; i++)
		out->nr_pages += folio_nr_pages(folios[i]);
	pr_info("freeze: added %lu folio(s) written into holes since preserve\n",
		nr);
	goto out;

out_unpin:
	unpin_folios(folios, nr);
out:
	vfree(add);
	kvfree(folios);
	if (err)
		pr_err("freeze: adding the folios written since preserve failed: %pe\n",
		       ERR_PTR(err));
	return err;
}

/**
 * luo_memfd_freeze - Called from the handler's freeze(), just before kexec.
 * @file: The preserved memfd.
 * @out:  Its outgoing state.
 *
 * Preserve leaves holes alone, and the file keeps working until the kexec:
 * a write into a hole (write(2), a fault through a mapping) allocates a folio
 * the array does not have. Here such folios are pinned and preserved like
 * the others (swapped-out ones read back in) and the array is replaced by
 * one that has them, so everything written before the reboot began comes
 * through. When the page count shows nothing new, this costs no walk. Then,
 * on test kernels with CONFIG_LUO_MEMFD_COMMON_CORRUPT_TEST, a requested
 * corruption is applied to the outgoing array.
 *
 * From this call on the file takes no new folio, until
 * luo_memfd_unfreeze(): a write into a hole fails with EPERM and a fault
 * into one raises SIGBUS (mapping_set_no_new_folios()), so no write is
 * accepted that the next kernel would not see. The caller updates its entry
 * count from @out->nr, and HugeTLB its pool accounting; a caller that fails
 * after this succeeded calls luo_memfd_unfreeze().
 *
 * Context: Process context (LUO reboot path), may sleep.
 * Return: 0, or a negative errno (the kexec is then aborted; what was
 * preserved stays preserved and @out unchanged).
 */
int luo_memfd_freeze(struct file *file, struct luo_memfd_out *out)
{
	struct address_space *mapping = file->f_mapping;
	int err = 0;

	/*
	 * No folio fills a hole from now on: a write into one fails, a fault
	 * raises SIGBUS, rather than being accepted and not carried. Taking
	 * the page cache's lock waits out an insertion that began before.
	 */
	mapping_set_no_new_folios(mapping);
	xa_lock_irq(&mapping->i_pages);
	xa_unlock_irq(&mapping->i_pages);
	if (lmc_may_have_new(file, out))
		err = lmc_pick_up(file, out);
	if (err)
		mapping_clear_no_new_folios(mapping);
	else
		lmc_test_corrupt(out);
	return err;
}
EXPORT_SYMBOL_GPL(luo_memfd_freeze);

/**
 * luo_memfd_unfreeze - Let a frozen memfd's holes be written again.
 * @file: A memfd that luo_memfd_freeze() froze.
 *
 * Called from the handler's unfreeze() (a kexec that did not go on) and
 * unpreserve(). Folios written into holes from now on are picked up by the
 * next freeze. Harmless on a memfd that is not frozen.
 *
 * Context: Process context.
 */
void luo_memfd_unfreeze(struct file *file)
{
	mapping_clear_no_new_folios(file->f_mapping);
}
EXPORT_SYMBOL_GPL(luo_memfd_unfreeze);
