// SPDX-License-Identifier: GPL-2.0
/*
 * Live update of HugeTLB-backed memfds (MFD_HUGETLB), on top of
 * luo_memfd_common. Wire format: include/linux/kho/abi/hugetlb_memfd.h.
 */

/**
 * DOC: HugeTLB memfd preservation over live update
 *
 * A memfd created with ``MFD_HUGETLB`` (any huge page size the machine has:
 * 2 MiB and 1 GiB on x86_64) can be handed to the next kernel through a LUO
 * session. What survives: the contents, in place (the same huge pages; only
 * pages that hold data: holes stay holes and cost no huge page, and a page
 * faulted into a hole after preserve is picked up at freeze()), the size
 * (exactly, also when fallocate() left it inside a huge page), the file
 * position and the seals in
 * ``MEMFD_LUO_ALL_SEALS``. Position and seals are taken again at freeze(),
 * so seals added while preserved are kept; ``F_SEAL_WRITE`` (and
 * ``F_SEAL_EXEC`` on an executable file, which implies it) cannot be added
 * while preserved: the pages are pinned, so ``F_ADD_SEALS`` fails with
 * ``-EBUSY``. The mode is not kept: a file with ``F_SEAL_EXEC`` comes back
 * like one from ``MFD_NOEXEC_SEAL`` (0666), others 0777.
 *
 * While preserved, the file keeps working for reads and for writes through
 * mappings, but truncate to another size, fallocate() (allocate or punch a
 * hole) and a writable mmap() beyond its end fail with ``-EPERM``.
 *
 * Retrieval gives a file that behaves like one from
 * ``memfd_create(MFD_HUGETLB)`` that was fallocate()d: every page is
 * accounted exactly as hugetlbfs_fallocate() would account a fresh one
 * (reservation map, hugetlb cgroup of the retriever, memcg, i_blocks), so
 * closing it returns the pages to the free pool and leaves no reservation
 * behind. Pages of files that are never retrieved go to the free pool of
 * their size at finish().
 *
 * Every HugeTLB file adds its pages to a per-size count that the next kernel
 * reads in early boot, so that ``hugepages=N`` gives a pool of N pages (not
 * N plus the preserved ones) once everything is retrieved; see
 * docs/hugetlb.md.
 *
 * Not supported (preserve fails with ``-EOPNOTSUPP``): files whose pages come
 * from hugetlb CMA (``hugetlb_cma=``), and SysV SHM_HUGETLB segments.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/err.h>
#include <linux/error-injection.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/hugetlb.h>
#include <linux/io.h>
#include <linux/kexec_handover.h>
#include <linux/kho/abi/hugetlb_memfd.h>
#include <linux/kho/abi/memfd.h>
#include <linux/liveupdate.h>
#include <linux/luo_memfd_common.h>
#include <linux/memfd.h>
#include <linux/mm.h>
#include <linux/pagemap.h>
#include <linux/slab.h>
#include <uapi/linux/memfd.h>

#include "hugetlb_cma.h"

/* hugetlb_cma= is in use (gigantic pages come from CMA); set at init. */
static bool hml_hugetlb_cma __ro_after_init;

/* Outgoing runtime state, kept in liveupdate_file_op_args.private_data. */
struct hml_private {
	struct luo_memfd_out out;
	u64 accounted;		/* of out.nr, in the pool accounting FLB */
	unsigned int order;
};

/* Called for each pinned folio, before it is preserved. */
static int hml_prepare_folio(struct folio *folio, void *arg)
{
	/* Pinning moves folios out of CMA; a CMA folio here cannot move. */
	if (folio_test_hugetlb_cma(folio))
		return -EOPNOTSUPP;
	return HUGETLB_MEMFD_LUO_FOLIO_FLAGS;
}

static const struct luo_memfd_preserve_ops hml_preserve_ops = {
	.prepare_folio = hml_prepare_folio,
};

