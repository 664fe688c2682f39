// SPDX-License-Identifier: GPL-2.0
/*
 * A handover that holds a file of a type the next kernel has no handler for
 * must cost that file only. The file is a HugeTLB memfd, or an eventfd with
 * unknown.kind=eventfd on the command line. Run as luo -> luo with the
 * second kernel booted without that handler (initcall_blacklist=hml_init,
 * or =eventfd_luo_init):
 *
 *   stage 1: session "mixed" holds a shmem memfd (token 1) and the file of
 *            the other kind (token 2); session "plain" holds a shmem memfd
 *            (token 1);
 *   stage 2: /dev/liveupdate opens, both sessions are retrieved, both shmem
 *            files come back with their bytes, the other file fails its
 *            own retrieve with EOPNOTSUPP, the kernel log names its
 *            compatible string, and both sessions finish; finishing
 *            "mixed" gives that file's memory back (patch 0059): MemTotal
 *            grows by at least its huge page (HugeTLB) or its page of
 *            serialized state (eventfd), and the log says so.
 *
 * The same handover into stock 7.3 (chain luo,stock), which has neither
 * handler nor patch 0055 (docs/hugetlb.md, rollback to stock):
 *   unknown.mode=stock-loss: stage 2 cannot open /dev/liveupdate (EIO) and
 *            the log names the compatible string: every session is lost,
 *            the shmem ones too;
 *   unknown.mode=stock-avoid: stage 1 does what the docs tell a sender to
 *            do before a rollback, closing the session that holds the file
 *            stock cannot take before the kexec; stage 2 retrieves session
 *            "plain" with its bytes, and "mixed" is gone (ENOENT).
 *
 * usage: unknown STAGE
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/klog.h>
#include <sys/mman.h>
#include <unistd.h>

#include <libluo.h>

#include "stage.h"

#define SHMEM_SIZE (256 * 1024L)
#define HUGE_SIZE (2 * 1024 * 1024L)
#define EVENTFD_COUNT 42

/* The file the next kernel has no handler for. */
static const struct kind {
	const char *name;    /* unknown.kind= */
	const char *label;   /* in result lines */
	const char *compat;  /* its handler's compatible string */
	long bytes;          /* memory it must give back at least */
} kinds[] = {
	{ "hugetlb", "HugeTLB", "hugetlb-memfd-v1", HUGE_SIZE },
	{ "eventfd", "eventfd", "eventfd-v1", 4096 },
};
static const struct kind *kind = &kinds[0];
#define STAGE1_TESTS 5
#define STAGE2_TESTS 11
#define LOSS_TESTS 2
#define AVOID_STAGE1_TESTS (STAGE1_TESTS + 1)
#define AVOID_TESTS 4

enum { OURS, STOCK_LOSS, STOCK_AVOID };
static int mode;

/* One KTAP line; on failure with @err (an errno, either sign) its text. */
static void check(int ok, const char *what, int err)
{
	if (!ok && err)
		result(0, "%s: %s", what, strerror(err < 0 ? -err : err));
	else
		result(ok, "%s", what);
}

static uint8_t pattern(uint8_t seed, long off)
{
	return (uint8_t)(off * 7 + seed);
}

/* A memfd of @size bytes filled with pattern(@seed); -errno on failure. */
static int make_memfd(const char *name, unsigned int flags, long size,
		      uint8_t seed)
{
	int fd = memfd_create(name, flags);
	uint8_t *map;
	long i;

	if (fd < 0)
		return -errno;
	if (ftruncate(fd, size))
		return -errno;
	map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED)
		return -errno;
	for (i = 0; i < size; i++)
		map[i] = pattern(seed, i);
	munmap(map, size);
	return fd;
}

/* Whether @fd holds exactly @size bytes of pattern(@seed). */
static int check_memfd(int fd, long size, uint8_t seed)
{
	uint8_t *map;
	long i;

	if (fd < 0 || lseek(fd, 0, SEEK_END) != size)
		return 0;
	map = mmap(NULL, size, PROT_READ, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED)
		return 0;
	for (i = 0; i < size && map[i] == pattern(seed, i); i++)
		;
	munmap(map, size);
	return i == size;
}

static int log_contains(const char *a, const char *b)
{
	int len = klogctl(10, NULL, 0), n, found;
	char *buf;

	if (len <= 0)
		return 0;
	buf = malloc(len + 1);
	if (!buf)
		return 0;
	n = klogctl(3, buf, len);
	buf[n > 0 ? n : 0] = '\0';
	found = 0;
	for (char *line = strtok(buf, "\n"); line; line = strtok(NULL, "\n"))
		if (strstr(line, a) && strstr(line, b))
			found = 1;
	free(buf);
	return found;
}

static void stage1(int dev)
{
	int mixed = luo_session_create(dev, "mixed");
	int plain = luo_session_create(dev, "plain");
	int f1 = make_memfd("mixed-shmem", 0, SHMEM_SIZE, 1);
	int f2 = kind == &kinds[0] ? make_memfd("mixed-huge", MFD_HUGETLB, HUGE_SIZE, 2) :
		 eventfd(EVENTFD_COUNT, EFD_SEMAPHORE);
	int f3 = make_memfd("plain-shmem", 0, SHMEM_SIZE, 3);

	check(mixed >= 0 && plain >= 0, "create sessions mixed and plain",
	       mixed < 0 ? mixed : plain);
	check(f1 >= 0 && f2 >= 0 && f3 >= 0, "create the three files",
	       f1 < 0 ? f1 : f2 < 0 ? (kind == &kinds[0] ? f2 : errno) : f3);
	check(!luo_session_preserve_fd(mixed, f1, 1), "preserve mixed/1 (shmem)", 0);
	result(!luo_session_preserve_fd(mixed, f2, 2), "preserve mixed/2 (%s)", kind->label);
	check(!luo_session_preserve_fd(plain, f3, 1), "preserve plain/1 (shmem)", 0);
	if (mode == STOCK_AVOID) {
		/* Rolling back to stock: the session stock cannot take goes first. */
		check(!close(mixed), "close session mixed before a kexec into stock", errno);
	}
	hold_sessions();
}

