// SPDX-License-Identifier: GPL-2.0
/*
 * cmocka tests for the pure part of luo_memfd_common
 * (lib/luo_memfd_common/layout.c): entry layout and validation of incoming
 * folio arrays. Built with ASan/UBSan by tests.mk (lmc-unit).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "lmc_compat.h"

#define PAGE_SHIFT	12
#define NR		8

static struct luo_memfd_limits base_limits(u64 nr)
{
	struct luo_memfd_limits lim = {
		.nr = nr,
		.buf_len = nr * LUO_MEMFD_ENTRY_SIZE,
		.size = (u64)NR << PAGE_SHIFT,
		.max_size = (u64)INT64_MAX,
		.max_pfn = 1ULL << 20,
		.allowed_flags = 3,
		.page_shift = PAGE_SHIFT,
		.min_order = 0,
		.max_order = 9,
	};
	return lim;
}

/* An exactly sized array so ASan catches any read past it. */
static u8 *make_array(u64 nr)
{
	u8 *buf = malloc(nr ? nr * LUO_MEMFD_ENTRY_SIZE : 1);
	struct luo_memfd_entry e;
	u64 i;

	assert_non_null(buf);
	for (i = 0; i < nr; i++) {
		e.pfn = 0x1000 + i;
		e.flags = 3;
		e.index = i;
		luo_memfd_encode_entry(buf, i, &e);
	}
	return buf;
}

static void set_entry(u8 *buf, u64 i, u64 pfn, u32 flags, u64 index)
{
	struct luo_memfd_entry e = { .pfn = pfn, .flags = flags, .index = index };

	luo_memfd_encode_entry(buf, i, &e);
}

static void test_roundtrip(void **state)
{
	u8 buf[2 * LUO_MEMFD_ENTRY_SIZE];
	struct luo_memfd_entry e = {
		.pfn = 0x0edcba9876543ULL, .flags = 0xfff, .index = ~0ULL,
	}, d;

	(void)state;
	memset(buf, 0, sizeof(buf));
	luo_memfd_encode_entry(buf, 1, &e);
	luo_memfd_decode_entry(buf, 1, &d);
	assert_int_equal(d.pfn, e.pfn);
	assert_int_equal(d.flags, e.flags);
	assert_int_equal(d.index, e.index);
	/* Little-endian, pfn in the low 52 bits, flags in the top 12. */
	assert_int_equal(buf[16], 0x43);
	assert_int_equal(buf[23], 0xff);
	assert_int_equal(buf[22], 0xf0);
	/* Entry 0 untouched. */
	luo_memfd_decode_entry(buf, 0, &d);
	assert_int_equal(d.pfn, 0);
	/* Oversized fields are truncated to their wire width. */
	e.pfn = ~0ULL;
	e.flags = 0xffffffff;
	luo_memfd_encode_entry(buf, 0, &e);
	luo_memfd_decode_entry(buf, 0, &d);
	assert_int_equal(d.pfn, LUO_MEMFD_PFN_MASK);
	assert_int_equal(d.flags, LUO_MEMFD_FLAGS_MASK);
}

static void test_fault_str(void **state)
{
	int f;

	(void)state;
	for (f = 0; f < LUO_MEMFD_NR_FAULTS; f++)
		assert_non_null(luo_memfd_fault_str(f));
	assert_string_equal(luo_memfd_fault_str(LUO_MEMFD_NR_FAULTS), "unknown fault");
	assert_string_equal(luo_memfd_fault_str(-1), "unknown fault");
}

static void test_valid(void **state)
{
	struct luo_memfd_limits lim = base_limits(NR);
	struct luo_memfd_verdict v;
	u8 *buf = make_array(NR);

	(void)state;
	assert_true(luo_memfd_check_header(&lim, &v));
	assert_true(luo_memfd_check_array(buf, &lim, &v));
	assert_int_equal(v.fault, LUO_MEMFD_OK);
	free(buf);
}

