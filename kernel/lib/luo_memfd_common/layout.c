// SPDX-License-Identifier: GPL-2.0
/*
 * luo_memfd_common: entry layout and validation of incoming folio arrays.
 *
 * Pure code: no allocation, no locking, no kernel state. Builds in the kernel
 * and in userspace (tests/luo_memfd_common/), where it is unit tested and
 * fuzzed. Everything it reads comes from the previous kernel and is untrusted.
 */
#ifdef __KERNEL__
#include <linux/export.h>
#include <linux/luo_memfd_layout.h>
#include <linux/unaligned.h>

/*
 * One load or store on little-endian machines. The byte loops below cost
 * about 80 instructions per entry in a -Os kernel (tinyconfig), which made
 * retrieve measurably slower than stock 7.3's plain struct reads.
 */
static u64 lmc_get_le64(const u8 *p)
{
	return get_unaligned_le64(p);
}

static void lmc_put_le64(u8 *p, u64 v)
{
	put_unaligned_le64(v, p);
}
#else
#include "lmc_compat.h"

static u64 lmc_get_le64(const u8 *p)
{
	u64 v = 0;
	int i;

	for (i = 7; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

static void lmc_put_le64(u8 *p, u64 v)
{
	int i;

	for (i = 0; i < 8; i++, v >>= 8)
		p[i] = (u8)v;
}
#endif

/**
 * luo_memfd_encode_entry - Write entry @i of a folio array.
 * @buf: Array start.
 * @i:   Entry number; the caller guarantees it is within the buffer.
 * @e:   Entry to write; pfn and flags are truncated to their wire widths.
 */
void luo_memfd_encode_entry(void *buf, u64 i, const struct luo_memfd_entry *e)
{
	u8 *p = (u8 *)buf + i * LUO_MEMFD_ENTRY_SIZE;
	u64 word = (e->pfn & LUO_MEMFD_PFN_MASK) |
		   ((u64)(e->flags & LUO_MEMFD_FLAGS_MASK) << LUO_MEMFD_PFN_BITS);

	lmc_put_le64(p, word);
	lmc_put_le64(p + 8, e->index);
}
EXPORT_SYMBOL_GPL(luo_memfd_encode_entry);

/**
 * luo_memfd_decode_entry - Read entry @i of a folio array.
 * @buf: Array start.
 * @i:   Entry number; the caller guarantees it is within the buffer.
 * @e:   Decoded entry.
 */
void luo_memfd_decode_entry(const void *buf, u64 i, struct luo_memfd_entry *e)
{
	const u8 *p = (const u8 *)buf + i * LUO_MEMFD_ENTRY_SIZE;
	u64 word = lmc_get_le64(p);

	e->pfn = word & LUO_MEMFD_PFN_MASK;
	e->flags = (u32)(word >> LUO_MEMFD_PFN_BITS);
	e->index = lmc_get_le64(p + 8);
}
EXPORT_SYMBOL_GPL(luo_memfd_decode_entry);

static const char * const lmc_fault_names[LUO_MEMFD_NR_FAULTS] = {
	[LUO_MEMFD_OK]		  = "ok",
	[LUO_MEMFD_BAD_COUNT]	  = "entry count too large for the file size",
	[LUO_MEMFD_SHORT_ARRAY]	  = "array shorter than its entry count",
	[LUO_MEMFD_LONG_ARRAY]	  = "array much longer than its entry count",
	[LUO_MEMFD_BAD_DESC]	  = "malformed KHO vmalloc descriptor",
	[LUO_MEMFD_BAD_SIZE]	  = "file size out of range",
	[LUO_MEMFD_BAD_FLAGS]	  = "unknown folio flags",
	[LUO_MEMFD_BAD_PFN]	  = "pfn beyond end of memory",
	[LUO_MEMFD_BAD_INDEX]	  = "index beyond end of file",
	[LUO_MEMFD_UNSORTED]	  = "index not above the previous entry's (duplicate or unsorted)",
	[LUO_MEMFD_OVERLAP]	  = "folio overlaps the previous folio",
	[LUO_MEMFD_MISALIGNED]	  = "index or pfn not aligned to the folio size",
	[LUO_MEMFD_BAD_ORDER]	  = "folio order not accepted",
	[LUO_MEMFD_NOT_PRESERVED] = "pfn is not a preserved folio head (stale or duplicate)",
	[LUO_MEMFD_BAD_SEALS]	  = "unsupported seals",
	[LUO_MEMFD_BAD_FILE_FLAGS] = "unknown file flags",
	[LUO_MEMFD_BAD_POS]	  = "file position out of range",
	[LUO_MEMFD_TRAILING]	  = "entry past the array's count",
};

/**
 * luo_memfd_fault_str - Human-readable reason for a fault code.
 * @fault: Fault code, any value.
 *
 * Return: a static string; "unknown fault" for out-of-range codes.
 */
const char *luo_memfd_fault_str(enum luo_memfd_fault fault)
{
	if ((unsigned int)fault >= LUO_MEMFD_NR_FAULTS)
		return "unknown fault";
	return lmc_fault_names[fault];
}
EXPORT_SYMBOL_GPL(luo_memfd_fault_str);

static bool lmc_fail(struct luo_memfd_verdict *v, enum luo_memfd_fault fault,
		     u64 entry, u64 value)
{
	v->fault = fault;
	v->entry = entry;
	v->value = value;
	return false;
}

static bool lmc_ok(struct luo_memfd_verdict *v)
{
	v->fault = LUO_MEMFD_OK;
	v->entry = 0;
	v->value = 0;
	return true;
}

/* Pages covering the file, or ~0 if @lim is so broken this cannot be said. */
static u64 lmc_size_pages(const struct luo_memfd_limits *lim)
{
	u64 page = 1ULL << lim->page_shift;

	return (lim->size >> lim->page_shift) + !!(lim->size & (page - 1));
}

static bool lmc_limits_sane(const struct luo_memfd_limits *lim)
{
	return lim->page_shift >= 9 && lim->page_shift <= 16 &&
	       lim->min_order <= lim->max_order &&
	       lim->max_order <= LUO_MEMFD_MAX_ORDER;
}

/**
 * luo_memfd_check_header - Check the size and count of an incoming array.
 * @lim: Claimed size and count, and this kernel's limits.
 * @v:   Verdict: which field is wrong and its value.
 *
 * The count may not exceed the number of min_order folios that fit in the
 * file, so that a huge count cannot make later steps allocate or walk more
 * than the file can hold.
 *
 * Return: true if acceptable.
 */
bool luo_memfd_check_header(const struct luo_memfd_limits *lim,
			    struct luo_memfd_verdict *v)
{
	u64 pages, max_nr;

	if (!lmc_limits_sane(lim))
		return lmc_fail(v, LUO_MEMFD_BAD_ORDER, 0, lim->max_order);
	if (lim->size > lim->max_size)
		return lmc_fail(v, LUO_MEMFD_BAD_SIZE, 0, lim->size);
	pages = lmc_size_pages(lim);
	max_nr = (pages >> lim->min_order) +
		 !!(pages & ((1ULL << lim->min_order) - 1));
	if (lim->nr > max_nr)
		return lmc_fail(v, LUO_MEMFD_BAD_COUNT, 0, lim->nr);
	return lmc_ok(v);
}
EXPORT_SYMBOL_GPL(luo_memfd_check_header);

/**
 * luo_memfd_check_desc - Check a KHO vmalloc descriptor against the count.
 * @lim:         Claimed count (@lim->nr) and page size.
 * @total_pages: Pages the descriptor claims.
 * @order:       Page order of the descriptor's contiguous chunks.
 * @v:           Verdict.
 *
 * Run before kho_restore_vmalloc(), which trusts its descriptor. The array
 * must have room for @lim->nr entries, and must not be longer than the
 * smallest vmalloc area holding them rounded up to one chunk (a longer
 * buffer means the count or descriptor was tampered with).
 *
 * Return: true if acceptable.
 */
bool luo_memfd_check_desc(const struct luo_memfd_limits *lim, u64 total_pages,
			  u32 order, struct luo_memfd_verdict *v)
{
	u64 need_bytes, need_pages, chunk;

	if (!lmc_limits_sane(lim))
		return lmc_fail(v, LUO_MEMFD_BAD_ORDER, 0, lim->max_order);
	/* vmalloc chunks are at most PMD-sized; 10 also bounds the shift. */
	if (order > 10)
		return lmc_fail(v, LUO_MEMFD_BAD_DESC, 0, order);
	/* More pages than memory: refuse before anything sizes a buffer on it. */
	if (total_pages > lim->max_pfn)
		return lmc_fail(v, LUO_MEMFD_BAD_DESC, 0, total_pages);
	if (lim->nr > (~0ULL >> lim->page_shift) / LUO_MEMFD_ENTRY_SIZE)
		return lmc_fail(v, LUO_MEMFD_BAD_COUNT, 0, lim->nr);
	need_bytes = lim->nr * LUO_MEMFD_ENTRY_SIZE;
	need_pages = (need_bytes >> lim->page_shift) +
		     !!(need_bytes & ((1ULL << lim->page_shift) - 1));
	if (total_pages < need_pages)
		return lmc_fail(v, LUO_MEMFD_SHORT_ARRAY, 0, total_pages);
	chunk = 1ULL << order;
	if (total_pages & (chunk - 1))
		return lmc_fail(v, LUO_MEMFD_BAD_DESC, 0, total_pages);
	if (total_pages - need_pages >= chunk)
		return lmc_fail(v, LUO_MEMFD_LONG_ARRAY, 0, total_pages);
	return lmc_ok(v);
}
EXPORT_SYMBOL_GPL(luo_memfd_check_desc);

/**
 * luo_memfd_check_array - Validate every entry of an incoming folio array.
 * @buf: The array (@lim->buf_len bytes readable).
 * @lim: Count, buffer length, file size and this kernel's limits.
 * @v:   Verdict: first offending entry and value.
 *
 * One linear pass. Checks what can be checked without the folio orders:
 * buffer long enough for the count, flags known, pfn below end of memory,
 * index inside the file and aligned to @lim->min_order, indices strictly
 * increasing. Entries with pfn 0 are holes (never written by this library;
 * accepted for compatibility) and are not ordered. The rest of the buffer
 * must be zero: both this library and stock memfd_luo allocate the array
 * zeroed, so an entry past the count means the count was cut, and the folio
 * it names would silently be missing from the file.
 *
 * Return: true if acceptable.
 */
bool luo_memfd_check_array(const void *buf, const struct luo_memfd_limits *lim,
			   struct luo_memfd_verdict *v)
{
	u64 pages, i, min_next = 0;
	struct luo_memfd_entry e;

	if (!luo_memfd_check_header(lim, v))
		return false;
	if (lim->nr > lim->buf_len / LUO_MEMFD_ENTRY_SIZE)
		return lmc_fail(v, LUO_MEMFD_SHORT_ARRAY, 0, lim->buf_len);
	pages = lmc_size_pages(lim);

	for (i = 0; i < lim->nr; i++) {
		luo_memfd_decode_entry(buf, i, &e);
		if (!e.pfn)
			continue;
		if (e.flags & ~lim->allowed_flags)
			return lmc_fail(v, LUO_MEMFD_BAD_FLAGS, i, e.flags);
		if (e.pfn >= lim->max_pfn)
			return lmc_fail(v, LUO_MEMFD_BAD_PFN, i, e.pfn);
		if (e.index >= pages)
			return lmc_fail(v, LUO_MEMFD_BAD_INDEX, i, e.index);
		if (e.index & ((1ULL << lim->min_order) - 1))
			return lmc_fail(v, LUO_MEMFD_MISALIGNED, i, e.index);
		if (e.index < min_next)
			return lmc_fail(v, LUO_MEMFD_UNSORTED, i, e.index);
		min_next = e.index + 1;
	}
	/* luo_memfd_check_desc() bounds the slack to less than one chunk. */
	for (; i < lim->buf_len / LUO_MEMFD_ENTRY_SIZE; i++) {
		luo_memfd_decode_entry(buf, i, &e);
		if (e.pfn || e.flags || e.index)
			return lmc_fail(v, LUO_MEMFD_TRAILING, i, e.pfn);
	}
	return lmc_ok(v);
}
EXPORT_SYMBOL_GPL(luo_memfd_check_array);

/**
 * luo_memfd_check_folio - Check one entry once its folio order is known.
 * @lim:        This kernel's limits and the file size.
 * @e:          The entry (already passed luo_memfd_check_array()).
 * @i:          Entry number, for the verdict.
 * @order:      Order of the restored folio (from KHO).
 * @next_index: In: first index the folio may start at (end of the previous
 *              folio). Out: end of this folio, on success.
 * @v:          Verdict.
 *
 * Return: true if the folio may be placed at @e->index.
 */
bool luo_memfd_check_folio(const struct luo_memfd_limits *lim,
			   const struct luo_memfd_entry *e, u64 i, u32 order,
			   u64 *next_index, struct luo_memfd_verdict *v)
{
	u64 nr_pages, pages;

	if (!lmc_limits_sane(lim))
		return lmc_fail(v, LUO_MEMFD_BAD_ORDER, i, lim->max_order);
	if (order < lim->min_order || order > lim->max_order)
		return lmc_fail(v, LUO_MEMFD_BAD_ORDER, i, order);
	nr_pages = 1ULL << order;
	if ((e->index | e->pfn) & (nr_pages - 1))
		return lmc_fail(v, LUO_MEMFD_MISALIGNED, i, e->index);
	if (e->pfn >= lim->max_pfn || lim->max_pfn - e->pfn < nr_pages)
		return lmc_fail(v, LUO_MEMFD_BAD_PFN, i, e->pfn);
	pages = lmc_size_pages(lim);
	if (e->index >= pages)
		return lmc_fail(v, LUO_MEMFD_BAD_INDEX, i, e->index);
	if (e->index < *next_index)
		return lmc_fail(v, LUO_MEMFD_OVERLAP, i, e->index);
	/* index < pages <= 2^52, so this cannot overflow. */
	*next_index = e->index + nr_pages;
	return lmc_ok(v);
}
EXPORT_SYMBOL_GPL(luo_memfd_check_folio);

/**
 * luo_memfd_check_file - Check the file fields of an incoming file header.
 * @f:             Position, seals and flags from the previous kernel.
 * @allowed_seals: Seals this kernel can put back.
 * @max_pos:       Largest file position this kernel accepts.
 * @v:             Verdict: which field is wrong and its value.
 *
 * The same check for every memfd handler, before anything is built from
 * the header. Unknown seals or flags may come from a newer kernel: the
 * caller refuses them as unsupported rather than corrupt.
 *
 * Return: true if acceptable.
 */
bool luo_memfd_check_file(const struct luo_memfd_file_hdr *f,
			  u32 allowed_seals, u64 max_pos,
			  struct luo_memfd_verdict *v)
{
	if (f->seals & ~allowed_seals)
		return lmc_fail(v, LUO_MEMFD_BAD_SEALS, 0, f->seals);
	if (f->flags)
		return lmc_fail(v, LUO_MEMFD_BAD_FILE_FLAGS, 0, f->flags);
	if (f->pos > max_pos)
		return lmc_fail(v, LUO_MEMFD_BAD_POS, 0, f->pos);
	return lmc_ok(v);
}
EXPORT_SYMBOL_GPL(luo_memfd_check_file);

/**
 * luo_memfd_encode_hstate - Write record @i of a per-hstate count table.
 * @buf: Table start.
 * @i:   Record number; the caller guarantees it is within the buffer.
 * @hc:  Order and page count to write.
 */
void luo_memfd_encode_hstate(void *buf, u64 i,
			     const struct luo_memfd_hstate_count *hc)
{
	u8 *p = (u8 *)buf + i * LUO_MEMFD_HSTATE_REC_SIZE;

	lmc_put_le64(p, hc->order);
	lmc_put_le64(p + 8, hc->nr_pages);
}
EXPORT_SYMBOL_GPL(luo_memfd_encode_hstate);

/**
 * luo_memfd_check_hstates - Validate and decode a per-hstate count table.
 * @buf:     The table (@buf_len bytes readable), from the previous kernel.
 * @buf_len: Bytes readable at @buf.
 * @count:   Number of records claimed.
 * @max_pfn: Exclusive end of memory in pages; the preserved pages of all
 *           hstates together cannot exceed it.
 * @out:     Decoded records (room for %LUO_MEMFD_MAX_HSTATES); written only
 *           when the whole table is valid.
 * @v:       Verdict.
 *
 * Allocation-free and read-only, for early boot. Rejects: more than
 * %LUO_MEMFD_MAX_HSTATES records, a table shorter than its count, non-zero
 * reserved bits, orders outside 1..%LUO_MEMFD_MAX_ORDER, an order listed
 * twice, and page counts larger than memory.
 *
 * Return: true if valid.
 */
bool luo_memfd_check_hstates(const void *buf, u64 buf_len, u64 count,
			     u64 max_pfn, struct luo_memfd_hstate_count *out,
			     struct luo_memfd_verdict *v)
{
	struct luo_memfd_hstate_count hc[LUO_MEMFD_MAX_HSTATES];
	u64 i, j, pages = 0;

	if (count > LUO_MEMFD_MAX_HSTATES)
		return lmc_fail(v, LUO_MEMFD_BAD_COUNT, 0, count);
	if (count > buf_len / LUO_MEMFD_HSTATE_REC_SIZE)
		return lmc_fail(v, LUO_MEMFD_SHORT_ARRAY, 0, buf_len);

	for (i = 0; i < count; i++) {
		const u8 *p = (const u8 *)buf + i * LUO_MEMFD_HSTATE_REC_SIZE;
		u64 word = lmc_get_le64(p);

		if (word >> 32)
			return lmc_fail(v, LUO_MEMFD_BAD_FLAGS, i, word >> 32);
		hc[i].order = (u32)word;
		hc[i].nr_pages = lmc_get_le64(p + 8);
		if (!hc[i].order || hc[i].order > LUO_MEMFD_MAX_ORDER)
			return lmc_fail(v, LUO_MEMFD_BAD_ORDER, i, hc[i].order);
		for (j = 0; j < i; j++)
			if (hc[j].order == hc[i].order)
				return lmc_fail(v, LUO_MEMFD_UNSORTED, i,
						hc[i].order);
		/* nr_pages << order <= max_pfn - pages, without overflow. */
		if (hc[i].nr_pages > ((max_pfn - pages) >> hc[i].order))
			return lmc_fail(v, LUO_MEMFD_BAD_PFN, i, hc[i].nr_pages);
		pages += hc[i].nr_pages << hc[i].order;
	}
	for (i = 0; i < count; i++)
		out[i] = hc[i];
	return lmc_ok(v);
}
EXPORT_SYMBOL_GPL(luo_memfd_check_hstates);
