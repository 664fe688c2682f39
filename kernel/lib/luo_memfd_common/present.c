// SPDX-License-Identifier: GPL-2.0
/*
 * luo_memfd_common: find and pin the pages of a memfd that hold data.
 *
 * A memfd is preserved by what was written to it, not by its size: only
 * indices that hold a folio, or a shmem page that was swapped out, are
 * pinned (a swapped-out page is read back in by the pin). Holes stay holes
 * and cost nothing. At preserve, memfd_pin_present_folios() finds and pins
 * them in one pass over the page cache, and moves them out of movable and
 * CMA memory (so out of KHO scratch). At freeze, only the folios added
 * since are wanted: a walk finds runs of new indices with none missing in
 * between, leaving the preserved folios out, and each run is pinned with
 * one memfd_pin_folios() call, which, given a range without holes,
 * allocates nothing.
 */
#define pr_fmt(fmt) "luo_memfd_common: " fmt

#include <linux/bits.h>
#include <linux/delay.h>
#include <linux/fs.h>
#include <linux/hugetlb.h>
#include <linux/memfd.h>
#include <linux/mm.h>
#include <linux/pagemap.h>
#include <linux/rcupdate_wait.h>
#include <linux/sched/signal.h>
#include <linux/shmem_fs.h>
#include <linux/slab.h>
#include <linux/xarray.h>

#include "internal.h"

/* Longest run pinned in one call, in pages: bounds each call's array. */
#define LMC_RUN_MAX	BIT(18)

/*
 * Times a pin is tried again after a failure that passes: a pinned folio
 * that left the page cache (lmc_pinned_in_cache()), or memfd_pin_folios()
 * failing with -ENOMEM because a folio it had to move out of movable or CMA
 * memory (KHO scratch is CMA) could not be migrated, which any short-lived
 * reference causes: a writer faulting, khugepaged, a pipe. The waits in
 * between double from 1 ms, about 1 s in all.
 */
#define LMC_PIN_TRIES 10

struct lmc_run {
	pgoff_t first;
	pgoff_t last;
};

/* Whether the folio at page index @base is one of @skip's (a cursor walk). */
static bool lmc_skipped(const struct luo_memfd_out *skip, u64 *cur,
			pgoff_t base)
{
	struct luo_memfd_entry e;

	if (!skip)
		return false;
	while (*cur < skip->nr) {
		luo_memfd_decode_entry(skip->ser, *cur, &e);
		if (e.index >= base)
			return e.index == base;
		(*cur)++;
	}
	return false;
}

/*
 * The next run of indices in [*pos, last] that hold a folio or a swap entry,
 * leaving out the folios of @skip. Moves *pos past the run (or to last + 1).
 * A snapshot: the pin that follows is what counts.
 */
static bool lmc_next_run(struct address_space *mapping, pgoff_t *pos,
			 pgoff_t last, const struct luo_memfd_out *skip,
			 u64 *cur, struct lmc_run *run)
{
	XA_STATE(xas, &mapping->i_pages, *pos);
	bool found = false;
	void *entry;

	if (*pos > last)
		return false;
	rcu_read_lock();
	xas_for_each(&xas, entry, last) {
		pgoff_t base, end;
		unsigned int order;

		if (xas_retry(&xas, entry))
			continue;
		order = xas_get_order(&xas);
		base = round_down(xas.xa_index, 1UL << order);
		end = base + (1UL << order) - 1;
		if (base < *pos)
			base = *pos;
		if (end > last)
			end = last;
		if (lmc_skipped(skip, cur, base)) {
			if (found)
				break;
			/*
			 * A long walk over preserved entries (a big file at
			 * freeze) yields; xas_pause() resumes after this entry,
			 * which is done with.
			 */
			if (need_resched()) {
				xas_pause(&xas);
				cond_resched_rcu();
			}
			continue;
		}
		if (found && (base != run->last + 1 ||
			      end - run->first >= LMC_RUN_MAX))
			break;
		if (!found) {
			run->first = base;
			found = true;
		}
		run->last = end;
		if (need_resched())
			break;
	}
	rcu_read_unlock();
	*pos = found ? run->last + 1 : last + 1;
	return found;
}

