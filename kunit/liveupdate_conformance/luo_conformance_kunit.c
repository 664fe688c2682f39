// SPDX-License-Identifier: GPL-2.0
/*
 * luo_conformance: generic KUnit cases every LUO file handler must pass.
 *
 * A handler supplies one struct luo_cf_handler (linux/liveupdate_conformance.h)
 * and is listed in lcf_handlers[] below; every case runs once per listed
 * handler (KUNIT_ARRAY_PARAM). A case needing a capability or hook the
 * handler does not have is skipped, as is a handler whose memory is not
 * available on this boot (no huge pages of its size) unless the command line
 * says luo_conformance.require=NAME[,NAME...].
 *
 * The suite drives the handler's ops the way LUO's core does (FLBs first,
 * then .preserve(), ...) without sessions or a kexec; the end-to-end layer
 * (conformance/ in the repository) does the real live update.
 */
#include <kunit/test.h>
#include <linux/falloc.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/initrd.h>
#include <linux/kexec_handover.h>
#include <linux/liveupdate.h>
#include <linux/liveupdate_conformance.h>
#include <linux/memfd.h>
#include <linux/mm.h>
#include <linux/mmzone.h>
#include <linux/module.h>
#include <linux/mount.h>
#include <linux/pagemap.h>
#include <linux/folio_batch.h>
#include <linux/pipe_fs_i.h>
#include <linux/rcupdate.h>
#include <linux/string.h>
#include <linux/vmalloc.h>
#include <linux/vmstat.h>
#include <uapi/linux/fcntl.h>

#include "../luo_internal.h"

#undef MODULE_PARAM_PREFIX
#define MODULE_PARAM_PREFIX "luo_conformance."

static char lcf_select[128] = "all";
module_param_string(handlers, lcf_select, sizeof(lcf_select), 0444);
MODULE_PARM_DESC(handlers,
		 "Handlers to test (comma-separated names, default all); the others skip");

static char lcf_require[128];
module_param_string(require, lcf_require, sizeof(lcf_require), 0444);
MODULE_PARM_DESC(require,
		 "Handlers (comma-separated names) that must be available: their skips become failures");

/* Step 2 of adding a handler: list its descriptor here. */
static const struct luo_cf_handler * const lcf_handlers[] = {
#ifdef CONFIG_LIVEUPDATE_MEMFD
	&memfd_luo_cf_shmem,
#endif
#ifdef CONFIG_LIVEUPDATE_MEMFD_HUGETLB
	&memfd_hugetlb_luo_cf_2m,
	&memfd_hugetlb_luo_cf_1g,
#endif
#ifdef CONFIG_LIVEUPDATE_EVENTFD
	&eventfd_luo_cf,
#endif
};

static void lcf_param_desc(const struct luo_cf_handler * const *h, char *desc)
{
	strscpy(desc, (*h)->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(lcf, lcf_handlers, lcf_param_desc);

/* Rounds of preserve/unpreserve in the memory case, and the slack allowed. */
#define LCF_ROUNDS		32
#define LCF_SLACK_PAGES		16L
#define LCF_WINDOWS		3
/* Upper bound on injection points tried before giving up. */
#define LCF_MAX_STEPS		4096

/* Is @name an element of the comma-separated @list? */
static bool lcf_listed(const char *list, const char *name)
{
	size_t len = strlen(name);
	const char *p = list;

	while ((p = strstr(p, name))) {
		bool start = p == list || p[-1] == ',';
		bool end = p[len] == '\0' || p[len] == ',';

		if (start && end)
			return true;
		p += len;
	}
	return false;
}

static bool lcf_required(const struct luo_cf_handler *h)
{
	return lcf_listed(lcf_require, h->name);
}

static const struct luo_cf_handler *lcf_handler(struct kunit *test)
{
	const struct luo_cf_handler *h =
		*(const struct luo_cf_handler * const *)test->param_value;

	if (strcmp(lcf_select, "all") && !lcf_listed(lcf_select, h->name))
		kunit_skip(test, "%s: not selected (luo_conformance.handlers=%s)",
			   h->name, lcf_select);
	if (!liveupdate_enabled())
		kunit_skip(test, "live update is disabled on this boot");
	return h;
}

/* ---------------------------------------------------------------------- */
/* Test files and their preservation                                       */
/* ---------------------------------------------------------------------- */

/* One test file; the cleanup action unpreserves and closes it if needed. */
struct lcf_file {
	const struct luo_cf_handler *h;
	struct file *file;
	size_t size;
	u64 seed;
	struct liveupdate_file_op_args args;
	bool preserved;
};

static void lcf_close(struct file *file)
{
	fput(file);
	/* Kernel threads defer the last fput(): finish it now. */
	flush_delayed_fput();
}

static int lcf_preserve(struct lcf_file *f)
{
	struct liveupdate_file_handler *fh = f->h->handler;
	int err;

	/* What luo_preserve_file() does around the handler. */
	err = luo_flb_file_preserve(fh);
	if (err)
		return err;
	memset(&f->args, 0, sizeof(f->args));
	f->args.handler = fh;
	f->args.file = f->file;
	err = fh->ops->preserve(&f->args);
	if (err) {
		luo_flb_file_unpreserve(fh);
		return err;
	}
	f->preserved = true;
	return 0;
}

static void lcf_unpreserve(struct lcf_file *f)
{
	struct liveupdate_file_handler *fh = f->h->handler;

	fh->ops->unpreserve(&f->args);
	luo_flb_file_unpreserve(fh);
	f->preserved = false;
}

static void lcf_file_release(void *data)
{
	struct lcf_file *f = data;

	if (f->preserved)
		lcf_unpreserve(f);
	lcf_close(f->file);
}

static struct lcf_file *lcf_make(struct kunit *test,
				 const struct luo_cf_handler *h,
				 unsigned int units, u64 seed)
{
	struct lcf_file *f = kunit_kzalloc(test, sizeof(*f), GFP_KERNEL);
	struct file *file;
	size_t size = units * h->unit;

	KUNIT_ASSERT_NOT_NULL(test, f);
	file = h->create(h, size, seed);
	if (IS_ERR(file)) {
		long err = PTR_ERR(file);

		if ((err == -ENODEV || err == -ENOSPC) && !lcf_required(h))
			kunit_skip(test, "%s: no %zu-byte file on this boot (%pe)",
				   h->name, size, file);
		KUNIT_FAIL_AND_ABORT(test, "%s: creating a %zu-byte file: %pe%s",
				     h->name, size, file,
				     lcf_required(h) ? " (required)" : "");
	}
	f->h = h;
	f->file = file;
	f->size = size;
	f->seed = seed;
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, lcf_file_release,
							f), 0);
	return f;
}

