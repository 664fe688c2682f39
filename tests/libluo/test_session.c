// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * Session ioctls against a fake kernel.
 *
 * Expected values come from the Linux 7.3 uAPI definition, not from the
 * library: _IO(0xBA, nr) is 0xBA00 | nr (no direction, no size), and the
 * argument layouts are
 *   CREATE_SESSION (nr 0x00), RETRIEVE_SESSION (0x01): u32 size = 72, s32 fd
 *     (out), u8 name[64]
 *   PRESERVE_FD (0x40), RETRIEVE_FD (0x41): u32 size = 16, s32 fd, u64 token
 *   FINISH (0x42): u32 size = 8, u32 reserved = 0
 *   GET_NAME (0x43): u32 size = 72, u32 reserved = 0, u8 name[64] (out)
 */
#include "wrap.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "libluo.h"

#define REQ_CREATE 0xBA00UL
#define REQ_RETRIEVE 0xBA01UL
#define REQ_PRESERVE_FD 0xBA40UL
#define REQ_RETRIEVE_FD 0xBA41UL
#define REQ_FINISH 0xBA42UL
#define REQ_GET_NAME 0xBA43UL

static struct {
	int fd;                /* expected descriptor */
	unsigned long req;     /* expected request */
	uint32_t size;         /* expected size field */
	unsigned char in[72];  /* argument as the kernel saw it */
	int err;               /* fail with this errno; -1: fail with errno 0 */
	int32_t out_fd;        /* written at offset 4 on success */
	unsigned char out_name[64]; /* written at offset 8 by GET_NAME */
} fk;

static int fake_kernel(int fd, unsigned long req, void *arg)
{
	uint32_t size;

	assert_int_equal(fd, fk.fd);
	assert_int_equal(req, fk.req);
	memcpy(&size, arg, sizeof(size));
	assert_int_equal(size, fk.size);
	memcpy(fk.in, arg, size);
	if (fk.err) {
		errno = fk.err > 0 ? fk.err : 0;
		return -1;
	}
	switch (req) {
	case REQ_CREATE:
	case REQ_RETRIEVE:
	case REQ_RETRIEVE_FD:
		memcpy((char *)arg + 4, &fk.out_fd, 4);
		break;
	case REQ_GET_NAME:
		memcpy((char *)arg + 8, fk.out_name, 64);
		break;
	}
	return 0;
}

static void fake(int fd, unsigned long req, uint32_t size, int err)
{
	memset(&fk, 0, sizeof(fk));
	fk.fd = fd;
	fk.req = req;
	fk.size = size;
	fk.err = err;
	wrap_mocked |= W_IOCTL;
	will_return(__wrap_ioctl, fake_kernel);
}

static uint32_t in_u32(size_t off)
{
	uint32_t v;

	memcpy(&v, fk.in + off, sizeof(v));
	return v;
}

static uint64_t in_u64(size_t off)
{
	uint64_t v;

	memcpy(&v, fk.in + off, sizeof(v));
	return v;
}

/* A name of LEN 'a'..'z' characters in BUF. */
static char *make_name(char *buf, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		buf[i] = (char)('a' + i % 26);
	buf[len] = '\0';
	return buf;
}

/* ---- create ---- */

static void create_ok(void **state)
{
	unsigned char want[64] = "vm-guest-ram";

	(void)state;
	fake(3, REQ_CREATE, 72, 0);
	fk.out_fd = 11;
	assert_int_equal(luo_session_create(3, "vm-guest-ram"), 11);
	/* The whole name buffer went in: the name, NUL, zero padding. */
	assert_memory_equal(fk.in + 8, want, 64);
}

static void create_name_63_bytes(void **state)
{
	char name[64];

	(void)state;
	make_name(name, 63);
	fake(3, REQ_CREATE, 72, 0);
	fk.out_fd = 12;
	assert_int_equal(luo_session_create(3, name), 12);
	assert_memory_equal(fk.in + 8, name, 64);
}

static void create_name_64_bytes(void **state)
{
	char name[65];

	(void)state;
	wrap_mocked |= W_IOCTL;
	assert_int_equal(luo_session_create(3, make_name(name, 64)), -ENAMETOOLONG);
}

static void create_name_long(void **state)
{
	char name[301];

	(void)state;
	wrap_mocked |= W_IOCTL;
	assert_int_equal(luo_session_create(3, make_name(name, 300)), -ENAMETOOLONG);
}

