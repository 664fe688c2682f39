// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suites for HugeTLB memfd live update. Included at the end of
 * mm/memfd_hugetlb_luo.c (CONFIG_LIVEUPDATE_MEMFD_HUGETLB_KUNIT_TEST) so the
 * handler's static ops can be driven directly.
 *
 * luo_memfd_hstate: the pure accounting arithmetic and the validation of
 * incoming accounting FLB payloads and FLB tables, good and corrupted.
 *
 * memfd_hugetlb_luo: preserve/unpreserve of real HugeTLB memfds of every
 * hstate with free pages (boot with e.g. hugepagesz=2M hugepages=8
 * hugepagesz=1G hugepages=2 liveupdate=on): afterwards the pool counters,
 * the folios' references, KHO's tracker and the accounting FLB are as they
 * were, and while preserved the file refuses size changes.
 */
#include <kunit/test.h>
#include <linux/falloc.h>
#include <linux/kho/abi/luo.h>

/* luo_flb_file_(un)preserve(): drive the FLB as luo_preserve_file() does. */
#include "../../kernel/liveupdate/luo_internal.h"

/* ---------------------------------------------------------------------- */
/* luo_memfd_hstate: pure accounting and parsing                           */
/* ---------------------------------------------------------------------- */

static void hml_test_add_remove(struct kunit *test)
{
	struct hugetlb_pool_luo_ser s = {}, zero = {};

	KUNIT_EXPECT_EQ(test, luo_memfd_hstate_add(&s, 9, 5), 0);
	KUNIT_EXPECT_EQ(test, luo_memfd_hstate_add(&s, 18, 2), 0);
	KUNIT_EXPECT_EQ(test, luo_memfd_hstate_add(&s, 9, 3), 0);
	KUNIT_EXPECT_EQ(test, s.nr_counts, 2);
	KUNIT_EXPECT_EQ(test, luo_memfd_hstate_lookup(&s, 9), 8);
	KUNIT_EXPECT_EQ(test, luo_memfd_hstate_lookup(&s, 18), 2);
	KUNIT_EXPECT_EQ(test, luo_memfd_hstate_lookup(&s, 10), 0);
	KUNIT_EXPECT_EQ(test, luo_memfd_hstate_check(&s, 1ULL << 24), 0);

	/* Removing the first order moves the second down. */
	KUNIT_EXPECT_EQ(test, luo_memfd_hstate_add(&s, 9, -8), 0);
	KUNIT_EXPECT_EQ(test, s.nr_counts, 1);
	KUNIT_EXPECT_EQ(test, s.counts[0].order, 18);
	KUNIT_EXPECT_EQ(test, luo_memfd_hstate_lookup(&s, 18), 2);
	KUNIT_EXPECT_EQ(test, luo_memfd_hstate_check(&s, 1ULL << 24), 0);

	/* Back to nothing: byte-for-byte the empty payload. */
	KUNIT_EXPECT_EQ(test, luo_memfd_hstate_add(&s, 18, -2), 0);
	KUNIT_EXPECT_EQ(test, memcmp(&s, &zero, sizeof(s)), 0);
	KUNIT_EXPECT_EQ(test, luo_memfd_hstate_add(&s, 18, 0), 0);
	KUNIT_EXPECT_EQ(test, memcmp(&s, &zero, sizeof(s)), 0);
}

