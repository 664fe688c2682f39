// SPDX-License-Identifier: GPL-2.0
/*
 * luo_memfd_common: test-only corruption of outgoing folio arrays, so the next
 * kernel's validation of untrusted input can be exercised across a real
 * kexec. /sys/kernel/debug/luo_memfd_common/corrupt selects the corruption,
 * corrupt_min_entries limits it to arrays with at least that many entries.
 * It is applied at freeze, to one array per request (the knob reads 0 again
 * afterwards). If the reboot is aborted and the array is unpreserved, the
 * original entries and links are put back first, so the undo sees the array
 * it preserved.
 */
#define pr_fmt(fmt) "luo_memfd_common: " fmt

#include <linux/debugfs.h>
#include <linux/export.h>
#include <linux/fs.h>
#include <linux/init.h>
#include <linux/kho/abi/kexec_handover.h>
#include <linux/kho/abi/memfd.h>
#include <linux/memblock.h>
#include <linux/mm.h>
#include <linux/mutex.h>

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
	LMC_CORRUPT_MAX,
};

static u32 lmc_corrupt_mode;
/* Only arrays with at least this many entries are corrupted. */
static u32 lmc_corrupt_min_entries;

/* What the last corruption changed, for lmc_test_uncorrupt(). */
static DEFINE_MUTEX(lmc_corrupt_lock);
static struct {
	struct luo_memfd_out *out;
	struct luo_memfd_entry e[3], last;
	phys_addr_t first, block1;
	struct kho_vmalloc_chunk *tail;	/* CHAIN_LOOP: the chunk relinked */
} lmc_saved;

/* Whether @out is large enough to be corrupted (corrupt_min_entries). */
static bool lmc_large_enough(const struct luo_memfd_out *out)
{
	return out->nr >= 3 && out->nr >= READ_ONCE(lmc_corrupt_min_entries);
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

/**
 * lmc_test_corrupt - Apply the requested corruption to an outgoing array.
 * @out: The array, preserved and about to be handed over.
 */
void lmc_test_corrupt(struct luo_memfd_out *out)
{
	u32 mode = READ_ONCE(lmc_corrupt_mode);
	struct luo_memfd_entry e[3];
	u64 i, tmp;

	if (!mode || mode >= LMC_CORRUPT_ARRAY_MAX || !lmc_large_enough(out))
		return;

	guard(mutex)(&lmc_corrupt_lock);
	if (lmc_saved.out)
		return;
	/* One array per request. */
	WRITE_ONCE(lmc_corrupt_mode, 0);

	/* Entries 0-2 are rewritten below; others go through @i. */
	for (i = 0; i < 3; i++)
		luo_memfd_decode_entry(out->ser, i, &e[i]);
	memcpy(lmc_saved.e, e, sizeof(e));
	luo_memfd_decode_entry(out->ser, out->nr - 1, &lmc_saved.last);
	lmc_saved.first = out->desc->first.phys;
	lmc_saved.block1 = lmc_first_chunk(out)->phys[1];
	lmc_saved.tail = NULL;
	lmc_saved.out = out;

	switch (mode) {
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
		lmc_saved.tail = lmc_tail_chunk(out);
		lmc_saved.tail->hdr.next.phys = out->desc->first.phys;
		break;
	case LMC_CORRUPT_DUP_BLOCK:
		/* Arrays of one page have no second block to corrupt. */
		if (lmc_saved.block1)
			lmc_first_chunk(out)->phys[1] = lmc_first_chunk(out)->phys[0];
		break;
	}
	for (i = 0; i < 3; i++)
		luo_memfd_encode_entry(out->ser, i, &e[i]);
	pr_warn("corrupted an outgoing folio array (%llu entries), mode %u\n",
		out->nr, mode);
}

/**
 * luo_memfd_test_corrupt_header - Corrupt one field of an outgoing header.
 * @out:   The file's outgoing array (only large enough ones are corrupted).
 * @pos:   The header's position field.
 * @size:  The header's size field.
 * @seals: The header's seals field.
 * @flags: The header's flags field.
 *
 * For a handler's freeze(), after its header is final. An unpreserve after
 * an aborted reboot does not read these fields, so nothing is put back.
 */
void luo_memfd_test_corrupt_header(const struct luo_memfd_out *out, u64 *pos,
				   u64 *size, u32 *seals, u32 *flags)
{
	u32 mode = READ_ONCE(lmc_corrupt_mode);

	if (mode < LMC_CORRUPT_ARRAY_MAX || mode >= LMC_CORRUPT_MAX ||
	    !lmc_large_enough(out))
		return;

	guard(mutex)(&lmc_corrupt_lock);
	if (!READ_ONCE(lmc_corrupt_mode))
		return;
	WRITE_ONCE(lmc_corrupt_mode, 0);
	switch (mode) {
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
	}
	pr_warn("corrupted an outgoing file header (%llu entries), mode %u\n",
		out->nr, mode);
}
EXPORT_SYMBOL_GPL(luo_memfd_test_corrupt_header);

/**
 * lmc_test_uncorrupt - Put back what lmc_test_corrupt() changed in @out.
 * @out: An array about to be unpreserved (the reboot was aborted).
 */
void lmc_test_uncorrupt(struct luo_memfd_out *out)
{
	u64 i;

	guard(mutex)(&lmc_corrupt_lock);
	if (lmc_saved.out != out)
		return;
	luo_memfd_encode_entry(out->ser, out->nr - 1, &lmc_saved.last);
	for (i = 0; i < 3; i++)
		luo_memfd_encode_entry(out->ser, i, &lmc_saved.e[i]);
	out->desc->first.phys = lmc_saved.first;
	lmc_first_chunk(out)->phys[1] = lmc_saved.block1;
	if (lmc_saved.tail)
		lmc_saved.tail->hdr.next.phys = 0;
	lmc_saved.out = NULL;
	pr_info("restored a corrupted folio array before unpreserving it\n");
}

static int __init lmc_corrupt_init(void)
{
	struct dentry *dir = debugfs_create_dir("luo_memfd_common", NULL);

	debugfs_create_u32("corrupt", 0600, dir, &lmc_corrupt_mode);
	debugfs_create_u32("corrupt_min_entries", 0600, dir,
			   &lmc_corrupt_min_entries);
	return 0;
}
late_initcall(lmc_corrupt_init);