/**
 * lmc_file_pages - Pages a memfd holds: in the page cache or swapped out.
 * @file: A shmem or hugetlbfs memfd.
 *
 * shmem: the inode's allocated count, which a page keeps while it moves to
 * swap and back (reading the page-cache and swap counts one after the other
 * could miss a page that moves in between), taken under the inode's lock,
 * so a page added by a fault or write that has returned is counted.
 * hugetlbfs (no swap): the page-cache count. Both in base pages.
 *
 * Return: The count.
 */
unsigned long lmc_file_pages(struct file *file)
{
	struct shmem_inode_info *info;
	unsigned long pages;

	if (!shmem_file(file))
		return READ_ONCE(file->f_mapping->nrpages);
	info = SHMEM_I(file_inode(file));
	spin_lock(&info->lock);
	pages = info->alloced;
	spin_unlock(&info->lock);
	return pages;
}

/* Make room for @more folios after the @nr already in *@folios. */
static int lmc_grow(struct folio ***folios, unsigned long *cap,
		    unsigned long nr, unsigned long more)
{
	unsigned long want = max(nr + more, 2 * *cap);
	struct folio **p;

	if (nr + more <= *cap)
		return 0;
	p = lmc_inject() ? NULL :
	    kvrealloc(*folios, array_size(want, sizeof(*p)), GFP_KERNEL);
	if (!p)
		return -ENOMEM;
	*folios = p;
	*cap = want;
	return 0;
}

/*
 * Count the @n folios just pinned after the @nr in @folios, less the first
 * if it is the one the previous call ended with (a huge page collapsed
 * between two calls): it is kept once.
 */
static long lmc_keep_once(struct folio **folios, unsigned long nr, long n)
{
	if (!n || !nr || folios[nr - 1] != folios[nr])
		return n;
	unpin_folio(folios[nr]);
	memmove(folios + nr, folios + nr + 1, (n - 1) * sizeof(*folios));
	return n - 1;
}

/*
 * Pin @run of @file (i_size @size, folios of 1 << @shift bytes) after the
 * *@nr folios in *@folios. A folio the previous run ended with (a huge page
 * collapsed between the walk and the pin) is kept once.
 */
static int lmc_pin_run(struct file *file, loff_t size, unsigned int shift,
		       const struct lmc_run *run, struct folio ***folios,
		       unsigned long *cap, unsigned long *nr, bool *again)
{
	loff_t start = (loff_t)run->first << PAGE_SHIFT;
	loff_t end = min_t(loff_t, ((loff_t)run->last << PAGE_SHIFT) +
			   PAGE_SIZE - 1, size - 1);
	unsigned long most = ((end >> shift) - (start >> shift)) + 1;
	pgoff_t offset;
	long n;
	int err;

	err = lmc_grow(folios, cap, *nr, most);
	if (err)
		return err;
	/* An injected failure is one that is not tried again. */
	n = lmc_inject() ? -EIO :
	    memfd_pin_folios(file, start, end, *folios + *nr, most, &offset);
	if (n < 0) {
		*again = n == -ENOMEM;
		return n;
	}
	*nr += lmc_keep_once(*folios, *nr, n);
	return 0;
}

/*
 * Pin every folio of [0, @size) of @file that holds data into *@folios
 * (grown as needed), in index order, in as few calls as the array allows.
 * The first guess at the array's size is the file's page count (in folios
 * of 1 << @shift bytes), which a file can outgrow while it is pinned.
 */
static int lmc_pin_all(struct file *file, loff_t size, unsigned int shift,
		       struct folio ***folios, unsigned long *cap,
		       unsigned long *nr, bool *again)
{
	unsigned long more = (lmc_file_pages(file) >> (shift - PAGE_SHIFT)) + 1;
	unsigned int room;
	loff_t pos = 0, next;
	long n;
	int err;

	while (pos < size) {
		err = lmc_grow(folios, cap, *nr, more);
		if (err)
			return err;
		room = min_t(unsigned long, *cap - *nr, UINT_MAX);
		n = lmc_inject() ? -EIO :
		    memfd_pin_present_folios(file, pos, size - 1, *folios + *nr,
					     room, &next);
		if (n < 0) {
			*again = n == -ENOMEM;
			return n;
		}
		*nr += lmc_keep_once(*folios, *nr, n);
		pos = next;
		more = 1;
		cond_resched();
	}
	return 0;
}