static void lcf_check_contents(struct kunit *test, struct lcf_file *f)
{
	KUNIT_EXPECT_EQ_MSG(test, f->h->check(f->h, f->file, f->size, f->seed),
			    0, "contents or size of the file changed");
}

/* Size changes: refused while preserved, allowed otherwise. */
static void lcf_check_resize(struct kunit *test, struct lcf_file *f,
			     bool allowed)
{
	loff_t bigger = f->size + f->h->unit;
	int err;

	if (!(f->h->caps & LUO_CF_CAP_SIZE_LOCK))
		return;
	err = vfs_truncate(&f->file->f_path, bigger);
	if (!allowed) {
		KUNIT_EXPECT_EQ_MSG(test, err, -EPERM,
				    "growing a preserved file");
		return;
	}
	KUNIT_EXPECT_EQ_MSG(test, err, 0, "growing a file no longer preserved");
	if (!err)
		KUNIT_EXPECT_EQ(test, vfs_truncate(&f->file->f_path, f->size), 0);
}

/* ---------------------------------------------------------------------- */
/* Folios of the file, KHO preservation, free memory                       */
/* ---------------------------------------------------------------------- */

struct lcf_folio {
	struct folio *folio;
	unsigned long pfn;
	unsigned int order;
	pgoff_t index;
	int refs;
};

struct lcf_snap {
	struct lcf_folio *f;
	unsigned long nr;
};

/* The folios of the file's page cache and their reference counts. */
static void lcf_snapshot(struct kunit *test, struct lcf_file *f,
			 struct lcf_snap *s)
{
	/* Folios are at least one unit each. */
	unsigned long max = DIV_ROUND_UP(f->size, f->h->unit);
	pgoff_t last = DIV_ROUND_UP(f->size, PAGE_SIZE) - 1;
	struct folio_batch fbatch;
	pgoff_t next = 0;
	unsigned int i, nr;

	s->nr = 0;
	s->f = kunit_kcalloc(test, max ?: 1, sizeof(*s->f), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, s->f);
	if (!max)
		return;
	folio_batch_init(&fbatch);
	while ((nr = filemap_get_folios(f->file->f_mapping, &next, last,
					&fbatch))) {
		for (i = 0; i < nr && s->nr < max; i++) {
			struct folio *folio = fbatch.folios[i];

			s->f[s->nr++] = (struct lcf_folio) {
				.folio = folio,
				.pfn = folio_pfn(folio),
				.order = folio_order(folio),
				.index = folio->index,
				/* Minus the reference the batch holds. */
				.refs = folio_ref_count(folio) - 1,
			};
		}
		folio_batch_release(&fbatch);
	}
}

static void lcf_expect_same_folios(struct kunit *test, struct lcf_file *f,
				   const struct lcf_snap *before,
				   const char *when)
{
	struct lcf_snap now;
	unsigned long i;

	lcf_snapshot(test, f, &now);
	KUNIT_ASSERT_EQ_MSG(test, now.nr, before->nr,
			    "%s: number of folios in the file", when);
	for (i = 0; i < now.nr; i++) {
		KUNIT_EXPECT_PTR_EQ_MSG(test, now.f[i].folio, before->f[i].folio,
					"%s: folio %lu replaced", when, i);
		KUNIT_EXPECT_EQ_MSG(test, now.f[i].refs, before->f[i].refs,
				    "%s: references of folio %lu (index %lu)",
				    when, i, now.f[i].index);
	}
}

static void lcf_expect_folios_unpreserved(struct kunit *test,
					  const struct lcf_snap *s)
{
	unsigned long i;

	for (i = 0; i < s->nr; i++)
		KUNIT_EXPECT_FALSE_MSG(test,
				       kho_is_preserved(PFN_PHYS(s->f[i].pfn),
							s->f[i].order),
				       "folio %lu still preserved", i);
}

/* Blocks reported by the handler's visit hook. */
struct lcf_blocks {
	struct kunit *test;
	struct luo_cf_block *b;
	unsigned long nr, cap;
};

static int lcf_collect(void *ctx, const struct luo_cf_block *b)
{
	struct lcf_blocks *bl = ctx;

	if (bl->nr == bl->cap) {
		unsigned long cap = bl->cap ? bl->cap * 2 : 64;
		struct luo_cf_block *n;

		n = kunit_kmalloc_array(bl->test, cap, sizeof(*n), GFP_KERNEL);
		if (!n)
			return -ENOMEM;
		if (bl->nr)
			memcpy(n, bl->b, bl->nr * sizeof(*n));
		kunit_kfree(bl->test, bl->b);
		bl->b = n;
		bl->cap = cap;
	}
	bl->b[bl->nr++] = *b;
	return 0;
}

