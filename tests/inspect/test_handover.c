// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * Unit tests of luo-inspect's decoder (inspect/handover.c) on handovers
 * built here from first principles (mkhandover.h): every expected value is
 * one the test wrote. Run under ASan/UBSan.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "../../inspect/handover.h"
#include "mkhandover.h"

static uint64_t buf_aligned[1024];
#define BUF ((void *)buf_aligned)

static const struct mk_entry two[] = {
	{ "LUO", 0x202f0000, 32, 8, 8 },
	{ "kexec-metadata", 0x20490000, 73, 8, 8 },
};

static void root_ok(void **state)
{
	struct ho_root r;
	char err[200] = "";
	size_t len = mk_root(BUF, sizeof(buf_aligned), "kho-v4", 0xa05600000ULL,
			     two, 2);

	(void)state;
	assert_true(len > 0);
	assert_int_equal(ho_parse_root(BUF, len, &r, err, sizeof(err)), 0);
	assert_string_equal(r.compatible, "kho-v4");
	assert_true(r.have_mem_map);
	assert_int_equal(r.mem_map, 0xa05600000ULL);
	assert_int_equal(r.nr_entries, 2);
	assert_int_equal(r.totalsize, len);
	assert_string_equal(r.entries[0].name, "LUO");
	assert_int_equal(r.entries[0].phys, 0x202f0000);
	assert_int_equal(r.entries[0].size, 32);
	assert_string_equal(r.entries[0].problem, "");
	assert_string_equal(r.entries[1].name, "kexec-metadata");
	assert_int_equal(r.entries[1].size, 73);
	assert_string_equal(r.problem, "");
}

/* A root of another KHO version: shown, with a problem. */
static void root_other_version(void **state)
{
	struct ho_root r;
	char err[200] = "";
	size_t len = mk_root(BUF, sizeof(buf_aligned), "kho-v5", 1, two, 2);

	(void)state;
	assert_int_equal(ho_parse_root(BUF, len, &r, err, sizeof(err)), 0);
	assert_non_null(strstr(r.problem, "kho-v5"));
	assert_int_equal(r.nr_entries, 2);
}

/* What debugfs showed before patch 0060: the FDT cut at its old size. */
static void root_truncated(void **state)
{
	struct ho_root r;
	char err[200] = "";
	size_t len = mk_root(BUF, sizeof(buf_aligned), "kho-v4", 1, two, 2);
	size_t cut;

	(void)state;
	for (cut = 0; cut < len; cut += 7) {
		assert_int_equal(ho_parse_root(BUF, cut, &r, err, sizeof(err)), -EINVAL);
		assert_int_equal(r.nr_entries, 0);
	}
	assert_int_equal(ho_parse_root(BUF, len - 1, &r, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "truncated"));
}

static void root_corrupt(void **state)
{
	struct ho_root r;
	char err[200] = "";
	size_t len = mk_root(BUF, sizeof(buf_aligned), "kho-v4", 1, two, 2);
	unsigned char *b = BUF;
	unsigned char keep;
	size_t i;

	(void)state;
	/* Not an FDT at all. */
	keep = b[0];
	b[0] ^= 0xff;
	assert_int_equal(ho_parse_root(BUF, len, &r, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "not an FDT"));
	b[0] = keep;
	/* Every byte of the structure block in turn: never a crash. */
	for (i = 40; i < len; i++) {
		keep = b[i];
		b[i] ^= 0x5a;
		(void)ho_parse_root(BUF, len, &r, err, sizeof(err));
		b[i] = keep;
	}
	/* Header versions below 16 (libfdt 1.6.1 crashes on a v15 root). */
	for (i = 1; i < 16; i++) {
		b[0x17] = (unsigned char)i;
		b[0x1b] = (unsigned char)i;
		assert_int_equal(ho_parse_root(BUF, len, &r, err, sizeof(err)), -EINVAL);
	}
	b[0x17] = 17;
	b[0x1b] = 16;
	assert_int_equal(ho_parse_root(BUF, len, &r, err, sizeof(err)), 0);
	/* A structure block offset past the end. */
	b[8] = 0x7f;
	assert_int_equal(ho_parse_root(BUF, len, &r, err, sizeof(err)), -EINVAL);
}

