// SPDX-License-Identifier: GPL-2.0
/*
 * Live update of eventfds.
 *
 * Wire format: eventfd-v1 (include/linux/kho/abi/eventfd.h).
 */

/**
 * DOC: eventfd preservation over live update
 *
 * An eventfd can be handed to the next kernel through a LUO session. What
 * survives: the counter, the ``EFD_SEMAPHORE`` mode and ``O_NONBLOCK`` (as
 * ``fcntl(F_SETFL)`` last left it). What does not: ``FD_CLOEXEC`` (LUO
 * installs the retrieved descriptor), the eventfd's id in fdinfo, waiters
 * (nobody is waiting in a new kernel) and in-kernel users of the context
 * (KVM irqfds, vhost, io_uring registrations: their owners set them up
 * again on the retrieved file).
 *
 * The counter is taken at preserve and again at freeze, the last step
 * before the kexec. From freeze on, read(2) and write(2) fail with
 * ``-EPERM`` (those already waiting are woken to fail so): a value read or
 * written then would be lost or delivered twice. If the kexec does not
 * happen, unfreeze lifts that. In-kernel users cannot be refused: an
 * eventfd_signal() or a kernel read (an irqfd shutting down) after freeze
 * changes the counter in this kernel only, and is logged. Devices that use
 * an eventfd must be quiesced before the kexec.
 *
 * Everything read back in the next kernel is validated: a header that is
 * not preserved memory, an unknown flag or a non-zero reserved field makes
 * the retrieve fail with ``-EINVAL`` and a kernel log line naming it.
 */

#define pr_fmt(fmt) "eventfd_luo: " fmt

#include <linux/debugfs.h>
#include <linux/err.h>
#include <linux/fault-inject.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/init.h>
#include <linux/io.h>
#include <linux/kexec_handover.h>
#include <linux/kho/abi/eventfd.h>
#include <linux/liveupdate.h>
#include <linux/liveupdate_conformance.h>
#include <linux/mm.h>

#include "internal.h"

#ifdef CONFIG_FAULT_INJECTION
/*
 * fail_eventfd_luo: each fallible step asks it first. Armed per task with
 * /proc/self/fail-nth, or globally through its debugfs directory.
 */
static DECLARE_FAULT_ATTR(fail_eventfd_luo);

static bool eventfd_luo_should_fail(void)
{
	return should_fail_ex(&fail_eventfd_luo, 1, FAULT_NOWARN);
}
#else
static inline bool eventfd_luo_should_fail(void)
{
	return false;
}
#endif

/* The state of @file in ABI form. */
static void eventfd_luo_fill(struct eventfd_luo_ser *ser, struct file *file,
			     u64 count, bool semaphore)
{
	ser->count = count;
	ser->flags = (semaphore ? EVENTFD_LUO_SEMAPHORE : 0) |
		     (READ_ONCE(file->f_flags) & O_NONBLOCK ?
		      EVENTFD_LUO_NONBLOCK : 0);
	ser->reserved = 0;
}

static int eventfd_luo_preserve(struct liveupdate_file_op_args *args)
{
	struct eventfd_luo_ser *ser;
	bool semaphore;
	u64 count;

	ser = eventfd_luo_should_fail() ? ERR_PTR(-ENOMEM) :
	      kho_alloc_preserve(sizeof(*ser));
	if (IS_ERR(ser))
		return PTR_ERR(ser);
	count = eventfd_luo_state(args->file, &semaphore);
	eventfd_luo_fill(ser, args->file, count, semaphore);
	args->private_data = ser;
	args->serialized_data = virt_to_phys(ser);
	return 0;
}

static int eventfd_luo_freeze(struct liveupdate_file_op_args *args)
{
	bool semaphore;
	u64 count;

	count = eventfd_luo_set_frozen(args->file, true, &semaphore);
	eventfd_luo_fill(args->private_data, args->file, count, semaphore);
	return 0;
}

static void eventfd_luo_unfreeze(struct liveupdate_file_op_args *args)
{
	bool semaphore;

	eventfd_luo_set_frozen(args->file, false, &semaphore);
}

static void eventfd_luo_unpreserve(struct liveupdate_file_op_args *args)
{
	bool semaphore;

	eventfd_luo_set_frozen(args->file, false, &semaphore);
	kho_unpreserve_free(args->private_data);
	args->private_data = NULL;
	args->serialized_data = 0;
}

