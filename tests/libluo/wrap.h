/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * Syscall wrappers for the libluo unit tests (linked with -Wl,--wrap=...).
 *
 * Every wrapper passes through to the real function unless its bit is set
 * in wrap_mocked. A mocked wrapper takes its arguments' expected values from
 * cmocka's expect_*() queue and its result from will_return(): a negative
 * int result -E means "fail with errno E". Mocked calls are appended to
 * wrap_log so that a test can check their order.
 */
#ifndef LIBLUO_TEST_WRAP_H
#define LIBLUO_TEST_WRAP_H

#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <cmocka.h>

enum {
	W_OPEN = 1u << 0,
	W_CLOSE = 1u << 1,
	W_READ = 1u << 2,
	W_IOCTL = 1u << 3,
	W_MEMFD = 1u << 4,
	W_FTRUNCATE = 1u << 5,
	W_FALLOCATE = 1u << 6,
	W_MMAP = 1u << 7,
	W_MUNMAP = 1u << 8,
	W_MADVISE = 1u << 9,
	W_FCNTL = 1u << 10,
	W_FSTAT = 1u << 11,
	W_FSTATFS = 1u << 12,
	W_LSEEK = 1u << 13,
	W_STAT = 1u << 14,
	W_SENDMSG = 1u << 15,
	W_RECVMSG = 1u << 16,
	W_RECV = 1u << 17,
	W_GETSOCKOPT = 1u << 18,
};

extern unsigned int wrap_mocked;
/* Space-separated names of the mocked calls made so far. */
extern char wrap_log[1024];
/* While non-NULL, a real stat() of exactly this path reports a char device. */
extern const char *wrap_fake_chrdev;

/* Reset every wrapper to pass-through; used as each test's setup. */
int wrap_reset(void **state);

/* A fake kernel for one ioctl call: queue with will_return(__wrap_ioctl, fn). */
typedef int (*wrap_ioctl_fn)(int fd, unsigned long req, void *arg);
/* A fake sendmsg/recvmsg for one call: queue with will_return(). */
typedef ssize_t (*wrap_sendmsg_fn)(int fd, const struct msghdr *msg, int flags);
typedef ssize_t (*wrap_recvmsg_fn)(int fd, struct msghdr *msg, int flags);
/* A fake recv for one call. */
typedef ssize_t (*wrap_recv_fn)(int fd, void *buf, size_t len, int flags);

/* Number of open descriptors of this process (entries of /proc/self/fd). */
int count_open_fds(void);

/* Test tables of each module. */
#define DECLARE_TESTS(mod)                                                     \
	extern const struct CMUnitTest mod##_tests[];                          \
	extern const size_t mod##_ntests

#define DEFINE_TESTS(mod, ...)                                                 \
	const struct CMUnitTest mod##_tests[] = { __VA_ARGS__ };               \
	const size_t mod##_ntests = sizeof(mod##_tests) / sizeof(mod##_tests[0])

DECLARE_TESTS(opts);
DECLARE_TESTS(session);
DECLARE_TESTS(memfd);
DECLARE_TESTS(memfd_probe);
DECLARE_TESTS(probe);
DECLARE_TESTS(fdpass);
DECLARE_TESTS(strerror);

#endif
