/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What every stage program needs (a start on issue 16; used by the stage
 * programs in tests/hugetlb and tests/shmem):
 *   result()        one KTAP result line, counted in test_nr and failures;
 *   diag()          one KTAP diagnostic line ("# ...");
 *   read_text()     a small procfs or sysfs file;
 *   read_cmdline()  the kernel command line (for a stage's mode);
 *   cmdline_has()   whether it has a given word (e.g. "kho=off");
 *   hold_sessions() keep this process's session fds open across the kexec
 *                   in a detached child, the way LUO wants them held;
 *   log_open(), log_since_contains()
 *                   whether the kernel printed a message since a point
 *                   (e.g. during one ioctl), from /dev/kmsg;
 *   meminfo_kb()    a /proc/meminfo field.
 */
#ifndef LUO_TESTS_STAGE_H
#define LUO_TESTS_STAGE_H

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int test_nr, failures;

/* The /proc/meminfo field @field in kB, or -1. */
static inline long meminfo_kb(const char *field)
{
	char line[256];
	size_t n = strlen(field);
	long kb = -1;
	FILE *f = fopen("/proc/meminfo", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, field, n) && line[n] == ':')
			kb = strtol(line + n + 1, NULL, 10);
	fclose(f);
	return kb;
}

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

/*
 * A small file (procfs, sysfs) into @buf, NUL-terminated, its last newline
 * dropped: its length, or -1 (and an empty @buf) if it cannot be read.
 */
static __attribute__((unused)) ssize_t read_text(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY);
	ssize_t n = fd >= 0 ? read(fd, buf, size - 1) : -1;

	if (fd >= 0)
		close(fd);
	buf[n > 0 ? n : 0] = 0;
	if (n > 0 && buf[n - 1] == '\n')
		buf[--n] = 0;
	return n;
}

/* One KTAP diagnostic line: "# " and the text. */
static __attribute__((unused, format(printf, 1, 2))) void diag(const char *fmt, ...)
{
	va_list ap;

	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

/* The kernel command line in @buf (empty if it cannot be read). */
static __attribute__((unused)) void read_cmdline(char *buf, size_t size)
{
	read_text("/proc/cmdline", buf, size);
}

/* Whether the kernel command line has @word as one of its words. */
static __attribute__((unused)) int cmdline_has(const char *word)
{
	char buf[4096], *tok, *save = NULL;

	read_cmdline(buf, sizeof(buf));
	for (tok = strtok_r(buf, " \n", &save); tok; tok = strtok_r(NULL, " \n", &save))
		if (!strcmp(tok, word))
			return 1;
	return 0;
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

/* /dev/kmsg opened at its end: what the kernel prints from now on. */
static __attribute__((unused)) int log_open(void)
{
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK);

	if (fd >= 0)
		lseek(fd, 0, SEEK_END);
	return fd;
}

/* Whether a record printed since log_open() contains @needle; closes @fd. */
static __attribute__((unused)) int log_since_contains(int fd, const char *needle)
{
	char rec[8192];
	ssize_t n;
	int found = 0;

	if (fd < 0)
		return 0;
	for (;;) {
		n = read(fd, rec, sizeof(rec) - 1);
		if (n < 0 && errno == EPIPE)
			continue;	/* overwritten records: go on */
		if (n <= 0)
			break;
		rec[n] = 0;
		if (strstr(rec, needle))
			found = 1;
	}
	close(fd);
	return found;
}

#endif /* LUO_TESTS_STAGE_H */