static void lcf_visit(struct kunit *test, struct lcf_file *f,
		      struct lcf_blocks *bl)
{
	*bl = (struct lcf_blocks) { .test = test };
	KUNIT_ASSERT_EQ(test, f->h->visit(f->h, &f->args, lcf_collect, bl), 0);
}

/* Every block the serialized state points at is preserved with its order. */
static void lcf_expect_blocks(struct kunit *test, const struct lcf_blocks *bl,
			      bool preserved)
{
	unsigned long i, wrong = 0;

	for (i = 0; i < bl->nr; i++) {
		if (kho_is_preserved(bl->b[i].phys, bl->b[i].order) == preserved)
			continue;
		if (!wrong++)
			KUNIT_FAIL(test, "block %lu (phys %pa order %u index %lld) %s",
				   i, &bl->b[i].phys, bl->b[i].order,
				   (long long)bl->b[i].index,
				   preserved ? "not preserved" :
					       "still preserved after unpreserve");
	}
	KUNIT_EXPECT_EQ_MSG(test, wrong, 0, "of %lu blocks", bl->nr);
}

/* The file-data blocks are exactly the file's folios. */
static void lcf_expect_blocks_are_folios(struct kunit *test,
					 const struct lcf_blocks *bl,
					 const struct lcf_snap *s)
{
	unsigned long i, j = 0;

	for (i = 0; i < bl->nr; i++) {
		const struct luo_cf_block *b = &bl->b[i];

		if (b->index == LUO_CF_METADATA)
			continue;
		if (j >= s->nr) {
			KUNIT_FAIL(test, "block at index %llu: the file has no more folios",
				   b->index);
			return;
		}
		KUNIT_EXPECT_EQ_MSG(test, b->index, (u64)s->f[j].index,
				    "data block %lu", j);
		KUNIT_EXPECT_EQ_MSG(test, b->phys, PFN_PHYS(s->f[j].pfn),
				    "data block %lu (index %lu)", j, s->f[j].index);
		KUNIT_EXPECT_EQ_MSG(test, b->order, s->f[j].order,
				    "data block %lu (index %lu)", j, s->f[j].index);
		j++;
	}
	KUNIT_EXPECT_EQ_MSG(test, j, s->nr, "folios of the file not in the serialized state");
}

/*
 * Free pages including the per-CPU lists, which hide recently freed pages,
 * after deferred frees: RCU callbacks, and lazily purged vmalloc areas
 * (which keep their KASAN shadow pages until purged).
 */
static long lcf_free_pages(void)
{
	struct zone *zone;
	long free;
	int cpu;

	rcu_barrier();
	vm_unmap_aliases();
	free = global_zone_page_state(NR_FREE_PAGES);

	for_each_populated_zone(zone)
		for_each_online_cpu(cpu)
			free += READ_ONCE(per_cpu_ptr(zone->per_cpu_pageset,
						      cpu)->count);
	return free;
}

/*
 * Under KASAN freed objects wait in a quarantine of up to 1/32 of memory,
 * so free pages drift down by about half a page per preserve/unpreserve
 * round (measured; flat without KASAN). There the page count proves
 * nothing: the cases that count pages skip (kmemleak, on the same debug
 * kernel, checks for leaked objects instead).
 */
static void lcf_skip_unless_pages_exact(struct kunit *test)
{
	if (IS_ENABLED(CONFIG_KASAN))
		kunit_skip(test, "KASAN quarantine hides freed pages; kmemleak checks leaks");
}

/*
 * pin + preserve may move folios out of movable memory (KHO scratch is
 * CMA), which changes the file's folios once. Do that before snapshots.
 */
static void lcf_settle(struct kunit *test, struct lcf_file *f)
{
	KUNIT_ASSERT_EQ(test, lcf_preserve(f), 0);
	lcf_unpreserve(f);
}

/*
 * After unpreserve: no block of the serialized state (@bl, visited while
 * preserved) is preserved, the file has the folios and references of
 * @before, its contents, and can be resized again.
 */
static void lcf_expect_clean(struct kunit *test, struct lcf_file *f,
			     const struct lcf_blocks *bl,
			     const struct lcf_snap *before, const char *when)
{
	if (f->h->visit)
		lcf_expect_blocks(test, bl, false);
	if (f->h->caps & LUO_CF_CAP_FOLIOS) {
		lcf_expect_same_folios(test, f, before, when);
		lcf_expect_folios_unpreserved(test, before);
	}
	lcf_check_contents(test, f);
	lcf_check_resize(test, f, true);
}

/* ---------------------------------------------------------------------- */
/* Cases                                                                   */
/* ---------------------------------------------------------------------- */

static void lcf_can_preserve_own(struct kunit *test)
{
	const struct luo_cf_handler *h = lcf_handler(test);
	struct lcf_file *f = lcf_make(test, h, 1, 1);
	struct lcf_file *e = lcf_make(test, h, 0, 2);

	KUNIT_EXPECT_TRUE(test, h->handler->ops->can_preserve(h->handler, f->file));
	KUNIT_EXPECT_TRUE_MSG(test,
			      h->handler->ops->can_preserve(h->handler, e->file),
			      "an empty file");
}

static void lcf_can_preserve_rejects_pipe(struct kunit *test)
{
	const struct luo_cf_handler *h = lcf_handler(test);
	struct file *pipe[2];

	KUNIT_ASSERT_EQ(test, create_pipe_files(pipe, 0), 0);
	KUNIT_EXPECT_FALSE(test, h->handler->ops->can_preserve(h->handler, pipe[0]));
	KUNIT_EXPECT_FALSE(test, h->handler->ops->can_preserve(h->handler, pipe[1]));
	lcf_close(pipe[0]);
	lcf_close(pipe[1]);
}