static void create_bad_args(void **state)
{
	(void)state;
	wrap_mocked |= W_IOCTL;
	assert_int_equal(luo_session_create(3, NULL), -EINVAL);
	assert_int_equal(luo_session_create(3, ""), -EINVAL);
	assert_int_equal(luo_session_create(-1, "x"), -EBADF);
	assert_int_equal(luo_session_create(-1000, NULL), -EBADF);
}

static void create_kernel_errors(void **state)
{
	static const int errs[] = { EEXIST, ENOSPC, ENOMEM, EMFILE, ENOTTY, EINVAL,
				    EBADF, EFAULT };
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(errs) / sizeof(errs[0]); i++) {
		fake(5, REQ_CREATE, 72, errs[i]);
		assert_int_equal(luo_session_create(5, "s"), -errs[i]);
	}
}

static void create_errno_zero_is_eio(void **state)
{
	(void)state;
	fake(5, REQ_CREATE, 72, -1);
	assert_int_equal(luo_session_create(5, "s"), -EIO);
}

static void create_negative_fd_from_kernel(void **state)
{
	(void)state;
	fake(5, REQ_CREATE, 72, 0);
	fk.out_fd = -3;
	assert_int_equal(luo_session_create(5, "s"), -EPROTO);
}

/* ---- retrieve ---- */

static void retrieve_ok(void **state)
{
	unsigned char want[64] = "db";

	(void)state;
	fake(4, REQ_RETRIEVE, 72, 0);
	fk.out_fd = 0; /* fd 0 is a valid descriptor */
	assert_int_equal(luo_session_retrieve(4, "db"), 0);
	assert_memory_equal(fk.in + 8, want, 64);
}

static void retrieve_bad_args(void **state)
{
	char name[65];

	(void)state;
	wrap_mocked |= W_IOCTL;
	assert_int_equal(luo_session_retrieve(4, NULL), -EINVAL);
	assert_int_equal(luo_session_retrieve(4, ""), -EINVAL);
	assert_int_equal(luo_session_retrieve(4, make_name(name, 64)), -ENAMETOOLONG);
	assert_int_equal(luo_session_retrieve(-1, "db"), -EBADF);
}

static void retrieve_kernel_errors(void **state)
{
	static const int errs[] = { ENOENT, EINVAL, ENOMEM, EMFILE, ENOTTY };
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(errs) / sizeof(errs[0]); i++) {
		fake(4, REQ_RETRIEVE, 72, errs[i]);
		assert_int_equal(luo_session_retrieve(4, "db"), -errs[i]);
	}
	fake(4, REQ_RETRIEVE, 72, -1);
	assert_int_equal(luo_session_retrieve(4, "db"), -EIO);
}

static void retrieve_negative_fd_from_kernel(void **state)
{
	(void)state;
	fake(4, REQ_RETRIEVE, 72, 0);
	fk.out_fd = -1;
	assert_int_equal(luo_session_retrieve(4, "db"), -EPROTO);
}

/* ---- finish ---- */

static void finish_ok(void **state)
{
	(void)state;
	fake(8, REQ_FINISH, 8, 0);
	assert_int_equal(luo_session_finish(8), 0);
	assert_int_equal(in_u32(4), 0); /* reserved */
}

static void finish_errors(void **state)
{
	static const int errs[] = { EINVAL, EBUSY, ENOTTY, EBADF };
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(errs) / sizeof(errs[0]); i++) {
		fake(8, REQ_FINISH, 8, errs[i]);
		assert_int_equal(luo_session_finish(8), -errs[i]);
	}
	fake(8, REQ_FINISH, 8, -1);
	assert_int_equal(luo_session_finish(8), -EIO);
	wrap_mocked |= W_IOCTL;
	assert_int_equal(luo_session_finish(-1), -EBADF);
}

/* ---- get name ---- */