static void test_empty(void **state)
{
	struct luo_memfd_limits lim = base_limits(0);
	struct luo_memfd_verdict v;

	(void)state;
	lim.size = 0;
	assert_true(luo_memfd_check_array(NULL, &lim, &v));
	lim.nr = 1;
	assert_false(luo_memfd_check_array(NULL, &lim, &v));
	assert_int_equal(v.fault, LUO_MEMFD_BAD_COUNT);
}

static void test_header(void **state)
{
	struct luo_memfd_limits lim = base_limits(NR);
	struct luo_memfd_verdict v;

	(void)state;
	lim.size = lim.max_size + 1;
	assert_false(luo_memfd_check_header(&lim, &v));
	assert_int_equal(v.fault, LUO_MEMFD_BAD_SIZE);

	lim = base_limits(NR + 1);
	assert_false(luo_memfd_check_header(&lim, &v));
	assert_int_equal(v.fault, LUO_MEMFD_BAD_COUNT);
	assert_int_equal(v.value, NR + 1);

	/* A partial last page still holds one folio. */
	lim = base_limits(NR + 1);
	lim.size += 1;
	assert_true(luo_memfd_check_header(&lim, &v));

	/* HugeTLB-like: 2 MiB folios, count bounded by huge pages. */
	lim = base_limits(2);
	lim.min_order = 9;
	lim.size = 2ULL << 21;
	assert_true(luo_memfd_check_header(&lim, &v));
	lim.nr = 3;
	assert_false(luo_memfd_check_header(&lim, &v));

	/* Nonsense limits are refused, not trusted. */
	lim = base_limits(1);
	lim.min_order = 5;
	lim.max_order = 4;
	assert_false(luo_memfd_check_header(&lim, &v));
	lim = base_limits(1);
	lim.page_shift = 63;
	assert_false(luo_memfd_check_header(&lim, &v));
}

static void test_short_array(void **state)
{
	struct luo_memfd_limits lim = base_limits(NR);
	struct luo_memfd_verdict v;
	u8 *buf = make_array(NR - 1);

	(void)state;
	lim.buf_len = (NR - 1) * LUO_MEMFD_ENTRY_SIZE + 15;
	assert_false(luo_memfd_check_array(buf, &lim, &v));
	assert_int_equal(v.fault, LUO_MEMFD_SHORT_ARRAY);
	free(buf);
}

static void expect_entry_fault(u8 *buf, struct luo_memfd_limits *lim,
			       enum luo_memfd_fault fault, u64 entry)
{
	struct luo_memfd_verdict v;

	assert_false(luo_memfd_check_array(buf, lim, &v));
	assert_int_equal(v.fault, fault);
	assert_int_equal(v.entry, entry);
}

static void test_entry_faults(void **state)
{
	struct luo_memfd_limits lim = base_limits(NR);
	u8 *buf;

	(void)state;
	buf = make_array(NR);
	set_entry(buf, 3, 0x2000, 4, 3);
	expect_entry_fault(buf, &lim, LUO_MEMFD_BAD_FLAGS, 3);
	free(buf);

	buf = make_array(NR);
	set_entry(buf, 5, lim.max_pfn, 3, 5);
	expect_entry_fault(buf, &lim, LUO_MEMFD_BAD_PFN, 5);
	free(buf);

	buf = make_array(NR);
	set_entry(buf, 7, 0x3000, 3, NR);
	expect_entry_fault(buf, &lim, LUO_MEMFD_BAD_INDEX, 7);
	free(buf);

	buf = make_array(NR);
	set_entry(buf, 4, 0x3000, 3, 3);	/* duplicate of entry 3's index */
	expect_entry_fault(buf, &lim, LUO_MEMFD_UNSORTED, 4);
	free(buf);

	buf = make_array(NR);
	set_entry(buf, 2, 0x3000, 3, 6);	/* jumps ahead, 3 then goes back */
	expect_entry_fault(buf, &lim, LUO_MEMFD_UNSORTED, 3);
	free(buf);

	buf = make_array(NR);
	lim.min_order = 1;
	lim.nr = NR / 2;
	set_entry(buf, 1, 0x3000, 3, 3);
	expect_entry_fault(buf, &lim, LUO_MEMFD_MISALIGNED, 1);
	free(buf);
}

