// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * Writes the fuzzer's seed corpus (tests/inspect/corpus/) from first
 * principles: usage: mkseeds DIR. Each file is one selector byte (below
 * 0x80: a root FDT; 0x80 + i: the blob of names[i % 4] in the fuzzer)
 * and the bytes.
 */
#include <stdio.h>
#include <stdlib.h>

#include "mkhandover.h"

static uint64_t buf[2048];

static void put(const char *dir, const char *name, unsigned char sel,
		const void *p, size_t len)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	if (!f || fputc(sel, f) == EOF || fwrite(p, 1, len, f) != len ||
	    fclose(f)) {
		perror(path);
		exit(1);
	}
}

int main(int argc, char **argv)
{
	static const struct mk_entry cold[] = {
		{ "LUO", 0x202f0000, 32, 8, 8 },
		{ "kexec-metadata", 0x20490000, 73, 8, 8 },
	};
	static const struct mk_entry kexec[] = {
		{ "LUO", 0x202f0000, 32, 8, 8 },
		{ "LUO-file-memory", 0x20330000, 64, 8, 8 },
		{ "kexec-metadata", 0x20490000, 73, 8, 8 },
		{ "memblock", 0x20500000, 300, 8, 8 },
		{ "odd", 0x1000, 0, 4, 0 },
	};
	static const struct mk_entry rsv[] = { { "reserve_mem", 1, 2, 8, 8 } };
	unsigned char *p = (unsigned char *)buf;
	size_t n;

	if (argc != 2) {
		fprintf(stderr, "usage: mkseeds DIR\n");
		return 2;
	}
	n = mk_root(buf, sizeof(buf), "kho-v4", 0xa05600000ULL, cold, 2);
	put(argv[1], "root-cold", 0x00, buf, n);
	n = mk_root(buf, sizeof(buf), "kho-v4", 0xa05600000ULL, kexec, 5);
	put(argv[1], "root-kexec", 0x01, buf, n);
	put(argv[1], "root-cut", 0x02, buf, n - 52);
	/* Version 15 (libfdt 1.6.1's fdt_check_full() crashes on it). */
	p[0x17] = 15;
	p[0x1b] = 15;
	put(argv[1], "root-v15", 0x03, buf, n);
	n = mk_luo(p, "luo-v5", 1, 0, 0x4db000);
	put(argv[1], "luo", 0x80, p, n);
	n = mk_file_mem(p, 2);
	put(argv[1], "file-memory", 0x81, p, n);
	n = mk_meta(p, 1, "7.3.4", 1);
	put(argv[1], "metadata", 0x82, p, n);
	n = mk_root(buf, sizeof(buf), "memblock-v1", 0, rsv, 1);
	put(argv[1], "memblock-fdt", 0x83, buf, n);
	return 0;
}