/*
 * The header the previous kernel preserved at @phys, or NULL. It must be a
 * block of exactly the order kho_alloc_preserve() gave it: a corrupt
 * address must not take another file's preserved memory.
 */
static struct eventfd_luo_ser *eventfd_luo_claim(u64 phys)
{
	int order = kho_preserved_order(phys);
	struct folio *folio;

	if (order != get_order(sizeof(struct eventfd_luo_ser))) {
		pr_err("serialized data %#llx is not preserved memory\n", phys);
		return NULL;
	}
	folio = kho_restore_folio(phys);
	if (!folio) {
		pr_err("serialized data %#llx could not be restored\n", phys);
		return NULL;
	}
	return folio_address(folio);
}

static void eventfd_luo_release(struct eventfd_luo_ser *ser)
{
	folio_put(virt_to_folio(ser));
}

static int eventfd_luo_check(const struct eventfd_luo_ser *ser)
{
	u32 unknown = ser->flags & ~EVENTFD_LUO_ALL_FLAGS;

	if (unknown) {
		pr_err("file header: unknown flags %#x\n", unknown);
		return -EINVAL;
	}
	if (ser->reserved) {
		pr_err("file header: reserved field is %#x, not 0\n",
		       ser->reserved);
		return -EINVAL;
	}
	return 0;
}

/*
 * Out of memory (-ENOMEM) keeps the header in args->private_data, so the
 * next retrieve (or finish) starts from it. Any other error is final and
 * gives the header back.
 */
static int eventfd_luo_retrieve(struct liveupdate_file_op_args *args)
{
	struct eventfd_luo_ser *ser = args->private_data;
	struct file *file;
	int err;

	if (!ser) {
		ser = eventfd_luo_claim(args->serialized_data);
		if (!ser)
			return -EINVAL;
		args->private_data = ser;
	}
	err = eventfd_luo_check(ser);
	if (err)
		goto out;

	file = eventfd_luo_should_fail() ? ERR_PTR(-ENOMEM) :
	       eventfd_luo_new_file(ser->count,
				    ser->flags & EVENTFD_LUO_SEMAPHORE,
				    ser->flags & EVENTFD_LUO_NONBLOCK);
	if (IS_ERR(file)) {
		err = PTR_ERR(file);
		pr_err("could not make the eventfd: %pe\n", file);
		if (err == -ENOMEM)
			return err;
		goto out;
	}
	args->file = file;
out:
	eventfd_luo_release(ser);
	args->private_data = NULL;
	return err;
}

static void eventfd_luo_finish(struct liveupdate_file_op_args *args)
{
	struct eventfd_luo_ser *ser = args->private_data;

	/* Retrieved, or refused: the header is gone already. */
	if (args->retrieve_status || !args->serialized_data)
		return;
	/* Never retrieved, or only out of memory: give the header back. */
	if (!ser)
		ser = eventfd_luo_claim(args->serialized_data);
	if (ser)
		eventfd_luo_release(ser);
	args->private_data = NULL;
}

static bool eventfd_luo_can_preserve(struct liveupdate_file_handler *handler,
				     struct file *file)
{
	return eventfd_luo_is_eventfd(file);
}

static unsigned long eventfd_luo_get_id(struct file *file)
{
	return (unsigned long)file->private_data;
}

static const struct liveupdate_file_ops eventfd_luo_file_ops = {
	.can_preserve = eventfd_luo_can_preserve,
	.preserve = eventfd_luo_preserve,
	.unpreserve = eventfd_luo_unpreserve,
	.freeze = eventfd_luo_freeze,
	.unfreeze = eventfd_luo_unfreeze,
	.retrieve = eventfd_luo_retrieve,
	.finish = eventfd_luo_finish,
	.get_id = eventfd_luo_get_id,
	.owner = THIS_MODULE,
};

static struct liveupdate_file_handler eventfd_luo_handler = {
	.ops = &eventfd_luo_file_ops,
	.compatible = EVENTFD_LUO_FH_COMPATIBLE,
};

static int __init eventfd_luo_init(void)
{
	int err = liveupdate_register_file_handler(&eventfd_luo_handler);

	if (err && err != -EOPNOTSUPP) {
		pr_err("could not register the eventfd live update handler: %pe\n",
		       ERR_PTR(err));
		return err;
	}
#ifdef CONFIG_FAULT_INJECTION_DEBUG_FS
	if (IS_ERR(fault_create_debugfs_attr("fail_eventfd_luo", NULL,
					     &fail_eventfd_luo)))
		pr_warn("no debugfs directory for fail_eventfd_luo\n");
#endif
	return 0;
}
late_initcall(eventfd_luo_init);

