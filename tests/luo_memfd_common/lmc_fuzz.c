// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for the incoming-array validator of luo_memfd_common.
 *
 * Input: a 48-byte header (count, size, max_pfn, flags, orders, page shift,
 * descriptor pages/order) followed by the array bytes. The array is copied
 * into an exactly sized heap buffer so ASan sees any read past it. When the
 * array validates, each entry is also run through luo_memfd_check_folio()
 * with an order taken from the input, as the kernel does after restore.
 */
#include <stdlib.h>
#include <string.h>

#include "lmc_compat.h"

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
	struct luo_memfd_limits lim;
	struct luo_memfd_verdict v;
	struct luo_memfd_entry e;
	u64 i, next = 0, total_pages;
	u32 desc_order, order_seed;
	u8 *buf;

	if (len < 48)
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
	lim.buf_len = len - 48;

	buf = malloc(lim.buf_len ? lim.buf_len : 1);
	if (!buf)
		return 0;
	memcpy(buf, data + 48, lim.buf_len);

	luo_memfd_check_header(&lim, &v);
	luo_memfd_check_desc(&lim, total_pages, desc_order, &v);
	(void)luo_memfd_fault_str(v.fault);

	if (luo_memfd_check_array(buf, &lim, &v)) {
		if (lim.nr > lim.buf_len / LUO_MEMFD_ENTRY_SIZE)
			__builtin_trap();	/* validated past the buffer */
		for (i = 0; i < lim.nr; i++) {
			u32 order = (order_seed + (u32)i) % 12;

			luo_memfd_decode_entry(buf, i, &e);
			if (!e.pfn)
				continue;
			if (!luo_memfd_check_folio(&lim, &e, i, order, &next, &v))
				break;
			if (next > (((lim.size >> lim.page_shift) + 1 +
				     (1ULL << order))))
				__builtin_trap();	/* folio past EOF */
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