/* A named (linked) file in a private tmpfs mount. */
static void lcf_can_preserve_rejects_tmpfs(struct kunit *test)
{
	const struct luo_cf_handler *h = lcf_handler(test);
	struct file_system_type *type = get_fs_type("tmpfs");
	struct vfsmount *mnt;
	struct file *file;

	if (!type)
		kunit_skip(test, "no tmpfs in this kernel");
	mnt = kern_mount(type);
	put_filesystem(type);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, mnt);
	file = file_open_root_mnt(mnt, "luo-conformance", O_CREAT | O_RDWR, 0600);
	if (IS_ERR(file)) {
		kern_unmount(mnt);
		KUNIT_FAIL_AND_ABORT(test, "creating a tmpfs file: %pe", file);
	}
	KUNIT_EXPECT_FALSE(test, h->handler->ops->can_preserve(h->handler, file));
	lcf_close(file);
	kern_unmount(mnt);
}

static void lcf_can_preserve_rejects_others(struct kunit *test)
{
	const struct luo_cf_handler *h = lcf_handler(test);
	unsigned int i, tried = 0;

	for (i = 0; i < ARRAY_SIZE(lcf_handlers); i++) {
		const struct luo_cf_handler *o = lcf_handlers[i];
		struct file *file;

		/* Several descriptors can share one handler (page sizes). */
		if (o->handler == h->handler)
			continue;
		file = o->create(o, 0, 3);
		if (IS_ERR(file)) {
			kunit_info(test, "%s: no %s file on this boot (%pe)",
				   h->name, o->name, file);
			continue;
		}
		KUNIT_EXPECT_FALSE_MSG(test,
				       h->handler->ops->can_preserve(h->handler, file),
				       "%s accepts a %s file", h->name, o->name);
		lcf_close(file);
		tried++;
	}
	if (!tried)
		kunit_skip(test, "no file of another handler available");
}

/*
 * preserve -> unpreserve: while preserved every block of the serialized
 * state is preserved and the size is locked; afterwards no block is, the
 * folios have their old references and the file is intact and resizable.
 */
static void lcf_preserve_unpreserve(struct kunit *test)
{
	const struct luo_cf_handler *h = lcf_handler(test);
	struct lcf_file *f = lcf_make(test, h, min(h->max_units, 8U), 4);
	struct lcf_blocks bl = {};
	struct lcf_snap before;

	if (h->caps & LUO_CF_CAP_FOLIOS) {
		lcf_settle(test, f);
		lcf_snapshot(test, f, &before);
	}
	KUNIT_ASSERT_EQ(test, lcf_preserve(f), 0);
	if (h->visit) {
		lcf_visit(test, f, &bl);
		lcf_expect_blocks(test, &bl, true);
	}
	lcf_check_resize(test, f, false);
	lcf_check_contents(test, f);

	lcf_unpreserve(f);
	lcf_expect_clean(test, f, &bl, &before, "after unpreserve");
}

/* preserve -> freeze -> unfreeze -> unpreserve, position refreshed at freeze. */
static void lcf_freeze_unfreeze(struct kunit *test)
{
	const struct luo_cf_handler *h = lcf_handler(test);
	const struct liveupdate_file_ops *ops = h->handler->ops;
	struct lcf_file *f;
	struct lcf_blocks bl = {};
	struct lcf_snap before;

	if (!ops->freeze)
		kunit_skip(test, "%s: handler has no freeze", h->name);
	f = lcf_make(test, h, min(h->max_units, 4U), 5);
	if (h->caps & LUO_CF_CAP_FOLIOS) {
		lcf_settle(test, f);
		lcf_snapshot(test, f, &before);
	}
	vfs_setpos(f->file, 1, MAX_LFS_FILESIZE);
	KUNIT_ASSERT_EQ(test, lcf_preserve(f), 0);

	/* The position may still move between preserve and freeze. */
	vfs_setpos(f->file, f->size + 12345, MAX_LFS_FILESIZE);
	KUNIT_ASSERT_EQ(test, ops->freeze(&f->args), 0);
	if (h->check_serialized)
		KUNIT_EXPECT_EQ_MSG(test, h->check_serialized(h, &f->args), 0,
				    "serialized state after freeze");
	if (h->visit) {
		lcf_visit(test, f, &bl);
		lcf_expect_blocks(test, &bl, true);
	}
	if (ops->unfreeze)
		ops->unfreeze(&f->args);
	lcf_unpreserve(f);
	lcf_expect_clean(test, f, &bl, &before, "after unfreeze + unpreserve");
}

/*
 * preserve -> unpreserve -> preserve again: each preserve gives a state that
 * describes the file and is preserved, and each unpreserve releases it.
 */
static void lcf_preserve_again(struct kunit *test)
{
	const struct luo_cf_handler *h = lcf_handler(test);
	struct lcf_file *f = lcf_make(test, h, min(h->max_units, 2U), 12);
	struct lcf_blocks bl = {};
	int round;

	for (round = 0; round < 2; round++) {
		KUNIT_ASSERT_EQ_MSG(test, lcf_preserve(f), 0, "preserve %d", round);
		KUNIT_EXPECT_NE(test, f->args.serialized_data, 0);
		if (h->check_serialized)
			KUNIT_EXPECT_EQ_MSG(test, h->check_serialized(h, &f->args),
					    0, "serialized state of preserve %d",
					    round);
		if (h->visit) {
			lcf_visit(test, f, &bl);
			lcf_expect_blocks(test, &bl, true);
		}
		lcf_check_contents(test, f);
		lcf_unpreserve(f);
		if (h->visit)
			lcf_expect_blocks(test, &bl, false);
		lcf_check_contents(test, f);
		lcf_check_resize(test, f, true);
	}
}

