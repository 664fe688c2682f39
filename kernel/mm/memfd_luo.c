// SPDX-License-Identifier: GPL-2.0
/*
 * Live update of shmem-backed memfds, on top of luo_memfd_common.
 *
 * Wire format: memfd-v2 (include/linux/kho/abi/memfd.h), unchanged, so a
 * stock 7.3 kernel and this one can hand memfds to each other both ways.
 */

/**
 * DOC: shmem memfd preservation over live update
 *
 * A shmem memfd (not a named tmpfs file, not HugeTLB) can be handed to the
 * next kernel through a LUO session. What survives:
 *
 * - contents: the same physical folios, of any order, are handed over. Only
 *   pages that hold data are preserved: holes stay holes (they cost no memory
 *   and read as zeros in the next kernel), a page swapped out is read back
 *   in, a page written into a hole after preserve is picked up at freeze(),
 *   and fallocated pages that were never written are zeroed;
 * - size (i_size), file position and seals (only seals in
 *   ``MEMFD_LUO_ALL_SEALS``; others make preservation fail with
 *   ``-EOPNOTSUPP``). Position and seals are taken again at freeze(), so
 *   seals added while preserved are kept; ``F_SEAL_WRITE`` (and
 *   ``F_SEAL_EXEC`` on an executable file, which implies it) cannot be added
 *   while preserved: the folios are pinned, so ``F_ADD_SEALS`` fails with
 *   ``-EBUSY``.
 *
 * While preserved the file keeps working for reads, writes and mmap within its
 * size, but its size cannot change and no range can be punched or allocated
 * (``-EPERM``). Every folio is marked dirty (so the next kernel never drops
 * data it cannot tell apart from clean page cache) and uptodate.
 *
 * What does not survive: ``FD_CLOEXEC``, the memfd's name, ownership, mode
 * (a file with ``F_SEAL_EXEC`` comes back non-executable, like
 * ``MFD_NOEXEC_SEAL``; others come back 0777), timestamps, the memory
 * cgroup of the original owner (folios are charged to the retriever), and
 * any mapping.
 *
 * Everything read back in the next kernel is validated (see
 * lib/luo_memfd_common/); a corrupt file is refused with an error in the
 * kernel log and all its folios are given back to the allocator.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/err.h>
#include <linux/error-injection.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/io.h>
#include <linux/kexec_handover.h>
#include <linux/kho/abi/memfd.h>
#include <linux/liveupdate.h>
#include <linux/luo_memfd_common.h>
#include <linux/memcontrol.h>
#include <linux/memfd.h>
#include <linux/pagemap.h>
#include <linux/shmem_fs.h>
#include <linux/slab.h>
#include <uapi/linux/memfd.h>

#include "internal.h"

#define MEMFD_LUO_FOLIO_FLAGS	(MEMFD_LUO_FOLIO_DIRTY | MEMFD_LUO_FOLIO_UPTODATE)

/* Outgoing runtime state, kept in liveupdate_file_op_args.private_data. */
struct memfd_luo_private {
	struct luo_memfd_out out;
};

/* Called for each pinned folio, before it is preserved. */
static int memfd_luo_prepare_folio(struct folio *folio, void *arg)
{
	folio_lock(folio);
	/*
	 * The folio may be written through a mapping until kexec and the
	 * dirty bit is only collected at unmap, so a flag sampled now could
	 * be stale: declare every folio dirty.
	 */
	folio_mark_dirty(folio);
	/* Fallocated, never used: zero it now rather than in the next kernel. */
	if (!folio_test_uptodate(folio)) {
		folio_zero_range(folio, 0, folio_size(folio));
		flush_dcache_folio(folio);
		folio_mark_uptodate(folio);
	}
	folio_unlock(folio);
	return MEMFD_LUO_FOLIO_FLAGS;
}

static const struct luo_memfd_preserve_ops memfd_luo_preserve_ops = {
	.prepare_folio = memfd_luo_prepare_folio,
};

