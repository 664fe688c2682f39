// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * Writes a fake debugfs tree (DIR/kho/...) the way Linux 7.3 with patch
 * 0060 lays it out, for luo-inspect's CLI test. usage: mktree DIR SCENARIO
 *   cold       kho/out only: root FDT with LUO (live update 1) and
 *              kexec-metadata (count 1), their blobs, two scratch areas
 *   kexec      kho/out (live update 2) and kho/in: LUO (1),
 *              LUO-file-memory (2 files), kexec-metadata, memblock (an FDT)
 *   truncated  cold, with kho/out/fdt cut 52 bytes short (7.3 without 0060)
 *   freed      kexec, with kho/in/sub_fdts/LUO holding an ELF header (what
 *              7.3 without 0060 shows once LUO freed its blob)
 *   zeroed     kexec, with kho/in/sub_fdts/LUO all zeros (freed, then zeroed)
 *   mismatch   cold, with the kexec-metadata blob 3 bytes short of its entry
 *   nokho      DIR only
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "mkhandover.h"

static char dir[512];
static uint64_t buf[2048];

static void file(const char *rel, const void *p, size_t len)
{
	char path[1024];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	f = fopen(path, "wb");
	if (!f || fwrite(p, 1, len, f) != len || fclose(f)) {
		perror(path);
		exit(1);
	}
}

static void mkdirs(const char *rel)
{
	char path[1024];

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	if (mkdir(path, 0755)) {
		perror(path);
		exit(1);
	}
}

static void view_out(uint64_t number, size_t cut, size_t meta_short)
{
	static const struct mk_entry e[] = {
		{ "LUO", 0x202f0000, 32, 8, 8 },
		{ "kexec-metadata", 0x20490000, 73, 8, 8 },
	};
	static const char phys[] = "0x76800000\n0x70000000\n";
	static const char len[] = "0x6800000\n0x400000\n";
	unsigned char *p = (unsigned char *)buf;
	size_t n;

	mkdirs("kho/out");
	mkdirs("kho/out/sub_fdts");
	n = mk_root(buf, sizeof(buf), "kho-v4", 0xa05600000ULL, e, 2);
	file("kho/out/fdt", buf, n - cut);
	file("kho/out/scratch_phys", phys, strlen(phys));
	file("kho/out/scratch_len", len, strlen(len));
	file("kho/out/sub_fdts/LUO", p, mk_luo(p, "luo-v5", number, 0, 0x4db000));
	file("kho/out/sub_fdts/kexec-metadata", p,
	     mk_meta(p, 1, "7.3.4", (uint32_t)number) - meta_short);
}

static void view_in(int freed, int zeroed)
{
	static const struct mk_entry e[] = {
		{ "LUO", 0x202f0000, 32, 8, 8 },
		{ "LUO-file-memory", 0x20330000, 64, 8, 8 },
		{ "kexec-metadata", 0x20490000, 73, 8, 8 },
		{ "memblock", 0x20500000, 0, 8, 8 },
	};
	static const struct mk_entry rsv[] = { { "reserve_mem", 1, 2, 8, 8 } };
	static uint64_t sub[512];
	unsigned char *p = (unsigned char *)buf;
	struct mk_entry ein[4];
	size_t n, m;

	mkdirs("kho/in");
	mkdirs("kho/in/sub_fdts");
	m = mk_root(sub, sizeof(sub), "memblock-v1", 0, rsv, 1);
	memcpy(ein, e, sizeof(e));
	ein[3].size = m;
	n = mk_root(buf, sizeof(buf), "kho-v4", 0xa05600000ULL, ein, 4);
	file("kho/in/fdt", buf, n);
	file("kho/in/sub_fdts/memblock", sub, m);
	mk_luo(p, "luo-v5", 1, 0x1234000, 0x4db000);
	if (freed)
		memcpy(p, "\x7f" "ELF\x02\x01\x01\x03", 8);
	if (zeroed)
		memset(p, 0, 32);
	file("kho/in/sub_fdts/LUO", p, 32);
	file("kho/in/sub_fdts/LUO-file-memory", p, mk_file_mem(p, 2));
	file("kho/in/sub_fdts/kexec-metadata", p, mk_meta(p, 1, "7.3.4", 1));
}

int main(int argc, char **argv)
{
	const char *s = argc == 3 ? argv[2] : "";

	if (argc != 3) {
		fprintf(stderr, "usage: mktree DIR SCENARIO\n");
		return 2;
	}
	snprintf(dir, sizeof(dir), "%s", argv[1]);
	if (mkdir(dir, 0755)) {
		perror(dir);
		return 1;
	}
	if (!strcmp(s, "nokho"))
		return 0;
	mkdirs("kho");
	if (!strcmp(s, "cold"))
		view_out(1, 0, 0);
	else if (!strcmp(s, "truncated"))
		view_out(1, 52, 0);
	else if (!strcmp(s, "mismatch"))
		view_out(1, 0, 3);
	else if (!strcmp(s, "kexec") || !strcmp(s, "freed") || !strcmp(s, "zeroed")) {
		view_out(2, 0, 0);
		view_in(!strcmp(s, "freed"), !strcmp(s, "zeroed"));
	} else {
		fprintf(stderr, "mktree: unknown scenario %s\n", s);
		return 2;
	}
	return 0;
}
