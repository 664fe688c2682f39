/* SPDX-License-Identifier: GPL-2.0 */
/*
 * luo_memfd_common - folio-array serialization shared by the memfd live
 * update handlers (shmem: mm/memfd_luo.c, HugeTLB: next).
 *
 * A handler owns its top-level serialized struct (size, pos, seals, ...) and
 * its compatible string. Everything about the folios of the file lives here:
 * pin + preserve + write the array (outgoing), exact undo (unpreserve), and in
 * the next kernel a validated walk of the array that restores each folio and
 * hands it to the handler, and give-back of folios nobody took (finish) or that
 * were left over when a retrieve failed half way.
 *
 * Wire format of one entry: 16 bytes, pfn:52 and flags:12 in a little-endian
 * word, then the index as a little-endian u64; the array preserved with
 * kho_preserve_vmalloc(). This is exactly the memfd-v2 folio array (struct
 * memfd_luo_folio_ser, a bitfield struct, on the little-endian machines that
 * have KHO). One definition serves both sides: every entry is written with
 * luo_memfd_encode_entry() and read with luo_memfd_decode_entry(). The
 * folio order is not on the wire: KHO records it with the preservation and
 * it is read back on restore.
 *
 * See docs/design-luo-memfd-common.md.
 */
#ifndef _LINUX_LUO_MEMFD_COMMON_H
#define _LINUX_LUO_MEMFD_COMMON_H

#include <linux/compiler.h>
#include <linux/types.h>
#include <linux/luo_memfd_layout.h>

struct file;
struct folio;
struct kho_vmalloc;
struct liveupdate_flb;

/* ---------------------------------------------------------------------- */
/* Outgoing (old kernel)                                                  */
/* ---------------------------------------------------------------------- */

/**
 * struct luo_memfd_preserve_ops - Handler hooks for preservation.
 * @prepare_folio: Optional. Called once per pinned folio, in index order,
 *                 before it is preserved. Makes the folio safe to hand over
 *                 (e.g. shmem marks it dirty and zeroes it if not uptodate)
 *                 and returns the wire flags for its entry (0..0xfff), or a
 *                 negative errno to fail the preservation. Must not keep
 *                 state that the library's unwind would not undo.
 * @unpin_folio:   Optional. Releases the reference the caller passed in with
 *                 each folio. Default: unpin_folio() (a FOLL_PIN pin, as
 *                 taken by memfd_pin_folios()).
 */
struct luo_memfd_preserve_ops {
	int (*prepare_folio)(struct folio *folio, void *arg);
	void (*unpin_folio)(struct folio *folio, void *arg);
};

/**
 * struct luo_memfd_out - Outgoing state of one preserved folio array.
 * @ser:  The serialized array (vmalloc memory, preserved by KHO), @nr
 *        entries of LUO_MEMFD_ENTRY_SIZE bytes: use luo_memfd_decode_entry().
 * @nr:   Number of entries in @ser.
 * @nr_pages: Base pages the @nr folios cover (to tell at freeze whether the
 *        file gained folios since).
 * @desc: Where the KHO vmalloc descriptor of @ser was written (inside the
 *        handler's own preserved struct).
 * @ops:  The ops used at preserve time (for unpin on unpreserve).
 * @arg:  Handler argument passed to @ops.
 *
 * The handler keeps this (e.g. in liveupdate_file_op_args.private_data)
 * between preserve and unpreserve. Treat as opaque apart from @nr.
 */
struct luo_memfd_out {
	void *ser;
	u64 nr;
	u64 nr_pages;
	struct kho_vmalloc *desc;
	const struct luo_memfd_preserve_ops *ops;
	void *arg;
};

int luo_memfd_file_seals(struct file *file);
int luo_memfd_preserve_file(struct file *file,
			    const struct luo_memfd_preserve_ops *ops, void *arg,
			    struct kho_vmalloc *desc, struct luo_memfd_out *out);
int luo_memfd_preserve_pinned(struct folio **folios, u64 nr,
			      const struct luo_memfd_preserve_ops *ops,
			      void *arg, struct kho_vmalloc *desc,
			      struct luo_memfd_out *out);
