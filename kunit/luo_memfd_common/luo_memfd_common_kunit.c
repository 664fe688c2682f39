// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite luo_memfd_common: the folio-array library on real folios in
 * the running kernel.
 *
 * - preserve then unpreserve leaves no extra reference and no KHO
 *   preservation (folios and the array), for every folio order;
 * - a failure injected at each fallible step unwinds completely;
 * - corrupted incoming arrays are refused, every folio ends up either in
 *   the handler or given back, none twice;
 * - the pure decoder matches the memfd-v2 bitfield struct.
 *
 * The incoming side runs with restore hooks that hand out the test's own
 * folios (a test kernel was not booted through KHO); a second restore of the
 * same folio fails like KHO's probe does.
 */
#include <kunit/test.h>
#include <linux/fs.h>
#include <linux/kexec_handover.h>
#include <linux/kho/abi/memfd.h>
#include <linux/luo_memfd_common.h>
#include <linux/memblock.h>
#include <linux/mm.h>
#include <linux/pagemap.h>
#include <linux/shmem_fs.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>

#define LMC_NR	4

static const unsigned int lmc_orders[] = { 0, 1, 2, 4, 9, MAX_PAGE_ORDER };

static void lmc_order_desc(const unsigned int *order, char *desc)
{
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "order %u", *order);
}

KUNIT_ARRAY_PARAM(lmc_orders, lmc_orders, lmc_order_desc);

/* Test folios and what happened to them. */
enum lmc_state { LMC_PRESERVED, LMC_RESTORED, LMC_ADDED, LMC_GIVEN_BACK };

struct lmc_ctx {
	struct kunit *test;
	unsigned int order;
	unsigned int nr;
	struct folio *folios[LMC_NR];
	int refs[LMC_NR];
	enum lmc_state state[LMC_NR];
	int fail_add_at;	/* entry whose add_folio fails, -1 none */
	int adds;
	int bad_transitions;
};

static void lmc_alloc(struct kunit *test, struct lmc_ctx *c, unsigned int order)
{
	unsigned int i;

	memset(c, 0, sizeof(*c));
	c->test = test;
	c->order = order;
	c->nr = LMC_NR;
	c->fail_add_at = -1;
	for (i = 0; i < c->nr; i++) {
		c->folios[i] = folio_alloc(GFP_KERNEL, order);
		KUNIT_ASSERT_NOT_NULL(test, c->folios[i]);
		c->folios[i]->index = (pgoff_t)i << order;
		c->refs[i] = folio_ref_count(c->folios[i]);
	}
}

static void lmc_free(struct lmc_ctx *c)
{
	unsigned int i;

	for (i = 0; i < c->nr; i++) {
		if (c->folios[i]) {
			c->folios[i]->index = 0;
			folio_put(c->folios[i]);
		}
	}
}

/* Outgoing hooks: a "pin" is a plain reference here. */
static int lmc_prepare(struct folio *folio, void *arg)
{
	return (int)(folio_pfn(folio) & 3);
}

static void lmc_unpin(struct folio *folio, void *arg)
{
	folio_put(folio);
}

static const struct luo_memfd_preserve_ops lmc_pops = {
	.prepare_folio = lmc_prepare,
	.unpin_folio = lmc_unpin,
};

static void lmc_pin_all(struct lmc_ctx *c)
{
	unsigned int i;

	for (i = 0; i < c->nr; i++)
		folio_get(c->folios[i]);
}

static void lmc_unpin_all(struct lmc_ctx *c)
{
	unsigned int i;

	for (i = 0; i < c->nr; i++)
		folio_put(c->folios[i]);
}

static void lmc_expect_clean(struct kunit *test, struct lmc_ctx *c)
{
	unsigned int i;

	for (i = 0; i < c->nr; i++) {
		KUNIT_EXPECT_EQ(test, folio_ref_count(c->folios[i]), c->refs[i]);
		KUNIT_EXPECT_FALSE(test, kho_is_preserved(PFN_PHYS(folio_pfn(c->folios[i])),
							  c->order));
	}
}