static int hml_preserve(struct liveupdate_file_op_args *args)
{
	struct inode *inode = file_inode(args->file);
	struct hstate *h = hstate_inode(inode);
	struct hugetlb_memfd_luo_ser *ser;
	struct hml_private *priv;
	int err, seals;

	if (hstate_is_gigantic(h) && hml_hugetlb_cma) {
		pr_warn("%lu KiB pages come from hugetlb_cma=: not preservable\n",
			huge_page_size(h) / SZ_1K);
		return -EOPNOTSUPP;
	}

	priv = luo_memfd_inject_step() ? NULL : kzalloc_obj(*priv);
	if (!priv)
		return -ENOMEM;
	priv->order = huge_page_order(h);

	inode_lock(inode);
	hugetlbfs_freeze(inode, true);

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
	ser->order = priv->order;

	err = luo_memfd_preserve_file(args->file, &hml_preserve_ops, NULL,
				      &ser->folios, &priv->out);
	if (err)
		goto err_free_ser;
	ser->nr_folios = priv->out.nr;

	err = luo_memfd_hstate_account(priv->order, priv->out.nr);
	if (err)
		goto err_unpreserve;
	priv->accounted = priv->out.nr;
	inode_unlock(inode);

	args->private_data = priv;
	args->serialized_data = virt_to_phys(ser);
	return 0;

err_unpreserve:
	luo_memfd_unpreserve(&priv->out);
err_free_ser:
	kho_unpreserve_free(ser);
err_unfreeze:
	hugetlbfs_freeze(inode, false);
	inode_unlock(inode);
	kfree(priv);
	return err;
}

/*
 * A failure here aborts the kexec and costs nothing (tested with
 * fail_function: ALLOW_ERROR_INJECTION below).
 */
static int hml_freeze(struct liveupdate_file_op_args *args)
{
	struct hml_private *priv = args->private_data;
	struct hugetlb_memfd_luo_ser *ser;
	int seals, err;

	if (WARN_ON_ONCE(!args->serialized_data || !priv))
		return -EINVAL;

	/* Frozen before and the reboot aborted: find the real header. */
	luo_memfd_test_uncorrupt_data(&priv->out, &args->serialized_data);
	/* Size and pages are frozen; the position and the seals are not. */
	seals = luo_memfd_file_seals(args->file);
	if (seals < 0)
		return seals;
	ser = phys_to_virt(args->serialized_data);
	ser->seals = seals;
	ser->pos = args->file->f_pos;
	/* Pages written into holes since preserve join the array and the count. */
	err = luo_memfd_freeze(args->file, &priv->out);
	if (err)
		return err;
	if (priv->out.nr != priv->accounted) {
		err = luo_memfd_hstate_account(priv->order,
					       priv->out.nr - priv->accounted);
		if (err) {
			luo_memfd_unfreeze(args->file);
			return err;
		}
		priv->accounted = priv->out.nr;
	}
	ser->nr_folios = priv->out.nr;
	luo_memfd_test_corrupt_header(&priv->out, &ser->pos, &ser->size,
				      &ser->nr_folios, &ser->seals, &ser->flags);
	luo_memfd_test_corrupt_data(&priv->out, &args->serialized_data);
	return 0;
}
ALLOW_ERROR_INJECTION(hml_freeze, ERRNO);

/* A kexec that did not go on: holes can be written again. */
static void hml_unfreeze(struct liveupdate_file_op_args *args)
{
	luo_memfd_unfreeze(args->file);
}

static void hml_unpreserve(struct liveupdate_file_op_args *args)
{
	struct inode *inode = file_inode(args->file);
	struct hml_private *priv = args->private_data;

	if (WARN_ON_ONCE(!args->serialized_data || !priv))
		return;

	luo_memfd_test_uncorrupt_data(&priv->out, &args->serialized_data);
	luo_memfd_unfreeze(args->file);
	inode_lock(inode);
	WARN_ON(luo_memfd_hstate_account(priv->order, -(long)priv->accounted));
	luo_memfd_unpreserve(&priv->out);
	kho_unpreserve_free(phys_to_virt(args->serialized_data));
	hugetlbfs_freeze(inode, false);
	inode_unlock(inode);
	kfree(priv);
}

/* Incoming side. */

struct hml_restore_ctx {
	struct hstate *h;
	struct file *file;
	struct vm_area_struct vma;
};

/*
 * Restore the block KHO preserved at @phys and make it a hugetlb folio of
 * the hstate of its (KHO-recorded) size, so that giving it back returns it
 * to that pool. A block of a size no hstate has is returned as a plain
 * folio when the buddy allocator can take it back, and left alone
 * otherwise.
 */
static struct folio *hml_restore_folio(phys_addr_t phys, void *arg)
{
	int order = kho_preserved_order(phys);
	struct folio *folio;
	struct hstate *h;

	/* Up to 52 from a corrupt KHO radix key: bound it before the shift. */
	if (order < 0 || order > LUO_MEMFD_MAX_ORDER)
		return NULL;
	h = size_to_hstate(PAGE_SIZE << order);
	if (!h && order > MAX_PAGE_ORDER)
		return NULL;
	folio = kho_restore_folio(phys);
	if (folio && h)
		hugetlb_luo_adopt_folio(h, folio);
	return folio;
}