void luo_memfd_unpreserve(struct luo_memfd_out *out);
int luo_memfd_freeze(struct file *file, struct luo_memfd_out *out);
void luo_memfd_unfreeze(struct file *file);

/* ---------------------------------------------------------------------- */
/* Incoming (new kernel)                                                  */
/* ---------------------------------------------------------------------- */

/**
 * struct luo_memfd_restore_ops - Handler hooks for the next kernel.
 * @preserved_order: Optional. Order of the block preserved at @phys and not
 *                 restored yet, or a negative errno; must not change
 *                 anything. Default: kho_preserved_order(). The library
 *                 checks an entry against this order before it restores
 *                 the block, so that a corrupt entry cannot take (and then
 *                 free or expose) a block of another order that belongs to
 *                 someone else.
 * @restore_folio: Optional. Turn the preserved memory at @phys back into a
 *                 folio, or return NULL without warning if @phys is not the
 *                 head of a preserved, not yet restored block. Default:
 *                 kho_restore_folio(). Only called for a block whose
 *                 @preserved_order is within the file's limits.
 *                 HugeTLB supplies one that also makes a hugetlb folio.
 * @add_folio:     Required for luo_memfd_restore_resume(). Take ownership of a
 *                 restored folio and insert it at page index @index with
 *                 the entry's @flags. On error return a negative errno and
 *                 leave the folio as it was given: the library gives it
 *                 back with @discard_folio and stops (but see
 *                 @add_may_retry).
 * @discard_folio: Optional. Give back a restored folio nobody will use.
 *                 Default: folio_put(). HugeTLB returns it to its hstate.
 * @add_may_retry: @add_folio fails with -ENOMEM only when it left the folio
 *                 exactly as it was given (not charged, not in the page
 *                 cache), so that it can be added again: a resumable
 *                 restore (luo_memfd_restore_resume()) then keeps the folio
 *                 and the rest of the array for the next attempt.
 */
struct luo_memfd_restore_ops {
	int (*preserved_order)(phys_addr_t phys, void *arg);
	struct folio *(*restore_folio)(phys_addr_t phys, void *arg);
	int (*add_folio)(struct folio *folio, pgoff_t index, u32 flags,
			 void *arg);
	void (*discard_folio)(struct folio *folio, void *arg);
	bool add_may_retry;
};

/**
 * struct luo_memfd_in - One incoming folio array and what it must satisfy.
 * @desc:          KHO vmalloc descriptor read from the handler's struct.
 * @nr:            Entry count read from the handler's struct (untrusted).
 * @size:          File size in bytes read from the handler's struct
 *                 (untrusted; checked against MAX_LFS_FILESIZE).
 * @allowed_flags: Entry flags the handler understands; others are rejected.
 * @min_order:     Smallest accepted folio order (0 shmem, hstate order).
 * @max_order:     Largest accepted folio order.
 * @ops:           Handler hooks.
 * @arg:           Handler argument passed to @ops.
 * @name:          Short name for error messages (e.g. "memfd").
 */
struct luo_memfd_in {
	const struct kho_vmalloc *desc;
	u64 nr;
	u64 size;
	u32 allowed_flags;
	u32 min_order;
	u32 max_order;
	const struct luo_memfd_restore_ops *ops;
	void *arg;
	const char *name;
};

/**
 * struct luo_memfd_resume - Where a restore that ran out of memory stopped.
 * @buf:        The mapped folio array, or NULL while it is not mapped.
 * @buf_len:    Bytes readable at @buf.
 * @next:       First entry of the array that is not in the file yet.
 * @next_index: Lowest page index the entry at @next may have.
 * @held:       The folio of entry @next, restored and checked but not
 *              added yet, or NULL.
 * @pending:    The last attempt stopped with -ENOMEM and can go on.
 *
 * All zero before the first attempt. luo_memfd_restore_resume() fills it in
 * when it stops with -ENOMEM and clears it on any other outcome;
 * luo_memfd_resume_abort() gives back whatever it still holds.
 */
struct luo_memfd_resume {
	void *buf;
	u64 buf_len;
	u64 next;
	u64 next_index;
	struct folio *held;
	bool pending;
};

