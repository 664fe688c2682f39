// SPDX-License-Identifier: GPL-2.0
/*
 * luo_memfd_common: test-only corruption of outgoing folio arrays, file
 * headers and the handle to them, so the next kernel's validation of
 * untrusted input can be exercised across a real kexec.
 *
 * Each write of "ENTRIES MODE" to /sys/kernel/debug/luo_memfd_common/corrupt
 * adds a rule: the next outgoing file whose folio array has exactly ENTRIES
 * entries is corrupted with MODE at freeze (once; reading the file lists the
 * rules and whether each was applied). Files of distinct sizes can so carry
 * every mode across one kexec, each in a session of its own. If the reboot
 * is aborted and an array is unpreserved, its original entries and links are
 * put back first (and a corrupted serialized_data too), so the undo sees
 * what it preserved.
 */
#define pr_fmt(fmt) "luo_memfd_common: " fmt

#include <linux/debugfs.h>
#include <linux/export.h>
#include <linux/fs.h>
#include <linux/init.h>
#include <linux/kho/abi/hugetlb_memfd.h>
#include <linux/kho/abi/kexec_handover.h>
#include <linux/kho/abi/memfd.h>
#include <linux/liveupdate.h>
#include <linux/memblock.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/seq_file.h>
#include <linux/uaccess.h>

#include <asm/sections.h>

#include "internal.h"

enum {
	LMC_CORRUPT_NONE,
	LMC_CORRUPT_DUP_PFN,	/* entry 1 names entry 0's folio */
	LMC_CORRUPT_UNSORTED,	/* entries 1 and 2 swap indices */
	LMC_CORRUPT_FLAGS,	/* entry 0 gets an unknown flag */
	LMC_CORRUPT_INDEX_EOF,	/* last entry's index far past EOF */
	LMC_CORRUPT_STALE_PFN,	/* entry 1 names a page that is not preserved */
	LMC_CORRUPT_BAD_FIRST,	/* descriptor's first chunk beyond end of RAM */
	LMC_CORRUPT_CHAIN_LOOP,	/* last chunk of the array links to the first */
	LMC_CORRUPT_DUP_BLOCK,	/* the array's second page names its first */
	LMC_CORRUPT_ARRAY_MAX,
	/* The file's header (luo_memfd_test_corrupt_header()): */
	LMC_CORRUPT_POS = LMC_CORRUPT_ARRAY_MAX, /* position past MAX_LFS_FILESIZE */
	LMC_CORRUPT_SIZE,	/* size one page: the array names pages past it */
	LMC_CORRUPT_FILE_FLAGS,	/* an unknown file flag */
	LMC_CORRUPT_SEALS,	/* an unknown seal */
	LMC_CORRUPT_NR_LESS,	/* a folio count one short */
	LMC_CORRUPT_NR_HUGE,	/* a folio count of 2^40 */
	LMC_CORRUPT_HEADER_MAX,
	/* Where the header is (luo_memfd_test_corrupt_data()): */
	LMC_CORRUPT_DATA_BEYOND_RAM = LMC_CORRUPT_HEADER_MAX,
	LMC_CORRUPT_DATA_UNPRESERVED,	/* kernel text: memory, not preserved */
	/* HugeTLB's accounting FLB, at the freeze of the file asked for: */
	LMC_CORRUPT_HSTATES,	/* first count 2^50 pages higher */
	LMC_CORRUPT_MAX,
};

#define LMC_MAX_RULES 16

/* One request, and what it changed (for lmc_test_uncorrupt()). */
struct lmc_rule {
	u64 nr;			/* entries of the array to corrupt */
	u32 mode;
	bool applied;
	struct luo_memfd_out *out;	/* array modes, until unpreserved */
	struct luo_memfd_entry e[3], last;
	phys_addr_t first, block1;
	struct kho_vmalloc_chunk *tail;	/* CHAIN_LOOP: the chunk relinked */
	const struct luo_memfd_out *data_out;	/* data modes, until undone */
	u64 data;
	const struct luo_memfd_out *hstates_out; /* HSTATES, until undone */
};

/* Added to (and later taken off) the first count of the accounting FLB. */
#define LMC_HSTATES_OFFSET BIT_ULL(50)