/* Give back a restored folio: to its hstate's free pool (or the buddy). */
static void hml_discard_folio(struct folio *folio, void *arg)
{
	folio_put(folio);
}

/*
 * Put a restored folio into the new file, accounted like fallocate(). A
 * charge that fails (memory or hugetlb cgroup at its limit, the hugetlbfs
 * size limit: -ENOSPC) or an allocation that fails (-ENOMEM) is undone and
 * the folio kept as it came: -ENOMEM then tells the library to keep it and
 * the rest of the file for the next retrieve.
 */
static int hml_add_folio(struct folio *folio, pgoff_t index, u32 flags,
			 void *arg)
{
	struct hml_restore_ctx *ctx = arg;
	struct address_space *mapping = ctx->file->f_mapping;
	struct hstate *h = ctx->h;
	pgoff_t idx = index >> huge_page_order(h);
	unsigned long addr = idx << huge_page_shift(h);
	struct folio *got;
	u32 hash;
	int err;

	if (WARN_ON_ONCE(!folio_test_hugetlb(folio) || folio_hstate(folio) != h))
		return -EINVAL;

	hash = hugetlb_fault_mutex_hash(mapping, idx);
	mutex_lock(&hugetlb_fault_mutex_table[hash]);
	got = alloc_hugetlb_folio_preset(&ctx->vma, addr, folio);
	if (IS_ERR(got)) {
		err = PTR_ERR(got);
		goto out_unpreset;
	}
	__folio_mark_uptodate(folio);
	err = hugetlb_add_to_page_cache(folio, mapping, idx);
	if (err) {
		restore_reserve_on_error(h, &ctx->vma, addr, folio);
		goto out_unpreset;
	}
	mutex_unlock(&hugetlb_fault_mutex_table[hash]);

	folio_set_hugetlb_migratable(folio);
	/* Locked by hugetlb_add_to_page_cache(); the page cache holds it. */
	folio_unlock(folio);
	folio_put(folio);
	return 0;

out_unpreset:
	hugetlb_luo_unpreset_folio(folio);
	mutex_unlock(&hugetlb_fault_mutex_table[hash]);
	if (err != -ENOSPC && err != -ENOMEM)
		return err;
	pr_warn("page %lu could not be charged to the file (%pe); it waits for the next retrieve\n",
		idx, ERR_PTR(err));
	return -ENOMEM;
}

static const struct luo_memfd_restore_ops hml_restore_ops = {
	.restore_folio = hml_restore_folio,
	.add_folio = hml_add_folio,
	.discard_folio = hml_discard_folio,
	.add_may_retry = true,
};

/* The hstate named by an incoming order, or NULL. */
static struct hstate *hml_order_hstate(u32 order)
{
	if (!order || order > LUO_MEMFD_MAX_ORDER)
		return NULL;
	return size_to_hstate(PAGE_SIZE << order);
}

static void hml_in_init(struct luo_memfd_in *in,
			struct hugetlb_memfd_luo_ser *ser,
			struct hml_restore_ctx *ctx)
{
	u32 order = min_t(u32, ser->order, LUO_MEMFD_MAX_ORDER);

	*in = (struct luo_memfd_in) {
		.desc = &ser->folios,
		.nr = ser->nr_folios,
		.size = ser->size,
		.allowed_flags = HUGETLB_MEMFD_LUO_FOLIO_FLAGS,
		.min_order = order,
		.max_order = order,
		.ops = &hml_restore_ops,
		.arg = ctx,
		.name = "hugetlb memfd",
	};
}

static void hml_finish(struct liveupdate_file_op_args *args)
{
	struct luo_memfd_retrieval *rt = args->private_data;
	struct hugetlb_memfd_luo_ser *ser;
	struct hml_restore_ctx ctx = {};
	struct luo_memfd_in in;

	/*
	 * A successful retrieve owns everything; a failed one gave back all
	 * it could. A retrieve that ran out of memory left the rest in @rt.
	 * A never-retrieved file has all its pages to give back: to the free
	 * pool of their size.
	 */
	if (args->retrieve_status || !args->serialized_data)
		return;

	if (rt) {
		hml_in_init(&in, rt->ser, &ctx);
		luo_memfd_retrieval_abort(args, rt, &in);
		return;
	}
	ser = luo_memfd_claim_header(args->serialized_data, sizeof(*ser));
	if (!ser) {
		pr_err("serialized data %#llx is not preserved memory\n",
		       args->serialized_data);
		return;
	}
	hml_in_init(&in, ser, &ctx);
	luo_memfd_discard(&in);
	luo_memfd_release_header(ser);
}