static int memfd_luo_preserve(struct liveupdate_file_op_args *args)
{
	struct inode *inode = file_inode(args->file);
	struct memfd_luo_private *priv;
	struct memfd_luo_ser *ser;
	int err, seals;

	priv = luo_memfd_inject_step() ? NULL : kzalloc_obj(*priv);
	if (!priv)
		return -ENOMEM;

	inode_lock(inode);
	shmem_freeze(inode, true);

	ser = luo_memfd_inject_step() ? ERR_PTR(-ENOMEM) :
	      kho_alloc_preserve(sizeof(*ser));
	if (IS_ERR(ser)) {
		err = PTR_ERR(ser);
		goto err_unfreeze;
	}

	seals = luo_memfd_file_seals(args->file);
	if (seals < 0) {
		err = seals;
		goto err_free_ser;
	}

	ser->pos = args->file->f_pos;
	ser->size = i_size_read(inode);
	ser->seals = seals;

	err = luo_memfd_preserve_file(args->file, &memfd_luo_preserve_ops, NULL,
				      &ser->folios, &priv->out);
	if (err)
		goto err_free_ser;
	ser->nr_folios = priv->out.nr;
	inode_unlock(inode);

	args->private_data = priv;
	args->serialized_data = virt_to_phys(ser);
	return 0;

err_free_ser:
	kho_unpreserve_free(ser);
err_unfreeze:
	shmem_freeze(inode, false);
	inode_unlock(inode);
	kfree(priv);
	return err;
}

/*
 * A failure here aborts the kexec and costs nothing (tested with
 * fail_function: ALLOW_ERROR_INJECTION below).
 */
static int memfd_luo_freeze(struct liveupdate_file_op_args *args)
{
	struct memfd_luo_private *priv = args->private_data;
	struct memfd_luo_ser *ser;
	int seals, err;

	if (WARN_ON_ONCE(!args->serialized_data))
		return -EINVAL;

	/* Frozen before and the reboot aborted: find the real header. */
	if (priv)
		luo_memfd_test_uncorrupt_data(&priv->out, &args->serialized_data);
	/* The size is frozen; the position and the seals are not. */
	seals = luo_memfd_file_seals(args->file);
	if (seals < 0)
		return seals;
	ser = phys_to_virt(args->serialized_data);
	ser->seals = seals;
	ser->pos = args->file->f_pos;
	if (priv) {
		/* Folios written into holes since preserve join the array. */
		err = luo_memfd_freeze(args->file, &priv->out);
		if (err)
			return err;
		ser->nr_folios = priv->out.nr;
		luo_memfd_test_corrupt_header(&priv->out, &ser->pos, &ser->size,
					      &ser->nr_folios, &ser->seals,
					      &ser->flags);
		luo_memfd_test_corrupt_data(&priv->out, &args->serialized_data);
	}
	return 0;
}
ALLOW_ERROR_INJECTION(memfd_luo_freeze, ERRNO);

/* A kexec that did not go on: holes can be written again. */
static void memfd_luo_unfreeze(struct liveupdate_file_op_args *args)
{
	luo_memfd_unfreeze(args->file);
}

static void memfd_luo_unpreserve(struct liveupdate_file_op_args *args)
{
	struct inode *inode = file_inode(args->file);
	struct memfd_luo_private *priv = args->private_data;

	if (WARN_ON_ONCE(!args->serialized_data || !priv))
		return;

	luo_memfd_test_uncorrupt_data(&priv->out, &args->serialized_data);
	luo_memfd_unfreeze(args->file);
	inode_lock(inode);
	luo_memfd_unpreserve(&priv->out);
	kho_unpreserve_free(phys_to_virt(args->serialized_data));
	shmem_freeze(inode, false);
	inode_unlock(inode);
	kfree(priv);
}

/* Incoming side. */

struct memfd_luo_restore_ctx {
	struct file *file;
	long nr_added;
};

static int memfd_luo_add_folio(struct folio *folio, pgoff_t index, u32 flags,
			       void *arg)
{
	struct memfd_luo_restore_ctx *ctx = arg;
	struct address_space *mapping = ctx->file->f_mapping;
	struct inode *inode = mapping->host;
	gfp_t gfp = mapping_gfp_mask(mapping);
	long npages = folio_nr_pages(folio);
	int err;

	/* Make it look like a folio shmem allocated itself. */
	if (folio_test_large(folio))
		folio_set_large_rmappable(folio);
	__folio_set_locked(folio);
	__folio_set_swapbacked(folio);

	err = mem_cgroup_charge(folio, NULL, gfp);
	if (err)
		goto err_unlock;

	err = shmem_add_to_page_cache(folio, mapping, index, NULL, gfp);
	if (err)
		goto err_uncharge;

	if (flags & MEMFD_LUO_FOLIO_UPTODATE)
		folio_mark_uptodate(folio);
	if (flags & MEMFD_LUO_FOLIO_DIRTY)
		folio_mark_dirty(folio);

	err = shmem_inode_acct_blocks(inode, npages);
	if (err) {
		filemap_remove_folio(folio);
		goto err_uncharge;
	}

	ctx->nr_added += npages;
	folio_add_lru(folio);
	folio_unlock(folio);
	folio_put(folio);
	return 0;

err_uncharge:
	/* As it was given: it may be added again (add_may_retry). */
	mem_cgroup_uncharge(folio);
err_unlock:
	__folio_clear_swapbacked(folio);
	folio_unlock(folio);
	return err;
}