static void get_name_ok(void **state)
{
	char buf[64];

	(void)state;
	memset(buf, 'X', sizeof(buf));
	fake(6, REQ_GET_NAME, 72, 0);
	memcpy(fk.out_name, "my-session", 11);
	assert_int_equal(luo_session_get_name(6, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "my-session");
	/* Input: reserved zero and a zeroed name buffer. */
	assert_int_equal(in_u32(4), 0);
	for (size_t i = 8; i < 72; i++)
		assert_int_equal(fk.in[i], 0);
}

static void get_name_exact_fit(void **state)
{
	char buf[4] = "zzz";

	(void)state;
	fake(6, REQ_GET_NAME, 72, 0);
	memcpy(fk.out_name, "abc", 4);
	assert_int_equal(luo_session_get_name(6, buf, 4), 0);
	assert_string_equal(buf, "abc");
}

static void get_name_63_bytes(void **state)
{
	char name[64], buf[64];

	(void)state;
	make_name(name, 63);
	fake(6, REQ_GET_NAME, 72, 0);
	memcpy(fk.out_name, name, 64);
	assert_int_equal(luo_session_get_name(6, buf, sizeof(buf)), 0);
	assert_string_equal(buf, name);
}

static void get_name_too_small(void **state)
{
	char buf[3] = { 'q', 'q', 'q' };

	(void)state;
	fake(6, REQ_GET_NAME, 72, 0);
	memcpy(fk.out_name, "abc", 4);
	assert_int_equal(luo_session_get_name(6, buf, 3), -ERANGE);
	/* Untouched on error. */
	assert_memory_equal(buf, "qqq", 3);
}

static void get_name_unterminated_from_kernel(void **state)
{
	char buf[100];

	(void)state;
	fake(6, REQ_GET_NAME, 72, 0);
	memset(fk.out_name, 'k', 64);
	assert_int_equal(luo_session_get_name(6, buf, sizeof(buf)), -EPROTO);
}

static void get_name_bad_args(void **state)
{
	char buf[8];

	(void)state;
	wrap_mocked |= W_IOCTL;
	assert_int_equal(luo_session_get_name(6, NULL, 8), -EINVAL);
	assert_int_equal(luo_session_get_name(6, buf, 0), -EINVAL);
	assert_int_equal(luo_session_get_name(-1, buf, 8), -EBADF);
}

static void get_name_kernel_errors(void **state)
{
	char buf[64];

	(void)state;
	fake(6, REQ_GET_NAME, 72, EINVAL);
	assert_int_equal(luo_session_get_name(6, buf, sizeof(buf)), -EINVAL);
	fake(6, REQ_GET_NAME, 72, ENOTTY);
	assert_int_equal(luo_session_get_name(6, buf, sizeof(buf)), -ENOTTY);
}

/* ---- preserve fd ---- */

static void preserve_fd_ok(void **state)
{
	(void)state;
	fake(9, REQ_PRESERVE_FD, 16, 0);
	assert_int_equal(luo_session_preserve_fd(9, 42, UINT64_C(0xdeadbeefcafef00d)), 0);
	assert_int_equal(in_u32(4), 42);
	assert_int_equal(in_u64(8), UINT64_C(0xdeadbeefcafef00d));
}

static void preserve_fd_token_extremes(void **state)
{
	(void)state;
	fake(9, REQ_PRESERVE_FD, 16, 0);
	assert_int_equal(luo_session_preserve_fd(9, 0, 0), 0);
	assert_int_equal(in_u32(4), 0);
	assert_int_equal(in_u64(8), 0);
	fake(9, REQ_PRESERVE_FD, 16, 0);
	assert_int_equal(luo_session_preserve_fd(9, 1, UINT64_MAX), 0);
	assert_int_equal(in_u64(8), UINT64_MAX);
}

static void preserve_fd_bad_args(void **state)
{
	(void)state;
	wrap_mocked |= W_IOCTL;
	assert_int_equal(luo_session_preserve_fd(-1, 3, 1), -EBADF);
	assert_int_equal(luo_session_preserve_fd(3, -1, 1), -EBADF);
}

static void preserve_fd_kernel_errors(void **state)
{
	static const int errs[] = { EEXIST, EBUSY, ENOENT, EOPNOTSUPP, EINVAL, EBADF,
				    EFBIG, ENOSPC, ENOMEM, ENOTTY };
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(errs) / sizeof(errs[0]); i++) {
		fake(9, REQ_PRESERVE_FD, 16, errs[i]);
		assert_int_equal(luo_session_preserve_fd(9, 3, 7), -errs[i]);
	}
	fake(9, REQ_PRESERVE_FD, 16, -1);
	assert_int_equal(luo_session_preserve_fd(9, 3, 7), -EIO);
}

/* ---- retrieve fd ---- */

static void retrieve_fd_ok(void **state)
{
	(void)state;
	fake(10, REQ_RETRIEVE_FD, 16, 0);
	fk.out_fd = 21;
	assert_int_equal(luo_session_retrieve_fd(10, UINT64_C(0x123456789abcdef0)), 21);
	assert_int_equal(in_u64(8), UINT64_C(0x123456789abcdef0));
}

static void retrieve_fd_bad_args(void **state)
{
	(void)state;
	wrap_mocked |= W_IOCTL;
	assert_int_equal(luo_session_retrieve_fd(-1, 1), -EBADF);
}