static int hml_check_ser(const struct luo_memfd_in *in,
			 const struct hugetlb_memfd_luo_ser *ser,
			 struct hstate **hp)
{
	struct hstate *h = hml_order_hstate(ser->order);
	int err;

	if (!h) {
		pr_err("no huge page size of order %u in this kernel\n",
		       ser->order);
		return -EOPNOTSUPP;
	}
	/* The reserved word is a flag word nobody has defined yet. */
	err = luo_memfd_check_file_in(in, &(struct luo_memfd_file_hdr){
					.pos = ser->pos, .seals = ser->seals,
					.flags = ser->flags | ser->reserved },
				      MEMFD_LUO_ALL_SEALS);
	if (err)
		return err;
	/*
	 * Any size: fallocate() sets i_size to offset + len, so the last huge
	 * page may extend past it. luo_memfd_check_in() bounds the size
	 * (MAX_LFS_FILESIZE) and the count (DIV_ROUND_UP(size, page size)),
	 * and luo_memfd_restore_resume() refuses a page that starts at or past EOF.
	 */
	*hp = h;
	return 0;
}

/* The new, empty file of @ser (sized; seals and position come last). */
static struct file *hml_new_file(const struct hugetlb_memfd_luo_ser *ser,
				 struct hstate *h)
{
	unsigned int mfd_flags;
	struct file *file;

	/*
	 * The mode is not in hugetlb-memfd-v1. Created executable (0777),
	 * memfd_add_seals() would turn F_SEAL_EXEC into the write seals as
	 * well; like memfd_luo.c, an exec-sealed file is created the way
	 * MFD_NOEXEC_SEAL does it (mode 0666, F_SEAL_EXEC already set).
	 */
	mfd_flags = MFD_HUGETLB | MFD_ALLOW_SEALING |
		    ((u32)huge_page_shift(h) << MFD_HUGE_SHIFT);
	if (ser->seals & F_SEAL_EXEC)
		mfd_flags |= MFD_NOEXEC_SEAL;
	file = memfd_alloc_file("", mfd_flags);
	if (IS_ERR(file)) {
		pr_err("failed to set up the file: %pe\n", file);
		return file;
	}
	i_size_write(file_inode(file), ser->size);
	return file;
}

/*
 * Out of memory (-ENOMEM: the state, the file, the mapping of the array) or
 * a page that could not be charged to the file (a memory or hugetlb cgroup
 * limit, the hugetlbfs size limit; also reported as -ENOMEM) loses
 * nothing: the next retrieve goes on from the state kept in
 * args->private_data, or finish gives it all back.
 */
static int hml_retrieve(struct liveupdate_file_op_args *args)
{
	struct hugetlb_memfd_luo_ser *ser;
	struct luo_memfd_retrieval *rt;
	struct hml_restore_ctx ctx = {};
	struct luo_memfd_in in;
	struct inode *inode;
	struct file *file;
	int err;

	rt = luo_memfd_retrieval_get(args, sizeof(*ser));
	if (IS_ERR(rt))
		return PTR_ERR(rt);
	ser = rt->ser;
	hml_in_init(&in, ser, &ctx);

	err = hml_check_ser(&in, ser, &ctx.h);
	if (!err && !rt->file && !luo_memfd_check_in(&in))
		err = -EINVAL;
	if (err)
		goto err_discard;
	if (!rt->file) {
		file = hml_new_file(ser, ctx.h);
		if (IS_ERR(file)) {
			err = PTR_ERR(file);
			if (err == -ENOMEM)
				return err;
			goto err_discard;
		}
		rt->file = file;
	}
	file = rt->file;
	inode = file_inode(file);

	/* The pseudo vma hugetlbfs_fallocate() uses to charge new pages. */
	vma_init(&ctx.vma, current->mm);
	vm_flags_init(&ctx.vma, VM_HUGETLB | VM_MAYSHARE | VM_SHARED);
	ctx.vma.vm_file = file;
	ctx.file = file;

	inode_lock(inode);
	err = luo_memfd_restore_resume(&in, &rt->resume);
	inode_unlock(inode);
	if (rt->resume.pending)
		return err;
	/* Pages added before a failure belong to the file and go with it. */
	if (err)
		goto err_fput;

	err = memfd_add_seals(file, ser->seals);
	if (err) {
		pr_err("failed to add seals %#x: %pe\n", ser->seals,
		       ERR_PTR(err));
		goto err_fput;
	}
	vfs_setpos(file, ser->pos, MAX_LFS_FILESIZE);

	args->file = file;
	luo_memfd_retrieval_put(args, rt);
	return 0;

err_fput:
	fput(file);
	luo_memfd_retrieval_put(args, rt);
	return err;

err_discard:
	/* A later attempt checks the same header again: never with a file. */
	luo_memfd_retrieval_abort(args, rt, &in);
	return err;
}