/* Physical pages backing a vmalloc'd array, to check KHO forgets them. */
static unsigned int lmc_array_pages(void *ser, u64 nr, phys_addr_t *phys,
				    unsigned int max)
{
	size_t bytes = nr * sizeof(struct memfd_luo_folio_ser);
	unsigned int n = 0;
	size_t off;

	for (off = 0; off < bytes && n < max; off += PAGE_SIZE)
		phys[n++] = page_to_phys(vmalloc_to_page((u8 *)ser + off));
	return n;
}

static void lmc_preserve_unpreserve_test(struct kunit *test)
{
	const unsigned int *order = test->param_value;
	struct folio *folios[LMC_NR];
	struct luo_memfd_out out;
	struct kho_vmalloc desc;
	struct luo_memfd_entry e;
	phys_addr_t apages[4];
	struct lmc_ctx c;
	unsigned int i, n;

	if (!kho_is_enabled())
		kunit_skip(test, "KHO is disabled");
	lmc_alloc(test, &c, *order);
	memcpy(folios, c.folios, sizeof(folios));
	lmc_pin_all(&c);

	KUNIT_ASSERT_EQ(test, luo_memfd_preserve_pinned(folios, c.nr, &lmc_pops,
							NULL, &desc, &out), 0);
	KUNIT_ASSERT_EQ(test, out.nr, (u64)c.nr);
	for (i = 0; i < c.nr; i++) {
		KUNIT_EXPECT_TRUE(test, kho_is_preserved(PFN_PHYS(folio_pfn(folios[i])),
							 *order));
		luo_memfd_decode_entry(out.ser, i, &e);
		KUNIT_EXPECT_EQ(test, e.pfn, (u64)folio_pfn(folios[i]));
		KUNIT_EXPECT_EQ(test, e.index, (u64)folios[i]->index);
		KUNIT_EXPECT_EQ(test, e.flags, (u32)(folio_pfn(folios[i]) & 3));
	}
	n = lmc_array_pages(out.ser, out.nr, apages, ARRAY_SIZE(apages));
	for (i = 0; i < n; i++)
		KUNIT_EXPECT_TRUE(test, kho_is_preserved(apages[i], 0));

	luo_memfd_unpreserve(&out);
	lmc_expect_clean(test, &c);
	for (i = 0; i < n; i++)
		KUNIT_EXPECT_FALSE(test, kho_is_preserved(apages[i], 0));
	KUNIT_EXPECT_EQ(test, desc.first.phys, 0ULL);
	lmc_free(&c);
}

static void lmc_inject_preserve_test(struct kunit *test)
{
	const unsigned int *order = test->param_value;
	struct luo_memfd_fault_inject fi = {};
	unsigned int fail_at, failures = 0;
	struct luo_memfd_out out;
	struct kho_vmalloc desc;
	struct lmc_ctx c;
	int err = -EINVAL;

	if (!kho_is_enabled())
		kunit_skip(test, "KHO is disabled");
	lmc_alloc(test, &c, *order);

	for (fail_at = 1; fail_at < 64; fail_at++) {
		lmc_pin_all(&c);
		fi.fail_at = fail_at;
		fi.steps = 0;
		WRITE_ONCE(luo_memfd_inject, &fi);
		err = luo_memfd_preserve_pinned(c.folios, c.nr, &lmc_pops, NULL,
						&desc, &out);
		WRITE_ONCE(luo_memfd_inject, NULL);
		if (!err) {
			luo_memfd_unpreserve(&out);
			lmc_expect_clean(test, &c);
			break;
		}
		failures++;
		KUNIT_EXPECT_LT(test, err, 0);
		KUNIT_EXPECT_EQ(test, desc.first.phys, 0ULL);
		/* The pins stay with the caller on failure. */
		lmc_unpin_all(&c);
		lmc_expect_clean(test, &c);
	}
	KUNIT_EXPECT_EQ(test, err, 0);
	/* array alloc + (prepare + preserve) per folio + array preserve */
	KUNIT_EXPECT_EQ(test, failures, 2 * c.nr + 2);
	lmc_free(&c);
}