static void retrieve_fd_kernel_errors(void **state)
{
	static const int errs[] = { ENOENT, EINVAL, EOPNOTSUPP, EIO, ENOMEM, EMFILE,
				    ENOTTY };
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(errs) / sizeof(errs[0]); i++) {
		fake(10, REQ_RETRIEVE_FD, 16, errs[i]);
		assert_int_equal(luo_session_retrieve_fd(10, 1), -errs[i]);
	}
	fake(10, REQ_RETRIEVE_FD, 16, -1);
	assert_int_equal(luo_session_retrieve_fd(10, 1), -EIO);
}

static void retrieve_fd_negative_fd_from_kernel(void **state)
{
	(void)state;
	fake(10, REQ_RETRIEVE_FD, 16, 0);
	fk.out_fd = -9;
	assert_int_equal(luo_session_retrieve_fd(10, 1), -EPROTO);
}

/* ---- against a descriptor that is not LUO at all (real kernel) ---- */

static void ioctls_on_non_luo_fd_fail_enotty(void **state)
{
	int fd = memfd_create("not-luo", 0);
	char buf[64];

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(luo_session_create(fd, "x"), -ENOTTY);
	assert_int_equal(luo_session_retrieve(fd, "x"), -ENOTTY);
	assert_int_equal(luo_session_finish(fd), -ENOTTY);
	assert_int_equal(luo_session_get_name(fd, buf, sizeof(buf)), -ENOTTY);
	assert_int_equal(luo_session_preserve_fd(fd, fd, 1), -ENOTTY);
	assert_int_equal(luo_session_retrieve_fd(fd, 1), -ENOTTY);
	close(fd);
}

static void ioctls_on_closed_fd_fail_ebadf(void **state)
{
	int fd = memfd_create("closed", 0);
	char buf[64];

	(void)state;
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(luo_session_create(fd, "x"), -EBADF);
	assert_int_equal(luo_session_finish(fd), -EBADF);
	assert_int_equal(luo_session_get_name(fd, buf, sizeof(buf)), -EBADF);
	assert_int_equal(luo_session_retrieve_fd(fd, 1), -EBADF);
}

/* ---- _opts variants (LIBLUO_1.1) ---- */

#define F_SETFD_CMD 2 /* F_SETFD in the Linux uAPI */

/* NULL options and zero flags: the same call as the plain function. */
static void opts_null_and_zero_are_plain(void **state)
{
	LUO_OPTS(luo_fd_opts, o);

	(void)state;
	fake(3, REQ_CREATE, 72, 0);
	fk.out_fd = 11;
	assert_int_equal(luo_session_create_opts(3, "a", NULL), 11);
	fake(3, REQ_RETRIEVE, 72, 0);
	fk.out_fd = 12;
	assert_int_equal(luo_session_retrieve_opts(3, "a", &o), 12);
	fake(4, REQ_RETRIEVE_FD, 16, 0);
	fk.out_fd = 13;
	assert_int_equal(luo_session_retrieve_fd_opts(4, 99, &o), 13);
	assert_int_equal(in_u64(8), 99);
}

/* LUO_FD_NOCLOEXEC clears FD_CLOEXEC on the descriptor the kernel gave. */
static void opts_nocloexec_clears_the_flag(void **state)
{
	LUO_OPTS(luo_fd_opts, o, .flags = LUO_FD_NOCLOEXEC);
	static const unsigned long reqs[] = { REQ_CREATE, REQ_RETRIEVE, REQ_RETRIEVE_FD };
	size_t i;
	int ret = -1;

	(void)state;
	for (i = 0; i < 3; i++) {
		fake(3, reqs[i], reqs[i] == REQ_RETRIEVE_FD ? 16 : 72, 0);
		fk.out_fd = 20 + (int)i;
		wrap_mocked |= W_FCNTL;
		expect_value(__wrap_fcntl, fd, 20 + (int)i);
		expect_value(__wrap_fcntl, cmd, F_SETFD_CMD);
		will_return(__wrap_fcntl, 0);
		if (reqs[i] == REQ_CREATE)
			ret = luo_session_create_opts(3, "a", &o);
		else if (reqs[i] == REQ_RETRIEVE)
			ret = luo_session_retrieve_opts(3, "a", &o);
		else
			ret = luo_session_retrieve_fd_opts(3, 5, &o);
		assert_int_equal(ret, 20 + (int)i);
	}
}

/* F_SETFD failing (another thread closed the fd) is reported, not hidden. */
static void opts_nocloexec_failure_is_reported(void **state)
{
	LUO_OPTS(luo_fd_opts, o, .flags = LUO_FD_NOCLOEXEC);

	(void)state;
	fake(3, REQ_RETRIEVE, 72, 0);
	fk.out_fd = 30;
	wrap_mocked |= W_FCNTL;
	expect_value(__wrap_fcntl, fd, 30);
	expect_value(__wrap_fcntl, cmd, F_SETFD_CMD);
	will_return(__wrap_fcntl, -EBADF);
	assert_int_equal(luo_session_retrieve_opts(3, "a", &o), -EBADF);
}