static void root_bad_entries(void **state)
{
	static const struct mk_entry bad[] = {
		{ "no-size", 0x1000, 0, 8, 0 },
		{ "short-phys", 0x1000, 16, 4, 8 },
		{ "no-phys", 0, 16, 0, 8 },
		{ "fine", 0x3000, 16, 8, 8 },
	};
	struct ho_root r;
	char err[200] = "";
	size_t len = mk_root(BUF, sizeof(buf_aligned), NULL, 0, bad, 4);

	(void)state;
	assert_int_equal(ho_parse_root(BUF, len, &r, err, sizeof(err)), 0);
	assert_string_equal(r.compatible, "");
	assert_true(r.problem[0] != '\0');
	assert_int_equal(r.nr_entries, 4);
	assert_non_null(strstr(r.entries[0].problem, "no blob-size"));
	assert_non_null(strstr(r.entries[1].problem, "preserved-data is 4 bytes"));
	assert_non_null(strstr(r.entries[2].problem, "no preserved-data"));
	assert_string_equal(r.entries[3].problem, "");
	assert_int_equal(r.entries[3].phys, 0x3000);
}

static void root_many_entries(void **state)
{
	static struct mk_entry many[HO_MAX_ENTRIES + 5];
	static char names[HO_MAX_ENTRIES + 5][16];
	struct ho_root r;
	char err[200] = "";
	size_t len;
	int i;

	(void)state;
	for (i = 0; i < HO_MAX_ENTRIES + 5; i++) {
		snprintf(names[i], sizeof(names[i]), "e%d", i);
		many[i] = (struct mk_entry){ names[i], 0x1000 * (uint64_t)i, 8, 8, 8 };
	}
	len = mk_root(BUF, sizeof(buf_aligned), "kho-v4", 1, many,
		      HO_MAX_ENTRIES + 5);
	assert_true(len > 0);
	assert_int_equal(ho_parse_root(BUF, len, &r, err, sizeof(err)), 0);
	assert_int_equal(r.nr_entries, HO_MAX_ENTRIES);
	assert_int_equal(r.nr_dropped, 5);
	assert_string_equal(r.entries[HO_MAX_ENTRIES - 1].name, "e63");
}

static void blob_luo(void **state)
{
	unsigned char p[64];
	struct ho_blob b;

	(void)state;
	mk_luo(p, "luo-v5", 7, 0x1234000, 0x4db000);
	ho_decode_blob("LUO", p, 32, &b);
	assert_int_equal(b.kind, HO_LUO);
	assert_string_equal(b.compatible, "luo-v5");
	assert_int_equal(b.u.luo.number, 7);
	assert_int_equal(b.u.luo.sessions_pa, 0x1234000);
	assert_int_equal(b.u.luo.flbs_pa, 0x4db000);
	/* Wrong size for luo-v5. */
	ho_decode_blob("LUO", p, 31, &b);
	assert_int_equal(b.kind, HO_BAD);
	ho_decode_blob("LUO", p, 40, &b);
	assert_int_equal(b.kind, HO_BAD);
	/* Another ABI: named, not decoded. */
	mk_luo(p, "luo-v6", 7, 0, 0);
	ho_decode_blob("LUO", p, 32, &b);
	assert_int_equal(b.kind, HO_UNKNOWN);
	assert_string_equal(b.compatible, "luo-v6");
	assert_non_null(strstr(b.problem, "luo-v6"));
	/* No terminating NUL in the compatible field (what freed memory shows). */
	memcpy(p, "\x7f" "ELF\x02\x01\x01\x03", 8);
	ho_decode_blob("LUO", p, 32, &b);
	assert_int_equal(b.kind, HO_BAD);
	ho_decode_blob("LUO", p, 3, &b);
	assert_int_equal(b.kind, HO_BAD);
	/* Zeroed memory: an empty compatible is corrupt, not another ABI. */
	memset(p, 0, 32);
	ho_decode_blob("LUO", p, 32, &b);
	assert_int_equal(b.kind, HO_BAD);
	ho_decode_blob("LUO", p, 0, &b);
	assert_int_equal(b.kind, HO_BAD);
}

