// SPDX-License-Identifier: GPL-2.0
/*
 * End-to-end test of the next kernel's validation of untrusted folio arrays.
 * Needs a first kernel with CONFIG_LUO_MEMFD_COMMON_CORRUPT_TEST and a
 * second kernel running luo_memfd_common. KTAP output.
 *
 * The corruption mode comes from "shmem_corrupt=N" on the command line
 * (see lib/luo_memfd_common/corrupt.c for the modes).
 *   stage 1: preserve a 4 MiB memfd in session "corrupt" and a small one in
 *            session "intact", ask for the corruption, hold both across kexec;
 *   stage 2: retrieving the corrupt file fails with EINVAL (EOPNOTSUPP for
 *            an unknown header flag or seal) and a kernel log
 *            line naming the fault; its memory comes back (MemTotal); the
 *            intact file is retrieved unharmed; no kernel warning (the
 *            runner checks the log).
 * With "shmem_corrupt=chain" one chain of NR_MODES + 1 kernels tries every
 * mode: stage S checks the corruption stage S - 1 asked for (as stage 2
 * above), then asks for mode S (as stage 1).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/klog.h>
#include <sys/mman.h>
#include <unistd.h>
#include <linux/liveupdate.h>

#include "../common/stage.h"

#define KIB 1024L
#define MIB (1024L * 1024L)
#define CORRUPT_SIZE (4 * MIB)
#define INTACT_SIZE (64 * KIB)

/* Results of stage1() and stage2(): each prints every line on every path. */
#define STAGE1_TESTS 5
#define STAGE2_TESTS 8

/* One KTAP line, with @detail after the name if given. */
static void check(int ok, const char *what, const char *detail)
{
	result(ok, "%s%s%s", what, detail ? ": " : "", detail ? detail : "");
}

#define NR_MODES 12

/* Fault message each mode must produce in the next kernel's log. */
static const char *const expect_msg[NR_MODES + 1] = {
	[1] = "is not a preserved folio head",
	[2] = "not above the previous entry",
	[3] = "unknown folio flags",
	[4] = "index beyond end of file",
	[5] = "is not a preserved folio head",
	[6] = "could not map the folio array",
	[7] = "could not map the folio array",
	[8] = "could not map the folio array",
	[9] = "file position",
	[10] = "entry count too large for the file size",
	[11] = "unknown file flags",
	[12] = "unsupported seals",
};

/*
 * Modes 9-12 corrupt the file's header, not its array: a position past
 * MAX_LFS_FILESIZE, a size of one page for 4 MiB of folios (EINVAL), an
 * unknown file flag or seal (EOPNOTSUPP: not corrupt, maybe newer, but not
 * for this kernel). Every folio still comes back.
 */
static int expect_errno(int mode)
{
	return mode >= 11 ? EOPNOTSUPP : EINVAL;
}

/*
 * Folios each mode leaves unreachable (named by no entry any more). Mode 6
 * points the array's first chunk beyond RAM: no folio can be found, and the
 * next kernel must refuse it without reading or freeing what it does not
 * own. Mode 7 makes the chunk list loop: it cannot be mapped, but walked
 * chunk by chunk it still names every folio, and all come back. Mode 8
 * names the array's first page twice, in place of its second: the 256
 * entries of the second page (16 bytes each) are lost, all others come back.
 */
static const long lost_pages[NR_MODES + 1] = {
	[1] = 1, [5] = 1, [6] = CORRUPT_SIZE / 4096, [8] = 4096 / 16,
};

static int session_op(int lu, unsigned long cmd, const char *name)
{
	struct liveupdate_ioctl_create_session s = { .size = sizeof(s) };

	snprintf((char *)s.name, sizeof(s.name), "%s", name);
	if (ioctl(lu, cmd, &s))
		return -1;
	return s.fd;
}

static int preserve(int session, int fd, uint64_t token)
{
	struct liveupdate_session_preserve_fd p = {
		.size = sizeof(p), .fd = fd, .token = token,
	};

	return ioctl(session, LIVEUPDATE_SESSION_PRESERVE_FD, &p);
}

static int retrieve(int session, uint64_t token)
{
	struct liveupdate_session_retrieve_fd r = { .size = sizeof(r), .token = token };

	if (ioctl(session, LIVEUPDATE_SESSION_RETRIEVE_FD, &r))
		return -1;
	return r.fd;
}

static int finish(int session)
{
	struct liveupdate_session_finish f = { .size = sizeof(f) };

	return ioctl(session, LIVEUPDATE_SESSION_FINISH, &f);
}

static long memtotal_kb(void)
{
	char line[256];
	long v = -1;
	FILE *f = fopen("/proc/meminfo", "r");

	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, "MemTotal:", 9))
			v = atol(line + 9);
	if (f)
		fclose(f);
	return v;
}

static int make_memfd(const char *name, long size, uint8_t seed)
{
	int fd = memfd_create(name, 0);
	uint8_t *map;
	long i;

	if (fd < 0 || ftruncate(fd, size))
		return -1;
	map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED)
		return -1;
	for (i = 0; i < size; i++)
		map[i] = (uint8_t)(i * 13 + seed);
	munmap(map, size);
	return fd;
}

static int cmdline_mode(void)
{
	char cmd[4096], *p;

	read_cmdline(cmd, sizeof(cmd));
	p = strstr(cmd, "shmem_corrupt=");
	if (p && !strncmp(p + strlen("shmem_corrupt="), "chain", 5))
		return -1;
	return p ? atoi(p + strlen("shmem_corrupt=")) : 0;
}