/*
 * Pin every run of @file below @size that is not one of @skip's folios, in
 * index order, into *@folios (grown as needed); with no @skip, every folio
 * that holds data, with lmc_pin_all(). On failure the folios pinned so far stay in *@folios,
 * counted in *@nr, and *@again tells whether the failure may pass (a pin's
 * -ENOMEM).
 */
static int lmc_pin_runs(struct file *file, loff_t size,
			const struct luo_memfd_out *skip,
			struct folio ***folios, unsigned long *cap,
			unsigned long *nr, bool *again)
{
	unsigned int shift = PAGE_SHIFT;
	pgoff_t pos = 0, last;
	struct lmc_run run;
	u64 cur = 0;
	int err;

	if (is_file_hugepages(file))
		shift = huge_page_shift(hstate_file(file));
	if (!skip)
		return lmc_pin_all(file, size, shift, folios, cap, nr, again);
	last = (size - 1) >> PAGE_SHIFT;
	while (lmc_next_run(file->f_mapping, &pos, last, skip, &cur, &run)) {
		err = lmc_pin_run(file, size, shift, &run, folios, cap, nr,
				  again);
		if (err)
			return err;
		cond_resched();
	}
	return 0;
}

/*
 * Whether every pinned folio is still the file's, in increasing index order
 * without overlap. memfd_pin_folios() can pin a folio that khugepaged is
 * collapsing: the collapse checked the folio's references before the pin and
 * then replaces it in the page cache with the new huge folio, which receives
 * every later write, while the pin keeps the old copy. The collapse holds the
 * old folio locked until it is out of the page cache, so the check waits for
 * the lock. A folio pinned and checked here can no longer be collapsed (the
 * pin fails the collapse's reference check).
 */
static bool lmc_pinned_in_cache(struct file *file, struct folio **folios,
				unsigned long nr)
{
	pgoff_t next = 0;
	unsigned long i;
	bool ok = true;

	for (i = 0; i < nr && ok; i++) {
		folio_lock(folios[i]);
		ok = folios[i]->mapping == file->f_mapping &&
		     folios[i]->index >= next;
		next = folios[i]->index + folio_nr_pages(folios[i]);
		folio_unlock(folios[i]);
	}
	return ok;
}

/**
 * lmc_pin_present - Pin the folios of a memfd that hold data.
 * @file:   A shmem or hugetlbfs memfd of frozen size.
 * @skip:   Folios already preserved (left out), or NULL.
 * @folios: Set to a kvmalloc()ed array of the pinned folios in index order
 *          (NULL if none), for the caller to kvfree().
 * @nr:     Set to the number of folios in *@folios.
 *
 * Pins the folios of [0, i_size) that are in the page cache or swapped out
 * (read back in), not holes, except those of @skip. A pin that fails with
 * -ENOMEM (a migration out of movable memory that failed, or memory that
 * ran out) or whose folios left the page cache is tried again, up to
 * LMC_PIN_TRIES more times over about 1 s.
 *
 * Context: Process context, may sleep.
 * Return: 0, -ENOMEM if the pin kept failing that way, -EAGAIN if folios
 * kept leaving the page cache, or another negative errno. On failure
 * nothing is left pinned.
 */
int lmc_pin_present(struct file *file, const struct luo_memfd_out *skip,
		    struct folio ***folios, unsigned long *nr)
{
	loff_t size = i_size_read(file_inode(file));
	unsigned long cap = 0;
	unsigned int tries;
	bool again;
	int err;

	*folios = NULL;
	*nr = 0;
	if (!size)
		return 0;
	for (tries = 0;; tries++) {
		again = false;
		err = lmc_pin_runs(file, size, skip, folios, &cap, nr, &again);
		if (!err) {
			if (lmc_pinned_in_cache(file, *folios, *nr))
				return 0;
			err = -EAGAIN;
			again = true;
		}
		unpin_folios(*folios, *nr);
		*nr = 0;
		if (!again || tries == LMC_PIN_TRIES ||
		    fatal_signal_pending(current))
			break;
		msleep(1U << tries);
	}
	pr_err("pinning the folios failed (%u tries): %pe\n", tries + 1,
	       ERR_PTR(err));
	kvfree(*folios);
	*folios = NULL;
	return err;
}