/* A 17-page shmem file whose even pages are present; the rest are holes. */
static struct file *lmc_holey_shmem_file(struct kunit *test)
{
	struct file *file;
	unsigned int i;

	if (!kho_is_enabled())
		kunit_skip(test, "KHO is disabled");
	file = shmem_file_setup("lmc-kunit", 16 * PAGE_SIZE + 123,
				EMPTY_VMA_FLAGS);
	KUNIT_ASSERT_FALSE(test, IS_ERR(file));
	for (i = 0; i < 17; i += 2) {
		struct folio *f = shmem_read_folio(file->f_mapping, i);

		KUNIT_ASSERT_FALSE(test, IS_ERR(f));
		folio_put(f);
	}
	return file;
}

/*
 * A real shmem file with holes: only the 9 pages present are pinned and
 * preserved, the 8 holes stay holes; every fallible step unwinds.
 */
static void lmc_shmem_file_test(struct kunit *test)
{
	struct luo_memfd_fault_inject fi = {};
	struct folio *probe[17] = {};
	struct luo_memfd_out out;
	struct kho_vmalloc desc;
	unsigned int i, fail_at, failures = 0;
	int refs[17], err = -EINVAL;
	struct file *file = lmc_holey_shmem_file(test);

	for (fail_at = 1; fail_at < 200; fail_at++) {
		fi.fail_at = fail_at;
		fi.steps = 0;
		WRITE_ONCE(luo_memfd_inject, &fi);
		err = luo_memfd_preserve_file(file, NULL, NULL, &desc, &out);
		WRITE_ONCE(luo_memfd_inject, NULL);
		if (!err)
			break;
		failures++;
		/* Nothing pinned or preserved after a failure. */
		for (i = 0; i < 17; i++) {
			struct folio *f = filemap_get_folio(file->f_mapping, i);

			if (IS_ERR(f))
				continue;
			KUNIT_EXPECT_FALSE(test, folio_maybe_dma_pinned(f));
			KUNIT_EXPECT_FALSE(test, kho_is_preserved(PFN_PHYS(folio_pfn(f)),
								  folio_order(f)));
			folio_put(f);
		}
	}
	KUNIT_ASSERT_EQ(test, err, 0);
	/*
	 * The temporary pointer array, sized once from the 9 pages present;
	 * one pin for the whole file, whatever its holes (not one per run of
	 * present pages); the entry array, 9 folios, the array's
	 * preservation: 13 steps.
	 */
	KUNIT_EXPECT_EQ(test, failures, 13U);
	KUNIT_EXPECT_EQ(test, out.nr, 9ULL);
	KUNIT_EXPECT_EQ(test, out.nr_pages, 9ULL);

	for (i = 0; i < 17; i++) {
		probe[i] = filemap_get_folio(file->f_mapping, i);
		if (i & 1) {
			KUNIT_EXPECT_TRUE_MSG(test, IS_ERR(probe[i]),
					      "hole %u was filled", i);
			if (!IS_ERR(probe[i]))
				folio_put(probe[i]);
			probe[i] = NULL;
			continue;
		}
		KUNIT_ASSERT_FALSE(test, IS_ERR(probe[i]));
		KUNIT_EXPECT_TRUE(test, folio_maybe_dma_pinned(probe[i]));
		KUNIT_EXPECT_TRUE(test, kho_is_preserved(PFN_PHYS(folio_pfn(probe[i])),
							 folio_order(probe[i])));
	}
	luo_memfd_unpreserve(&out);
	for (i = 0; i < 17; i++) {
		if (!probe[i])
			continue;
		refs[i] = folio_ref_count(probe[i]);
		KUNIT_EXPECT_FALSE(test, folio_maybe_dma_pinned(probe[i]));
		KUNIT_EXPECT_FALSE(test, kho_is_preserved(PFN_PHYS(folio_pfn(probe[i])),
							  folio_order(probe[i])));
		/* page cache + our lookup reference */
		KUNIT_EXPECT_EQ(test, refs[i], 1 + (int)folio_nr_pages(probe[i]));
		folio_put(probe[i]);
	}
	fput(file);
}