/* Bad options fail before any system call (ioctl is mocked, not expected). */
static void opts_bad(void **state)
{
	LUO_OPTS(luo_fd_opts, o, .flags = 2);
	struct {
		struct luo_fd_opts o;
		uint64_t future;
	} n;

	(void)state;
	wrap_mocked |= W_IOCTL | W_FCNTL;
	assert_int_equal(luo_session_create_opts(3, "a", &o), -EINVAL);
	assert_int_equal(luo_session_retrieve_opts(3, "a", &o), -EINVAL);
	assert_int_equal(luo_session_retrieve_fd_opts(3, 1, &o), -EINVAL);
	memset(&n, 0, sizeof(n));
	n.o.sz = sizeof(n);
	n.future = 1;
	assert_int_equal(luo_session_create_opts(3, "a", &n.o), -E2BIG);
	o.sz = 3;
	o.flags = 0;
	assert_int_equal(luo_session_retrieve_fd_opts(3, 1, &o), -EINVAL);
	assert_int_equal(luo_session_create_opts(-1, "a", NULL), -EBADF);
	assert_int_equal(luo_session_retrieve_opts(3, "", NULL), -EINVAL);
}

static void version_matches_header(void **state)
{
	(void)state;
	assert_int_equal(luo_version(), LIBLUO_VERSION);
	assert_int_equal(LIBLUO_VERSION, (1 << 16) | (2 << 8));
	assert_true(luo_version() >= LIBLUO_VERSION_NUM(1, 2, 0));
	assert_true(luo_version() < LIBLUO_VERSION_NUM(2, 0, 0));
}

/* luo_release() refuses what is not a luod connection before it sends. */
static void release_bad_args(void **state)
{
	int p[2];

	(void)state;
	assert_int_equal(luo_release(-1, "vm"), -EBADF);
	assert_int_equal(pipe(p), 0);
	assert_int_equal(luo_release(p[0], NULL), -EINVAL);
	assert_int_equal(luo_release(p[0], "vm"), -ENOTSOCK);
	close(p[0]);
	close(p[1]);
}

DEFINE_TESTS(session,
	cmocka_unit_test(release_bad_args),
	cmocka_unit_test(create_ok),
	cmocka_unit_test(create_name_63_bytes),
	cmocka_unit_test(create_name_64_bytes),
	cmocka_unit_test(create_name_long),
	cmocka_unit_test(create_bad_args),
	cmocka_unit_test(create_kernel_errors),
	cmocka_unit_test(create_errno_zero_is_eio),
	cmocka_unit_test(create_negative_fd_from_kernel),
	cmocka_unit_test(retrieve_ok),
	cmocka_unit_test(retrieve_bad_args),
	cmocka_unit_test(retrieve_kernel_errors),
	cmocka_unit_test(retrieve_negative_fd_from_kernel),
	cmocka_unit_test(finish_ok),
	cmocka_unit_test(finish_errors),
	cmocka_unit_test(get_name_ok),
	cmocka_unit_test(get_name_exact_fit),
	cmocka_unit_test(get_name_63_bytes),
	cmocka_unit_test(get_name_too_small),
	cmocka_unit_test(get_name_unterminated_from_kernel),
	cmocka_unit_test(get_name_bad_args),
	cmocka_unit_test(get_name_kernel_errors),
	cmocka_unit_test(preserve_fd_ok),
	cmocka_unit_test(preserve_fd_token_extremes),
	cmocka_unit_test(preserve_fd_bad_args),
	cmocka_unit_test(preserve_fd_kernel_errors),
	cmocka_unit_test(retrieve_fd_ok),
	cmocka_unit_test(retrieve_fd_bad_args),
	cmocka_unit_test(retrieve_fd_kernel_errors),
	cmocka_unit_test(retrieve_fd_negative_fd_from_kernel),
	cmocka_unit_test(ioctls_on_non_luo_fd_fail_enotty),
	cmocka_unit_test(ioctls_on_closed_fd_fail_ebadf),
	cmocka_unit_test(opts_null_and_zero_are_plain),
	cmocka_unit_test(opts_nocloexec_clears_the_flag),
	cmocka_unit_test(opts_nocloexec_failure_is_reported),
	cmocka_unit_test(opts_bad),
	cmocka_unit_test(version_matches_header));