/* Fault injection (fail_function) can make it fail like a full memcg. */
ALLOW_ERROR_INJECTION(memfd_luo_add_folio, ERRNO);

static const struct luo_memfd_restore_ops memfd_luo_restore_ops = {
	.add_folio = memfd_luo_add_folio,
	.add_may_retry = true,
};

static void memfd_luo_in_init(struct luo_memfd_in *in, struct memfd_luo_ser *ser,
			      struct memfd_luo_restore_ctx *ctx)
{
	*in = (struct luo_memfd_in) {
		.desc = &ser->folios,
		.nr = ser->nr_folios,
		.size = ser->size,
		.allowed_flags = MEMFD_LUO_FOLIO_FLAGS,
		.min_order = 0,
		.max_order = MAX_PAGECACHE_ORDER,
		.ops = &memfd_luo_restore_ops,
		.arg = ctx,
		.name = "memfd",
	};
}

static void memfd_luo_finish(struct liveupdate_file_op_args *args)
{
	struct luo_memfd_retrieval *rt = args->private_data;
	struct memfd_luo_ser *ser;
	struct luo_memfd_in in;

	/*
	 * A successful retrieve owns everything; a failed one gave back all
	 * it could. A retrieve that ran out of memory left the rest in @rt.
	 * A never-retrieved file has all its folios to give back.
	 */
	if (args->retrieve_status || !args->serialized_data)
		return;

	if (rt) {
		memfd_luo_in_init(&in, rt->ser, NULL);
		luo_memfd_retrieval_abort(args, rt, &in);
		return;
	}
	ser = luo_memfd_claim_header(args->serialized_data, sizeof(*ser));
	if (!ser) {
		pr_err("serialized data %#llx is not preserved memory\n",
		       args->serialized_data);
		return;
	}
	memfd_luo_in_init(&in, ser, NULL);
	luo_memfd_discard(&in);
	luo_memfd_release_header(ser);
}

/* The new, empty file of @ser (sealed, sized, positioned), or an ERR_PTR. */
static struct file *memfd_luo_new_file(const struct memfd_luo_ser *ser)
{
	unsigned int mfd_flags = MFD_ALLOW_SEALING;
	struct file *file;
	int err;

	/*
	 * The mode is not in memfd-v2. An exec-sealed memfd must not come back
	 * executable (stock 7.3 gives it mode 0777 with F_SEAL_EXEC, so it can
	 * be executed but never chmod'ed): create it the way MFD_NOEXEC_SEAL
	 * does, which also sets F_SEAL_EXEC.
	 */
	if (ser->seals & F_SEAL_EXEC)
		mfd_flags |= MFD_NOEXEC_SEAL;
	file = memfd_alloc_file("", mfd_flags);
	if (IS_ERR(file)) {
		pr_err("failed to set up the file: %pe\n", file);
		return file;
	}

	err = memfd_add_seals(file, ser->seals);
	if (err) {
		pr_err("failed to add seals %#x: %pe\n", ser->seals,
		       ERR_PTR(err));
		fput(file);
		return ERR_PTR(err);
	}

	vfs_setpos(file, ser->pos, MAX_LFS_FILESIZE);
	i_size_write(file_inode(file), ser->size);
	return file;
}

/*
 * Out of memory part way (-ENOMEM) loses nothing: what is done stays in
 * the state kept in args->private_data, and the next retrieve goes on from
 * there (or finish gives the rest back).
 */