/*
 * The page-cache walk yields when the scheduler asks for it: with
 * need_resched set from the start, still every present page of a file with
 * holes is preserved (a yield must not skip the entry it stopped at).
 */
static void lmc_shmem_file_resched_test(struct kunit *test)
{
	struct file *file = lmc_holey_shmem_file(test);
	struct luo_memfd_out out;
	struct kho_vmalloc desc;
	int err;

	set_tsk_need_resched(current);
	err = luo_memfd_preserve_file(file, NULL, NULL, &desc, &out);
	KUNIT_ASSERT_EQ(test, err, 0);
	KUNIT_EXPECT_EQ(test, out.nr, 9ULL);
	luo_memfd_unpreserve(&out);
	fput(file);
}

/* Incoming side with the test's folios standing in for KHO memory. */
static int lmc_find(struct lmc_ctx *c, struct folio *folio)
{
	unsigned int i;

	for (i = 0; i < c->nr; i++)
		if (c->folios[i] == folio)
			return i;
	return -1;
}

static int lmc_preserved_order(phys_addr_t phys, void *arg)
{
	struct lmc_ctx *c = arg;
	unsigned int i;

	for (i = 0; i < c->nr; i++)
		if (PFN_PHYS(folio_pfn(c->folios[i])) == phys)
			return c->state[i] == LMC_PRESERVED ?
			       (int)folio_order(c->folios[i]) : -ENOENT;
	return -ENOENT;
}

static struct folio *lmc_restore(phys_addr_t phys, void *arg)
{
	struct lmc_ctx *c = arg;
	unsigned int i;

	for (i = 0; i < c->nr; i++) {
		if (PFN_PHYS(folio_pfn(c->folios[i])) != phys)
			continue;
		if (c->state[i] != LMC_PRESERVED)
			return NULL;
		c->state[i] = LMC_RESTORED;
		return c->folios[i];
	}
	return NULL;
}

static int lmc_add(struct folio *folio, pgoff_t index, u32 flags, void *arg)
{
	struct lmc_ctx *c = arg;
	int i = lmc_find(c, folio);

	if (i < 0 || c->state[i] != LMC_RESTORED) {
		c->bad_transitions++;
		return -EINVAL;
	}
	if (c->adds++ == c->fail_add_at)
		return -ENOSPC;
	c->state[i] = LMC_ADDED;
	return 0;
}

static void lmc_discard(struct folio *folio, void *arg)
{
	struct lmc_ctx *c = arg;
	int i = lmc_find(c, folio);

	if (i < 0 || c->state[i] != LMC_RESTORED) {
		c->bad_transitions++;
		return;
	}
	c->state[i] = LMC_GIVEN_BACK;
}

static const struct luo_memfd_restore_ops lmc_rops = {
	.preserved_order = lmc_preserved_order,
	.restore_folio = lmc_restore,
	.add_folio = lmc_add,
	.discard_folio = lmc_discard,
};

enum lmc_corruption {
	LMC_C_NONE,
	LMC_C_SHORT,		/* buffer shorter than the count */
	LMC_C_FLAGS,		/* unknown flag */
	LMC_C_PFN_BEYOND,	/* pfn beyond memory */
	LMC_C_INDEX_EOF,	/* index beyond end of file */
	LMC_C_UNSORTED,		/* entries 1 and 2 swapped */
	LMC_C_DUP_PFN,		/* entry 2 repeats entry 1's pfn */
	LMC_C_OVERLAP,		/* entry 2 starts inside folio 1 (misaligned) */
	LMC_C_STALE_PFN,	/* entry 2 names a page that is not preserved */
	LMC_C_ORDER,		/* min_order above the folios' order */
	LMC_C_ADD_FAILS,	/* handler refuses entry 2 */
	LMC_C_COUNT,		/* count larger than the file can hold */
	LMC_NR_CORRUPTIONS,
};

