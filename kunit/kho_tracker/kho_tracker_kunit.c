// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite kho_tracker: a KHO tracker records the blocks its task
 * preserves between kho_tracker_begin() and kho_tracker_end(), and only
 * those; unpreserving removes them; kho_tracker_preserve() preserves the
 * tracker's own pages and kho_tracker_unpreserve() takes that back. The
 * next kernel's side (kho_tracker_release()) is tested across a kexec
 * (tests/common/unknown.c, tests/shmem/corrupt.c).
 */
#include <kunit/test.h>
#include <linux/completion.h>
#include <linux/gfp.h>
#include <linux/kexec_handover.h>
#include <linux/kthread.h>
#include <linux/mm.h>

#define NR_PAGES 4

static int count_key(unsigned long key, void *data)
{
	(*(unsigned long *)data)++;
	return 0;
}

/* Number of blocks @t holds. */
static unsigned long tracked(struct kho_tracker *t)
{
	const struct kho_radix_walk_cb cb = { .leaf = count_key };
	unsigned long n = 0;

	kho_radix_walk_tree(&t->tree, &cb, &n);
	return n;
}

static int node_preserved(phys_addr_t phys, void *data)
{
	if (kho_is_preserved(phys, 0))
		(*(unsigned long *)data)++;
	return 0;
}

static int count_node(phys_addr_t phys, void *data)
{
	(*(unsigned long *)data)++;
	return 0;
}

static int kho_tracker_test_init(struct kunit *test)
{
	if (!kho_is_enabled())
		kunit_skip(test, "KHO is disabled (kho=on)");
	return 0;
}

static struct page *preserved_page(struct kunit *test)
{
	struct page *page = alloc_page(GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, page);
	KUNIT_ASSERT_EQ(test, kho_preserve_pages(page, 1), 0);
	return page;
}

static void release_page(struct page *page)
{
	kho_unpreserve_pages(page, 1);
	__free_page(page);
}

/* Inside the window every block is recorded, outside none; unpreserve removes. */
static void kho_tracker_records_window(struct kunit *test)
{
	struct page *in[NR_PAGES], *out;
	struct folio *folio;
	struct kho_tracker t;
	int i;

	KUNIT_ASSERT_EQ(test, kho_tracker_init(&t), 0);
	out = preserved_page(test);

	kho_tracker_begin(&t);
	for (i = 0; i < NR_PAGES; i++)
		in[i] = preserved_page(test);
	folio = folio_alloc(GFP_KERNEL, 2);
	KUNIT_ASSERT_NOT_NULL(test, folio);
	KUNIT_EXPECT_EQ(test, kho_preserve_folio(folio), 0);
	kho_tracker_end(&t);
	KUNIT_EXPECT_EQ(test, tracked(&t), NR_PAGES + 1);
	KUNIT_EXPECT_TRUE(test, kho_is_preserved(page_to_phys(in[0]), 0));

	/* Unpreserved outside the window: the record keeps it. */
	release_page(in[0]);
	KUNIT_EXPECT_EQ(test, tracked(&t), NR_PAGES + 1);

	/* Unpreserved inside: gone from the record too. */
	kho_tracker_begin(&t);
	for (i = 1; i < NR_PAGES; i++)
		release_page(in[i]);
	kho_unpreserve_folio(folio);
	kho_tracker_end(&t);
	folio_put(folio);
	KUNIT_EXPECT_EQ(test, tracked(&t), 1);

	release_page(out);
	kho_tracker_destroy(&t);
}

struct other_task {
	struct completion done;
	struct page *page;
};

static int preserve_from_other_task(void *data)
{
	struct other_task *o = data;

	o->page = alloc_page(GFP_KERNEL);
	if (o->page && kho_preserve_pages(o->page, 1)) {
		__free_page(o->page);
		o->page = NULL;
	}
	complete(&o->done);
	return 0;
}

/* What another task preserves meanwhile is not the tracker's. */
static void kho_tracker_only_its_task(struct kunit *test)
{
	struct other_task o = {};
	struct task_struct *task;
	struct kho_tracker t;
	struct page *mine;

	init_completion(&o.done);
	KUNIT_ASSERT_EQ(test, kho_tracker_init(&t), 0);
	kho_tracker_begin(&t);
	task = kthread_run(preserve_from_other_task, &o, "kho_tracker_test");
	if (IS_ERR(task)) {
		kho_tracker_end(&t);
		kho_tracker_destroy(&t);
		KUNIT_FAIL(test, "kthread_run: %pe", task);
		return;
	}
	wait_for_completion(&o.done);
	mine = preserved_page(test);
	kho_tracker_end(&t);

	KUNIT_ASSERT_NOT_NULL(test, o.page);
	KUNIT_EXPECT_TRUE(test, kho_is_preserved(page_to_phys(o.page), 0));
	KUNIT_EXPECT_EQ(test, tracked(&t), 1);

	release_page(o.page);
	kho_tracker_begin(&t);
	release_page(mine);
	kho_tracker_end(&t);
	KUNIT_EXPECT_EQ(test, tracked(&t), 0);
	kho_tracker_destroy(&t);
}

/* The record's own pages: preserved for the next kernel, and taken back. */
static void kho_tracker_preserves_its_pages(struct kunit *test)
{
	const struct kho_radix_walk_cb nodes = { .node = count_node };
	const struct kho_radix_walk_cb kept = { .node = node_preserved };
	unsigned long nr_nodes = 0, nr_kept = 0;
	struct kho_tracker t;
	struct page *page;
	phys_addr_t root = 0;

	KUNIT_ASSERT_EQ(test, kho_tracker_init(&t), 0);
	kho_tracker_begin(&t);
	page = preserved_page(test);
	kho_tracker_end(&t);

	kho_radix_walk_tree(&t.tree, &nodes, &nr_nodes);
	KUNIT_EXPECT_GT(test, nr_nodes, 1);
	KUNIT_EXPECT_EQ(test, kho_tracker_preserve(&t, &root), 0);
	KUNIT_EXPECT_NE(test, root, 0);
	kho_radix_walk_tree(&t.tree, &kept, &nr_kept);
	KUNIT_EXPECT_EQ(test, nr_kept, nr_nodes);
	KUNIT_EXPECT_TRUE(test, kho_is_preserved(root, 0));

	kho_tracker_unpreserve(&t);
	nr_kept = 0;
	kho_radix_walk_tree(&t.tree, &kept, &nr_kept);
	KUNIT_EXPECT_EQ(test, nr_kept, 0);
	/* What it recorded is not touched. */
	KUNIT_EXPECT_TRUE(test, kho_is_preserved(page_to_phys(page), 0));
	KUNIT_EXPECT_EQ(test, tracked(&t), 1);

	/* Preserved again and destroyed: its pages are not left preserved. */
	KUNIT_EXPECT_EQ(test, kho_tracker_preserve(&t, &root), 0);
	kho_tracker_destroy(&t);
	KUNIT_EXPECT_FALSE(test, kho_is_preserved(root, 0));
	release_page(page);
}

static struct kunit_case kho_tracker_cases[] = {
	KUNIT_CASE(kho_tracker_records_window),
	KUNIT_CASE(kho_tracker_only_its_task),
	KUNIT_CASE(kho_tracker_preserves_its_pages),
	{}
};

static struct kunit_suite kho_tracker_suite = {
	.name = "kho_tracker",
	.init = kho_tracker_test_init,
	.test_cases = kho_tracker_cases,
};

kunit_test_suite(kho_tracker_suite);

MODULE_DESCRIPTION("KUnit tests for KHO trackers");
MODULE_LICENSE("GPL");
