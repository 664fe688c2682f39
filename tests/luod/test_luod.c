// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/* Copyright (c) 2026 The luo-memfd authors */
/*
 * The luod protocol and owner record, against bytes written by hand from
 * docs/luod.md: header u32 magic 0x444f554c, u16 version 1, u16 type,
 * u32 seq, u32 len; a name is u16 length + bytes; a reply starts with an
 * i32 status; the record is "LUODREG1", u32 count, u32 0, 64-byte entries.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "fdinfo.h"
#include "luod_proto.h"
#include "registry.h"

/* A request as the specification spells it. */
static size_t req_bytes(unsigned char *b, uint16_t type, uint32_t seq, const char *ref)
{
	uint32_t magic = 0x444f554c, len = ref ? (uint32_t)(2 + strlen(ref)) : 0;
	uint16_t version = 1, n = ref ? (uint16_t)strlen(ref) : 0;

	memcpy(b, &magic, 4);
	memcpy(b + 4, &version, 2);
	memcpy(b + 6, &type, 2);
	memcpy(b + 8, &seq, 4);
	memcpy(b + 12, &len, 4);
	if (ref) {
		memcpy(b + 16, &n, 2);
		memcpy(b + 18, ref, n);
	}
	return 16 + len;
}

static void names(void **state)
{
	static const char *const good[] = { "a", "vm-42", "db.main", "A_b", "0" };
	static const char *const bad[] = { "", ".hidden", "a/b", "a b", "é", "a:b", "a\n" };
	char forty[41], fortyone[42];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		assert_true(luod_name_valid(good[i], strlen(good[i])));
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_false(luod_name_valid(bad[i], strlen(bad[i])));
	memset(forty, 'x', 40);
	forty[40] = '\0';
	memset(fortyone, 'x', 41);
	fortyone[41] = '\0';
	assert_true(luod_name_valid(forty, 40));
	assert_false(luod_name_valid(fortyone, 41));
}

static void decode_requests(void **state)
{
	unsigned char b[LUOD_MAX_MSG];
	struct luod_req r;
	size_t n;

	(void)state;
	n = req_bytes(b, LUOD_CREATE, 7, "vm1");
	assert_int_equal(luod_decode_req(b, n, &r), 0);
	assert_int_equal(r.hdr.type, LUOD_CREATE);
	assert_int_equal(r.hdr.seq, 7);
	assert_false(r.has_uid);
	assert_string_equal(r.name, "vm1");

	n = req_bytes(b, LUOD_RETRIEVE, 8, "1000/vm1");
	assert_int_equal(luod_decode_req(b, n, &r), 0);
	assert_true(r.has_uid);
	assert_int_equal(r.uid, 1000);
	assert_string_equal(r.name, "vm1");

	n = req_bytes(b, LUOD_RETRIEVE, 9, "4294967295/x");
	assert_int_equal(luod_decode_req(b, n, &r), 0);
	assert_int_equal(r.uid, UINT32_MAX);

	n = req_bytes(b, LUOD_HELLO, 1, NULL);
	assert_int_equal(luod_decode_req(b, n, &r), 0);
	n = req_bytes(b, LUOD_LIST, 2, NULL);
	assert_int_equal(luod_decode_req(b, n, &r), 0);

	/* Our encoder writes exactly these bytes. */
	{
		unsigned char e[LUOD_MAX_MSG];
		int len = luod_encode_req(e, LUOD_RETRIEVE, 8, "1000/vm1");

		n = req_bytes(b, LUOD_RETRIEVE, 8, "1000/vm1");
		assert_int_equal(len, (int)n);
		assert_memory_equal(e, b, n);
	}
}