static DEFINE_MUTEX(lmc_corrupt_lock);
static struct lmc_rule lmc_rules[LMC_MAX_RULES];
static unsigned int lmc_nr_rules;

/* The first unapplied rule for @out with a mode in [@lo, @hi). */
static struct lmc_rule *lmc_find_rule(const struct luo_memfd_out *out, u32 lo,
				      u32 hi)
{
	unsigned int i;

	lockdep_assert_held(&lmc_corrupt_lock);
	if (out->nr < 3)
		return NULL;
	for (i = 0; i < lmc_nr_rules; i++) {
		struct lmc_rule *r = &lmc_rules[i];

		if (!r->applied && r->nr == out->nr && r->mode >= lo &&
		    r->mode < hi)
			return r;
	}
	return NULL;
}

static struct kho_vmalloc_chunk *lmc_first_chunk(struct luo_memfd_out *out)
{
	return KHOSER_LOAD_PTR(out->desc->first);
}

/* The array's last chunk; stops at a link back to the first. */
static struct kho_vmalloc_chunk *lmc_tail_chunk(struct luo_memfd_out *out)
{
	struct kho_vmalloc_chunk *c = lmc_first_chunk(out);

	while (c->hdr.next.phys && c->hdr.next.phys != out->desc->first.phys)
		c = KHOSER_LOAD_PTR(c->hdr.next);
	return c;
}

/*
 * Add @delta to the first count of HugeTLB's outgoing accounting FLB: more
 * pages than memory holds, so the next kernel must refuse the counts. By an
 * offset, not a saved copy, so that unpreserves in between stay counted.
 */
static bool lmc_shift_hstates(u64 delta)
{
	struct hugetlb_pool_luo_ser *ser;
	void *obj;

	if (liveupdate_flb_get_outgoing(&luo_memfd_hstate_flb, &obj)) {
		pr_warn("no outgoing hugetlb accounting FLB to corrupt\n");
		return false;
	}
	ser = obj;
	if (ser->nr_counts)
		ser->counts[0].nr_pages += delta;
	liveupdate_flb_put_outgoing(&luo_memfd_hstate_flb);
	return true;
}

/**
 * lmc_test_corrupt - Apply a requested corruption to an outgoing array.
 * @out: The array, preserved and about to be handed over.
 */
void lmc_test_corrupt(struct luo_memfd_out *out)
{
	struct luo_memfd_entry e[3];
	struct lmc_rule *r;
	u64 i, tmp;

	guard(mutex)(&lmc_corrupt_lock);
	r = lmc_find_rule(out, LMC_CORRUPT_HSTATES, LMC_CORRUPT_MAX);
	if (r) {
		r->applied = true;
		if (lmc_shift_hstates(LMC_HSTATES_OFFSET)) {
			r->hstates_out = out;
			pr_warn("corrupted the outgoing hugetlb accounting FLB (%llu entries), mode %u\n",
				out->nr, r->mode);
		}
	}
	r = lmc_find_rule(out, LMC_CORRUPT_NONE + 1, LMC_CORRUPT_ARRAY_MAX);
	if (!r)
		return;
	r->applied = true;

	/* Entries 0-2 are rewritten below; others go through @i. */
	for (i = 0; i < 3; i++)
		luo_memfd_decode_entry(out->ser, i, &e[i]);
	memcpy(r->e, e, sizeof(e));
	luo_memfd_decode_entry(out->ser, out->nr - 1, &r->last);
	r->first = out->desc->first.phys;
	r->block1 = lmc_first_chunk(out)->phys[1];
	r->tail = NULL;
	r->out = out;

	switch (r->mode) {
	case LMC_CORRUPT_DUP_PFN:
		e[1].pfn = e[0].pfn;
		break;
	case LMC_CORRUPT_UNSORTED:
		tmp = e[1].index;
		e[1].index = e[2].index;
		e[2].index = tmp;
		break;
	case LMC_CORRUPT_FLAGS:
		e[0].flags |= 0x800;
		break;
	case LMC_CORRUPT_INDEX_EOF: {
		struct luo_memfd_entry last;

		luo_memfd_decode_entry(out->ser, out->nr - 1, &last);
		last.index = 1ULL << 40;
		luo_memfd_encode_entry(out->ser, out->nr - 1, &last);
		break;
	}
	case LMC_CORRUPT_STALE_PFN:
		e[1].pfn = PHYS_PFN(__pa_symbol(_text));
		break;
	case LMC_CORRUPT_BAD_FIRST:
		out->desc->first.phys = PFN_PHYS(max_pfn) + SZ_1G;
		break;
	case LMC_CORRUPT_CHAIN_LOOP:
		r->tail = lmc_tail_chunk(out);
		r->tail->hdr.next.phys = out->desc->first.phys;
		break;
	case LMC_CORRUPT_DUP_BLOCK:
		/* Arrays of one page have no second block to corrupt. */
		if (r->block1)
			lmc_first_chunk(out)->phys[1] = lmc_first_chunk(out)->phys[0];
		break;
	}
	for (i = 0; i < 3; i++)
		luo_memfd_encode_entry(out->ser, i, &e[i]);
	pr_warn("corrupted an outgoing folio array (%llu entries), mode %u\n",
		out->nr, r->mode);
}

