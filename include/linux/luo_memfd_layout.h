/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Pure (allocation-free, side-effect-free) part of the luo_memfd_common
 * library: the layout of one serialized folio entry and the validation of
 * folio arrays handed over by the previous kernel.
 *
 * This header and lib/luo_memfd_common/layout.c build both in the kernel and
 * in userspace (cmocka tests and a libFuzzer target, see
 * tests/luo_memfd_common/). Outside the kernel the includer provides u8, u32,
 * u64 and bool before including this header.
 */
#ifndef _LINUX_LUO_MEMFD_LAYOUT_H
#define _LINUX_LUO_MEMFD_LAYOUT_H

#ifdef __KERNEL__
#include <linux/types.h>
#endif

/*
 * One entry of a folio array, as in the memfd-v2 ABI
 * (struct memfd_luo_folio_ser): a little-endian u64 holding pfn in bits
 * 0..51 and flags in bits 52..63, then a little-endian u64 page index.
 */
#define LUO_MEMFD_ENTRY_SIZE	16
#define LUO_MEMFD_PFN_BITS	52
#define LUO_MEMFD_FLAGS_BITS	12
#define LUO_MEMFD_PFN_MASK	((1ULL << LUO_MEMFD_PFN_BITS) - 1)
#define LUO_MEMFD_FLAGS_MASK	((1U << LUO_MEMFD_FLAGS_BITS) - 1)

/* Largest folio order any handler may hand over (1 GiB pages on x86_64). */
#define LUO_MEMFD_MAX_ORDER	30

/**
 * struct luo_memfd_entry - One decoded folio array entry.
 * @pfn:   Page frame number of the folio's head page; 0 means "no folio"
 *         (never written by this library, skipped on read for compatibility).
 * @flags: Handler-defined per-folio flags (12 bits on the wire).
 * @index: Page-cache index of the folio, in base pages.
 */
struct luo_memfd_entry {
	u64 pfn;
	u32 flags;
	u64 index;
};

/**
 * enum luo_memfd_fault - Why an incoming folio array was rejected.
 * @LUO_MEMFD_OK:             Nothing wrong.
 * @LUO_MEMFD_BAD_COUNT:      Entry count too large for any file of this size.
 * @LUO_MEMFD_SHORT_ARRAY:    The array buffer is shorter than its count needs.
 * @LUO_MEMFD_LONG_ARRAY:     The array buffer is far larger than its count.
 * @LUO_MEMFD_BAD_DESC:       The KHO vmalloc descriptor is malformed.
 * @LUO_MEMFD_BAD_SIZE:       The file size is beyond what the kernel allows.
 * @LUO_MEMFD_BAD_FLAGS:      An entry has flags this version does not know.
 * @LUO_MEMFD_BAD_PFN:        An entry's pfn is beyond the end of memory.
 * @LUO_MEMFD_BAD_INDEX:      An entry's index is at or beyond end of file.
 * @LUO_MEMFD_UNSORTED:       Entries are not in strictly increasing index
 *                            order (duplicate or out-of-order entry).
 * @LUO_MEMFD_OVERLAP:        An entry overlaps the previous folio's range.
 * @LUO_MEMFD_MISALIGNED:     An index or pfn is not aligned to its folio size.
 * @LUO_MEMFD_BAD_ORDER:      A folio's order is outside the accepted range.
 * @LUO_MEMFD_NOT_PRESERVED:  The pfn is not a preserved folio head (stale,
 *                            duplicated, or pointing into another folio).
 * @LUO_MEMFD_BAD_SEALS:      The file header has seals this kernel does not
 *                            know (maybe a newer sender).
 * @LUO_MEMFD_BAD_FILE_FLAGS: The file header has flags this kernel does not
 *                            know (maybe a newer sender).
 * @LUO_MEMFD_BAD_POS:        The file position is beyond what the kernel
 *                            allows.
 * @LUO_MEMFD_TRAILING:       The array has an entry past its count (the
 *                            count was cut: the folio it names would be
 *                            left out of the file).
 * @LUO_MEMFD_NR_FAULTS:      Number of fault codes.
 */