/*
 * Whatever the file's owner does, the state after freeze describes the
 * file: a change made before freeze is in it, a change after freeze is
 * carried or refused, and after unfreeze (the kexec did not happen) the
 * file takes changes again and the next freeze carries them.
 */
static void lcf_change_around_freeze(struct kunit *test)
{
	const struct luo_cf_handler *h = lcf_handler(test);
	const struct liveupdate_file_ops *ops = h->handler->ops;
	struct lcf_file *f;
	int err;

	if (!h->mutate)
		kunit_skip(test, "%s: no .mutate hook to change the file", h->name);
	if (!ops->freeze || !ops->unfreeze)
		kunit_skip(test, "%s: handler has no freeze and unfreeze", h->name);
	if (!h->check_serialized)
		kunit_skip(test, "%s: no .check_serialized hook", h->name);
	f = lcf_make(test, h, min(h->max_units, 4U), 25);
	KUNIT_ASSERT_EQ(test, lcf_preserve(f), 0);
	KUNIT_EXPECT_EQ_MSG(test, h->mutate(h, f->file), 0,
			    "a change while preserved, before freeze");
	KUNIT_ASSERT_EQ(test, ops->freeze(&f->args), 0);
	KUNIT_EXPECT_EQ_MSG(test, h->check_serialized(h, &f->args), 0,
			    "the state after freeze lacks a change made before it");
	err = h->mutate(h, f->file);
	KUNIT_EXPECT_EQ_MSG(test, h->check_serialized(h, &f->args), 0,
			    "a change after freeze (%s: %d) is neither refused nor carried",
			    err ? "refused" : "accepted", err);
	ops->unfreeze(&f->args);
	KUNIT_EXPECT_EQ_MSG(test, h->mutate(h, f->file), 0,
			    "a change after unfreeze");
	KUNIT_ASSERT_EQ(test, ops->freeze(&f->args), 0);
	KUNIT_EXPECT_EQ_MSG(test, h->check_serialized(h, &f->args), 0,
			    "the second freeze lacks a change made after unfreeze");
	ops->unfreeze(&f->args);
	lcf_unpreserve(f);
	KUNIT_EXPECT_EQ_MSG(test, h->mutate(h, f->file), 0,
			    "a change after unpreserve");
}

static void lcf_get_id(struct kunit *test)
{
	const struct luo_cf_handler *h = lcf_handler(test);
	unsigned long (*get_id)(struct file *) = h->handler->ops->get_id;
	struct lcf_file *a, *b;
	unsigned long id;

	if (!get_id)
		kunit_skip(test, "%s: no get_id (LUO uses the struct file)", h->name);
	a = lcf_make(test, h, 1, 6);
	b = lcf_make(test, h, 0, 7);
	id = get_id(a->file);
	KUNIT_EXPECT_EQ(test, get_id(a->file), id);
	KUNIT_EXPECT_NE_MSG(test, get_id(b->file), id, "two files, one id");

	KUNIT_ASSERT_EQ(test, lcf_preserve(a), 0);
	KUNIT_EXPECT_EQ_MSG(test, get_id(a->file), id, "while preserved");
	lcf_unpreserve(a);
	KUNIT_EXPECT_EQ_MSG(test, get_id(a->file), id, "after unpreserve");
}

/*
 * The serialized state matches the file (size, position, seals), is itself
 * preserved, and its data blocks are exactly the file's folios.
 */
static void lcf_serialized(struct kunit *test)
{
	const struct luo_cf_handler *h = lcf_handler(test);
	struct lcf_file *f = lcf_make(test, h, min(h->max_units, 8U), 8);
	struct lcf_blocks bl;
	struct lcf_snap now;
	unsigned long i;
	bool self = false;

	if (!h->visit)
		kunit_skip(test, "%s: no visit hook", h->name);
	if (h->caps & LUO_CF_CAP_SEALS)
		KUNIT_ASSERT_EQ(test, memfd_add_seals(f->file, F_SEAL_SHRINK |
						      F_SEAL_GROW), 0);
	if (h->caps & LUO_CF_CAP_POSITION)
		vfs_setpos(f->file, f->size / 2 + 3, MAX_LFS_FILESIZE);
	KUNIT_ASSERT_EQ(test, lcf_preserve(f), 0);
	KUNIT_EXPECT_NE(test, f->args.serialized_data, 0);
	if (h->check_serialized)
		KUNIT_EXPECT_EQ(test, h->check_serialized(h, &f->args), 0);

	lcf_visit(test, f, &bl);
	lcf_expect_blocks(test, &bl, true);
	for (i = 0; i < bl.nr; i++)
		self |= bl.b[i].index == LUO_CF_METADATA &&
			bl.b[i].phys == f->args.serialized_data;
	KUNIT_EXPECT_TRUE_MSG(test, self,
			      "serialized_data %#llx is not a reported block",
			      f->args.serialized_data);
	if (h->caps & LUO_CF_CAP_FOLIOS) {
		lcf_snapshot(test, f, &now);
		lcf_expect_blocks_are_folios(test, &bl, &now);
	}
	lcf_unpreserve(f);
	lcf_expect_blocks(test, &bl, false);
}