/**
 * struct luo_memfd_retrieval - A handler's retrieve() between attempts.
 * @ser:    The handler's serialized struct, claimed from KHO.
 * @file:   The file being filled in, or NULL before it is created.
 * @resume: How far the restore of its folios got.
 *
 * Kept in the private_data of &struct liveupdate_file_op_args while a
 * retrieve that ran out of memory waits for the next attempt or for finish.
 */
struct luo_memfd_retrieval {
	void *ser;
	struct file *file;
	struct luo_memfd_resume resume;
};

struct liveupdate_file_op_args;

int luo_memfd_restore_resume(const struct luo_memfd_in *in,
			     struct luo_memfd_resume *r);
void luo_memfd_resume_abort(const struct luo_memfd_in *in,
			    struct luo_memfd_resume *r);
struct luo_memfd_retrieval *
luo_memfd_retrieval_get(struct liveupdate_file_op_args *args, size_t size);
void luo_memfd_retrieval_put(struct liveupdate_file_op_args *args,
			     struct luo_memfd_retrieval *rt);
void luo_memfd_retrieval_abort(struct liveupdate_file_op_args *args,
			       struct luo_memfd_retrieval *rt,
			       const struct luo_memfd_in *in);
bool luo_memfd_discard(const struct luo_memfd_in *in);
int luo_memfd_restore_entries(const void *buf, u64 buf_len,
			      const struct luo_memfd_in *in);
void luo_memfd_discard_entries(const void *buf, u64 buf_len,
			       const struct luo_memfd_in *in);
bool luo_memfd_check_in(const struct luo_memfd_in *in);
int luo_memfd_check_file_in(const struct luo_memfd_in *in,
			    const struct luo_memfd_file_hdr *f,
			    u32 allowed_seals);
void *luo_memfd_claim_header(u64 phys, size_t size);
void luo_memfd_release_header(void *ser);

/* ---------------------------------------------------------------------- */
/* Per-hstate accounting for the HugeTLB handler (hstate.c, flb_early.c)  */
/* ---------------------------------------------------------------------- */

/*
 * The outgoing side counts preserved huge pages per order in one FLB shared
 * by every HugeTLB file (struct hugetlb_pool_luo_ser, compatible
 * HUGETLB_POOL_LUO_FLB_COMPATIBLE). The incoming side reads the counts in
 * early boot, before LUO is up, with a read-only, allocation-free accessor,
 * so hugetlb boot allocation can allocate hugepages=N minus what comes back.
 * The records have the format of struct luo_memfd_hstate_count
 * (luo_memfd_layout.h) and are validated by luo_memfd_check_hstates().
 * See docs/hugetlb.md.
 */

struct hugetlb_pool_luo_ser;

#ifdef CONFIG_LUO_MEMFD_COMMON
extern struct liveupdate_flb luo_memfd_hstate_flb;

int luo_memfd_hstate_account(unsigned int order, long delta);
void luo_memfd_hstate_early_init(void);
int luo_memfd_hstate_preserved(unsigned int order, u64 *nr_pages);
int luo_memfd_flb_incoming_early(struct liveupdate_flb *flb, u64 *datap);
#else
static inline void luo_memfd_hstate_early_init(void)
{
}

static inline int luo_memfd_hstate_preserved(unsigned int order,
					     u64 *nr_pages)
{
	*nr_pages = 0;
	return 0;
}
#endif

/* Pure helpers (no allocation, no locking), also used by KUnit. */
int luo_memfd_hstate_check(const struct hugetlb_pool_luo_ser *ser,
			   u64 max_pfn);
u64 luo_memfd_hstate_lookup(const struct hugetlb_pool_luo_ser *ser,
			    unsigned int order);
int luo_memfd_hstate_add(struct hugetlb_pool_luo_ser *ser, unsigned int order,
			 long delta);
int luo_memfd_flb_find(const void *buf, u64 len, const char *compatible,
		       u64 *datap);

/* ---------------------------------------------------------------------- */
/* Test hooks (KUnit and the LUO conformance suite only)                   */
/* ---------------------------------------------------------------------- */