#ifdef CONFIG_LIVEUPDATE_CONFORMANCE_KUNIT_TEST
/*
 * The conformance suite's descriptor of this handler (docs/conformance.md).
 * An eventfd has no size: a test file of @size bytes and @seed starts with
 * the counter below, in semaphore mode for odd seeds, non-blocking when
 * bit 1 of the seed is set, so the suite's cases see every mode.
 */
static u64 eventfd_luo_cf_count(size_t size, u64 seed)
{
	return seed * 1000003 + size;
}

static struct file *eventfd_luo_cf_create(const struct luo_cf_handler *h,
					  size_t size, u64 seed)
{
	return eventfd_luo_new_file(eventfd_luo_cf_count(size, seed), seed & 1,
				    seed & 2);
}

static int eventfd_luo_cf_check(const struct luo_cf_handler *h,
				struct file *file, size_t size, u64 seed)
{
	bool semaphore, nonblock;
	u64 count;

	if (!eventfd_luo_is_eventfd(file)) {
		pr_err("cf: not an eventfd\n");
		return -EINVAL;
	}
	count = eventfd_luo_state(file, &semaphore);
	nonblock = file->f_flags & O_NONBLOCK;
	if (count != eventfd_luo_cf_count(size, seed) ||
	    semaphore != (seed & 1) || nonblock != !!(seed & 2)) {
		pr_err("cf: counter %llu semaphore %d nonblock %d, expected %llu %d %d\n",
		       count, semaphore, nonblock,
		       eventfd_luo_cf_count(size, seed), (int)(seed & 1),
		       !!(seed & 2));
		return -EINVAL;
	}
	return 0;
}

static int eventfd_luo_cf_check_serialized(const struct luo_cf_handler *h,
					   struct liveupdate_file_op_args *args)
{
	const struct eventfd_luo_ser *ser = phys_to_virt(args->serialized_data);
	struct eventfd_luo_ser now;
	bool semaphore;
	u64 count;

	count = eventfd_luo_state(args->file, &semaphore);
	eventfd_luo_fill(&now, args->file, count, semaphore);
	if (ser->count != now.count || ser->flags != now.flags ||
	    ser->reserved) {
		pr_err("cf: state %llu/%#x/%#x, file %llu/%#x\n", ser->count,
		       ser->flags, ser->reserved, now.count, now.flags);
		return -EINVAL;
	}
	return 0;
}

static int eventfd_luo_cf_visit(const struct luo_cf_handler *h,
				struct liveupdate_file_op_args *args,
				luo_cf_visit_fn fn, void *ctx)
{
	const struct luo_cf_block b = {
		.phys = args->serialized_data,
		.order = 0,
		.index = LUO_CF_METADATA,
	};

	return fn(ctx, &b);
}

/* A read(2): takes 1 (semaphore) or all of the counter; never blocks. */
static int eventfd_luo_cf_mutate(const struct luo_cf_handler *h,
				 struct file *file)
{
	bool semaphore;
	loff_t pos = 0;
	ssize_t n;
	u64 v;

	if (!eventfd_luo_state(file, &semaphore))
		return -EAGAIN;
	n = kernel_read(file, &v, sizeof(v), &pos);
	if (n < 0)
		return n;
	return n == sizeof(v) ? 0 : -EIO;
}

#ifdef CONFIG_FAULT_INJECTION
/* Fails the @fail_at-th step of this task through fail_eventfd_luo. */
static unsigned int eventfd_luo_cf_inject(unsigned int fail_at)
{
	static unsigned int armed;
	unsigned int left = READ_ONCE(current->fail_nth);

	if (fail_at) {
		armed = fail_at;
		WRITE_ONCE(current->fail_nth, fail_at);
		return 0;
	}
	WRITE_ONCE(current->fail_nth, 0);
	return armed - left;
}
#endif

const struct luo_cf_handler eventfd_luo_cf = {
	.name = "eventfd",
	.handler = &eventfd_luo_handler,
	.caps = 0,
	.unit = 1,
	.max_units = 64,
	.create = eventfd_luo_cf_create,
	.check = eventfd_luo_cf_check,
	.check_serialized = eventfd_luo_cf_check_serialized,
	.visit = eventfd_luo_cf_visit,
	.mutate = eventfd_luo_cf_mutate,
#ifdef CONFIG_FAULT_INJECTION
	.inject = eventfd_luo_cf_inject,
#endif
};
#endif