static int memfd_luo_retrieve(struct liveupdate_file_op_args *args)
{
	struct memfd_luo_restore_ctx ctx = {};
	struct luo_memfd_retrieval *rt;
	struct memfd_luo_ser *ser;
	struct luo_memfd_in in;
	struct file *file;
	int err;

	rt = luo_memfd_retrieval_get(args, sizeof(*ser));
	if (IS_ERR(rt))
		return PTR_ERR(rt);
	ser = rt->ser;
	memfd_luo_in_init(&in, ser, &ctx);

	if (!rt->file) {
		err = luo_memfd_check_file_in(&in, &(struct luo_memfd_file_hdr){
						.pos = ser->pos,
						.seals = ser->seals,
						.flags = ser->flags },
					      MEMFD_LUO_ALL_SEALS);
		if (!err && !luo_memfd_check_in(&in))
			err = -EINVAL;
		if (err)
			goto err_discard;
		file = memfd_luo_new_file(ser);
		if (IS_ERR(file)) {
			err = PTR_ERR(file);
			if (err == -ENOMEM)
				return err;
			goto err_discard;
		}
		rt->file = file;
	}

	ctx.file = rt->file;
	err = luo_memfd_restore_resume(&in, &rt->resume);
	/* Folios added before a failure belong to the file and go with it. */
	shmem_recalc_inode(file_inode(rt->file), ctx.nr_added, 0);
	if (rt->resume.pending)
		return err;
	if (err) {
		fput(rt->file);
		goto out;
	}
	args->file = rt->file;
out:
	luo_memfd_retrieval_put(args, rt);
	return err;

err_discard:
	luo_memfd_retrieval_abort(args, rt, &in);
	return err;
}

static bool memfd_luo_can_preserve(struct liveupdate_file_handler *handler,
				   struct file *file)
{
	return shmem_file(file) && !file_inode(file)->i_nlink;
}

static unsigned long memfd_luo_get_id(struct file *file)
{
	return (unsigned long)file_inode(file);
}

static const struct liveupdate_file_ops memfd_luo_file_ops = {
	.freeze = memfd_luo_freeze,
	.unfreeze = memfd_luo_unfreeze,
	.finish = memfd_luo_finish,
	.retrieve = memfd_luo_retrieve,
	.preserve = memfd_luo_preserve,
	.unpreserve = memfd_luo_unpreserve,
	.can_preserve = memfd_luo_can_preserve,
	.get_id = memfd_luo_get_id,
	.owner = THIS_MODULE,
};

static struct liveupdate_file_handler memfd_luo_handler = {
	.ops = &memfd_luo_file_ops,
	.compatible = MEMFD_LUO_FH_COMPATIBLE,
};

static int __init memfd_luo_init(void)
{
	int err = liveupdate_register_file_handler(&memfd_luo_handler);

	if (err && err != -EOPNOTSUPP) {
		pr_err("could not register the memfd live update handler: %pe\n",
		       ERR_PTR(err));
		return err;
	}
	return 0;
}
late_initcall(memfd_luo_init);

#ifdef CONFIG_LIVEUPDATE_CONFORMANCE_KUNIT_TEST
static int memfd_luo_cf_check_serialized(const struct luo_cf_handler *h,
					 struct liveupdate_file_op_args *args)
{
	struct memfd_luo_ser *ser = phys_to_virt(args->serialized_data);
	struct memfd_luo_private *priv = args->private_data;

	return luo_memfd_cf_check_header(args, &priv->out, ser->nr_folios);
}

static int memfd_luo_cf_visit(const struct luo_cf_handler *h,
			      struct liveupdate_file_op_args *args,
			      luo_cf_visit_fn fn, void *ctx)
{
	struct memfd_luo_private *priv = args->private_data;

	return luo_memfd_cf_visit(&priv->out, args->serialized_data,
				  sizeof(struct memfd_luo_ser), fn, ctx);
}

/* The conformance suite's descriptor of this handler (docs/conformance.md). */
const struct luo_cf_handler memfd_luo_cf_shmem = {
	.name = "shmem",
	.handler = &memfd_luo_handler,
	.caps = LUO_CF_CAP_SEALS | LUO_CF_CAP_POSITION | LUO_CF_CAP_SIZE_LOCK |
		LUO_CF_CAP_FOLIOS | LUO_CF_CAP_SPARSE,
	.unit = PAGE_SIZE,
	.max_units = SZ_16M / PAGE_SIZE,
	.create = luo_memfd_cf_create,
	.check = luo_memfd_cf_check,
	.fill = luo_memfd_cf_fill,
	.check_serialized = memfd_luo_cf_check_serialized,
	.visit = memfd_luo_cf_visit,
	.inject = luo_memfd_cf_inject,
};
#endif