static void hml_test_add_errors(struct kunit *test)
{
	struct hugetlb_pool_luo_ser s = {}, before;

	KUNIT_EXPECT_EQ(test, luo_memfd_hstate_add(&s, 9, -1), -EINVAL);
	KUNIT_EXPECT_EQ(test, luo_memfd_hstate_add(&s, 0, 1), -EINVAL);
	KUNIT_EXPECT_EQ(test, luo_memfd_hstate_add(&s, LUO_MEMFD_MAX_ORDER + 1, 1),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, s.nr_counts, 0);

	KUNIT_EXPECT_EQ(test, luo_memfd_hstate_add(&s, 9, 1), 0);
	KUNIT_EXPECT_EQ(test, luo_memfd_hstate_add(&s, 9, -2), -EINVAL);
	KUNIT_EXPECT_EQ(test, luo_memfd_hstate_lookup(&s, 9), 1);

	s.counts[0].nr_pages = U64_MAX;
	KUNIT_EXPECT_EQ(test, luo_memfd_hstate_add(&s, 9, 1), -EINVAL);
	s.counts[0].nr_pages = 1;

	KUNIT_EXPECT_EQ(test, luo_memfd_hstate_add(&s, 10, 1), 0);
	KUNIT_EXPECT_EQ(test, luo_memfd_hstate_add(&s, 11, 1), 0);
	KUNIT_EXPECT_EQ(test, luo_memfd_hstate_add(&s, 12, 1), 0);
	before = s;
	KUNIT_EXPECT_EQ(test, luo_memfd_hstate_add(&s, 13, 1), -ENOSPC);
	KUNIT_EXPECT_EQ(test, memcmp(&s, &before, sizeof(s)), 0);

	s.nr_counts = HUGETLB_POOL_LUO_MAX_HSTATES + 1;
	KUNIT_EXPECT_EQ(test, luo_memfd_hstate_add(&s, 9, 1), -EINVAL);
}

static void hml_good_payload(struct hugetlb_pool_luo_ser *s)
{
	memset(s, 0, sizeof(*s));
	s->nr_counts = 2;
	s->counts[0].order = 9;
	s->counts[0].nr_pages = 64;
	s->counts[1].order = 18;
	s->counts[1].nr_pages = 3;
}

static void hml_test_check_corrupt(struct kunit *test)
{
	const u64 max_pfn = (6ULL << 30) >> PAGE_SHIFT;	/* 6 GiB */
	struct hugetlb_pool_luo_ser s;

	hml_good_payload(&s);
	KUNIT_EXPECT_EQ(test, luo_memfd_hstate_check(&s, max_pfn), 0);

	hml_good_payload(&s);
	s.nr_counts = HUGETLB_POOL_LUO_MAX_HSTATES + 1;
	KUNIT_EXPECT_EQ(test, luo_memfd_hstate_check(&s, max_pfn), -EINVAL);

	hml_good_payload(&s);
	s.reserved = 1;
	KUNIT_EXPECT_EQ(test, luo_memfd_hstate_check(&s, max_pfn), -EINVAL);

	hml_good_payload(&s);
	s.counts[1].order = 9;				/* duplicate order */
	KUNIT_EXPECT_EQ(test, luo_memfd_hstate_check(&s, max_pfn), -EINVAL);

	hml_good_payload(&s);
	s.counts[0].order = 0;
	KUNIT_EXPECT_EQ(test, luo_memfd_hstate_check(&s, max_pfn), -EINVAL);

	hml_good_payload(&s);
	s.counts[0].order = LUO_MEMFD_MAX_ORDER + 1;
	KUNIT_EXPECT_EQ(test, luo_memfd_hstate_check(&s, max_pfn), -EINVAL);

	hml_good_payload(&s);
	s.counts[1].reserved = 7;
	KUNIT_EXPECT_EQ(test, luo_memfd_hstate_check(&s, max_pfn), -EINVAL);

	hml_good_payload(&s);
	s.counts[1].nr_pages = 7;			/* 7 GiB in 6 GiB */
	KUNIT_EXPECT_EQ(test, luo_memfd_hstate_check(&s, max_pfn), -EINVAL);

	hml_good_payload(&s);
	s.counts[0].nr_pages = 2048;			/* 4 GiB + 3 GiB */
	KUNIT_EXPECT_EQ(test, luo_memfd_hstate_check(&s, max_pfn), -EINVAL);

	hml_good_payload(&s);
	s.counts[1].nr_pages = U64_MAX;
	KUNIT_EXPECT_EQ(test, luo_memfd_hstate_check(&s, max_pfn), -EINVAL);

	hml_good_payload(&s);
	s.counts[2].nr_pages = 1;			/* junk past nr_counts */
	KUNIT_EXPECT_EQ(test, luo_memfd_hstate_check(&s, max_pfn), -EINVAL);
}

/* An FLB table as luo_flb_serialize() writes it, in a test buffer. */
struct hml_flb_table {
	struct luo_flb_header_ser hdr;
	struct luo_flb_ser ser[3];
} __packed;