#ifdef CONFIG_LUO_MEMFD_COMMON_INJECT
/**
 * struct luo_memfd_fault_inject - Fail the Nth fallible step.
 * @fail_at: 1-based number of the step to fail; 0 disables injection.
 * @steps:   Fallible steps reached so far (reset by the test).
 */
struct luo_memfd_fault_inject {
	unsigned int fail_at;
	unsigned int steps;
};

extern struct luo_memfd_fault_inject *luo_memfd_inject;
bool __luo_memfd_inject_step(void);

/**
 * luo_memfd_inject_step - Count a fallible step and tell whether to fail it.
 *
 * Inline so that, with no test armed, a step costs one load and a branch.
 *
 * Return: true if a test asked for this step to fail.
 */
static inline bool luo_memfd_inject_step(void)
{
	return unlikely(READ_ONCE(luo_memfd_inject)) &&
	       __luo_memfd_inject_step();
}
#else
static inline bool luo_memfd_inject_step(void)
{
	return false;
}
#endif

#ifdef CONFIG_LUO_MEMFD_COMMON_CORRUPT_TEST
void luo_memfd_test_corrupt_header(const struct luo_memfd_out *out, u64 *pos,
				   u64 *size, u64 *nr, u32 *seals, u32 *flags);
void luo_memfd_test_corrupt_data(const struct luo_memfd_out *out, u64 *data);
void luo_memfd_test_uncorrupt_data(const struct luo_memfd_out *out, u64 *data);
#else
/**
 * luo_memfd_test_corrupt_header - Corrupt one field of an outgoing header.
 * @out:   The file's outgoing array (its entry count selects the request).
 * @pos:   The header's position field.
 * @size:  The header's size field.
 * @nr:    The header's folio count field.
 * @seals: The header's seals field.
 * @flags: The header's flags field.
 *
 * For a handler's freeze(), after its header is final. Does something only
 * on test kernels (CONFIG_LUO_MEMFD_COMMON_CORRUPT_TEST) when asked through
 * /sys/kernel/debug/luo_memfd_common/corrupt.
 */
static inline void luo_memfd_test_corrupt_header(const struct luo_memfd_out *out,
						 u64 *pos, u64 *size, u64 *nr,
						 u32 *seals, u32 *flags)
{
}

/**
 * luo_memfd_test_corrupt_data - Corrupt where an outgoing header is.
 * @out:  The file's outgoing array (its entry count selects the request).
 * @data: The file's serialized_data, as freeze() hands it back to LUO.
 *
 * For a handler's freeze(), last. Does something only on test kernels.
 */
static inline void luo_memfd_test_corrupt_data(const struct luo_memfd_out *out,
					       u64 *data)
{
}

/**
 * luo_memfd_test_uncorrupt_data - Put back what corrupt_data changed.
 * @out:  The file's outgoing array.
 * @data: The file's serialized_data, about to be unpreserved.
 *
 * For a handler's unpreserve(), first. Does something only on test kernels.
 */
static inline void luo_memfd_test_uncorrupt_data(const struct luo_memfd_out *out,
						 u64 *data)
{
}
#endif

#ifdef CONFIG_LIVEUPDATE_CONFORMANCE_KUNIT_TEST
#include <linux/liveupdate_conformance.h>

/* Shared by the memfd handlers' conformance descriptors (conformance.c). */

struct file *luo_memfd_cf_create(const struct luo_cf_handler *h, size_t size,
				 u64 seed);
int luo_memfd_cf_check(const struct luo_cf_handler *h, struct file *file,
		       size_t size, u64 seed);
int luo_memfd_cf_fill(const struct luo_cf_handler *h, struct file *file,
		      loff_t pos);
int luo_memfd_cf_check_header(struct liveupdate_file_op_args *args,
			      const struct luo_memfd_out *out, u64 nr);
int luo_memfd_cf_visit(const struct luo_memfd_out *out, u64 header_phys,
		       size_t header_size, luo_cf_visit_fn fn, void *ctx);
unsigned long luo_memfd_cf_free_huge(const struct luo_cf_handler *h);
unsigned int luo_memfd_cf_inject(unsigned int fail_at);
#endif

#endif /* _LINUX_LUO_MEMFD_COMMON_H */
