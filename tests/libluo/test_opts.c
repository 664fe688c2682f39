// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * luo_device_open() and the size-carrying option convention shared by every
 * option structure (exercised through luo_device_open()).
 */
#include "wrap.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>

#include "libluo.h"

static void expect_open(const char *path, int flags, int ret)
{
	wrap_mocked |= W_OPEN;
	expect_string(__wrap_open, path, path);
	expect_value(__wrap_open, flags, flags);
	will_return(__wrap_open, ret);
}

static void device_open_defaults(void **state)
{
	(void)state;
	expect_open("/dev/liveupdate", O_RDWR | O_CLOEXEC, 7);
	assert_int_equal(luo_device_open(NULL), 7);
}

static void device_open_path_and_nocloexec(void **state)
{
	LUO_OPTS(luo_device_opts, o, .path = "/tmp/other-luo", .flags = LUO_DEVICE_NOCLOEXEC);

	(void)state;
	expect_open("/tmp/other-luo", O_RDWR, 9);
	assert_int_equal(luo_device_open(&o), 9);
}

static void device_open_zeroed_opts_are_defaults(void **state)
{
	LUO_OPTS(luo_device_opts, o);

	(void)state;
	expect_open("/dev/liveupdate", O_RDWR | O_CLOEXEC, 4);
	assert_int_equal(luo_device_open(&o), 4);
}

static void device_open_errors_pass_through(void **state)
{
	static const int errs[] = { ENOENT, EBUSY, EIO, EACCES, ENXIO, ENODEV, EMFILE };
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(errs) / sizeof(errs[0]); i++) {
		expect_open("/dev/liveupdate", O_RDWR | O_CLOEXEC, -errs[i]);
		assert_int_equal(luo_device_open(NULL), -errs[i]);
	}
}

static void device_open_unknown_flag(void **state)
{
	LUO_OPTS(luo_device_opts, o, .flags = 2);

	(void)state;
	wrap_mocked |= W_OPEN; /* any open() call would fail the test */
	assert_int_equal(luo_device_open(&o), -EINVAL);
	o.flags = UINT64_C(1) << 63;
	assert_int_equal(luo_device_open(&o), -EINVAL);
}

static void device_open_empty_path(void **state)
{
	LUO_OPTS(luo_device_opts, o, .path = "");

	(void)state;
	wrap_mocked |= W_OPEN;
	assert_int_equal(luo_device_open(&o), -EINVAL);
}

static void opts_macro_sets_size_and_zeroes(void **state)
{
	LUO_OPTS(luo_memfd_opts, o, .size = 5);
	struct luo_memfd_opts zero;

	(void)state;
	assert_int_equal(o.sz, sizeof(struct luo_memfd_opts));
	assert_int_equal(o.size, 5);
	assert_int_equal(o.hugetlb_page_size, 0);
	assert_int_equal(o.seals, 0);
	assert_int_equal(o.prefault, 0);
	assert_int_equal(o.flags, 0);
	/* Padding included: everything but sz and size is zero bytes. */
	memset(&zero, 0, sizeof(zero));
	zero.sz = sizeof(zero);
	zero.size = 5;
	assert_memory_equal(&o, &zero, sizeof(zero));
}

static void opts_size_zero(void **state)
{
	struct luo_device_opts o;

	(void)state;
	memset(&o, 0, sizeof(o));
	wrap_mocked |= W_OPEN;
	assert_int_equal(luo_device_open(&o), -EINVAL);
}

static void opts_size_smaller_than_sz_field(void **state)
{
	struct luo_device_opts o;

	(void)state;
	memset(&o, 0, sizeof(o));
	wrap_mocked |= W_OPEN;
	o.sz = sizeof(size_t) - 1;
	assert_int_equal(luo_device_open(&o), -EINVAL);
}

static void opts_size_over_max(void **state)
{
	static unsigned char big[4097 + 8];
	size_t sz = 4097;

	(void)state;
	wrap_mocked |= W_OPEN;
	memcpy(big, &sz, sizeof(sz));
	assert_int_equal(luo_device_open((const struct luo_device_opts *)(void *)big),
			 -E2BIG);
}

static void opts_size_at_max_zero_tail(void **state)
{
	static union {
		struct luo_device_opts o;
		unsigned char raw[4096];
	} u;

	(void)state;
	memset(&u, 0, sizeof(u));
	u.o.sz = 4096;
	expect_open("/dev/liveupdate", O_RDWR | O_CLOEXEC, 3);
	assert_int_equal(luo_device_open(&u.o), 3);
}

/* A caller compiled against a newer, larger structure. */
struct newer_device_opts {
	struct luo_device_opts base;
	uint64_t future;
};

static void opts_newer_with_zero_tail(void **state)
{
	struct newer_device_opts n;

	(void)state;
	memset(&n, 0, sizeof(n));
	n.base.sz = sizeof(n);
	n.base.path = "/dev/x";
	expect_open("/dev/x", O_RDWR | O_CLOEXEC, 5);
	assert_int_equal(luo_device_open(&n.base), 5);
}

static void opts_newer_with_nonzero_tail(void **state)
{
	struct newer_device_opts n;

	(void)state;
	memset(&n, 0, sizeof(n));
	n.base.sz = sizeof(n);
	n.future = 1;
	wrap_mocked |= W_OPEN;
	assert_int_equal(luo_device_open(&n.base), -E2BIG);
	/* The very last byte counts too. */
	n.future = UINT64_C(1) << 63;
	assert_int_equal(luo_device_open(&n.base), -E2BIG);
}

static void opts_older_smaller_ignores_fields_beyond_sz(void **state)
{
	struct luo_device_opts o;

	(void)state;
	/* An older caller knew only sz and path: flags (garbage here) must be
	 * read as zero, so the device is opened close-on-exec. */
	memset(&o, 0xff, sizeof(o));
	o.sz = sizeof(size_t) + sizeof(const char *);
	o.path = "/dev/old";
	expect_open("/dev/old", O_RDWR | O_CLOEXEC, 6);
	assert_int_equal(luo_device_open(&o), 6);
}

static void opts_only_sz_means_defaults(void **state)
{
	struct luo_device_opts o;

	(void)state;
	memset(&o, 0xff, sizeof(o));
	o.sz = sizeof(size_t);
	expect_open("/dev/liveupdate", O_RDWR | O_CLOEXEC, 8);
	assert_int_equal(luo_device_open(&o), 8);
}

DEFINE_TESTS(opts,
	cmocka_unit_test(device_open_defaults),
	cmocka_unit_test(device_open_path_and_nocloexec),
	cmocka_unit_test(device_open_zeroed_opts_are_defaults),
	cmocka_unit_test(device_open_errors_pass_through),
	cmocka_unit_test(device_open_unknown_flag),
	cmocka_unit_test(device_open_empty_path),
	cmocka_unit_test(opts_macro_sets_size_and_zeroes),
	cmocka_unit_test(opts_size_zero),
	cmocka_unit_test(opts_size_smaller_than_sz_field),
	cmocka_unit_test(opts_size_over_max),
	cmocka_unit_test(opts_size_at_max_zero_tail),
	cmocka_unit_test(opts_newer_with_zero_tail),
	cmocka_unit_test(opts_newer_with_nonzero_tail),
	cmocka_unit_test(opts_older_smaller_ignores_fields_beyond_sz),
	cmocka_unit_test(opts_only_sz_means_defaults));
