// SPDX-License-Identifier: GPL-2.0
/*
 * luo_memfd_common: hooks shared by the conformance descriptors of the memfd
 * handlers (shmem and HugeTLB), see include/linux/liveupdate_conformance.h.
 *
 * Test files carry a stamp in the first and the last 64-bit word of every
 * base page, computed from (seed, byte offset): a lost, zeroed, swapped or
 * misplaced page is seen without copying gigabytes around under emulation.
 */
#define pr_fmt(fmt) "luo_memfd_cf: " fmt

#include <linux/err.h>
#include <linux/export.h>
#include <linux/falloc.h>
#include <linux/fs.h>
#include <linux/highmem.h>
#include <linux/io.h>
#include <linux/hugetlb.h>
#include <linux/kho/abi/kexec_handover.h>
#include <linux/kho/abi/memfd.h>
#include <linux/log2.h>
#include <linux/memfd.h>
#include <linux/mm.h>
#include <linux/pagemap.h>
#include <linux/folio_batch.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>
#include <uapi/linux/memfd.h>

#include "internal.h"

#define LMC_CF_LAST	(PAGE_SIZE / sizeof(u64) - 1)

static u64 lmc_cf_stamp(u64 seed, u64 off)
{
	return (seed ^ off) * 0x9e3779b97f4a7c15ULL + 1;
}

/* Write @stamp into the page at @page: its first word, and inverted its last. */
static void lmc_cf_put_stamp(u64 *page, u64 stamp)
{
	page[0] = stamp;
	page[LMC_CF_LAST] = ~stamp;
}

static struct hstate *lmc_cf_hstate(const struct luo_cf_handler *h)
{
	return h->unit > PAGE_SIZE ? size_to_hstate(h->unit) : NULL;
}

static int lmc_cf_fill_shmem(struct file *file, size_t size, u64 seed)
{
	u64 *buf = kzalloc(PAGE_SIZE, GFP_KERNEL);
	loff_t pos = 0;
	int err = 0;

	if (!buf)
		return -ENOMEM;
	while (pos < size) {
		ssize_t n;

		lmc_cf_put_stamp(buf, lmc_cf_stamp(seed, pos));
		n = kernel_write(file, buf, PAGE_SIZE, &pos);
		if (n != PAGE_SIZE) {
			err = n < 0 ? n : -EIO;
			break;
		}
	}
	kfree(buf);
	return err;
}

/*
 * Visit every base page of [0, size) through the page cache. @write stamps
 * it, otherwise the stamp is checked. A hole is an error.
 */
static int lmc_cf_pages(struct file *file, size_t size, u64 seed, bool write)
{
	pgoff_t next = 0, end = (size >> PAGE_SHIFT) - 1;
	struct folio_batch fbatch;
	int err = 0;

	if (!size)
		return 0;
	folio_batch_init(&fbatch);
	while (!err && next <= end) {
		pgoff_t start = next;
		unsigned int i, nr;

		nr = filemap_get_folios(file->f_mapping, &start, end, &fbatch);
		if (!nr) {
			pr_err("no folio at page %lu\n", next);
			return -ENODATA;
		}
		for (i = 0; i < nr && !err; i++) {
			struct folio *folio = fbatch.folios[i];
			long p;

			if (folio->index != next) {
				pr_err("hole at page %lu\n", next);
				err = -ENODATA;
				break;
			}
			for (p = 0; p < folio_nr_pages(folio) && next <= end;
			     p++, next++) {
				u64 *w = kmap_local_folio(folio, p * PAGE_SIZE);
				u64 want = lmc_cf_stamp(seed, (u64)next << PAGE_SHIFT);

				if (write) {
					lmc_cf_put_stamp(w, want);
				} else if (w[0] != want || w[LMC_CF_LAST] != ~want) {
					pr_err("page %lu: stamp %#llx/%#llx, want %#llx/%#llx\n",
					       next, w[0], w[LMC_CF_LAST], want,
					       ~want);
					err = -EILSEQ;
				}
				kunmap_local(w);
				if (err)
					break;
			}
		}
		folio_batch_release(&fbatch);
		cond_resched();
	}
	return err;
}

/**
 * luo_memfd_cf_create - Make a stamped memfd for the conformance suite.
 * @h:    Descriptor: @h->unit selects shmem (PAGE_SIZE) or a HugeTLB size.
 * @size: File size in bytes, a multiple of @h->unit.
 * @seed: Selects the stamps.
 *
 * Return: the file, ERR_PTR(-ENODEV) if the kernel has no hstate of that
 * size, ERR_PTR(-ENOSPC) if its pool has too few free pages, or another
 * ERR_PTR() on failure.
 */