/* A 0-byte file preserves and unpreserves, pointing at no file data. */
static void lcf_empty_file(struct kunit *test)
{
	const struct luo_cf_handler *h = lcf_handler(test);
	struct lcf_file *f = lcf_make(test, h, 0, 9);
	struct lcf_blocks bl = {};
	unsigned long i;

	KUNIT_ASSERT_EQ(test, lcf_preserve(f), 0);
	if (h->check_serialized)
		KUNIT_EXPECT_EQ(test, h->check_serialized(h, &f->args), 0);
	if (h->visit) {
		lcf_visit(test, f, &bl);
		lcf_expect_blocks(test, &bl, true);
		for (i = 0; i < bl.nr; i++)
			KUNIT_EXPECT_EQ_MSG(test, bl.b[i].index, LUO_CF_METADATA,
					    "data block %lu in an empty file", i);
	}
	lcf_unpreserve(f);
	if (h->visit)
		lcf_expect_blocks(test, &bl, false);
	lcf_check_contents(test, f);
}

/*
 * Repeated preserve/unpreserve gives back all memory. @pages: count free
 * pages (per-CPU lists included) over windows of rounds; otherwise the
 * handler's own pool (free units) and the contents are checked.
 */
static void lcf_rounds(struct kunit *test, bool pages)
{
	const struct luo_cf_handler *h = lcf_handler(test);
	struct lcf_file *f = lcf_make(test, h, h->max_units, 10);
	unsigned long units = 0;
	long free0 = 0, free1 = 0;
	int i, w;

	/* Warm up: page-cache migration, KHO tracker nodes, slab pages. */
	lcf_settle(test, f);
	lcf_settle(test, f);
	if (h->free_units)
		units = h->free_units(h);
	/*
	 * A leak shows in every window of LCF_ROUNDS rounds; other activity of
	 * a booting kernel (rare, measured up to 26 pages once) does not.
	 */
	for (w = 0; w < (pages ? LCF_WINDOWS : 1); w++) {
		free0 = lcf_free_pages();
		for (i = 0; i < LCF_ROUNDS; i++) {
			KUNIT_ASSERT_EQ(test, lcf_preserve(f), 0);
			lcf_unpreserve(f);
		}
		free1 = lcf_free_pages();
		if (free0 - free1 <= LCF_SLACK_PAGES)
			break;
		if (pages)
			kunit_info(test, "window %d: %d rounds lost %ld pages\n", w,
				   LCF_ROUNDS, free0 - free1);
	}
	if (pages)
		KUNIT_EXPECT_LE_MSG(test, free0 - free1, LCF_SLACK_PAGES,
				    "%d windows of %d rounds of a %zu-byte file each lost pages, the last %ld",
				    LCF_WINDOWS, LCF_ROUNDS, f->size, free0 - free1);
	if (h->free_units)
		KUNIT_EXPECT_EQ_MSG(test, h->free_units(h), units,
				    "free units of the handler's pool");
	lcf_check_contents(test, f);
}

/* The handler's pool and the file's contents after many rounds. */
static void lcf_no_memory_behind(struct kunit *test)
{
	lcf_rounds(test, false);
}

/* Free pages after many rounds (skipped under KASAN). */
static void lcf_no_pages_behind(struct kunit *test)
{
	lcf_skip_unless_pages_exact(test);
	lcf_rounds(test, true);
}

/*
 * Fail each fallible step of preserve in turn: preserve returns an error,
 * and the file, its folios, KHO and the handler's pool are as before;
 * with @pages, free memory is too, after every step and in total.
 */
static void lcf_inject_steps(struct kunit *test, bool pages)
{
	const struct luo_cf_handler *h = lcf_handler(test);
	unsigned long units = 0;
	struct lcf_snap before;
	struct lcf_file *f;
	unsigned int n, ran = 0;
	long free0, free1;

	if (!h->inject)
		kunit_skip(test, "%s: no fault injection hook", h->name);
	f = lcf_make(test, h, min(h->max_units, 4U), 11);
	lcf_settle(test, f);
	lcf_settle(test, f);
	if (h->caps & LUO_CF_CAP_FOLIOS)
		lcf_snapshot(test, f, &before);
	if (h->free_units)
		units = h->free_units(h);
	free0 = lcf_free_pages();

	for (n = 1; n <= LCF_MAX_STEPS; n++) {
		long step_free = lcf_free_pages();
		int err;

		h->inject(n);
		err = lcf_preserve(f);
		ran = h->inject(0);
		if (ran < n) {
			/* Step n does not exist: preserve ran clean. */
			KUNIT_EXPECT_EQ(test, err, 0);
			if (!err)
				lcf_unpreserve(f);
			break;
		}
		KUNIT_EXPECT_LT_MSG(test, err, 0, "step %u failed, preserve succeeded", n);
		if (!err) {
			lcf_unpreserve(f);
			continue;
		}
		if (pages)
			KUNIT_EXPECT_LE_MSG(test, step_free - lcf_free_pages(),
					    LCF_SLACK_PAGES, "step %u: pages lost", n);
		if (h->caps & LUO_CF_CAP_FOLIOS) {
			lcf_expect_same_folios(test, f, &before, "after a failed preserve");
			lcf_expect_folios_unpreserved(test, &before);
		}
		lcf_check_resize(test, f, true);
	}
	KUNIT_EXPECT_LE_MSG(test, n, LCF_MAX_STEPS, "too many fallible steps");
	KUNIT_EXPECT_GT_MSG(test, n, 1U, "no fallible step at all");
	kunit_info(test, "%s: %u fallible steps, each failed once\n", h->name, n - 1);

	free1 = lcf_free_pages();
	if (pages)
		KUNIT_EXPECT_LE_MSG(test, free0 - free1, LCF_SLACK_PAGES,
				    "%u failed preserves lost %ld pages", n - 1,
				    free0 - free1);
	if (h->free_units)
		KUNIT_EXPECT_EQ(test, h->free_units(h), units);
	lcf_check_contents(test, f);
}

