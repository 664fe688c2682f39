// SPDX-License-Identifier: GPL-2.0
/*
 * luo_memfd_common: what a memfd handler's retrieve() keeps between an
 * attempt that ran out of memory and the next one (or finish()).
 */
#define pr_fmt(fmt) "luo_memfd_common: " fmt

#include <linux/err.h>
#include <linux/export.h>
#include <linux/file.h>
#include <linux/liveupdate.h>
#include <linux/slab.h>

#include "internal.h"

/**
 * luo_memfd_retrieval_get - The retrieve state of a file, created at need.
 * @args: The handler's retrieve() arguments.
 * @size: Size of the handler's serialized struct.
 *
 * The first attempt allocates the state and claims the handler's struct at
 * @args->serialized_data from KHO; a later attempt after -ENOMEM gets what
 * the previous one kept in @args->private_data.
 *
 * Context: Process context, may sleep.
 * Return: the state, ERR_PTR(-ENOMEM) (nothing was claimed: try again), or
 * ERR_PTR(-EINVAL) if the struct is not preserved memory (logged).
 */
struct luo_memfd_retrieval *
luo_memfd_retrieval_get(struct liveupdate_file_op_args *args, size_t size)
{
	struct luo_memfd_retrieval *rt = args->private_data;

	if (rt)
		return rt;
	if (!args->serialized_data)
		return ERR_PTR(-EINVAL);
	rt = kzalloc_obj(*rt);
	if (!rt)
		return ERR_PTR(-ENOMEM);
	rt->ser = luo_memfd_claim_header(args->serialized_data, size);
	if (!rt->ser) {
		pr_err("serialized data %#llx is not preserved memory\n",
		       args->serialized_data);
		kfree(rt);
		return ERR_PTR(-EINVAL);
	}
	args->private_data = rt;
	return rt;
}
EXPORT_SYMBOL_GPL(luo_memfd_retrieval_get);

/**
 * luo_memfd_retrieval_put - End a file's retrieve state.
 * @args: The handler's retrieve() or finish() arguments.
 * @rt:   The state from luo_memfd_retrieval_get().
 *
 * Releases the handler's serialized struct and the state. The file and the
 * folios are the caller's: it has passed them on or given them back.
 */
void luo_memfd_retrieval_put(struct liveupdate_file_op_args *args,
			     struct luo_memfd_retrieval *rt)
{
	luo_memfd_release_header(rt->ser);
	kfree(rt);
	args->private_data = NULL;
}
EXPORT_SYMBOL_GPL(luo_memfd_retrieval_put);

/**
 * luo_memfd_retrieval_abort - Give back a retrieve that will not go on.
 * @args: The handler's finish() (or failed retrieve()) arguments.
 * @rt:   The state a retrieve that ran out of memory kept.
 * @in:   The file's incoming array, as for luo_memfd_restore_resume().
 *
 * Gives back the folios not in the file yet (luo_memfd_resume_abort()),
 * then the file with the ones in it, and ends the state. Needs no memory.
 *
 * Context: Process context, may sleep.
 */
void luo_memfd_retrieval_abort(struct liveupdate_file_op_args *args,
			       struct luo_memfd_retrieval *rt,
			       const struct luo_memfd_in *in)
{
	luo_memfd_resume_abort(in, &rt->resume);
	if (rt->file)
		fput(rt->file);
	luo_memfd_retrieval_put(args, rt);
}
EXPORT_SYMBOL_GPL(luo_memfd_retrieval_abort);