struct file *luo_memfd_cf_create(const struct luo_cf_handler *h, size_t size,
				 u64 seed)
{
	unsigned int flags = MFD_ALLOW_SEALING;
	struct hstate *hs = lmc_cf_hstate(h);
	struct file *file;
	int err;

	if (!IS_ALIGNED(size, h->unit))
		return ERR_PTR(-EINVAL);
	if (h->unit > PAGE_SIZE) {
		if (!hs)
			return ERR_PTR(-ENODEV);
		if (READ_ONCE(hs->free_huge_pages) -
		    READ_ONCE(hs->resv_huge_pages) < size / h->unit)
			return ERR_PTR(-ENOSPC);
		flags |= MFD_HUGETLB | (ilog2(h->unit) << MFD_HUGE_SHIFT);
	}

	file = memfd_alloc_file("luo-conformance", flags);
	if (IS_ERR(file))
		return file;
	if (!size)
		return file;

	if (hs) {
		err = vfs_fallocate(file, 0, 0, size);
		if (!err)
			err = lmc_cf_pages(file, size, seed, true);
	} else {
		err = lmc_cf_fill_shmem(file, size, seed);
	}
	if (err) {
		fput(file);
		return ERR_PTR(err);
	}
	return file;
}
EXPORT_SYMBOL_GPL(luo_memfd_cf_create);

/**
 * luo_memfd_cf_check - Check size and stamps of a conformance memfd.
 * @h:    Descriptor.
 * @file: The file.
 * @size: Expected size in bytes.
 * @seed: Seed it was created with.
 *
 * Return: 0 if it matches, -EFBIG on a wrong size, -ENODATA on a hole,
 * -EILSEQ on a wrong stamp (each logged).
 */
int luo_memfd_cf_check(const struct luo_cf_handler *h, struct file *file,
		       size_t size, u64 seed)
{
	loff_t isize = i_size_read(file_inode(file));

	if (isize != size) {
		pr_err("size %lld, want %zu\n", isize, size);
		return -EFBIG;
	}
	return lmc_cf_pages(file, size, seed, false);
}
EXPORT_SYMBOL_GPL(luo_memfd_cf_check);

/*
 * A user fills a HugeTLB hole by a fault; a kernel can also fill one the
 * way a driver that pins a memfd does (memfd_pin_folios() allocates the
 * huge page into the page cache). Stamped page by page.
 */
static int lmc_cf_fill_huge(const struct luo_cf_handler *h, struct file *file,
			    loff_t pos)
{
	struct folio *folio;
	unsigned long p;
	pgoff_t off;
	long n;

	n = memfd_pin_folios(file, pos, pos + h->unit - 1, &folio, 1, &off);
	if (n < 0)
		return n;
	if (n != 1 || folio_size(folio) != h->unit) {
		if (n)
			unpin_folio(folio);
		return -EIO;
	}
	for (p = 0; p < h->unit / PAGE_SIZE; p++) {
		u64 *w = kmap_local_folio(folio, p * PAGE_SIZE);

		lmc_cf_put_stamp(w, lmc_cf_stamp(0, pos + p * PAGE_SIZE));
		kunmap_local(w);
	}
	unpin_folio(folio);
	return 0;
}

/**
 * luo_memfd_cf_fill - Write one unit into a preserved conformance memfd.
 * @h:    Descriptor: @h->unit selects shmem (PAGE_SIZE) or a HugeTLB size.
 * @file: The file.
 * @pos:  Byte offset of the unit, a multiple of @h->unit.
 *
 * shmem: writes the page with write(2) semantics (kernel_write()). HugeTLB:
 * pins the unit with memfd_pin_folios(), which allocates a huge page into a
 * hole, as a driver pinning a memfd does, and writes its pages. Stamped like
 * luo_memfd_cf_create() with seed 0, so a hole gets a new folio.
 *
 * Return: 0, -EINVAL for an unaligned @pos, or the error of the write or
 * the pin.
 */