static void stage1(int lu, int mode)
{
	int s1 = session_op(lu, LIVEUPDATE_IOCTL_CREATE_SESSION, "corrupt");
	int s2 = session_op(lu, LIVEUPDATE_IOCTL_CREATE_SESSION, "intact");
	int f1 = make_memfd("corrupt", CORRUPT_SIZE, 1);
	int f2 = make_memfd("intact", INTACT_SIZE, 2);
	char buf[16];
	int dfd;

	check(s1 >= 0 && s2 >= 0 && f1 >= 0 && f2 >= 0, "setup", strerror(errno));
	check(!preserve(s1, f1, 1), "preserve the 4 MiB memfd", NULL);
	check(!preserve(s2, f2, 1), "preserve the 64 KiB memfd", NULL);
	/* Corrupt arrays of >= 256 entries: the 4 MiB file, not the 64 KiB one. */
	dfd = open("/sys/kernel/debug/luo_memfd_common/corrupt_min_entries", O_WRONLY);
	check(dfd >= 0 && write(dfd, "256", 3) == 3, "limit corruption to large arrays",
	       strerror(errno));
	if (dfd >= 0)
		close(dfd);
	dfd = open("/sys/kernel/debug/luo_memfd_common/corrupt", O_WRONLY);
	snprintf(buf, sizeof(buf), "%d", mode);
	check(dfd >= 0 && write(dfd, buf, strlen(buf)) > 0,
	       "request corruption of outgoing arrays", strerror(errno));
	hold_sessions();
}

static int log_contains(const char *needle)
{
	static char buf[1 << 20];
	int n = klogctl(3 /* SYSLOG_ACTION_READ_ALL */, buf, sizeof(buf) - 1);

	if (n < 0)
		return 0;
	buf[n] = 0;
	return strstr(buf, needle) != NULL;
}

static void stage2(int lu, int mode)
{
	int s1 = session_op(lu, LIVEUPDATE_IOCTL_RETRIEVE_SESSION, "corrupt");
	int s2 = session_op(lu, LIVEUPDATE_IOCTL_RETRIEVE_SESSION, "intact");
	long before, after, want;
	char detail[160];
	int fd, err;

	check(s1 >= 0 && s2 >= 0, "retrieve both sessions", strerror(errno));
	before = memtotal_kb();
	errno = 0;
	fd = retrieve(s1, 1);
	err = errno;
	snprintf(detail, sizeof(detail), "fd %d, %s", fd, strerror(err));
	check(fd < 0 && err == expect_errno(mode), expect_errno(mode) == EINVAL ?
	       "corrupt file is refused with EINVAL" : "corrupt file is refused with EOPNOTSUPP",
	       detail);
	check(log_contains(expect_msg[mode]), "kernel log names the fault",
	       expect_msg[mode]);
	errno = 0;
	check(retrieve(s1, 1) < 0 && errno == expect_errno(mode), "refusal is sticky",
	       strerror(errno));
	check(!finish(s1), "finish the session of the corrupt file", strerror(errno));
	after = memtotal_kb();
	want = CORRUPT_SIZE / KIB - lost_pages[mode] * 4;
	snprintf(detail, sizeof(detail), "%ld kB back, want >= %ld kB",
		 after - before, want);
	check(after - before >= want, "the corrupt file's memory is given back",
	       detail);

	fd = retrieve(s2, 1);
	if (fd >= 0) {
		uint8_t *map = mmap(NULL, INTACT_SIZE, PROT_READ, MAP_SHARED, fd, 0);
		long i, bad = -1;

		for (i = 0; map != MAP_FAILED && i < INTACT_SIZE; i++) {
			if (map[i] != (uint8_t)(i * 13 + 2)) {
				bad = i;
				break;
			}
		}
		check(map != MAP_FAILED && bad < 0, "intact file in another session is unharmed",
		       NULL);
	} else {
		check(0, "intact file in another session is unharmed", strerror(errno));
	}
	check(!finish(s2), "finish the intact session", strerror(errno));
	/* A chain's next step creates sessions of the same names. */
	if (fd >= 0)
		close(fd);
	close(s1);
	close(s2);
}

int main(int argc, char **argv)
{
	int stage, mode = cmdline_mode(), lu, planned, check, arm;

	if (argc < 2)
		return 2;
	stage = atoi(argv[1]);
	printf("KTAP version 1\n");
	if (mode == -1) {
		/* chain: check what the last stage asked for, ask for the next */
		check = stage > 1 && stage <= NR_MODES + 1 ? stage - 1 : 0;
		arm = stage <= NR_MODES ? stage : 0;
	} else {
		check = stage == 2 ? mode : 0;
		arm = stage == 1 ? mode : 0;
	}
	if (mode == 0 || mode > NR_MODES || (!check && !arm)) {
		printf("1..1\nnot ok 1 shmem_corrupt=N (1..%d) or chain missing from the command line, or stage %d has nothing to do\n",
		       NR_MODES, stage);
		return 1;
	}
	printf("# stage %d: checks corruption mode %d, asks for mode %d (0: none)\n",
	       stage, check, arm);
	lu = open("/dev/liveupdate", O_RDWR);
	if (lu < 0) {
		printf("1..1\nnot ok 1 open /dev/liveupdate: %s\n", strerror(errno));
		return 1;
	}
	planned = (check ? STAGE2_TESTS : 0) + (arm ? STAGE1_TESTS : 0);
	printf("1..%d\n", planned);
	fflush(stdout);
	if (check)
		stage2(lu, check);
	if (arm)
		stage1(lu, arm);
	if (test_nr != planned) {
		printf("# BUG: %d results for a plan of %d\n", test_nr, planned);
		failures++;
	}
	return failures ? 1 : 0;
}
