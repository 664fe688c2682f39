// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for the incoming-data validators of luo_memfd_common.
 *
 * Input: a 64-byte header (count, size, max_pfn, flags, orders, page shift,
 * descriptor pages/order, then a file header's position, seals and flags)
 * followed by the array bytes. The array is copied into an exactly sized
 * heap buffer so ASan sees any read past it. When the array validates, each
 * entry is also run through luo_memfd_check_folio() with an order taken from
 * the input (up to 32, past LUO_MEMFD_MAX_ORDER, so 2 MiB and 1 GiB folios
 * and insane orders are all tried), as the kernel does before restore. The
 * same bytes are also read as a per-hstate count table, and the file header
 * goes through luo_memfd_check_file(). tests/luo_memfd_common/corpus holds
 * seeds (make-seeds.py): valid shmem, 2 MiB and 1 GiB arrays, hstate tables.
 */
#include <stdlib.h>
#include <string.h>

#include "lmc_compat.h"

/* Bytes of fuzzer input before the array. */
#define LMC_FUZZ_HDR 64

static u64 rd64(const u8 *p)
{
	u64 v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static u32 rd32(const u8 *p)
{
	u32 v;

	memcpy(&v, p, sizeof(v));
	return v;
}

int LLVMFuzzerTestOneInput(const u8 *data, size_t len);

int LLVMFuzzerTestOneInput(const u8 *data, size_t len)
{
	struct luo_memfd_file_hdr f;
	struct luo_memfd_limits lim;
	struct luo_memfd_verdict v;
	struct luo_memfd_entry e;
	u64 i, next = 0, total_pages;
	u32 desc_order, order_seed;
	u8 *buf;

	if (len < LMC_FUZZ_HDR)
		return 0;
	lim.nr = rd64(data);
	lim.size = rd64(data + 8);
	lim.max_pfn = rd64(data + 16) & ((1ULL << 53) - 1);
	lim.allowed_flags = rd32(data + 24) & 0xfff;
	lim.min_order = data[28] % 32;
	lim.max_order = data[29] % 32;
	lim.page_shift = 9 + data[30] % 10;	/* also some insane shifts */
	order_seed = data[31];
	total_pages = rd64(data + 32);
	desc_order = rd32(data + 40);
	lim.max_size = (u64)INT64_MAX;
	/* Small counts are the interesting ones; big ones hit the header check. */
	if (data[44] & 1)
		lim.nr %= 4096;
	lim.buf_len = len - LMC_FUZZ_HDR;

	buf = malloc(lim.buf_len ? lim.buf_len : 1);
	if (!buf)
		return 0;
	memcpy(buf, data + LMC_FUZZ_HDR, lim.buf_len);

	/* The file header, against 7 known seals and a 2^63 - 1 position. */
	f.pos = rd64(data + 48);
	f.seals = rd32(data + 56);
	f.flags = rd32(data + 60);
	if (luo_memfd_check_file(&f, 0x7f, (u64)INT64_MAX, &v) &&
	    ((f.seals & ~0x7fU) || f.flags || f.pos > (u64)INT64_MAX))
		__builtin_trap();	/* accepted a field out of range */

	luo_memfd_check_header(&lim, &v);
	luo_memfd_check_desc(&lim, total_pages, desc_order, &v);
	(void)luo_memfd_fault_str(v.fault);

	if (luo_memfd_check_array(buf, &lim, &v)) {
		if (lim.nr > lim.buf_len / LUO_MEMFD_ENTRY_SIZE)
			__builtin_trap();	/* validated past the buffer */
		for (i = 0; i < lim.nr; i++) {
			/* Every folio of the file's own order, or any order. */
			u32 order = order_seed & 0x80 ? lim.min_order :
				    (order_seed + (u32)i) % 33;

			luo_memfd_decode_entry(buf, i, &e);
			if (!e.pfn)
				continue;
			if (!luo_memfd_check_folio(&lim, &e, i, order, &next, &v))
				break;
			if (order > LUO_MEMFD_MAX_ORDER ||
			    next > (((lim.size >> lim.page_shift) + 1 +
				     (1ULL << order))))
				__builtin_trap();	/* insane order, or past EOF */
		}
	} else {
		(void)luo_memfd_fault_str(v.fault);
	}

	/* The same bytes as a per-hstate count table. */
	{
		struct luo_memfd_hstate_count hc[LUO_MEMFD_MAX_HSTATES];
		u64 k, total = 0;

		if (luo_memfd_check_hstates(buf, lim.buf_len, data[45] % 8,
					    lim.max_pfn, hc, &v)) {
			for (k = 0; k < (u64)(data[45] % 8); k++)
				total += hc[k].nr_pages << hc[k].order;
			if (total > lim.max_pfn)
				__builtin_trap();	/* accepted more than memory */
		}
	}
	free(buf);
	return 0;
}