int luo_memfd_cf_fill(const struct luo_cf_handler *h, struct file *file,
		      loff_t pos)
{
	u64 *buf;
	ssize_t n;

	if (!IS_ALIGNED(pos, h->unit))
		return -EINVAL;
	if (h->unit > PAGE_SIZE)
		return lmc_cf_fill_huge(h, file, pos);
	buf = kzalloc(PAGE_SIZE, GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	lmc_cf_put_stamp(buf, lmc_cf_stamp(0, pos));
	n = kernel_write(file, buf, PAGE_SIZE, &pos);
	kfree(buf);
	if (n == PAGE_SIZE)
		return 0;
	return n < 0 ? n : -EIO;
}
EXPORT_SYMBOL_GPL(luo_memfd_cf_fill);

/* The fields both memfd handlers' serialized structs start with. */
struct lmc_cf_header {
	u64 pos;
	u64 size;
	u32 seals;
	u32 flags;
} __packed;

/**
 * luo_memfd_cf_check_header - Compare a memfd's serialized header with the file.
 * @args: The handler's op args after preserve (serialized_data, file).
 * @out:  The handler's outgoing library state.
 * @nr:   The entry count the serialized struct declares.
 *
 * Both memfd handlers' serialized structs start with pos, size, seals and
 * flags (memfd-v2 and hugetlb-memfd-v1).
 *
 * Return: 0 if position, size and seals match the file now, no flag is set
 * and @nr is the array's length; -EINVAL otherwise (logged).
 */
int luo_memfd_cf_check_header(struct liveupdate_file_op_args *args,
			      const struct luo_memfd_out *out, u64 nr)
{
	const struct lmc_cf_header *hdr = phys_to_virt(args->serialized_data);
	struct file *file = args->file;
	int fseals = memfd_get_seals(file);

	if (hdr->pos != file->f_pos || hdr->size != i_size_read(file_inode(file)) ||
	    fseals < 0 || hdr->seals != fseals || hdr->flags || nr != out->nr) {
		pr_err("serialized pos %llu size %llu seals %#x flags %#x nr %llu, file has %lld %lld %#x, array %llu\n",
		       hdr->pos, hdr->size, hdr->seals, hdr->flags, nr,
		       file->f_pos, i_size_read(file_inode(file)), fseals,
		       out->nr);
		return -EINVAL;
	}
	return 0;
}
EXPORT_SYMBOL_GPL(luo_memfd_cf_check_header);

/**
 * luo_memfd_cf_visit - Report the blocks a memfd's serialized state uses.
 * @out:         The handler's outgoing library state.
 * @header_phys: Physical address of the handler's serialized struct.
 * @header_size: Its size.
 * @fn:          Called for each block.
 * @ctx:         Passed to @fn.
 *
 * Reports the header, the first page of the array's KHO vmalloc descriptor
 * chain, every page of the folio array and every folio the array names
 * (with the folio's order and the entry's index).
 *
 * Return: 0, or the first non-zero value @fn returned.
 */
int luo_memfd_cf_visit(const struct luo_memfd_out *out, u64 header_phys,
		       size_t header_size, luo_cf_visit_fn fn, void *ctx)
{
	struct luo_cf_block b = {
		.phys = header_phys,
		.order = get_order(header_size),
		.index = LUO_CF_METADATA,
	};
	size_t off, bytes = out->nr * LUO_MEMFD_ENTRY_SIZE;
	int ret;
	u64 i;

	ret = fn(ctx, &b);
	if (!ret && out->nr) {
		b.phys = virt_to_phys(KHOSER_LOAD_PTR(out->desc->first));
		b.order = 0;
		ret = fn(ctx, &b);
	}
	for (off = 0; !ret && off < bytes; off += PAGE_SIZE) {
		b.phys = page_to_phys(vmalloc_to_page((void *)out->ser + off));
		b.order = 0;
		ret = fn(ctx, &b);
	}
	for (i = 0; !ret && i < out->nr; i++) {
		struct luo_memfd_entry e;

		luo_memfd_decode_entry(out->ser, i, &e);
		b.phys = PFN_PHYS(e.pfn);
		b.order = folio_order(pfn_folio(e.pfn));
		b.index = e.index;
		ret = fn(ctx, &b);
	}
	return ret;
}
EXPORT_SYMBOL_GPL(luo_memfd_cf_visit);

/**
 * luo_memfd_cf_free_huge - Free huge pages of the descriptor's size.
 * @h: Descriptor of a HugeTLB handler.
 *
 * Return: the hstate's free huge pages (0 if there is no such hstate).
 */
unsigned long luo_memfd_cf_free_huge(const struct luo_cf_handler *h)
{
	struct hstate *hs = lmc_cf_hstate(h);

	return hs ? READ_ONCE(hs->free_huge_pages) : 0;
}
EXPORT_SYMBOL_GPL(luo_memfd_cf_free_huge);

/**
 * luo_memfd_cf_inject - Arm or disarm the library's fault injection.
 * @fail_at: Step to fail (1-based) to arm, 0 to disarm.
 *
 * Return: when disarming, the fallible steps counted since arming; else 0.
 */
unsigned int luo_memfd_cf_inject(unsigned int fail_at)
{
	static struct luo_memfd_fault_inject fi;

	if (!fail_at) {
		WRITE_ONCE(luo_memfd_inject, NULL);
		return fi.steps;
	}
	fi.fail_at = fail_at;
	fi.steps = 0;
	WRITE_ONCE(luo_memfd_inject, &fi);
	return 0;
}
EXPORT_SYMBOL_GPL(luo_memfd_cf_inject);