static void decode_bad_requests(void **state)
{
	static const char *const bad_refs[] = { "4294967296/x", "01/x", "/x", "1000/",
						"x/y/z", "12345678901/x", "1a/x", "vm 1" };
	unsigned char b[LUOD_MAX_MSG];
	struct luod_req r;
	uint32_t v;
	uint16_t v16;
	size_t n, i;

	(void)state;
	for (i = 0; i < sizeof(bad_refs) / sizeof(bad_refs[0]); i++) {
		n = req_bytes(b, LUOD_CREATE, 1, bad_refs[i]);
		assert_int_equal(luod_decode_req(b, n, &r), -EINVAL);
	}
	/* Every truncation of a good request is refused. */
	n = req_bytes(b, LUOD_CREATE, 1, "1000/vm1");
	for (i = 0; i < n; i++)
		assert_int_equal(luod_decode_req(b, i, &r), -EPROTO);
	/* Bad magic, version, type, length. */
	n = req_bytes(b, LUOD_CREATE, 1, "vm1");
	v = 0x444f554d;
	memcpy(b, &v, 4);
	assert_int_equal(luod_decode_req(b, n, &r), -EPROTO);
	n = req_bytes(b, LUOD_CREATE, 1, "vm1");
	v16 = 2;
	memcpy(b + 4, &v16, 2);
	assert_int_equal(luod_decode_req(b, n, &r), -EPROTONOSUPPORT);
	n = req_bytes(b, 99, 1, "vm1");
	assert_int_equal(luod_decode_req(b, n, &r), -EPROTO);
	n = req_bytes(b, LUOD_HELLO, 1, "vm1"); /* HELLO carries nothing */
	assert_int_equal(luod_decode_req(b, n, &r), -EPROTO);
	n = req_bytes(b, LUOD_CREATE, 1, "vm1");
	v16 = 4; /* the name's length disagrees with the header's */
	memcpy(b + 16, &v16, 2);
	assert_int_equal(luod_decode_req(b, n, &r), -EPROTO);
	n = req_bytes(b, LUOD_CREATE, 1, "vm1");
	assert_int_equal(luod_decode_req(b, n + 1, &r), -EPROTO); /* a byte more */
	assert_int_equal(luod_decode_req(b, LUOD_MAX_MSG + 1, &r), -EPROTO);
}

static void replies(void **state)
{
	static unsigned char b[LUOD_MAX_REPLY];
	const void *p;
	size_t plen;
	int32_t st;
	int n;

	(void)state;
	n = luod_encode_reply(b, LUOD_CREATE, 5, -EPERM, NULL, 0);
	assert_int_equal(n, 20);
	memcpy(&st, b + 16, 4);
	assert_int_equal(st, -EPERM);
	assert_int_equal(luod_decode_reply(b, (size_t)n, LUOD_CREATE, 5, &p, &plen), -EPERM);
	/* Wrong seq or type: not our reply. */
	assert_int_equal(luod_decode_reply(b, (size_t)n, LUOD_CREATE, 6, &p, &plen), -EPROTO);
	assert_int_equal(luod_decode_reply(b, (size_t)n, LUOD_LIST, 5, &p, &plen), -EPROTO);
	/* A positive or absurd status is malformed. */
	st = 3;
	memcpy(b + 16, &st, 4);
	assert_int_equal(luod_decode_reply(b, (size_t)n, LUOD_CREATE, 5, &p, &plen), -EPROTO);
	n = luod_encode_reply(b, LUOD_HELLO, 1, 0, "abc", 3);
	assert_int_equal(luod_decode_reply(b, (size_t)n, LUOD_HELLO, 1, &p, &plen), 0);
	assert_int_equal(plen, 3);
	assert_memory_equal(p, "abc", 3);
	assert_int_equal(luod_encode_reply(b, 1, 1, 0, b, LUOD_MAX_REPLY - 20 + 1), -EMSGSIZE);
}

