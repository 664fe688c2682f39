// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/* Copyright (c) 2026 The luo-memfd authors */
/*
 * luo_memfd_probe() against a fake kernel and a fake HugeTLB pool.
 *
 * Expected values come from the uAPI and from the data the tests feed in:
 * memfd_create() flags 0x7 (MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_HUGETLB)
 * | log2 << 26, CREATE_SESSION is _IO(0xBA, 0), PRESERVE_FD _IO(0xBA, 0x40)
 * with the token at offset 8, and the pool
 * counts are whatever the test writes into the pipes open() returns.
 */
#include "wrap.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "libluo.h"

#define MIB (UINT64_C(1) << 20)
#define REQ_CREATE 0xBA00UL
#define REQ_PRESERVE_FD 0xBA40UL
#define FLAGS_2M (0x7U | (21U << 26))

static struct {
	int sess_fd;        /* what CREATE_SESSION returns */
	int preserve_errno; /* PRESERVE_FD fails with this, 0: succeeds */
	char name[64];      /* the session name the kernel saw */
	int preserved_fd;   /* the fd PRESERVE_FD saw */
} fk;

static int fake_create(int fd, unsigned long req, void *arg)
{
	int32_t out = fk.sess_fd;

	assert_int_equal(fd, 3);
	assert_int_equal(req, REQ_CREATE);
	memcpy(fk.name, (char *)arg + 8, 64);
	memcpy((char *)arg + 4, &out, 4);
	return 0;
}

static int fake_preserve(int fd, unsigned long req, void *arg)
{
	int32_t in_fd;
	uint64_t token;

	assert_int_equal(fd, fk.sess_fd);
	assert_int_equal(req, REQ_PRESERVE_FD);
	memcpy(&in_fd, (char *)arg + 4, 4);
	memcpy(&token, (char *)arg + 8, 8);
	fk.preserved_fd = in_fd;
	if (fk.preserve_errno) {
		errno = fk.preserve_errno;
		return -1;
	}
	return 0;
}

/* open(PATH) returns a pipe that reads TEXT: its descriptor. */
static int expect_sysfs(const char *path, const char *text)
{
	int p[2];

	assert_int_equal(pipe(p), 0);
	assert_int_equal(write(p[1], text, strlen(text)), (ssize_t)strlen(text));
	close(p[1]);
	wrap_mocked |= W_OPEN;
	expect_string(__wrap_open, path, path);
	expect_value(__wrap_open, flags, O_RDONLY | O_CLOEXEC);
	will_return(__wrap_open, p[0]);
	return p[0];
}

#define POOL "/sys/kernel/mm/hugepages/hugepages-2048kB/"

static void expect_huge_memfd(int ret)
{
	wrap_mocked |= W_MEMFD;
	expect_string(__wrap_memfd_create, name, "libluo-probe");
	expect_value(__wrap_memfd_create, flags, FLAGS_2M);
	will_return(__wrap_memfd_create, ret);
}

static void bad_args(void **state)
{
	struct luo_memfd_probe_result r = { .sz = sizeof(r) };
	LUO_OPTS(luo_memfd_opts, o, .hugetlb_page_size = 2 * MIB, .size = 3 * MIB);

	(void)state;
	wrap_mocked |= W_MEMFD | W_IOCTL | W_OPEN;
	assert_int_equal(luo_memfd_probe(-1, NULL, NULL), -EINVAL);
	r.sz = 0;
	assert_int_equal(luo_memfd_probe(-1, NULL, &r), -EINVAL);
	r.sz = 5000;
	assert_int_equal(luo_memfd_probe(-1, NULL, &r), -E2BIG);
	r.sz = sizeof(r);
	assert_int_equal(luo_memfd_probe(-1, &o, &r), -EINVAL); /* 3 MiB of 2 MiB pages */
	o.size = 0;
	o.hugetlb_page_size = 3 * MIB;
	assert_int_equal(luo_memfd_probe(-1, &o, &r), -EINVAL);
	o.hugetlb_page_size = 0;
	o.size = UINT64_C(1) << 63;
	assert_int_equal(luo_memfd_probe(-1, &o, &r), -EFBIG);
}

/* shmem, no device: a real empty memfd is made and closed; no pool. */
static void shmem_without_device(void **state)
{
	LUO_OPTS(luo_memfd_opts, o, .size = 10 * 4096 + 1);
	struct luo_memfd_probe_result r;
	int before = count_open_fds();

	(void)state;
	memset(&r, 0xee, sizeof(r));
	r.sz = sizeof(r);
	assert_int_equal(luo_memfd_probe(-1, &o, &r), 0);
	assert_int_equal(r.flags, LUO_MEMFD_PROBE_CREATED);
	assert_int_equal(r.page_size, 4096);
	assert_int_equal(r.pages_needed, 11);
	assert_int_equal(r.pages_free, 0);
	assert_int_equal(r.create_err, 0);
	assert_int_equal(r.preserve_err, 0);
	assert_int_equal(r.pool_err, 0);
	assert_int_equal(count_open_fds(), before);
}