static void hml_good_table(struct hml_flb_table *t)
{
	memset(t, 0, sizeof(*t));
	t->hdr.pgcnt = 1;
	t->hdr.count = 3;
	strscpy(t->ser[0].name, "iommu-core-v1", sizeof(t->ser[0].name));
	t->ser[0].data = 0x1000;
	t->ser[0].count = 1;
	strscpy(t->ser[1].name, HUGETLB_POOL_LUO_FLB_COMPATIBLE,
		sizeof(t->ser[1].name));
	t->ser[1].data = 0x5000;
	t->ser[1].count = 2;
	strscpy(t->ser[2].name, "other-v2", sizeof(t->ser[2].name));
	t->ser[2].data = 0x9000;
	t->ser[2].count = 1;
}

static void hml_test_flb_find(struct kunit *test)
{
	const char *want = HUGETLB_POOL_LUO_FLB_COMPATIBLE;
	struct hml_flb_table t;
	u64 data = 0;

	hml_good_table(&t);
	KUNIT_EXPECT_EQ(test, luo_memfd_flb_find(&t, sizeof(t), want, &data), 0);
	KUNIT_EXPECT_EQ(test, data, 0x5000);

	/* Absent. */
	KUNIT_EXPECT_EQ(test, luo_memfd_flb_find(&t, sizeof(t), "nope-v1", &data),
			-ENOENT);
	t.hdr.count = 0;
	KUNIT_EXPECT_EQ(test, luo_memfd_flb_find(&t, sizeof(t), want, &data),
			-ENOENT);

	/* Count larger than the buffer. */
	hml_good_table(&t);
	t.hdr.count = 4;
	KUNIT_EXPECT_EQ(test, luo_memfd_flb_find(&t, sizeof(t), want, &data),
			-EINVAL);
	hml_good_table(&t);
	t.hdr.count = U64_MAX;
	KUNIT_EXPECT_EQ(test, luo_memfd_flb_find(&t, sizeof(t), want, &data),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, luo_memfd_flb_find(&t, 8, want, &data), -EINVAL);
	KUNIT_EXPECT_EQ(test, luo_memfd_flb_find(NULL, 4096, want, &data),
			-EINVAL);

	/* Name without its NUL, before the wanted entry. */
	hml_good_table(&t);
	memset(t.ser[0].name, 'x', sizeof(t.ser[0].name));
	KUNIT_EXPECT_EQ(test, luo_memfd_flb_find(&t, sizeof(t), want, &data),
			-EINVAL);

	/* Duplicate, null handle, zero file count. */
	hml_good_table(&t);
	strscpy(t.ser[2].name, want, sizeof(t.ser[2].name));
	KUNIT_EXPECT_EQ(test, luo_memfd_flb_find(&t, sizeof(t), want, &data),
			-EINVAL);
	hml_good_table(&t);
	t.ser[1].data = 0;
	KUNIT_EXPECT_EQ(test, luo_memfd_flb_find(&t, sizeof(t), want, &data),
			-EINVAL);
	hml_good_table(&t);
	t.ser[1].count = 0;
	KUNIT_EXPECT_EQ(test, luo_memfd_flb_find(&t, sizeof(t), want, &data),
			-EINVAL);
}

static struct kunit_case hml_hstate_cases[] = {
	KUNIT_CASE(hml_test_add_remove),
	KUNIT_CASE(hml_test_add_errors),
	KUNIT_CASE(hml_test_check_corrupt),
	KUNIT_CASE(hml_test_flb_find),
	{}
};

static struct kunit_suite hml_hstate_suite = {
	.name = "luo_memfd_hstate",
	.test_cases = hml_hstate_cases,
};

/* ---------------------------------------------------------------------- */
/* memfd_hugetlb_luo: handler ops on real files                            */
/* ---------------------------------------------------------------------- */

#define HML_NR	2

struct hml_snap {
	unsigned long nr, free, resv, surplus;
	blkcnt_t blocks;
	int refs[HML_NR];
	unsigned long pfn[HML_NR];
};

static void hml_snap(struct kunit *test, struct hstate *h, struct file *file,
		     struct hml_snap *s)
{
	int i;