static bool hml_can_preserve(struct liveupdate_file_handler *handler,
			     struct file *file)
{
	struct inode *inode = file_inode(file);

	/* A memfd (or unlinked hugetlbfs file); not a SysV SHM segment. */
	return is_file_hugepages(file) && !(inode->i_flags & S_PRIVATE) &&
	       !inode->i_nlink;
}

static unsigned long hml_get_id(struct file *file)
{
	return (unsigned long)file_inode(file);
}

static const struct liveupdate_file_ops hml_file_ops = {
	.freeze = hml_freeze,
	.unfreeze = hml_unfreeze,
	.finish = hml_finish,
	.retrieve = hml_retrieve,
	.preserve = hml_preserve,
	.unpreserve = hml_unpreserve,
	.can_preserve = hml_can_preserve,
	.get_id = hml_get_id,
	.owner = THIS_MODULE,
};

static struct liveupdate_file_handler hml_handler = {
	.ops = &hml_file_ops,
	.compatible = HUGETLB_MEMFD_LUO_FH_COMPATIBLE,
};

static int __init hml_init(void)
{
	int err;

	hml_hugetlb_cma = hugetlb_cma_total_size() != 0;
	err = liveupdate_register_file_handler(&hml_handler);

	if (err == -EOPNOTSUPP)
		return 0;
	if (!err) {
		err = liveupdate_register_flb(&hml_handler,
					      &luo_memfd_hstate_flb);
		if (err)
			liveupdate_unregister_file_handler(&hml_handler);
	}
	if (err)
		pr_err("could not register the HugeTLB memfd live update handler: %pe\n",
		       ERR_PTR(err));
	return err;
}
late_initcall(hml_init);

#ifdef CONFIG_LIVEUPDATE_CONFORMANCE_KUNIT_TEST
static int hml_cf_check_serialized(const struct luo_cf_handler *cf,
				   struct liveupdate_file_op_args *args)
{
	struct hugetlb_memfd_luo_ser *ser = phys_to_virt(args->serialized_data);
	struct hml_private *priv = args->private_data;

	if (ser->reserved || ser->order != ilog2(cf->unit) - PAGE_SHIFT)
		return -EINVAL;
	return luo_memfd_cf_check_header(args, &priv->out, ser->nr_folios);
}

static int hml_cf_visit(const struct luo_cf_handler *cf,
			struct liveupdate_file_op_args *args,
			luo_cf_visit_fn fn, void *ctx)
{
	struct hml_private *priv = args->private_data;

	return luo_memfd_cf_visit(&priv->out, args->serialized_data,
				  sizeof(struct hugetlb_memfd_luo_ser), fn, ctx);
}

#define HML_CF_DESCRIPTOR(_name, _unit, _max)				\
	{								\
		.name = _name,						\
		.handler = &hml_handler,				\
		.caps = LUO_CF_CAP_SEALS | LUO_CF_CAP_POSITION |	\
			LUO_CF_CAP_SIZE_LOCK | LUO_CF_CAP_FIXED_PAGE |	\
			LUO_CF_CAP_FOLIOS | LUO_CF_CAP_SPARSE,		\
		.unit = _unit,						\
		.max_units = _max,					\
		.create = luo_memfd_cf_create,				\
		.check = luo_memfd_cf_check,				\
		.fill = luo_memfd_cf_fill,				\
		.check_serialized = hml_cf_check_serialized,		\
		.visit = hml_cf_visit,					\
		.free_units = luo_memfd_cf_free_huge,			\
		.inject = luo_memfd_cf_inject,				\
	}

/* The conformance suite's descriptors of this handler (docs/conformance.md). */
const struct luo_cf_handler memfd_hugetlb_luo_cf_2m =
	HML_CF_DESCRIPTOR("hugetlb-2M", SZ_2M, 4);
const struct luo_cf_handler memfd_hugetlb_luo_cf_1g =
	HML_CF_DESCRIPTOR("hugetlb-1G", SZ_1G, 1);
#endif

#ifdef CONFIG_LIVEUPDATE_MEMFD_HUGETLB_KUNIT_TEST
#include "memfd_hugetlb_luo_kunit/memfd_hugetlb_luo_kunit.c"
#endif
