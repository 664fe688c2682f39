// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/* luo_strerror(): the LUO meaning of each errno. */
#include "wrap.h"

#include <errno.h>
#include <limits.h>
#include <string.h>

#include "libluo.h"

static void has(int err, const char *word)
{
	const char *s = luo_strerror(err);

	assert_non_null(s);
	if (!strstr(s, word))
		fail_msg("luo_strerror(%d) = \"%s\" lacks \"%s\"", err, s, word);
}

static void strerror_luo_meanings(void **state)
{
	(void)state;
	/* ENOENT: unknown session, unknown token, unsupported file, no device. */
	has(-ENOENT, "session");
	has(-ENOENT, "token");
	has(-ENOENT, "handler");
	has(-ENOENT, "/dev/liveupdate");
	has(-ENOENT, "liveupdate=on");
	has(-EEXIST, "session");
	has(-EEXIST, "token");
	has(-EBUSY, "single opener");
	has(-EBUSY, "already preserved");
	has(-EINVAL, "retrieved");
	has(-ENAMETOOLONG, "63");
	has(-E2BIG, "zero");
	has(-ENOSPC, "full");
	has(-EPERM, "size");
	has(-ENOTTY, "session");
	has(-EIO, "previous kernel");
	has(-EOPNOTSUPP, "seals");
	has(-EMSGSIZE, "closed");
	has(-ENODATA, "debugfs");
	has(-ENXIO, "stale");
	has(-ENODEV, "HugeTLB");
	has(-EFBIG, "pages");
	has(-ERANGE, "name");
	has(-EPROTO, "luo_send_fds");
	has(-ECONNRESET, "peer");
}

static void strerror_sign_does_not_matter(void **state)
{
	static const int errs[] = { ENOENT, EEXIST, EBUSY, EINVAL, ENOSPC, EPERM, EIO,
				    ENOMEM, EBADF, EMFILE, EACCES, ENODEV };
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(errs) / sizeof(errs[0]); i++)
		assert_ptr_equal(luo_strerror(errs[i]), luo_strerror(-errs[i]));
}

static void strerror_distinct_texts(void **state)
{
	static const int errs[] = { ENOENT, EEXIST, EBUSY, EINVAL, ENOSPC, EPERM, EIO,
				    ENOMEM, EBADF, EMFILE, EACCES, ENODEV, ENXIO,
				    ENOTTY, EOPNOTSUPP, EFBIG, E2BIG, ENAMETOOLONG };
	size_t i, j;

	(void)state;
	for (i = 0; i < sizeof(errs) / sizeof(errs[0]); i++)
		for (j = i + 1; j < sizeof(errs) / sizeof(errs[0]); j++)
			assert_string_not_equal(luo_strerror(errs[i]), luo_strerror(errs[j]));
}

static void strerror_zero_and_unknown(void **state)
{
	(void)state;
	assert_string_equal(luo_strerror(0), "Success");
	has(9999, "Unknown");
	has(-9999, "Unknown");
	has(INT_MIN, "Unknown");
	has(INT_MAX, "Unknown");
}

static void strerror_never_null(void **state)
{
	int e;

	(void)state;
	for (e = -4200; e <= 4200; e++) {
		const char *s = luo_strerror(e);

		assert_non_null(s);
		assert_true(strlen(s) > 0);
	}
}

/* The meaning of one errno for one call, short. */
static void strerror_call_specific(void **state)
{
	(void)state;
	assert_string_equal(luo_strerror_call(LUO_CALL_SESSION_RETRIEVE, -ENOENT),
			    "no session of that name was handed over");
	assert_string_equal(luo_strerror_call(LUO_CALL_RETRIEVE_FD, ENOENT),
			    "no file with that token, or the session is finished");
	assert_string_equal(luo_strerror_call(LUO_CALL_PRESERVE_FD, -ENOENT),
			    "this kernel cannot preserve this kind of file");
	assert_string_equal(luo_strerror_call(LUO_CALL_DEVICE_OPEN, -EBUSY),
			    "the device is held by another process");
	assert_string_equal(luo_strerror_call(LUO_CALL_MEMFD_CREATE, -ENODEV),
			    "the kernel has no HugeTLB pages of that size");
}

/* Other pairs: the short generic text, then luo_strerror()'s. */
static void strerror_call_fallbacks(void **state)
{
	(void)state;
	assert_string_equal(luo_strerror_call(LUO_CALL_SESSION_FINISH, -ENOENT), "not found");
	assert_string_equal(luo_strerror_call(LUO_CALL_ANY, -EBADF), "bad file descriptor");
	assert_string_equal(luo_strerror_call(12345, -EBUSY), "busy");
	assert_string_equal(luo_strerror_call(LUO_CALL_PRESERVE_FD, 0), "success");
	assert_ptr_equal(luo_strerror_call(LUO_CALL_ANY, -EMSGSIZE), luo_strerror(EMSGSIZE));
	has(INT_MIN, "Unknown");
	assert_ptr_equal(luo_strerror_call(LUO_CALL_ANY, INT_MIN), luo_strerror(INT_MIN));
}

/* Every call's text is one short lower-case line without a period. */
static void strerror_call_short_lines(void **state)
{
	int call, e;

	(void)state;
	for (call = LUO_CALL_ANY; call <= LUO_CALL_MEMFD_CREATE; call++) {
		for (e = 1; e < 140; e++) {
			const char *s = luo_strerror_call(call, -e);
			size_t n = strlen(s);

			assert_non_null(s);
			if (s == luo_strerror(e))
				continue; /* the long text of an errno no call knows */
			assert_true(n > 0 && n <= 60);
			assert_null(strchr(s, '\n'));
			assert_true(s[n - 1] != '.');
			assert_true(s[0] < 'A' || s[0] > 'Z');
		}
	}
}

DEFINE_TESTS(strerror,
	cmocka_unit_test(strerror_luo_meanings),
	cmocka_unit_test(strerror_sign_does_not_matter),
	cmocka_unit_test(strerror_distinct_texts),
	cmocka_unit_test(strerror_zero_and_unknown),
	cmocka_unit_test(strerror_never_null),
	cmocka_unit_test(strerror_call_specific),
	cmocka_unit_test(strerror_call_fallbacks),
	cmocka_unit_test(strerror_call_short_lines));