/**
 * luo_memfd_test_corrupt_header - Corrupt one field of an outgoing header.
 * @out:   The file's outgoing array (its entry count selects the request).
 * @pos:   The header's position field.
 * @size:  The header's size field.
 * @nr:    The header's folio count field.
 * @seals: The header's seals field.
 * @flags: The header's flags field.
 *
 * For a handler's freeze(), after its header is final. An unpreserve after
 * an aborted reboot does not read these fields, so nothing is put back.
 */
void luo_memfd_test_corrupt_header(const struct luo_memfd_out *out, u64 *pos,
				   u64 *size, u64 *nr, u32 *seals, u32 *flags)
{
	struct lmc_rule *r;

	guard(mutex)(&lmc_corrupt_lock);
	r = lmc_find_rule(out, LMC_CORRUPT_ARRAY_MAX, LMC_CORRUPT_HEADER_MAX);
	if (!r)
		return;
	r->applied = true;
	switch (r->mode) {
	case LMC_CORRUPT_POS:
		*pos = (u64)MAX_LFS_FILESIZE + 1;
		break;
	case LMC_CORRUPT_SIZE:
		*size = PAGE_SIZE;
		break;
	case LMC_CORRUPT_FILE_FLAGS:
		*flags |= 0x40;
		break;
	case LMC_CORRUPT_SEALS:
		*seals |= 0x8000;
		break;
	case LMC_CORRUPT_NR_LESS:
		*nr -= 1;
		break;
	case LMC_CORRUPT_NR_HUGE:
		*nr = 1ULL << 40;
		break;
	}
	pr_warn("corrupted an outgoing file header (%llu entries), mode %u\n",
		out->nr, r->mode);
}
EXPORT_SYMBOL_GPL(luo_memfd_test_corrupt_header);

/**
 * luo_memfd_test_corrupt_data - Corrupt where an outgoing header is.
 * @out:  The file's outgoing array (its entry count selects the request).
 * @data: The file's serialized_data, as freeze() hands it back to LUO.
 *
 * For a handler's freeze(), last. The next kernel cannot find the file's
 * header, hence not its folios either: they stay reserved there. Undone by
 * luo_memfd_test_uncorrupt_data() if the reboot is aborted.
 */
void luo_memfd_test_corrupt_data(const struct luo_memfd_out *out, u64 *data)
{
	struct lmc_rule *r;

	guard(mutex)(&lmc_corrupt_lock);
	r = lmc_find_rule(out, LMC_CORRUPT_HEADER_MAX, LMC_CORRUPT_HSTATES);
	if (!r)
		return;
	r->applied = true;
	r->data_out = out;
	r->data = *data;
	if (r->mode == LMC_CORRUPT_DATA_BEYOND_RAM)
		*data = PFN_PHYS(max_pfn) + SZ_1G;
	else
		*data = __pa_symbol(_text);
	pr_warn("corrupted an outgoing file's serialized data (%llu entries), mode %u\n",
		out->nr, r->mode);
}
EXPORT_SYMBOL_GPL(luo_memfd_test_corrupt_data);