static const char * const lmc_corruption_names[LMC_NR_CORRUPTIONS] = {
	"none", "short array", "flags", "pfn beyond memory", "index beyond EOF",
	"unsorted", "duplicate pfn", "overlap/misaligned", "stale pfn", "order",
	"handler refuses", "count",
};

static void lmc_restore_case(struct kunit *test, unsigned int order,
			     enum lmc_corruption cc)
{
	struct luo_memfd_in in = {};
	struct luo_memfd_entry e;
	unsigned int i, lost = 0;
	u64 buf_len, pages;
	struct folio *spare = NULL;
	struct lmc_ctx c;
	void *buf;
	int err;

	lmc_alloc(test, &c, order);
	buf_len = c.nr * LUO_MEMFD_ENTRY_SIZE;
	buf = kunit_kzalloc(test, buf_len, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, buf);
	pages = (u64)c.nr << order;
	for (i = 0; i < c.nr; i++) {
		e.pfn = folio_pfn(c.folios[i]);
		e.flags = 1;
		e.index = (u64)i << order;
		luo_memfd_encode_entry(buf, i, &e);
	}

	in.nr = c.nr;
	in.size = pages << PAGE_SHIFT;
	in.allowed_flags = 3;
	in.min_order = 0;
	in.max_order = MAX_PAGE_ORDER;
	in.ops = &lmc_rops;
	in.arg = &c;
	in.name = "lmc-kunit";

	switch (cc) {
	case LMC_C_NONE:
		break;
	case LMC_C_SHORT:
		buf_len -= 1;
		lost = 1;	/* the last entry is outside the buffer */
		break;
	case LMC_C_FLAGS:
		luo_memfd_decode_entry(buf, 2, &e);
		e.flags = 0x800;
		luo_memfd_encode_entry(buf, 2, &e);
		break;
	case LMC_C_PFN_BEYOND:
		luo_memfd_decode_entry(buf, 2, &e);
		e.pfn = max_pfn + 5;
		luo_memfd_encode_entry(buf, 2, &e);
		lost = 1;
		break;
	case LMC_C_INDEX_EOF:
		luo_memfd_decode_entry(buf, 3, &e);
		e.index = pages;
		luo_memfd_encode_entry(buf, 3, &e);
		break;
	case LMC_C_UNSORTED:
		luo_memfd_decode_entry(buf, 1, &e);
		e.index = (u64)2 << order;
		luo_memfd_encode_entry(buf, 1, &e);
		luo_memfd_decode_entry(buf, 2, &e);
		e.index = (u64)1 << order;
		luo_memfd_encode_entry(buf, 2, &e);
		break;
	case LMC_C_DUP_PFN:
		luo_memfd_decode_entry(buf, 2, &e);
		e.pfn = folio_pfn(c.folios[1]);
		luo_memfd_encode_entry(buf, 2, &e);
		lost = 1;	/* folio 2 is named by nobody any more */
		break;
	case LMC_C_OVERLAP:
		if (!order)
			goto out;	/* an order-0 folio cannot be overlapped */
		luo_memfd_decode_entry(buf, 2, &e);
		e.index = ((u64)1 << order) + 1;
		luo_memfd_encode_entry(buf, 2, &e);
		break;
	case LMC_C_STALE_PFN:
		spare = folio_alloc(GFP_KERNEL, 0);
		KUNIT_ASSERT_NOT_NULL(test, spare);
		luo_memfd_decode_entry(buf, 2, &e);
		e.pfn = folio_pfn(spare);
		luo_memfd_encode_entry(buf, 2, &e);
		lost = 1;
		break;
	case LMC_C_ORDER:
		if (order) {
			in.max_order = order - 1;
		} else {
			in.min_order = 1;
			in.max_order = 1;
		}
		/*
		 * Blocks of an order the file cannot hold are not its folios:
		 * they must be left preserved, not restored and freed.
		 */
		lost = c.nr;
		break;
	case LMC_C_ADD_FAILS:
		c.fail_add_at = 2;
		break;
	case LMC_C_COUNT:
		in.nr = pages + 1;
		break;
	default:
		break;
	}

