/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * Test handovers built from first principles: a KHO root FDT written with
 * libfdt's sequential-write API, and blobs laid out byte by byte the way
 * Linux 7.3 lays them out (include/linux/kho/abi/). Used by the unit tests,
 * the CLI test's fake debugfs trees and the fuzzer's seed corpus.
 */
#ifndef MKHANDOVER_H
#define MKHANDOVER_H

#include <stdint.h>
#include <string.h>

#include <libfdt.h>

struct mk_entry {
	const char *name;
	uint64_t phys, size;
	int phys_len, size_len;	/* 8; 0 leaves the property out */
};

static inline void mk_put64(unsigned char *p, uint64_t v)
{
	int i;

	for (i = 0; i < 8; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static inline void mk_put32(unsigned char *p, uint32_t v)
{
	int i;

	for (i = 0; i < 4; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

/* A root FDT in @buf (@cap bytes); its size, or 0 if it does not fit. */
static inline size_t mk_root(void *buf, int cap, const char *compat,
			     uint64_t mem_map, const struct mk_entry *e, int n)
{
	unsigned char v[8];
	int i, err = 0;

	err |= fdt_create(buf, cap);
	err |= fdt_finish_reservemap(buf);
	err |= fdt_begin_node(buf, "");
	if (compat)
		err |= fdt_property_string(buf, "compatible", compat);
	mk_put64(v, mem_map);
	err |= fdt_property(buf, "preserved-memory-map", v, 8);
	for (i = 0; i < n; i++) {
		err |= fdt_begin_node(buf, e[i].name);
		mk_put64(v, e[i].phys);
		if (e[i].phys_len)
			err |= fdt_property(buf, "preserved-data", v,
					    e[i].phys_len);
		mk_put64(v, e[i].size);
		if (e[i].size_len)
			err |= fdt_property(buf, "blob-size", v, e[i].size_len);
		err |= fdt_end_node(buf);
	}
	err |= fdt_end_node(buf);
	err |= fdt_finish(buf);
	return err ? 0 : fdt_totalsize(buf);
}

/* struct luo_ser: 32 bytes. */
static inline size_t mk_luo(unsigned char *p, const char *compat,
			    uint64_t number, uint64_t sessions, uint64_t flbs)
{
	memset(p, 0, 32);
	strncpy((char *)p, compat, 8);
	mk_put64(p + 8, number);
	mk_put64(p + 16, sessions);
	mk_put64(p + 24, flbs);
	return 32;
}

/* struct luo_file_mem_ser with @count entries. */
static inline size_t mk_file_mem(unsigned char *p, uint64_t count)
{
	uint64_t i;

	memset(p, 0, 32 + 16 * count);
	strcpy((char *)p, "luo-file-memory-v1");
	mk_put64(p + 24, count);
	for (i = 0; i < count; i++) {
		mk_put64(p + 32 + 16 * i, 0x1000 * (i + 1));
		mk_put64(p + 40 + 16 * i, 0x2000 * (i + 1));
	}
	return 32 + 16 * count;
}

/* struct kho_kexec_metadata: 73 bytes. */
static inline size_t mk_meta(unsigned char *p, uint32_t version,
			     const char *release, uint32_t count)
{
	memset(p, 0, 73);
	mk_put32(p, version);
	strncpy((char *)p + 4, release, 64);
	mk_put32(p + 69, count);
	return 73;
}

#endif /* MKHANDOVER_H */