static void lists(void **state)
{
	struct luod_entry in[3] = { { 0, LUOD_OUTGOING, "a", 2, 8192 },
				    { 1000, LUOD_WAITING, "vm-1", LUOD_FILES_UNKNOWN,
				      LUOD_BYTES_UNKNOWN },
				    { 4294967295u, LUOD_RETRIEVED, "db.x", 0, 0 } };
	struct luod_entry out[3];
	unsigned char b[256];
	int n, i;

	(void)state;
	n = luod_encode_list(b, sizeof(b), in, 3);
	assert_int_equal(n, 4 + 3 * 6 + 1 + 4 + 4);
	assert_int_equal(luod_decode_list(b, (size_t)n, out, 3), 3);
	for (i = 0; i < 3; i++) {
		assert_int_equal(out[i].uid, in[i].uid);
		assert_int_equal(out[i].state, in[i].state);
		assert_string_equal(out[i].name, in[i].name);
	}
	assert_int_equal(luod_decode_list(b, (size_t)n, out, 2), -EPROTO); /* no room */
	for (i = 0; i < n; i++)
		assert_int_equal(luod_decode_list(b, (size_t)i, out, 3), -EPROTO);
	b[4 + 4] = 9; /* an unknown state */
	assert_int_equal(luod_decode_list(b, (size_t)n, out, 3), -EPROTO);
	assert_int_equal(luod_encode_list(b, 8, in, 3), -EMSGSIZE);

	/* STATUS: the same, each entry followed by its files and bytes. */
	n = luod_encode_status(b, sizeof(b), in, 3);
	assert_int_equal(n, 4 + 3 * (6 + 12) + 1 + 4 + 4);
	assert_int_equal(luod_decode_status(b, (size_t)n, out, 3), 3);
	for (i = 0; i < 3; i++) {
		assert_int_equal(out[i].uid, in[i].uid);
		assert_string_equal(out[i].name, in[i].name);
		assert_int_equal(out[i].files, in[i].files);
		assert_true(out[i].bytes == in[i].bytes);
	}
	for (i = 0; i < n; i++)
		assert_int_equal(luod_decode_status(b, (size_t)i, out, 3), -EPROTO);
	/* A LIST reply is not a STATUS reply, nor the other way round. */
	assert_int_equal(luod_decode_list(b, (size_t)n, out, 3), -EPROTO);
	n = luod_encode_list(b, sizeof(b), in, 3);
	assert_int_equal(luod_decode_status(b, (size_t)n, out, 3), -EPROTO);
	assert_int_equal(luod_encode_status(b, 4 + 6 + 1 + 11, in, 1), -EMSGSIZE);
}

#define FDI_HEAD "pos:\t0\nflags:\t02\nmnt_id:\t15\nino:\t1055\n"

static int fdi(const char *text, uint32_t *files, uint64_t *bytes)
{
	*files = 12345;
	*bytes = 12345;
	return luod_fdinfo_parse(text, strlen(text), files, bytes);
}