	err = luo_memfd_restore_entries(buf, buf_len, &in);
	if (cc == LMC_C_NONE)
		KUNIT_EXPECT_EQ(test, err, 0);
	else if (cc == LMC_C_ADD_FAILS)
		KUNIT_EXPECT_EQ(test, err, -ENOSPC);
	else
		KUNIT_EXPECT_EQ_MSG(test, err, -EINVAL, "case %s",
				    lmc_corruption_names[cc]);

	KUNIT_EXPECT_EQ(test, c.bad_transitions, 0);
	/* Every folio is with the handler or given back, except the lost. */
	for (i = 0; i < c.nr; i++) {
		KUNIT_EXPECT_NE(test, c.state[i], LMC_RESTORED);
		if (c.state[i] == LMC_PRESERVED)
			lost--;
	}
	KUNIT_EXPECT_EQ_MSG(test, lost, 0U, "case %s", lmc_corruption_names[cc]);
	if (cc == LMC_C_NONE) {
		for (i = 0; i < c.nr; i++)
			KUNIT_EXPECT_EQ(test, c.state[i], LMC_ADDED);
	}
	if (cc == LMC_C_ADD_FAILS) {
		KUNIT_EXPECT_EQ(test, c.state[0], LMC_ADDED);
		KUNIT_EXPECT_EQ(test, c.state[1], LMC_ADDED);
		KUNIT_EXPECT_EQ(test, c.state[2], LMC_GIVEN_BACK);
		KUNIT_EXPECT_EQ(test, c.state[3], LMC_GIVEN_BACK);
	}
	/* The hooks never took references: counts are as allocated. */
	for (i = 0; i < c.nr; i++)
		KUNIT_EXPECT_EQ(test, folio_ref_count(c.folios[i]), c.refs[i]);
out:
	if (spare)
		folio_put(spare);
	lmc_free(&c);
}

static void lmc_restore_test(struct kunit *test)
{
	const unsigned int *order = test->param_value;
	enum lmc_corruption cc;

	for (cc = LMC_C_NONE; cc < LMC_NR_CORRUPTIONS; cc++)
		lmc_restore_case(test, *order, cc);
}

/* Injected failure of the handler at every entry of a valid array. */
static void lmc_inject_restore_test(struct kunit *test)
{
	const unsigned int *order = test->param_value;
	struct luo_memfd_fault_inject fi = {};
	struct luo_memfd_in in = {};
	struct luo_memfd_entry e;
	unsigned int i, fail_at;
	struct lmc_ctx c;
	u8 buf[LMC_NR * LUO_MEMFD_ENTRY_SIZE];
	int err;

	for (fail_at = 1; fail_at <= LMC_NR + 1; fail_at++) {
		lmc_alloc(test, &c, *order);
		for (i = 0; i < c.nr; i++) {
			e.pfn = folio_pfn(c.folios[i]);
			e.flags = 0;
			e.index = (u64)i << *order;
			luo_memfd_encode_entry(buf, i, &e);
		}
		in = (struct luo_memfd_in){
			.nr = c.nr, .size = ((u64)c.nr << *order) << PAGE_SHIFT,
			.max_order = MAX_PAGE_ORDER, .ops = &lmc_rops,
			.arg = &c, .name = "lmc-kunit",
		};
		fi.fail_at = fail_at;
		fi.steps = 0;
		WRITE_ONCE(luo_memfd_inject, &fi);
		err = luo_memfd_restore_entries(buf, sizeof(buf), &in);
		WRITE_ONCE(luo_memfd_inject, NULL);
		for (i = 0; i < c.nr; i++) {
			if (fail_at > LMC_NR)
				KUNIT_EXPECT_EQ(test, c.state[i], LMC_ADDED);
			else if (i + 1 < fail_at)
				KUNIT_EXPECT_EQ(test, c.state[i], LMC_ADDED);
			else
				KUNIT_EXPECT_EQ(test, c.state[i], LMC_GIVEN_BACK);
		}
		KUNIT_EXPECT_EQ(test, err, fail_at > LMC_NR ? 0 : -ENOMEM);
		lmc_free(&c);
	}
}