enum luo_memfd_fault {
	LUO_MEMFD_OK = 0,
	LUO_MEMFD_BAD_COUNT,
	LUO_MEMFD_SHORT_ARRAY,
	LUO_MEMFD_LONG_ARRAY,
	LUO_MEMFD_BAD_DESC,
	LUO_MEMFD_BAD_SIZE,
	LUO_MEMFD_BAD_FLAGS,
	LUO_MEMFD_BAD_PFN,
	LUO_MEMFD_BAD_INDEX,
	LUO_MEMFD_UNSORTED,
	LUO_MEMFD_OVERLAP,
	LUO_MEMFD_MISALIGNED,
	LUO_MEMFD_BAD_ORDER,
	LUO_MEMFD_NOT_PRESERVED,
	LUO_MEMFD_BAD_SEALS,
	LUO_MEMFD_BAD_FILE_FLAGS,
	LUO_MEMFD_BAD_POS,
	LUO_MEMFD_TRAILING,
	LUO_MEMFD_NR_FAULTS,
};

/**
 * struct luo_memfd_limits - What an incoming array is checked against.
 * @nr:            Entry count claimed by the previous kernel.
 * @buf_len:       Bytes actually present in the restored array buffer.
 * @size:          File size in bytes claimed by the previous kernel.
 * @max_size:      Largest file size this kernel accepts.
 * @max_pfn:       Exclusive upper bound for pfns (end of memory).
 * @allowed_flags: Entry flags this version understands.
 * @page_shift:    log2 of the base page size.
 * @min_order:     Smallest folio order allowed (0 for shmem, the hstate order
 *                 for HugeTLB); indices must be aligned to it.
 * @max_order:     Largest folio order allowed.
 */
struct luo_memfd_limits {
	u64 nr;
	u64 buf_len;
	u64 size;
	u64 max_size;
	u64 max_pfn;
	u32 allowed_flags;
	u32 page_shift;
	u32 min_order;
	u32 max_order;
};

/**
 * struct luo_memfd_verdict - Result of a validation step.
 * @fault: What is wrong, %LUO_MEMFD_OK if nothing.
 * @entry: Index of the offending entry (when the fault is about an entry).
 * @value: The offending value (count, pfn, index, flags, order...).
 */
struct luo_memfd_verdict {
	enum luo_memfd_fault fault;
	u64 entry;
	u64 value;
};

/**
 * struct luo_memfd_file_hdr - The file fields of an incoming file header.
 * @pos:   File position.
 * @seals: F_SEAL_* bits.
 * @flags: File flags and reserved bits; none is defined yet, so any set bit
 *         is unknown.
 */
struct luo_memfd_file_hdr {
	u64 pos;
	u32 seals;
	u32 flags;
};

/*
 * Per-hstate accounting record (planned FLB payload of the HugeTLB handler):
 * little-endian u32 order, u32 reserved (0), u64 number of preserved pages.
 */
#define LUO_MEMFD_HSTATE_REC_SIZE	16
#define LUO_MEMFD_MAX_HSTATES		4

/**
 * struct luo_memfd_hstate_count - Preserved huge pages of one page size.
 * @order:    Page order of the hstate (9 for 2 MiB, 18 for 1 GiB on x86_64).
 * @nr_pages: Number of preserved pages of that order.
 */
struct luo_memfd_hstate_count {
	u32 order;
	u64 nr_pages;
};

void luo_memfd_encode_entry(void *buf, u64 i, const struct luo_memfd_entry *e);
void luo_memfd_decode_entry(const void *buf, u64 i, struct luo_memfd_entry *e);
const char *luo_memfd_fault_str(enum luo_memfd_fault fault);
bool luo_memfd_check_header(const struct luo_memfd_limits *lim,
			    struct luo_memfd_verdict *v);
bool luo_memfd_check_desc(const struct luo_memfd_limits *lim, u64 total_pages,
			  u32 order, struct luo_memfd_verdict *v);
bool luo_memfd_check_array(const void *buf, const struct luo_memfd_limits *lim,
			   struct luo_memfd_verdict *v);
bool luo_memfd_check_folio(const struct luo_memfd_limits *lim,
			   const struct luo_memfd_entry *e, u64 i, u32 order,
			   u64 *next_index, struct luo_memfd_verdict *v);
bool luo_memfd_check_file(const struct luo_memfd_file_hdr *f,
			  u32 allowed_seals, u64 max_pos,
			  struct luo_memfd_verdict *v);

void luo_memfd_encode_hstate(void *buf, u64 i,
			     const struct luo_memfd_hstate_count *hc);
bool luo_memfd_check_hstates(const void *buf, u64 buf_len, u64 count,
			     u64 max_pfn, struct luo_memfd_hstate_count *out,
			     struct luo_memfd_verdict *v);

#endif /* _LINUX_LUO_MEMFD_LAYOUT_H */