static void lcf_inject_each_step(struct kunit *test)
{
	lcf_inject_steps(test, false);
}

/* Free pages after each failed step (skipped under KASAN). */
static void lcf_inject_no_pages_behind(struct kunit *test)
{
	lcf_skip_unless_pages_exact(test);
	lcf_inject_steps(test, true);
}

/* ---------------------------------------------------------------------- */
/* LUO_CF_CAP_SPARSE                                                       */
/* ---------------------------------------------------------------------- */

#define LCF_SPARSE_UNITS 4U

/* A file of LCF_SPARSE_UNITS units whose odd units are holes. */
static struct lcf_file *lcf_make_sparse(struct kunit *test,
					const struct luo_cf_handler *h, u64 seed)
{
	struct lcf_file *f;
	unsigned int u;

	if (!(h->caps & LUO_CF_CAP_SPARSE))
		kunit_skip(test, "%s: no LUO_CF_CAP_SPARSE (no holes, or holes preserved as data)",
			   h->name);
	if (!(h->caps & LUO_CF_CAP_FOLIOS) || !h->visit)
		kunit_skip(test, "%s: LUO_CF_CAP_SPARSE needs LUO_CF_CAP_FOLIOS and .visit",
			   h->name);
	if (h->max_units < LCF_SPARSE_UNITS)
		kunit_skip(test, "%s: needs %u units, may use %u", h->name,
			   LCF_SPARSE_UNITS, h->max_units);
	f = lcf_make(test, h, LCF_SPARSE_UNITS, seed);
	for (u = 1; u < LCF_SPARSE_UNITS; u += 2)
		KUNIT_ASSERT_EQ(test, vfs_fallocate(f->file, FALLOC_FL_PUNCH_HOLE |
						    FALLOC_FL_KEEP_SIZE,
						    u * h->unit, h->unit), 0);
	return f;
}

/* Whether a data block of @bl holds the unit at byte offset @pos. */
static bool lcf_blocks_cover(const struct lcf_blocks *bl, size_t unit,
			     loff_t pos)
{
	u64 index = pos >> PAGE_SHIFT;
	unsigned long i;

	for (i = 0; i < bl->nr; i++)
		if (bl->b[i].index != LUO_CF_METADATA &&
		    index >= bl->b[i].index &&
		    index < bl->b[i].index + (1ULL << bl->b[i].order))
			return true;
	return false;
}

/*
 * Preserve a file with holes: the serialized state names exactly the folios
 * present (none in a hole), preserve takes no memory for the holes (free
 * units of the handler's kind exactly; base pages within the slack, not on
 * KASAN), and unpreserve leaves the file as it was.
 */
static void lcf_sparse_holes_stay(struct kunit *test)
{
	const struct luo_cf_handler *h = lcf_handler(test);
	struct lcf_snap before;
	struct lcf_blocks bl;
	unsigned long units = 0;
	struct lcf_file *f;
	long free0 = 0;
	unsigned int u;

	f = lcf_make_sparse(test, h, 21);
	lcf_settle(test, f);
	lcf_snapshot(test, f, &before);
	KUNIT_ASSERT_EQ_MSG(test, before.nr > 0, true, "no folio left after punching");
	if (h->free_units)
		units = h->free_units(h);
	if (!IS_ENABLED(CONFIG_KASAN))
		free0 = lcf_free_pages();
	KUNIT_ASSERT_EQ(test, lcf_preserve(f), 0);
	if (h->free_units)
		KUNIT_EXPECT_EQ_MSG(test, h->free_units(h), units,
				    "preserve took units for holes");
	if (!IS_ENABLED(CONFIG_KASAN))
		KUNIT_EXPECT_LE_MSG(test, free0 - lcf_free_pages(), LCF_SLACK_PAGES,
				    "preserve took pages (holes: %u units of %zu bytes)",
				    LCF_SPARSE_UNITS / 2, h->unit);
	lcf_visit(test, f, &bl);
	lcf_expect_blocks(test, &bl, true);
	lcf_expect_blocks_are_folios(test, &bl, &before);
	for (u = 1; u < LCF_SPARSE_UNITS; u += 2)
		KUNIT_EXPECT_FALSE_MSG(test, lcf_blocks_cover(&bl, h->unit,
							      u * h->unit),
				       "the hole at unit %u is in the serialized state", u);
	lcf_unpreserve(f);
	lcf_expect_blocks(test, &bl, false);
	lcf_expect_same_folios(test, f, &before, "after unpreserve");
	lcf_expect_folios_unpreserved(test, &before);
}

/* A sparse file for the cases that fill a hole; skips what cannot. */
static struct lcf_file *lcf_fill_file(struct kunit *test, u64 seed,
				      bool unfreeze)
{
	const struct luo_cf_handler *h = lcf_handler(test);
	const struct liveupdate_file_ops *ops = h->handler->ops;
	struct lcf_file *f = lcf_make_sparse(test, h, seed);

	if (!h->fill)
		kunit_skip(test, "%s: no .fill hook to write into a hole", h->name);
	if (!ops->freeze || (unfreeze && !ops->unfreeze))
		kunit_skip(test, "%s: handler has no freeze%s", h->name,
			   unfreeze ? " and unfreeze" : "");
	return f;
}

/*
 * Write the hole at @hole of the preserved @f (state @bl) and freeze: the
 * state then has exactly one data block more, covering the hole, preserved
 * and made of the file's folios; unfreeze and unpreserve release it with
 * the rest.
 */