static void test_holes(void **state)
{
	struct luo_memfd_limits lim = base_limits(NR);
	struct luo_memfd_verdict v;
	u8 *buf = make_array(NR);

	(void)state;
	/* pfn 0 is a hole: its other fields are ignored. */
	set_entry(buf, 2, 0, 0xfff, ~0ULL);
	assert_true(luo_memfd_check_array(buf, &lim, &v));
	free(buf);
}

static void test_desc(void **state)
{
	struct luo_memfd_limits lim = base_limits(300);
	struct luo_memfd_verdict v;

	(void)state;
	lim.size = 300ULL << PAGE_SHIFT;
	assert_true(luo_memfd_check_desc(&lim, 2, 0, &v));
	assert_false(luo_memfd_check_desc(&lim, 1, 0, &v));
	assert_int_equal(v.fault, LUO_MEMFD_SHORT_ARRAY);
	assert_false(luo_memfd_check_desc(&lim, 3, 0, &v));
	assert_int_equal(v.fault, LUO_MEMFD_LONG_ARRAY);
	/* Huge-vmap chunks: 2 pages needed, one 4-page chunk is fine. */
	assert_true(luo_memfd_check_desc(&lim, 4, 2, &v));
	assert_false(luo_memfd_check_desc(&lim, 8, 2, &v));
	assert_false(luo_memfd_check_desc(&lim, 6, 2, &v));
	assert_int_equal(v.fault, LUO_MEMFD_BAD_DESC);
	assert_false(luo_memfd_check_desc(&lim, 2, 11, &v));
	assert_int_equal(v.fault, LUO_MEMFD_BAD_DESC);
	assert_false(luo_memfd_check_desc(&lim, 2, 0xffff, &v));
	/* More pages than memory: refused before anything is allocated. */
	lim.max_pfn = 1;
	assert_false(luo_memfd_check_desc(&lim, 2, 0, &v));
	assert_int_equal(v.fault, LUO_MEMFD_BAD_DESC);
	/* A count whose byte size overflows. */
	lim = base_limits(~0ULL / 8);
	assert_false(luo_memfd_check_desc(&lim, 2, 0, &v));
}

static void test_folio(void **state)
{
	struct luo_memfd_limits lim = base_limits(4);
	struct luo_memfd_entry e = { .pfn = 0x200, .flags = 3, .index = 0 };
	struct luo_memfd_verdict v;
	u64 next = 0;

	(void)state;
	lim.size = 64ULL << PAGE_SHIFT;
	/* order 2 at 0 -> next 4 */
	assert_true(luo_memfd_check_folio(&lim, &e, 0, 2, &next, &v));
	assert_int_equal(next, 4);
	/* order 0 at 2 overlaps [0, 4) */
	e.index = 2;
	e.pfn = 0x300;
	assert_false(luo_memfd_check_folio(&lim, &e, 1, 0, &next, &v));
	assert_int_equal(v.fault, LUO_MEMFD_OVERLAP);
	/* order 3 at 12: misaligned index */
	e.index = 12;
	assert_false(luo_memfd_check_folio(&lim, &e, 1, 3, &next, &v));
	assert_int_equal(v.fault, LUO_MEMFD_MISALIGNED);
	/* order 3 at 8 but pfn misaligned */
	e.index = 8;
	e.pfn = 0x304;
	assert_false(luo_memfd_check_folio(&lim, &e, 1, 3, &next, &v));
	assert_int_equal(v.fault, LUO_MEMFD_MISALIGNED);
	/* order above max_order */
	e.pfn = 0x400;
	assert_false(luo_memfd_check_folio(&lim, &e, 1, 10, &next, &v));
	assert_int_equal(v.fault, LUO_MEMFD_BAD_ORDER);
	/* folio running past the end of memory */
	lim.max_pfn = (1ULL << 20) + 4;
	e.pfn = 1ULL << 20;
	assert_false(luo_memfd_check_folio(&lim, &e, 1, 3, &next, &v));
	assert_int_equal(v.fault, LUO_MEMFD_BAD_PFN);
	/* index at EOF */
	e.pfn = 0x400;
	e.index = 64;
	assert_false(luo_memfd_check_folio(&lim, &e, 1, 3, &next, &v));
	assert_int_equal(v.fault, LUO_MEMFD_BAD_INDEX);
	/* a THP straddling a non-aligned EOF is fine */
	lim.size = (60ULL << PAGE_SHIFT) + 1;
	e.index = 56;
	assert_true(luo_memfd_check_folio(&lim, &e, 1, 3, &next, &v));
	assert_int_equal(next, 64);
	/* HugeTLB limits: only the hstate order */
	lim.min_order = 9;
	lim.max_order = 9;
	next = 0;
	e.index = 0;
	e.pfn = 0x200;
	assert_false(luo_memfd_check_folio(&lim, &e, 0, 0, &next, &v));
	assert_int_equal(v.fault, LUO_MEMFD_BAD_ORDER);
}