static void fdinfo_lines(void **state)
{
	uint32_t files;
	uint64_t bytes;

	(void)state;
	/* Stock 7.3: nothing of files. */
	assert_int_equal(fdi(FDI_HEAD, &files, &bytes), -ENODATA);
	assert_int_equal(fdi("", &files, &bytes), -ENODATA);
	assert_int_equal(fdi(FDI_HEAD "luo-session:\toutgoing\nluo-files:\t0\n", &files, &bytes),
			 0);
	assert_int_equal(files, 0);
	assert_true(bytes == 0);
	assert_int_equal(fdi(FDI_HEAD "luo-session:\toutgoing\nluo-files:\t2\n"
			     "luo-file:\t1 memfd-v2 preserved 16384\n"
			     "luo-file:\t18446744073709551615 hugetlb-memfd-v1 preserved 1073741824\n",
			     &files, &bytes), 0);
	assert_int_equal(files, 2);
	assert_true(bytes == 16384ull + 1073741824ull);
	/* The last line without its newline still counts. */
	assert_int_equal(fdi("luo-files:\t1\nluo-file:\t7 memfd-v2 retrieved 4096", &files,
			     &bytes), 0);
	assert_true(files == 1 && bytes == 4096);
	/* A file not retrieved yet: its size and so the sum are unknown. */
	assert_int_equal(fdi("luo-session:\tincoming\nluo-files:\t2\n"
			     "luo-file:\t1 memfd-v2 retrieved 4096\n"
			     "luo-file:\t2 memfd-v2 waiting -1\n", &files, &bytes), 0);
	assert_true(files == 2 && bytes == LUOD_BYTES_UNKNOWN);
	/* An escaped compatible string from the previous kernel (a space: \040). */
	assert_int_equal(fdi("luo-files:\t1\nluo-file:\t3 bad\\040compat no-handler -1\n", &files,
			     &bytes), 0);
	assert_true(files == 1 && bytes == LUOD_BYTES_UNKNOWN);

	/* What does not add up. */
	assert_int_equal(fdi("luo-files:\t2\nluo-file:\t1 memfd-v2 preserved 1\n", &files,
			     &bytes), -EBADMSG);
	assert_int_equal(fdi("luo-file:\t1 memfd-v2 preserved 1\n", &files, &bytes), -EBADMSG);
	assert_int_equal(fdi("luo-files:\t1\nluo-files:\t1\nluo-file:\t1 m p 1\n", &files,
			     &bytes), -EBADMSG);
	assert_int_equal(fdi("luo-files:\t-1\n", &files, &bytes), -EBADMSG);
	assert_int_equal(fdi("luo-files:\t4294967295\n", &files, &bytes), -EBADMSG);
	assert_int_equal(fdi("luo-files:\t1x\n", &files, &bytes), -EBADMSG);
	assert_int_equal(fdi("luo-files:\t1\nluo-file:\t1 m p 12a\n", &files, &bytes),
			 -EBADMSG);
	assert_int_equal(fdi("luo-files:\t1\nluo-file:\tnospace\n", &files, &bytes), -EBADMSG);
	assert_int_equal(fdi("luo-files:\t1\nluo-file:\t1 m p \n", &files, &bytes), -EBADMSG);
	assert_int_equal(fdi("luo-files:\t2\nluo-file:\t1 m p 18446744073709551615\n"
			     "luo-file:\t2 m p 1\n", &files, &bytes), -EBADMSG); /* overflow */
	assert_int_equal(fdi("luo-files:\t1\nluo-file:\t1 m p 99999999999999999999999\n",
			     &files, &bytes), -EBADMSG);
	/* Nothing was written on failure. */
	assert_true(files == 12345 && bytes == 12345);
}

static void registry_round_trip(void **state)
{
	struct luod_owner in[3] = { { 1000, "vm1" }, { 1001, "vm1" }, { 0, "x" } };
	static struct luod_owner out[LUOD_REG_MAX];
	unsigned char *b = calloc(1, LUOD_REG_SIZE);
	uint32_t n, gen;

	(void)state;
	assert_non_null(b);
	assert_int_equal(luod_reg_encode(b, in, 3), 0);
	/* A fresh record: the first slot, generation 1. */
	assert_memory_equal(b, "LUODREG1", 8);
	memcpy(&n, b + 8, 4);
	memcpy(&gen, b + 12, 4);
	assert_int_equal(n, 3);
	assert_int_equal(gen, 1);
	assert_int_equal(b[16 + 64 + 4], 3);                 /* second entry's name length */
	assert_memory_equal(b + 16 + 64 + 8, "vm1", 3);
	assert_int_equal(luod_reg_decode(b, LUOD_REG_SIZE, out), 3);
	assert_int_equal(out[1].uid, 1001);
	assert_string_equal(out[1].name, "vm1");
	assert_int_equal(luod_reg_decode(b, LUOD_REG_SIZE - 1, out), -EBADMSG);
	free(b);
}

/*
 * Rewrites alternate between the slots, the newer whole one wins, and a
 * rewrite cut short by the kexec leaves the one before it readable.
 */