static void stage2(int dev)
{
	int mixed = luo_session_retrieve(dev, "mixed");
	int plain = luo_session_retrieve(dev, "plain");
	long total, grown;
	int fd, err;

	check(mixed >= 0, "retrieve session mixed", mixed);
	check(plain >= 0, "retrieve session plain", plain);
	fd = luo_session_retrieve_fd(plain, 1);
	check(check_memfd(fd, SHMEM_SIZE, 3), "plain/1 (shmem) comes back intact",
	       fd < 0 ? fd : 0);
	fd = luo_session_retrieve_fd(mixed, 1);
	check(check_memfd(fd, SHMEM_SIZE, 1),
	       "mixed/1 (shmem) comes back intact beside a file of an unknown type",
	       fd < 0 ? fd : 0);
	err = luo_session_retrieve_fd(mixed, 2);
	result(err == -EOPNOTSUPP, "mixed/2 (%s, no handler here) is refused with EOPNOTSUPP%s%s",
	       kind->label, err < 0 && err != -EOPNOTSUPP ? ": " : "",
	       err < 0 && err != -EOPNOTSUPP ? strerror(-err) : "");
	check(log_contains("token 2", kind->compat),
	       "the kernel log names the file's token and compatible string", 0);
	err = luo_session_retrieve_fd(mixed, 2);
	check(err == -EOPNOTSUPP, "the refusal is sticky", err < 0 ? err : 0);
	/*
	 * Memory restored from a handover is added to MemTotal (managed pages)
	 * when it is given back; what stays reserved never is.
	 */
	total = meminfo_kb("MemTotal");
	err = luo_session_finish(mixed);
	check(!err, "finish session mixed", err);
	grown = meminfo_kb("MemTotal") - total;
	result(grown >= kind->bytes / 1024,
	       "finish gives back the memory of the file without a handler (MemTotal +%ld kB, want >= %ld)",
	       grown, kind->bytes / 1024);
	check(log_contains("gave back its preserved memory", kind->compat),
	      "the kernel log says the file's memory was given back", 0);
	err = luo_session_finish(plain);
	check(!err, "finish session plain", err);
}

/* Stock 7.3 as the next kernel, nothing done about the HugeTLB file. */
static void stage2_loss(int dev)
{
	check(dev == -EIO, "stock cannot open /dev/liveupdate (EIO): the whole handover is lost",
	       dev < 0 ? dev : 0);
	check(log_contains("No registered handler", kind->compat),
	       "the stock kernel log names the compatible string", 0);
}

/* Stock 7.3 as the next kernel after the sender closed session mixed. */
static void stage2_avoid(int dev)
{
	int plain = luo_session_retrieve(dev, "plain");
	int mixed, fd, err;

	check(plain >= 0, "retrieve session plain", plain);
	fd = luo_session_retrieve_fd(plain, 1);
	check(check_memfd(fd, SHMEM_SIZE, 3), "plain/1 (shmem) comes back intact on stock",
	       fd < 0 ? fd : 0);
	mixed = luo_session_retrieve(dev, "mixed");
	check(mixed == -ENOENT, "session mixed was not handed over (ENOENT)",
	       mixed < 0 ? mixed : 0);
	err = luo_session_finish(plain);
	check(!err, "finish session plain", err);
}

int main(int argc, char **argv)
{
	int stage, dev, planned;
	char cmd[4096];

	read_cmdline(cmd, sizeof(cmd));
	mode = strstr(cmd, "unknown.mode=stock-loss") ? STOCK_LOSS :
	       strstr(cmd, "unknown.mode=stock-avoid") ? STOCK_AVOID : OURS;
	if (strstr(cmd, "unknown.kind=eventfd"))
		kind = &kinds[1];
	if (argc < 2)
		return 2;
	stage = atoi(argv[1]);
	if (stage == 1)
		planned = mode == STOCK_AVOID ? AVOID_STAGE1_TESTS : STAGE1_TESTS;
	else
		planned = mode == STOCK_LOSS ? LOSS_TESTS :
			  mode == STOCK_AVOID ? AVOID_TESTS : STAGE2_TESTS;
	printf("KTAP version 1\n1..%d\n", planned);
	fflush(stdout);
	dev = luo_device_open(NULL);
	if (stage == 2 && mode == STOCK_LOSS) {
		stage2_loss(dev);
		if (dev >= 0)
			close(dev);
		return failures ? 1 : 0;
	}
	if (dev < 0) {
		printf("# open /dev/liveupdate: %s\n", strerror(-dev));
		while (test_nr < planned)
			check(0, "open /dev/liveupdate (every case needs it)", dev);
		return 1;
	}
	if (stage == 1)
		stage1(dev);
	else if (mode == STOCK_AVOID)
		stage2_avoid(dev);
	else
		stage2(dev);
	if (test_nr != planned) {
		printf("# BUG: %d results for a plan of %d\n", test_nr, planned);
		failures++;
	}
	return failures ? 1 : 0;
}