	spin_lock_irq(&hugetlb_lock);
	s->nr = h->nr_huge_pages;
	s->free = h->free_huge_pages;
	s->resv = h->resv_huge_pages;
	s->surplus = h->surplus_huge_pages;
	spin_unlock_irq(&hugetlb_lock);
	s->blocks = file_inode(file)->i_blocks;
	for (i = 0; i < HML_NR; i++) {
		struct folio *folio;

		folio = filemap_get_folio(file->f_mapping,
					  (pgoff_t)i << huge_page_order(h));
		KUNIT_ASSERT_FALSE(test, IS_ERR(folio));
		s->refs[i] = folio_ref_count(folio) - 1;
		s->pfn[i] = folio_pfn(folio);
		folio_put(folio);
	}
}

static void hml_expect_same(struct kunit *test, const struct hml_snap *a,
			    const struct hml_snap *b)
{
	int i;

	KUNIT_EXPECT_EQ(test, a->nr, b->nr);
	KUNIT_EXPECT_EQ(test, a->free, b->free);
	KUNIT_EXPECT_EQ(test, a->resv, b->resv);
	KUNIT_EXPECT_EQ(test, a->surplus, b->surplus);
	KUNIT_EXPECT_EQ(test, a->blocks, b->blocks);
	for (i = 0; i < HML_NR; i++) {
		KUNIT_EXPECT_EQ(test, a->refs[i], b->refs[i]);
		KUNIT_EXPECT_EQ(test, a->pfn[i], b->pfn[i]);
	}
}

static u64 hml_flb_count(unsigned int order)
{
	void *obj;
	u64 nr;

	if (liveupdate_flb_get_outgoing(&luo_memfd_hstate_flb, &obj))
		return 0;
	nr = luo_memfd_hstate_lookup(obj, order);
	liveupdate_flb_put_outgoing(&luo_memfd_hstate_flb);
	return nr;
}

static void hml_test_preserve_unpreserve(struct kunit *test)
{
	struct hstate *h;
	int tested = 0;

	if (!liveupdate_enabled())
		kunit_skip(test, "live update is off (boot with liveupdate=on)");

	for_each_hstate(h) {
		struct liveupdate_file_op_args args = {};
		unsigned int order = huge_page_order(h);
		loff_t sz = huge_page_size(h);
		struct hml_snap before, during, after;
		u64 flb_before;
		struct file *file;
		int i, err;

		if (h->free_huge_pages - h->resv_huge_pages < HML_NR)
			continue;
		file = memfd_alloc_file("kunit", MFD_HUGETLB | MFD_ALLOW_SEALING |
					(huge_page_shift(h) << MFD_HUGE_SHIFT));
		KUNIT_ASSERT_FALSE(test, IS_ERR(file));
		KUNIT_ASSERT_EQ(test, vfs_fallocate(file, 0, 0, HML_NR * sz), 0);
		KUNIT_ASSERT_TRUE(test, hml_can_preserve(&hml_handler, file));
		hml_snap(test, h, file, &before);
		flb_before = hml_flb_count(order);

		KUNIT_ASSERT_EQ(test, luo_flb_file_preserve(&hml_handler), 0);
		args.handler = &hml_handler;
		args.file = file;
		err = hml_preserve(&args);
		KUNIT_EXPECT_EQ(test, err, 0);
		if (!err) {
			hml_snap(test, h, file, &during);
			KUNIT_EXPECT_EQ(test, during.nr, before.nr);
			KUNIT_EXPECT_EQ(test, during.free, before.free);
			KUNIT_EXPECT_EQ(test, hml_flb_count(order),
					flb_before + HML_NR);
			for (i = 0; i < HML_NR; i++) {
				phys_addr_t phys = PFN_PHYS(during.pfn[i]);

				KUNIT_EXPECT_GT(test, during.refs[i],
						before.refs[i]);
				KUNIT_EXPECT_TRUE(test,
						  kho_is_preserved(phys, order));
			}
			/* Frozen: no growth, no punch, no truncate. */
			KUNIT_EXPECT_EQ(test, vfs_fallocate(file, 0, 0,
							    (HML_NR + 1) * sz),
					-EPERM);
			KUNIT_EXPECT_EQ(test,
					vfs_fallocate(file, FALLOC_FL_PUNCH_HOLE |
						      FALLOC_FL_KEEP_SIZE, 0, sz),
					-EPERM);
			KUNIT_EXPECT_EQ(test, i_size_read(file_inode(file)),
					HML_NR * sz);

			hml_unpreserve(&args);
		}
		luo_flb_file_unpreserve(&hml_handler);

		hml_snap(test, h, file, &after);
		hml_expect_same(test, &before, &after);
		KUNIT_EXPECT_EQ(test, hml_flb_count(order), flb_before);
		for (i = 0; i < HML_NR; i++) {
			phys_addr_t phys = PFN_PHYS(after.pfn[i]);

			KUNIT_EXPECT_FALSE(test, kho_is_preserved(phys, order));
		}
		/* Thawed: the file can grow again. */
		KUNIT_EXPECT_EQ(test, vfs_fallocate(file, FALLOC_FL_KEEP_SIZE,
						    0, sz), 0);
		fput(file);
		kunit_info(test, "tested %lu kB pages\n", huge_page_size(h) / SZ_1K);
		tested++;
	}
	if (!tested)
		kunit_skip(test, "no hstate with %d free huge pages", HML_NR);
}

