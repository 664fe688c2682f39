// SPDX-License-Identifier: GPL-2.0
/*
 * The 2 MiB pool when preserved pages come back and the pool is not set by
 * hugepages= at boot alone (issue 12 item 7). Run as luo -> luo:
 *
 *   stage 1: (hugepages=16) session "keep" holds a 4-page HugeTLB memfd,
 *            session "drop" another; both are held across the kexec;
 *   stage 2, hlt.pool=sysctl (no hugepages=, so 8 pages are owed to a
 *            pool of 0): vm.nr_hugepages=12 written at runtime allocates
 *            12 - 8 = 4, logged; retrieving "keep" and finishing "drop"
 *            bring the pool to 12, not 20; a later write is plain;
 *   stage 2, hlt.pool=surplus (hugepages=8, so 0 allocated at boot): with
 *            4 surplus pages in use, the 4 pages of "drop" join the pool as
 *            hugetlb does when the pool grows while surplus pages are in
 *            use: each surplus page becomes persistent and the freed page
 *            goes to the page allocator, so free_hugepages stays 0 and
 *            surplus_hugepages drops to 0; once every file is closed the
 *            pool holds its 8 pages, all free.
 * Expected counts follow from the pages written above, not from the kernel.
 *
 * usage: pool STAGE
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/klog.h>
#include <sys/mman.h>
#include <unistd.h>

#include <libluo.h>

#include "../common/stage.h"

#define HUGE (2 * 1024 * 1024L)
#define FILE_PAGES 4
#define STRIDE 4096L
#define SYSFS "/sys/kernel/mm/hugepages/hugepages-2048kB/"
#define STAGE1_TESTS 3
#define SYSCTL_TESTS 9
#define SURPLUS_TESTS 8

static long read_long(const char *path)
{
	char buf[64] = "";
	int fd = open(path, O_RDONLY);
	ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;

	if (fd >= 0)
		close(fd);
	return n > 0 ? atol(buf) : -1;
}

static int write_long(const char *path, long v)
{
	char buf[32];
	int fd = open(path, O_WRONLY), n, ok;

	if (fd < 0)
		return 0;
	n = snprintf(buf, sizeof(buf), "%ld", v);
	ok = write(fd, buf, n) == n;
	close(fd);
	return ok;
}

static long pool(const char *what)
{
	char path[128];

	snprintf(path, sizeof(path), SYSFS "%s", what);
	return read_long(path);
}

/* nr, free and surplus are as given; prints all three. */
static void pool_is(long nr, long free, long surplus, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void pool_is(long nr, long free, long surplus, const char *fmt, ...)
{
	long n = pool("nr_hugepages"), f = pool("free_hugepages");
	long s = pool("surplus_hugepages");
	char when[160];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(when, sizeof(when), fmt, ap);
	va_end(ap);
	result(n == nr && f == free && s == surplus,
	       "%s: nr %ld free %ld surplus %ld (want %ld %ld %ld)", when, n, f, s,
	       nr, free, surplus);
}

static uint8_t pattern(uint8_t seed, long off)
{
	return (uint8_t)(off / STRIDE * 7 + seed);
}

/* A HugeTLB memfd of @pages 2 MiB pages, faulted in, pattern(@seed). */
static int make_huge(const char *name, long pages, uint8_t seed)
{
	int fd = memfd_create(name, MFD_HUGETLB);
	uint8_t *map;
	long off;

	if (fd < 0 || ftruncate(fd, pages * HUGE))
		return -1;
	map = mmap(NULL, pages * HUGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED)
		return -1;
	for (off = 0; off < pages * HUGE; off += STRIDE)
		map[off] = pattern(seed, off);
	munmap(map, pages * HUGE);
	return fd;
}

static int intact(int fd, long pages, uint8_t seed)
{
	uint8_t *map;
	long off;

	if (fd < 0 || lseek(fd, 0, SEEK_END) != pages * HUGE)
		return 0;
	map = mmap(NULL, pages * HUGE, PROT_READ, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED)
		return 0;
	for (off = 0; off < pages * HUGE && map[off] == pattern(seed, off); off += STRIDE)
		;
	munmap(map, pages * HUGE);
	return off >= pages * HUGE;
}

static int log_contains(const char *needle)
{
	static char buf[1 << 20];
	int n = klogctl(3, buf, sizeof(buf) - 1);

	buf[n > 0 ? n : 0] = 0;
	return strstr(buf, needle) != NULL;
}

static void stage1(int dev)
{
	int keep = luo_session_create(dev, "keep");
	int drop = luo_session_create(dev, "drop");
	int a = make_huge("keep", FILE_PAGES, 1), b = make_huge("drop", FILE_PAGES, 2);

	result(keep >= 0 && drop >= 0 && a >= 0 && b >= 0,
	       "create sessions keep and drop and two 4-page HugeTLB memfds");
	result(!luo_session_preserve_fd(keep, a, 1), "preserve keep/1");
	result(!luo_session_preserve_fd(drop, b, 1), "preserve drop/1");
	hold_sessions();
}

/* Retrieve keep/1 and check its bytes; the fd, or -1. */
static int retrieve_keep(int keep)
{
	int fd = luo_session_retrieve_fd(keep, 1);

	result(intact(fd, FILE_PAGES, 1), "keep/1 comes back with its %d pages intact",
	       FILE_PAGES);
	return fd;
}

static void stage2_sysctl(int keep, int drop)
{
	const long owed = 2 * FILE_PAGES, asked = 12;
	int fd, err;

	pool_is(0, 0, 0, "boot without hugepages=");
	result(write_long("/proc/sys/vm/nr_hugepages", asked),
	       "write vm.nr_hugepages=%ld", asked);
	pool_is(asked - owed, asked - owed, 0, "the write allocates what is not owed");
	result(log_contains("still come back from live update"),
	       "the kernel log says why the pool is smaller than asked");
	fd = retrieve_keep(keep);
	pool_is(asked - FILE_PAGES, asked - owed, 0, "after retrieving keep/1");
	err = luo_session_finish(drop);
	pool_is(asked, asked - FILE_PAGES, 0, "after finishing drop unretrieved (err %d)", err);
	err = luo_session_finish(keep);
	close(fd);
	pool_is(asked, asked, 0, "after closing keep/1 (finish err %d)", err);
	write_long("/proc/sys/vm/nr_hugepages", 6);
	pool_is(6, 6, 0, "a write with nothing owed is plain (6)");
}

static void stage2_surplus(int keep, int drop)
{
	const long hugepages = 8;
	int c, fd, err;

	pool_is(0, 0, 0, "hugepages=8 with 8 owed allocates none at boot");
	result(write_long(SYSFS "nr_overcommit_hugepages", FILE_PAGES),
	       "allow %d surplus pages", FILE_PAGES);
	c = make_huge("surplus", FILE_PAGES, 3);
	pool_is(FILE_PAGES, 0, FILE_PAGES, "a 4-page file from surplus pages");
	err = luo_session_finish(drop);
	/* Each freed page turns a surplus page persistent and leaves the pool. */
	pool_is(FILE_PAGES, 0, 0, "after finishing drop unretrieved (err %d)", err);
	fd = retrieve_keep(keep);
	pool_is(2 * FILE_PAGES, 0, 0, "after retrieving keep/1");
	close(c);
	pool_is(2 * FILE_PAGES, FILE_PAGES, 0, "the former surplus pages stay in the pool");
	err = luo_session_finish(keep);
	close(fd);
	pool_is(hugepages, hugepages, 0, "everything closed: hugepages=8, all free (finish err %d)",
		err);
}

int main(int argc, char **argv)
{
	int stage, dev, planned, surplus, keep = -1, drop = -1;
	char cmd[4096];

	read_cmdline(cmd, sizeof(cmd));
	if (argc < 2)
		return 2;
	stage = atoi(argv[1]);
	surplus = strstr(cmd, "hlt.pool=surplus") != NULL;
	planned = stage == 1 ? STAGE1_TESTS : 1 + (surplus ? SURPLUS_TESTS : SYSCTL_TESTS);
	printf("KTAP version 1\n1..%d\n", planned);
	fflush(stdout);
	dev = luo_device_open(NULL);
	if (dev < 0) {
		printf("# open /dev/liveupdate: %s\n", strerror(-dev));
		while (test_nr < planned)
			result(0, "open /dev/liveupdate (every case needs it)");
		return 1;
	}
	if (stage == 1) {
		stage1(dev);
	} else {
		keep = luo_session_retrieve(dev, "keep");
		drop = luo_session_retrieve(dev, "drop");
		result(keep >= 0 && drop >= 0, "retrieve sessions keep and drop");
		if (surplus)
			stage2_surplus(keep, drop);
		else
			stage2_sysctl(keep, drop);
	}
	if (test_nr != planned) {
		printf("# BUG: %d results for a plan of %d\n", test_nr, planned);
		failures++;
	}
	return failures ? 1 : 0;
}