static const struct luo_memfd_restore_ops lmc_rops_retry = {
	.preserved_order = lmc_preserved_order,
	.restore_folio = lmc_restore,
	.add_folio = lmc_add,
	.discard_folio = lmc_discard,
	.add_may_retry = true,
};

/*
 * Out of memory at every entry of a resumable restore: nothing is given
 * back, the folio of that entry waits (restored, not added) with every
 * later one still preserved; then either a second attempt adds them all,
 * or an abort gives back exactly the ones not added.
 */
static void lmc_resume_restore_test(struct kunit *test)
{
	const unsigned int *order = test->param_value;
	struct luo_memfd_fault_inject fi = {};
	struct luo_memfd_resume r;
	struct luo_memfd_in in;
	struct luo_memfd_entry e;
	unsigned int i, fail_at;
	bool abort;
	struct lmc_ctx c;
	int err;

	for (fail_at = 1; fail_at <= 2 * LMC_NR; fail_at++) {
		abort = fail_at > LMC_NR;
		lmc_alloc(test, &c, *order);
		r = (struct luo_memfd_resume){
			.buf = vzalloc(PAGE_SIZE), .buf_len = PAGE_SIZE,
		};
		KUNIT_ASSERT_NOT_NULL(test, r.buf);
		for (i = 0; i < c.nr; i++) {
			e.pfn = folio_pfn(c.folios[i]);
			e.flags = 0;
			e.index = (u64)i << *order;
			luo_memfd_encode_entry(r.buf, i, &e);
		}
		in = (struct luo_memfd_in){
			.nr = c.nr, .size = ((u64)c.nr << *order) << PAGE_SHIFT,
			.max_order = MAX_PAGE_ORDER, .ops = &lmc_rops_retry,
			.arg = &c, .name = "lmc-kunit",
		};
		fi.fail_at = abort ? fail_at - LMC_NR : fail_at;
		fi.steps = 0;
		WRITE_ONCE(luo_memfd_inject, &fi);
		err = luo_memfd_restore_resume(&in, &r);
		WRITE_ONCE(luo_memfd_inject, NULL);
		KUNIT_EXPECT_EQ(test, err, -ENOMEM);
		KUNIT_EXPECT_TRUE(test, r.pending);
		KUNIT_EXPECT_EQ(test, r.next, (u64)fi.fail_at - 1);
		for (i = 0; i < c.nr; i++)
			KUNIT_EXPECT_EQ(test, c.state[i],
					i + 1 < fi.fail_at ? LMC_ADDED :
					i + 1 == fi.fail_at ? LMC_RESTORED :
					LMC_PRESERVED);
		if (abort) {
			luo_memfd_resume_abort(&in, &r);
		} else {
			err = luo_memfd_restore_resume(&in, &r);
			KUNIT_EXPECT_EQ(test, err, 0);
		}
		KUNIT_EXPECT_FALSE(test, r.pending);
		KUNIT_EXPECT_NULL(test, r.buf);	/* freed either way */
		for (i = 0; i < c.nr; i++)
			KUNIT_EXPECT_EQ(test, c.state[i],
					!abort || i + 1 < fi.fail_at ?
					LMC_ADDED : LMC_GIVEN_BACK);
		KUNIT_EXPECT_EQ(test, c.bad_transitions, 0);
		lmc_free(&c);
	}
}