static void test_hstates(void **state)
{
	struct luo_memfd_hstate_count in[3] = {
		{ .order = 9, .nr_pages = 100 }, { .order = 18, .nr_pages = 2 },
		{ .order = 9, .nr_pages = 1 },
	}, out[LUO_MEMFD_MAX_HSTATES];
	u8 buf[4 * LUO_MEMFD_HSTATE_REC_SIZE];
	struct luo_memfd_verdict v;
	u64 max_pfn = 1ULL << 21;	/* 8 GiB */

	(void)state;
	memset(buf, 0, sizeof(buf));
	luo_memfd_encode_hstate(buf, 0, &in[0]);
	luo_memfd_encode_hstate(buf, 1, &in[1]);
	assert_true(luo_memfd_check_hstates(buf, sizeof(buf), 2, max_pfn, out, &v));
	assert_int_equal(out[0].order, 9);
	assert_int_equal(out[0].nr_pages, 100);
	assert_int_equal(out[1].order, 18);
	assert_int_equal(out[1].nr_pages, 2);
	assert_true(luo_memfd_check_hstates(buf, 0, 0, max_pfn, out, &v));

	assert_false(luo_memfd_check_hstates(buf, sizeof(buf), 5, max_pfn, out, &v));
	assert_int_equal(v.fault, LUO_MEMFD_BAD_COUNT);
	assert_false(luo_memfd_check_hstates(buf, 31, 2, max_pfn, out, &v));
	assert_int_equal(v.fault, LUO_MEMFD_SHORT_ARRAY);
	/* same order twice */
	luo_memfd_encode_hstate(buf, 2, &in[2]);
	assert_false(luo_memfd_check_hstates(buf, sizeof(buf), 3, max_pfn, out, &v));
	assert_int_equal(v.fault, LUO_MEMFD_UNSORTED);
	assert_int_equal(v.entry, 2);
	/* reserved bits */
	buf[4] = 1;
	assert_false(luo_memfd_check_hstates(buf, sizeof(buf), 1, max_pfn, out, &v));
	assert_int_equal(v.fault, LUO_MEMFD_BAD_FLAGS);
	buf[4] = 0;
	/* more pages than memory, also via overflow */
	in[1].nr_pages = 8;	/* 8 GiB of 1 GiB pages + 200 MiB */
	luo_memfd_encode_hstate(buf, 1, &in[1]);
	assert_false(luo_memfd_check_hstates(buf, sizeof(buf), 2, max_pfn, out, &v));
	assert_int_equal(v.fault, LUO_MEMFD_BAD_PFN);
	in[1].nr_pages = ~0ULL;
	luo_memfd_encode_hstate(buf, 1, &in[1]);
	assert_false(luo_memfd_check_hstates(buf, sizeof(buf), 2, max_pfn, out, &v));
	/* order 0 or too large */
	in[0].order = 0;
	luo_memfd_encode_hstate(buf, 0, &in[0]);
	assert_false(luo_memfd_check_hstates(buf, sizeof(buf), 1, max_pfn, out, &v));
	assert_int_equal(v.fault, LUO_MEMFD_BAD_ORDER);
	in[0].order = 31;
	luo_memfd_encode_hstate(buf, 0, &in[0]);
	assert_false(luo_memfd_check_hstates(buf, sizeof(buf), 1, max_pfn, out, &v));
}

