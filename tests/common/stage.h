/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What every stage program needs (a start on issue 16; used by the stage
 * programs in tests/hugetlb and tests/shmem):
 *   result()        one KTAP result line, counted in test_nr and failures;
 *   read_cmdline()  the kernel command line (for a stage's mode);
 *   hold_sessions() keep this process's session fds open across the kexec
 *                   in a detached child, the way LUO wants them held.
 */
#ifndef LUO_TESTS_STAGE_H
#define LUO_TESTS_STAGE_H

#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <unistd.h>

static int test_nr, failures;

static void result(int ok, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void result(int ok, const char *fmt, ...)
{
	va_list ap;

	printf("%sok %d ", ok ? "" : "not ", ++test_nr);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	if (!ok)
		failures++;
}

/* The kernel command line in @buf (empty if it cannot be read). */
static __attribute__((unused)) void read_cmdline(char *buf, size_t size)
{
	int fd = open("/proc/cmdline", O_RDONLY);
	ssize_t n = fd >= 0 ? read(fd, buf, size - 1) : -1;

	if (fd >= 0)
		close(fd);
	buf[n > 0 ? n : 0] = 0;
}

/*
 * Fork a child that holds every open fd (the sessions) until the kexec;
 * the stage itself returns and exits.
 */
static __attribute__((unused)) void hold_sessions(void)
{
	if (fork() == 0) {
		setsid();
		close(0);
		close(1);
		close(2);
		for (;;)
			pause();
	}
}

#endif /* LUO_TESTS_STAGE_H */