static void registry_rewrite_cut_short(void **state)
{
	struct luod_owner one[1] = { { 1000, "old" } }, two[2] = { { 1000, "old" }, { 7, "new" } };
	static struct luod_owner out[LUOD_REG_MAX];
	unsigned char *b = calloc(1, LUOD_REG_SIZE);
	uint32_t gen;

	(void)state;
	assert_non_null(b);
	assert_int_equal(luod_reg_encode(b, one, 1), 0);
	assert_int_equal(luod_reg_encode(b, two, 2), 0);
	memcpy(&gen, b + LUOD_REG_SLOT + 12, 4);
	assert_int_equal(gen, 2); /* the second slot */
	assert_int_equal(luod_reg_decode(b, LUOD_REG_SIZE, out), 2);
	assert_string_equal(out[1].name, "new");
	/* The second rewrite cut before its generation: the first stands. */
	memset(b + LUOD_REG_SLOT + 12, 0, 4);
	assert_int_equal(luod_reg_decode(b, LUOD_REG_SIZE, out), 1);
	assert_string_equal(out[0].name, "old");
	/* ... or cut inside an entry. */
	memcpy(b + LUOD_REG_SLOT + 12, &gen, 4);
	b[LUOD_REG_SLOT + 16 + 64 + 9] = 0; /* "new" -> "n\0w" */
	assert_int_equal(luod_reg_decode(b, LUOD_REG_SIZE, out), 1);
	/* A third rewrite goes to the first slot again, generation 3. */
	assert_int_equal(luod_reg_encode(b, two, 2), 0);
	memcpy(&gen, b + 12, 4);
	assert_int_equal(gen, 3);
	assert_int_equal(luod_reg_decode(b, LUOD_REG_SIZE, out), 2);
	free(b);
}

/* Untrusted bytes from the previous kernel: every defect is refused. */
static void registry_corrupt(void **state)
{
	struct luod_owner in[2] = { { 1000, "vm1" }, { 1001, "vm2" } };
	static struct luod_owner out[LUOD_REG_MAX];
	unsigned char *b = calloc(1, LUOD_REG_SIZE), *good = calloc(1, LUOD_REG_SIZE);
	static const size_t flips[] = { 0, 7, 16 + 4, 16 + 5, 16 + 8, 16 + 11, 16 + 47,
					16 + 48, 16 + 63, 16 + 128, LUOD_REG_SLOT - 1 };
	uint32_t n;
	size_t i;

	(void)state;
	assert_non_null(b);
	assert_non_null(good);
	assert_int_equal(luod_reg_encode(good, in, 2), 0);
	for (i = 0; i < sizeof(flips) / sizeof(flips[0]); i++) {
		memcpy(b, good, LUOD_REG_SIZE);
		b[flips[i]] ^= 0x80;
		assert_int_equal(luod_reg_decode(b, LUOD_REG_SIZE, out), -EBADMSG);
	}
	memcpy(b, good, LUOD_REG_SIZE);
	n = LUOD_REG_MAX + 1;
	memcpy(b + 8, &n, 4);
	assert_int_equal(luod_reg_decode(b, LUOD_REG_SIZE, out), -EBADMSG);
	/* A duplicate owner and name. */
	memcpy(b, good, LUOD_REG_SIZE);
	memcpy(b + 16 + 64, good + 16, 64);
	assert_int_equal(luod_reg_decode(b, LUOD_REG_SIZE, out), -EBADMSG);
	/* Garbage in the other, never written, slot makes it no better. */
	memset(b, 0, LUOD_REG_SIZE);
	memset(b + LUOD_REG_SLOT, 0xff, 64);
	assert_int_equal(luod_reg_decode(b, LUOD_REG_SIZE, out), -EBADMSG);
	free(b);
	free(good);
}

static void kernel_names(void **state)
{
	char k[64];
	char forty[41];

	(void)state;
	luod_kernel_name(k, 1000, "vm1");
	assert_string_equal(k, "luod:1000:vm1");
	memset(forty, 'x', 40);
	forty[40] = '\0';
	luod_kernel_name(k, 4294967295u, forty);
	assert_int_equal(strlen(k), 5 + 10 + 1 + 40); /* 56: fits LUO's 63 */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(names),          cmocka_unit_test(decode_requests),
		cmocka_unit_test(decode_bad_requests), cmocka_unit_test(replies),
		cmocka_unit_test(lists),          cmocka_unit_test(registry_round_trip),
		cmocka_unit_test(registry_rewrite_cut_short),
		cmocka_unit_test(registry_corrupt), cmocka_unit_test(kernel_names),
		cmocka_unit_test(fdinfo_lines),
	};

	return cmocka_run_group_tests_name("luod", tests, NULL, NULL);
}