/*
 * A buffer longer than its count: zero slack is fine, anything in it (an
 * entry whose count was cut, or a stray flag or index) is refused, naming
 * the first such entry.
 */
static void test_trailing(void **state)
{
	struct luo_memfd_limits lim = base_limits(NR - 2);
	struct luo_memfd_verdict v;
	u8 *buf = make_array(NR);

	(void)state;
	lim.buf_len = (u64)NR * LUO_MEMFD_ENTRY_SIZE;
	/* the count cut by two: entries NR - 2 and NR - 1 left out */
	assert_false(luo_memfd_check_array(buf, &lim, &v));
	assert_int_equal(v.fault, LUO_MEMFD_TRAILING);
	assert_int_equal(v.entry, NR - 2);
	memset(buf + (NR - 2) * LUO_MEMFD_ENTRY_SIZE, 0, 2 * LUO_MEMFD_ENTRY_SIZE);
	assert_true(luo_memfd_check_array(buf, &lim, &v));
	set_entry(buf, NR - 1, 0, 1, 0);		/* a flag alone */
	assert_false(luo_memfd_check_array(buf, &lim, &v));
	assert_int_equal(v.fault, LUO_MEMFD_TRAILING);
	assert_int_equal(v.entry, NR - 1);
	set_entry(buf, NR - 1, 0, 0, 5);		/* an index alone */
	assert_false(luo_memfd_check_array(buf, &lim, &v));
	assert_int_equal(v.fault, LUO_MEMFD_TRAILING);
	free(buf);
}

/*
 * File header: each field alone outside what this kernel accepts is
 * refused and named; at the limit it is accepted. The limits are the test's
 * own (seals 0x1f, position 1 MiB), not the kernel's.
 */
static void test_file(void **state)
{
	const struct luo_memfd_file_hdr good = { .pos = 1 << 20, .seals = 0x1f };
	struct luo_memfd_file_hdr f;
	struct luo_memfd_verdict v;
	u32 bit;

	(void)state;
	assert_true(luo_memfd_check_file(&good, 0x1f, 1 << 20, &v));
	assert_int_equal(v.fault, LUO_MEMFD_OK);
	for (bit = 5; bit < 32; bit++) {
		f = good;
		f.seals |= 1U << bit;
		assert_false(luo_memfd_check_file(&f, 0x1f, 1 << 20, &v));
		assert_int_equal(v.fault, LUO_MEMFD_BAD_SEALS);
		assert_int_equal(v.value, f.seals);
	}
	for (bit = 0; bit < 32; bit++) {
		f = good;
		f.flags = 1U << bit;
		assert_false(luo_memfd_check_file(&f, 0x1f, 1 << 20, &v));
		assert_int_equal(v.fault, LUO_MEMFD_BAD_FILE_FLAGS);
		assert_int_equal(v.value, f.flags);
	}
	f = good;
	f.pos = (1 << 20) + 1;
	assert_false(luo_memfd_check_file(&f, 0x1f, 1 << 20, &v));
	assert_int_equal(v.fault, LUO_MEMFD_BAD_POS);
	assert_int_equal(v.value, (1 << 20) + 1);
	f.pos = ~0ULL;
	assert_false(luo_memfd_check_file(&f, 0x1f, 1 << 20, &v));
	assert_int_equal(v.fault, LUO_MEMFD_BAD_POS);
	assert_string_equal(luo_memfd_fault_str(LUO_MEMFD_BAD_POS),
			    "file position out of range");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_fault_str),
		cmocka_unit_test(test_valid),
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_header),
		cmocka_unit_test(test_short_array),
		cmocka_unit_test(test_entry_faults),
		cmocka_unit_test(test_holes),
		cmocka_unit_test(test_desc),
		cmocka_unit_test(test_folio),
		cmocka_unit_test(test_hstates),
		cmocka_unit_test(test_file),
		cmocka_unit_test(test_trailing),
	};

	return cmocka_run_group_tests_name("luo_memfd_common", tests, NULL, NULL);
}