static void lcf_fill_freeze_unpreserve(struct kunit *test, struct lcf_file *f,
				       const struct lcf_blocks *bl, loff_t hole)
{
	const struct luo_cf_handler *h = lcf_handler(test);
	const struct liveupdate_file_ops *ops = h->handler->ops;
	struct lcf_blocks frozen;
	struct lcf_snap now;

	KUNIT_ASSERT_EQ_MSG(test, h->fill(h, f->file, hole), 0,
			    "a write into a hole before freeze");
	KUNIT_ASSERT_EQ(test, ops->freeze(&f->args), 0);
	lcf_visit(test, f, &frozen);
	lcf_expect_blocks(test, &frozen, true);
	KUNIT_EXPECT_TRUE_MSG(test, lcf_blocks_cover(&frozen, h->unit, hole),
			      "the unit written into a hole is not in the state after freeze");
	KUNIT_EXPECT_EQ(test, frozen.nr, bl->nr + 1);
	if (h->check_serialized)
		KUNIT_EXPECT_EQ_MSG(test, h->check_serialized(h, &f->args), 0,
				    "serialized state after freeze");
	lcf_snapshot(test, f, &now);
	lcf_expect_blocks_are_folios(test, &frozen, &now);
	if (ops->unfreeze)
		ops->unfreeze(&f->args);
	lcf_unpreserve(f);
	lcf_expect_blocks(test, &frozen, false);
	lcf_expect_folios_unpreserved(test, &now);
}

/*
 * Fill a hole of a preserved file: .freeze() adds it to the serialized
 * state (preserved), and unpreserve releases it with the rest.
 */
static void lcf_sparse_fill_after_preserve(struct kunit *test)
{
	const struct luo_cf_handler *h = lcf_handler(test);
	struct lcf_file *f = lcf_fill_file(test, 22, false);
	loff_t hole = 1 * h->unit;
	struct lcf_blocks bl;

	KUNIT_ASSERT_EQ(test, lcf_preserve(f), 0);
	lcf_visit(test, f, &bl);
	KUNIT_EXPECT_FALSE(test, lcf_blocks_cover(&bl, h->unit, hole));
	lcf_fill_freeze_unpreserve(test, f, &bl, hole);
}

/*
 * From freeze on, a hole takes no new unit until unfreeze: a write into one
 * fails with EPERM instead of being accepted and not carried by the kexec.
 * After unfreeze (the kexec did not go on) it succeeds, and the next freeze
 * carries it.
 */
static void lcf_sparse_no_fill_after_freeze(struct kunit *test)
{
	const struct luo_cf_handler *h = lcf_handler(test);
	const struct liveupdate_file_ops *ops = h->handler->ops;
	struct lcf_file *f = lcf_fill_file(test, 23, true);
	loff_t hole = 1 * h->unit;
	struct lcf_blocks bl, frozen;

	KUNIT_ASSERT_EQ(test, lcf_preserve(f), 0);
	KUNIT_ASSERT_EQ(test, ops->freeze(&f->args), 0);
	lcf_visit(test, f, &bl);
	KUNIT_EXPECT_EQ_MSG(test, h->fill(h, f->file, hole), -EPERM,
			    "a write into a hole after freeze");
	lcf_visit(test, f, &frozen);
	KUNIT_EXPECT_EQ(test, frozen.nr, bl.nr);
	KUNIT_EXPECT_FALSE(test, lcf_blocks_cover(&frozen, h->unit, hole));
	ops->unfreeze(&f->args);
	lcf_fill_freeze_unpreserve(test, f, &bl, hole);
}

static struct kunit_case lcf_cases[] = {
	KUNIT_CASE_PARAM(lcf_can_preserve_own, lcf_gen_params),
	KUNIT_CASE_PARAM(lcf_can_preserve_rejects_pipe, lcf_gen_params),
	KUNIT_CASE_PARAM(lcf_can_preserve_rejects_tmpfs, lcf_gen_params),
	KUNIT_CASE_PARAM(lcf_can_preserve_rejects_others, lcf_gen_params),
	KUNIT_CASE_PARAM(lcf_preserve_unpreserve, lcf_gen_params),
	KUNIT_CASE_PARAM(lcf_freeze_unfreeze, lcf_gen_params),
	KUNIT_CASE_PARAM(lcf_preserve_again, lcf_gen_params),
	KUNIT_CASE_PARAM(lcf_change_around_freeze, lcf_gen_params),
	KUNIT_CASE_PARAM(lcf_get_id, lcf_gen_params),
	KUNIT_CASE_PARAM(lcf_serialized, lcf_gen_params),
	KUNIT_CASE_PARAM(lcf_empty_file, lcf_gen_params),
	KUNIT_CASE_PARAM(lcf_no_memory_behind, lcf_gen_params),
	KUNIT_CASE_PARAM(lcf_no_pages_behind, lcf_gen_params),
	KUNIT_CASE_PARAM(lcf_inject_each_step, lcf_gen_params),
	KUNIT_CASE_PARAM(lcf_inject_no_pages_behind, lcf_gen_params),
	KUNIT_CASE_PARAM(lcf_sparse_holes_stay, lcf_gen_params),
	KUNIT_CASE_PARAM(lcf_sparse_fill_after_preserve, lcf_gen_params),
	KUNIT_CASE_PARAM(lcf_sparse_no_fill_after_freeze, lcf_gen_params),
	{}
};

/* Unpacking the initramfs runs in parallel with early KUnit suites. */
static int lcf_suite_init(struct kunit_suite *suite)
{
	wait_for_initramfs();
	return 0;
}

static struct kunit_suite lcf_suite = {
	.name = "luo_conformance",
	.suite_init = lcf_suite_init,
	.test_cases = lcf_cases,
};

kunit_test_suite(lcf_suite);

MODULE_DESCRIPTION("Conformance suite for LUO file handlers");
MODULE_LICENSE("GPL");