/**
 * luo_memfd_test_uncorrupt_data - Put back what corrupt_data changed.
 * @out:  The file's outgoing array.
 * @data: The file's serialized_data, about to be unpreserved.
 *
 * For a handler's unpreserve(), first: after an aborted reboot it must find
 * the header it preserved.
 */
void luo_memfd_test_uncorrupt_data(const struct luo_memfd_out *out, u64 *data)
{
	unsigned int i;

	guard(mutex)(&lmc_corrupt_lock);
	for (i = 0; i < lmc_nr_rules; i++) {
		if (lmc_rules[i].data_out != out)
			continue;
		*data = lmc_rules[i].data;
		lmc_rules[i].data_out = NULL;
		pr_info("restored a corrupted serialized data before unpreserving it\n");
		return;
	}
}
EXPORT_SYMBOL_GPL(luo_memfd_test_uncorrupt_data);

/**
 * lmc_test_uncorrupt - Put back what lmc_test_corrupt() changed in @out.
 * @out: An array about to be unpreserved (the reboot was aborted).
 */
void lmc_test_uncorrupt(struct luo_memfd_out *out)
{
	struct lmc_rule *r = NULL;
	unsigned int n;
	u64 i;

	guard(mutex)(&lmc_corrupt_lock);
	for (n = 0; n < lmc_nr_rules; n++) {
		if (lmc_rules[n].hstates_out != out)
			continue;
		lmc_shift_hstates(-LMC_HSTATES_OFFSET);
		lmc_rules[n].hstates_out = NULL;
		pr_info("restored the corrupted hugetlb accounting FLB\n");
	}
	for (n = 0; n < lmc_nr_rules && !r; n++)
		if (lmc_rules[n].out == out)
			r = &lmc_rules[n];
	if (!r)
		return;
	luo_memfd_encode_entry(out->ser, out->nr - 1, &r->last);
	for (i = 0; i < 3; i++)
		luo_memfd_encode_entry(out->ser, i, &r->e[i]);
	out->desc->first.phys = r->first;
	lmc_first_chunk(out)->phys[1] = r->block1;
	if (r->tail)
		r->tail->hdr.next.phys = 0;
	r->out = NULL;
	pr_info("restored a corrupted folio array before unpreserving it\n");
}

static ssize_t lmc_corrupt_write(struct file *file, const char __user *ubuf,
				 size_t len, loff_t *ppos)
{
	char buf[48];
	u64 nr;
	u32 mode;

	if (len >= sizeof(buf))
		return -EINVAL;
	if (copy_from_user(buf, ubuf, len))
		return -EFAULT;
	buf[len] = 0;
	if (sscanf(buf, "%llu %u", &nr, &mode) != 2 || nr < 3 ||
	    mode == LMC_CORRUPT_NONE || mode >= LMC_CORRUPT_MAX)
		return -EINVAL;

	guard(mutex)(&lmc_corrupt_lock);
	if (lmc_nr_rules == LMC_MAX_RULES)
		return -ENOSPC;
	lmc_rules[lmc_nr_rules++] = (struct lmc_rule){ .nr = nr, .mode = mode };
	return len;
}

static int lmc_corrupt_show(struct seq_file *m, void *v)
{
	unsigned int i;

	guard(mutex)(&lmc_corrupt_lock);
	for (i = 0; i < lmc_nr_rules; i++)
		seq_printf(m, "%llu %u %s\n", lmc_rules[i].nr, lmc_rules[i].mode,
			   lmc_rules[i].applied ? "applied" : "pending");
	return 0;
}

static int lmc_corrupt_open(struct inode *inode, struct file *file)
{
	return single_open(file, lmc_corrupt_show, NULL);
}

static const struct file_operations lmc_corrupt_fops = {
	.owner = THIS_MODULE,
	.open = lmc_corrupt_open,
	.read = seq_read,
	.write = lmc_corrupt_write,
	.llseek = seq_lseek,
	.release = single_release,
};

static int __init lmc_corrupt_init(void)
{
	lmc_test_debugfs_file("corrupt", 0600, &lmc_corrupt_fops);
	return 0;
}
late_initcall(lmc_corrupt_init);