static void hml_test_can_preserve(struct kunit *test)
{
	struct file *file;

	file = memfd_alloc_file("kunit", 0);
	KUNIT_ASSERT_FALSE(test, IS_ERR(file));
	KUNIT_EXPECT_FALSE(test, hml_can_preserve(&hml_handler, file));
	fput(file);

	file = memfd_alloc_file("kunit", MFD_HUGETLB);
	if (IS_ERR(file))
		kunit_skip(test, "no default hstate");
	KUNIT_EXPECT_TRUE(test, hml_can_preserve(&hml_handler, file));
	fput(file);
}

/* The file header from the previous kernel: every field checked. */
static void hml_test_check_ser(struct kunit *test)
{
	struct hstate *h = &default_hstate, *got = NULL;
	struct hugetlb_memfd_luo_ser ser, good = {
		.pos = 5,
		.order = huge_page_order(h),
		.size = 4 * huge_page_size(h),
		.seals = F_SEAL_GROW | F_SEAL_SEAL,
	};
	static const u32 bad_orders[] = { 0, 1, 7, 31, 40, U32_MAX };
	const struct luo_memfd_in in = { .name = "hugetlb memfd (KUnit)" };
	int i;

	if (!hugepages_supported())
		kunit_skip(test, "no huge pages");
	KUNIT_EXPECT_EQ(test, hml_check_ser(&in, &good, &got), 0);
	KUNIT_EXPECT_PTR_EQ(test, got, h);

	for (i = 0; i < ARRAY_SIZE(bad_orders); i++) {
		ser = good;
		ser.order = bad_orders[i];
		KUNIT_EXPECT_EQ(test, hml_check_ser(&in, &ser, &got), -EOPNOTSUPP);
	}
	ser = good;
	ser.seals |= 0x1000;
	KUNIT_EXPECT_EQ(test, hml_check_ser(&in, &ser, &got), -EOPNOTSUPP);
	ser = good;
	ser.flags = 1;
	KUNIT_EXPECT_EQ(test, hml_check_ser(&in, &ser, &got), -EOPNOTSUPP);
	ser = good;
	ser.reserved = 1;
	KUNIT_EXPECT_EQ(test, hml_check_ser(&in, &ser, &got), -EOPNOTSUPP);
	ser = good;
	ser.pos = (u64)MAX_LFS_FILESIZE + 1;
	KUNIT_EXPECT_EQ(test, hml_check_ser(&in, &ser, &got), -EINVAL);
	/* i_size inside a huge page (fallocate(fd, 0, 0, 12288)) is valid. */
	ser = good;
	ser.size = 3 * PAGE_SIZE;
	KUNIT_EXPECT_EQ(test, hml_check_ser(&in, &ser, &got), 0);
	ser = good;
	ser.size += PAGE_SIZE;
	KUNIT_EXPECT_EQ(test, hml_check_ser(&in, &ser, &got), 0);
}

static struct kunit_case hml_handler_cases[] = {
	KUNIT_CASE(hml_test_check_ser),
	KUNIT_CASE(hml_test_can_preserve),
	KUNIT_CASE(hml_test_preserve_unpreserve),
	{}
};

static struct kunit_suite hml_handler_suite = {
	.name = "memfd_hugetlb_luo",
	.test_cases = hml_handler_cases,
};

kunit_test_suites(&hml_hstate_suite, &hml_handler_suite);