/* HugeTLB: free 10, reserved 3 leaves 7 pages for a file of 7 or 8. */
static void huge_pool_counts(void **state)
{
	LUO_OPTS(luo_memfd_opts, o, .hugetlb_page_size = 2 * MIB, .size = 7 * 2 * MIB);
	struct luo_memfd_probe_result r = { .sz = sizeof(r) };

	(void)state;
	expect_huge_memfd(-ENODEV);
	expect_sysfs(POOL "free_hugepages", "10\n");
	expect_sysfs(POOL "resv_hugepages", "3\n");
	assert_int_equal(luo_memfd_probe(-1, &o, &r), 0);
	assert_int_equal(r.create_err, -ENODEV);
	assert_int_equal(r.flags, LUO_MEMFD_PROBE_POOL_KNOWN | LUO_MEMFD_PROBE_POOL_FITS);
	assert_int_equal(r.page_size, 2 * MIB);
	assert_int_equal(r.pages_needed, 7);
	assert_int_equal(r.pages_free, 7);

	o.size = 8 * 2 * MIB;
	expect_huge_memfd(-ENODEV);
	expect_sysfs(POOL "free_hugepages", "10\n");
	expect_sysfs(POOL "resv_hugepages", "3\n");
	assert_int_equal(luo_memfd_probe(-1, &o, &r), 0);
	assert_int_equal(r.flags, LUO_MEMFD_PROBE_POOL_KNOWN);
	assert_int_equal(r.pages_needed, 8);
}

/* Garbage or a missing file in sysfs is an error in pool_err, not a count. */
static void huge_pool_unreadable(void **state)
{
	LUO_OPTS(luo_memfd_opts, o, .hugetlb_page_shift = 21);
	struct luo_memfd_probe_result r = { .sz = sizeof(r) };

	(void)state;
	expect_huge_memfd(-ENODEV);
	expect_sysfs(POOL "free_hugepages", "x\n");
	assert_int_equal(luo_memfd_probe(-1, &o, &r), 0);
	assert_int_equal(r.pool_err, -EPROTO);
	assert_int_equal(r.flags, 0);

	expect_huge_memfd(-ENODEV);
	expect_sysfs(POOL "free_hugepages", "5 6\n");
	assert_int_equal(luo_memfd_probe(-1, &o, &r), 0);
	assert_int_equal(r.pool_err, -EPROTO);

	expect_huge_memfd(-ENODEV);
	wrap_mocked |= W_OPEN;
	expect_string(__wrap_open, path, POOL "free_hugepages");
	expect_value(__wrap_open, flags, O_RDONLY | O_CLOEXEC);
	will_return(__wrap_open, -ENOENT);
	assert_int_equal(luo_memfd_probe(-1, &o, &r), 0);
	assert_int_equal(r.pool_err, -ENOENT);
	assert_int_equal(r.flags, 0);
}

/*
 * With a device: the empty memfd goes into a session of its own, token 0,
 * and both are closed again. The kernel's answer decides PRESERVED.
 */
static void trial_preserve(void **state)
{
	static const int errs[] = { 0, ENOENT, EOPNOTSUPP };
	LUO_OPTS(luo_memfd_opts, o, .hugetlb_page_size = 2 * MIB, .size = 2 * MIB);
	struct luo_memfd_probe_result r = { .sz = sizeof(r) };
	char want[64];
	size_t i;
	int p1, p2;

	(void)state;
	for (i = 0; i < sizeof(errs) / sizeof(errs[0]); i++) {
		memset(&fk, 0, sizeof(fk));
		fk.sess_fd = 21;
		fk.preserve_errno = errs[i];
		expect_huge_memfd(20);
		p1 = expect_sysfs(POOL "free_hugepages", "1\n");
		p2 = expect_sysfs(POOL "resv_hugepages", "0\n");
		wrap_mocked |= W_IOCTL | W_CLOSE;
		will_return(__wrap_ioctl, fake_create);
		will_return(__wrap_ioctl, fake_preserve);
		expect_value(__wrap_close, fd, 21);
		expect_value(__wrap_close, fd, 20);
		expect_value(__wrap_close, fd, p1);
		expect_value(__wrap_close, fd, p2);
		assert_int_equal(luo_memfd_probe(3, &o, &r), 0);
		wrap_mocked &= ~W_CLOSE;
		close(p1);
		close(p2);
		snprintf(want, sizeof(want), "libluo-probe-%ld-20", (long)getpid());
		assert_string_equal(fk.name, want);
		assert_int_equal(fk.preserved_fd, 20);
		assert_int_equal(r.preserve_err, -errs[i]);
		assert_int_equal(r.flags,
				 LUO_MEMFD_PROBE_CREATED | LUO_MEMFD_PROBE_PRESERVE_TRIED |
					 (errs[i] ? 0 : LUO_MEMFD_PROBE_PRESERVED) |
					 LUO_MEMFD_PROBE_POOL_KNOWN | LUO_MEMFD_PROBE_POOL_FITS);
		assert_string_equal(wrap_log, "memfd_create ioctl ioctl close close open close open close");
		wrap_log[0] = '\0';
	}
}

/* A result cut inside pages_needed gets flags and page_size only. */
static void partial_result(void **state)
{
	struct luo_memfd_probe_result r, sentinel;
	size_t whole = offsetof(struct luo_memfd_probe_result, pages_needed);

	(void)state;
	memset(&r, 0x5c, sizeof(r));
	memset(&sentinel, 0x5c, sizeof(sentinel));
	r.sz = whole + 3;
	assert_int_equal(luo_memfd_probe(-1, NULL, &r), 0);
	assert_int_equal(r.flags, LUO_MEMFD_PROBE_CREATED);
	assert_int_equal(r.page_size, 4096);
	assert_memory_equal((char *)&r + whole, (char *)&sentinel + whole, sizeof(r) - whole);
}

DEFINE_TESTS(memfd_probe,
	cmocka_unit_test(bad_args),
	cmocka_unit_test(shmem_without_device),
	cmocka_unit_test(huge_pool_counts),
	cmocka_unit_test(huge_pool_unreadable),
	cmocka_unit_test(trial_preserve),
	cmocka_unit_test(partial_result));