/* The pure decoder agrees with the C bitfield layout of memfd-v2. */
static void lmc_layout_test(struct kunit *test)
{
	struct memfd_luo_folio_ser s[2] = {};
	struct luo_memfd_entry e;

	s[1].pfn = 0xabcdef0123456ULL;
	s[1].flags = 0xa5c;
	s[1].index = 0x1122334455667788ULL;
	KUNIT_ASSERT_EQ(test, sizeof(s[0]), (size_t)LUO_MEMFD_ENTRY_SIZE);
	luo_memfd_decode_entry(s, 1, &e);
	KUNIT_EXPECT_EQ(test, e.pfn, 0xabcdef0123456ULL);
	KUNIT_EXPECT_EQ(test, e.flags, 0xa5cU);
	KUNIT_EXPECT_EQ(test, e.index, 0x1122334455667788ULL);

	e.pfn = 0x123;
	e.flags = MEMFD_LUO_FOLIO_DIRTY | MEMFD_LUO_FOLIO_UPTODATE;
	e.index = 77;
	luo_memfd_encode_entry(s, 0, &e);
	KUNIT_EXPECT_EQ(test, (u64)s[0].pfn, 0x123ULL);
	KUNIT_EXPECT_EQ(test, (u64)s[0].flags, 3ULL);
	KUNIT_EXPECT_EQ(test, (u64)s[0].index, 77ULL);
}

/* Descriptor checks run before kho_restore_vmalloc() trusts it. */
static void lmc_desc_test(struct kunit *test)
{
	struct luo_memfd_limits lim = {
		.nr = 300, .size = 300 * PAGE_SIZE, .max_size = MAX_LFS_FILESIZE,
		.max_pfn = max_pfn, .page_shift = PAGE_SHIFT, .max_order = 9,
	};
	struct luo_memfd_verdict v;

	/* 300 entries * 16 bytes = 2 pages (4 KiB pages). */
	KUNIT_EXPECT_TRUE(test, luo_memfd_check_desc(&lim, 2, 0, &v));
	KUNIT_EXPECT_FALSE(test, luo_memfd_check_desc(&lim, 1, 0, &v));
	KUNIT_EXPECT_EQ(test, v.fault, LUO_MEMFD_SHORT_ARRAY);
	KUNIT_EXPECT_FALSE(test, luo_memfd_check_desc(&lim, 100, 0, &v));
	KUNIT_EXPECT_EQ(test, v.fault, LUO_MEMFD_LONG_ARRAY);
	KUNIT_EXPECT_FALSE(test, luo_memfd_check_desc(&lim, 2, 40, &v));
	KUNIT_EXPECT_EQ(test, v.fault, LUO_MEMFD_BAD_DESC);
	lim.nr = 301 * PAGE_SIZE;
	KUNIT_EXPECT_FALSE(test, luo_memfd_check_header(&lim, &v));
	KUNIT_EXPECT_EQ(test, v.fault, LUO_MEMFD_BAD_COUNT);
}

static struct kunit_case luo_memfd_common_cases[] = {
	KUNIT_CASE(lmc_layout_test),
	KUNIT_CASE(lmc_desc_test),
	KUNIT_CASE_PARAM(lmc_preserve_unpreserve_test, lmc_orders_gen_params),
	KUNIT_CASE_PARAM(lmc_inject_preserve_test, lmc_orders_gen_params),
	KUNIT_CASE_PARAM(lmc_restore_test, lmc_orders_gen_params),
	KUNIT_CASE_PARAM(lmc_inject_restore_test, lmc_orders_gen_params),
	KUNIT_CASE_PARAM(lmc_resume_restore_test, lmc_orders_gen_params),
	KUNIT_CASE(lmc_shmem_file_test),
	KUNIT_CASE(lmc_shmem_file_resched_test),
	{}
};

static struct kunit_suite luo_memfd_common_suite = {
	.name = "luo_memfd_common",
	.test_cases = luo_memfd_common_cases,
};

kunit_test_suite(luo_memfd_common_suite);

MODULE_DESCRIPTION("KUnit tests for luo_memfd_common");
MODULE_LICENSE("GPL");