static void blob_file_mem(void **state)
{
	static unsigned char p[32 + 16 * 10];
	struct ho_blob b;

	(void)state;
	mk_file_mem(p, 10);
	ho_decode_blob("LUO-file-memory", p, sizeof(p), &b);
	assert_int_equal(b.kind, HO_FILE_MEM);
	assert_int_equal(b.u.file_mem.count, 10);
	/* One entry short, one byte more. */
	ho_decode_blob("LUO-file-memory", p, sizeof(p) - 16, &b);
	assert_int_equal(b.kind, HO_BAD);
	ho_decode_blob("LUO-file-memory", p, sizeof(p) - 1, &b);
	assert_int_equal(b.kind, HO_BAD);
	/* A count whose size wraps to exactly this blob's: 32 + 16 * 10. */
	mk_put64(p + 24, (1ULL << 60) + 10);
	ho_decode_blob("LUO-file-memory", p, sizeof(p), &b);
	assert_int_equal(b.kind, HO_BAD);
	mk_file_mem(p, 0);
	ho_decode_blob("LUO-file-memory", p, 32, &b);
	assert_int_equal(b.kind, HO_FILE_MEM);
	assert_int_equal(b.u.file_mem.count, 0);
	ho_decode_blob("LUO-file-memory", p, 31, &b);
	assert_int_equal(b.kind, HO_BAD);
	p[0] = '\0';
	ho_decode_blob("LUO-file-memory", p, 32, &b);
	assert_int_equal(b.kind, HO_BAD);
}

static void blob_meta(void **state)
{
	unsigned char p[80];
	struct ho_blob b;

	(void)state;
	mk_meta(p, 1, "7.3.4", 3);
	ho_decode_blob("kexec-metadata", p, 73, &b);
	assert_int_equal(b.kind, HO_METADATA);
	assert_int_equal(b.u.meta.version, 1);
	assert_string_equal(b.u.meta.release, "7.3.4");
	assert_int_equal(b.u.meta.kexec_count, 3);
	ho_decode_blob("kexec-metadata", p, 72, &b);
	assert_int_equal(b.kind, HO_BAD);
	memset(p + 4, 'x', 65);		/* no NUL in release */
	ho_decode_blob("kexec-metadata", p, 73, &b);
	assert_int_equal(b.kind, HO_BAD);
	mk_meta(p, 0, "7.3.4", 1);
	ho_decode_blob("kexec-metadata", p, 73, &b);
	assert_int_equal(b.kind, HO_BAD);
	mk_meta(p, 2, "7.4", 1);
	ho_decode_blob("kexec-metadata", p, 73, &b);
	assert_int_equal(b.kind, HO_UNKNOWN);
	assert_int_equal(b.u.meta.version, 2);
}

static void blob_other(void **state)
{
	static const struct mk_entry sub[] = { { "reserve_mem", 1, 2, 8, 8 } };
	unsigned char junk[100];
	struct ho_blob b;
	size_t len;

	(void)state;
	memset(junk, 0xab, sizeof(junk));
	ho_decode_blob("memblock", junk, sizeof(junk), &b);
	assert_int_equal(b.kind, HO_UNKNOWN);
	assert_string_equal(b.problem, "");
	len = mk_root(BUF, sizeof(buf_aligned), "memblock-v1", 0, sub, 1);
	ho_decode_blob("memblock", BUF, len, &b);
	assert_int_equal(b.kind, HO_FDT);
	assert_string_equal(b.compatible, "memblock-v1");
	assert_int_equal(b.u.fdt.nodes, 2);
	assert_int_equal(b.u.fdt.totalsize, len);
	/* It says it is an FDT and is not a whole one: corrupt. */
	ho_decode_blob("memblock", BUF, len - 1, &b);
	assert_int_equal(b.kind, HO_BAD);
	assert_non_null(strstr(b.problem, "truncated"));
}

static void json_strings(void **state)
{
	char out[64];
	size_t n;

	(void)state;
	n = ho_json_string(out, sizeof(out), "plain");
	assert_string_equal(out, "\"plain\"");
	assert_int_equal(n, 7);
	ho_json_string(out, sizeof(out), "a\"b\\c\nd\x01\xc3");
	assert_string_equal(out, "\"a\\\"b\\\\c\\u000ad\\u0001\\u00c3\"");
	/* Truncated to fit, still a closed string. */
	ho_json_string(out, 12, "0123456789abcdef");
	assert_true(strlen(out) < 12);
	assert_int_equal(out[0], '"');
	assert_int_equal(out[strlen(out) - 1], '"');
	ho_json_string(out, 1, "x");
	assert_string_equal(out, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(root_ok),
		cmocka_unit_test(root_other_version),
		cmocka_unit_test(root_truncated),
		cmocka_unit_test(root_corrupt),
		cmocka_unit_test(root_bad_entries),
		cmocka_unit_test(root_many_entries),
		cmocka_unit_test(blob_luo),
		cmocka_unit_test(blob_file_mem),
		cmocka_unit_test(blob_meta),
		cmocka_unit_test(blob_other),
		cmocka_unit_test(json_strings),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
