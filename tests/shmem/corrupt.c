// SPDX-License-Identifier: GPL-2.0
/*
 * End-to-end test of the next kernel's validation of untrusted folio arrays
 * and file headers. Needs a first kernel with
 * CONFIG_LUO_MEMFD_COMMON_CORRUPT_TEST and a second kernel running
 * luo_memfd_common. KTAP output.
 *
 * "shmem_corrupt=N" on the command line tries mode N (the modes are in
 * tests/common/corrupt_modes.h), "shmem_corrupt=all" every mode, across one
 * kexec:
 *   stage 1: for each mode, preserve a memfd of CORRUPT_PAGES + mode pages
 *            (the size selects the mode in the knob) in a session of its
 *            own, "corrupt-MODE", and ask for that corruption; preserve a
 *            small memfd in session "intact"; hold them all across kexec;
 *   stage 2: for each mode, retrieving the corrupt file fails with EINVAL
 *            (EOPNOTSUPP for an unknown header flag or seal), a kernel log
 *            line printed during that retrieve names the fault, the refusal
 *            is sticky, and once its session is finished all its memory
 *            is back (MemTotal), what the handler could not reach too;
 *            the intact file is retrieved unharmed; no
 *            kernel warning (the runner checks the log).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <linux/liveupdate.h>

#include "../common/corrupt_modes.h"
#include "../common/session.h"
#include "../common/stage.h"

#define KIB 1024L
#define CORRUPT_PAGES 1024L
#define INTACT_SIZE (64 * KIB)
#define NR_MODES NR_CORRUPT_MODES

/* Results of stage1() and stage2() for @n modes; every path prints each. */
#define STAGE1_TESTS(n) (1 + (n) + 1)
#define STAGE2_TESTS(n) (5 * (n) + 3)

static long page_size;

/* One KTAP line, with @detail after the name if given. */
static void check(int ok, const char *what, const char *detail)
{
	result(ok, "%s%s%s", what, detail ? ": " : "", detail ? detail : "");
}

/* Pages of the file that carries @mode: each mode has its own size. */
static long mode_pages(int mode)
{
	return CORRUPT_PAGES + mode;
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

/* Modes asked for on the command line: 1..NR_MODES, 0 for all, -1 if none. */
static int cmdline_mode(void)
{
	char cmd[4096], *p;

	read_cmdline(cmd, sizeof(cmd));
	p = strstr(cmd, "shmem_corrupt=");
	if (!p)
		return -1;
	p += strlen("shmem_corrupt=");
	return strncmp(p, "all", 3) ? atoi(p) : 0;
}

static void stage1(int lu, int first, int last)
{
	int s, f, ok, mode, dfd;
	char name[32], buf[48];

	dfd = open(CORRUPT_KNOB, O_WRONLY);
	check(dfd >= 0, "open the corruption knob", dfd >= 0 ? NULL : strerror(errno));
	for (mode = first; mode <= last; mode++) {
		snprintf(name, sizeof(name), "corrupt-%d", mode);
		s = lu_session(lu, LIVEUPDATE_IOCTL_CREATE_SESSION, name);
		f = make_memfd(name, mode_pages(mode) * page_size, mode);
		snprintf(buf, sizeof(buf), "%ld %d", mode_pages(mode), mode);
		ok = s >= 0 && f >= 0 && !lu_preserve(s, f, mode) && dfd >= 0 &&
		     write(dfd, buf, strlen(buf)) == (ssize_t)strlen(buf);
		snprintf(buf, sizeof(buf), "%ld pages, %s", mode_pages(mode),
			 ok ? "ok" : strerror(errno));
		result(ok, "mode %d: preserve a memfd in session %s and ask for the corruption (%s)",
		       mode, name, buf);
	}
	if (dfd >= 0)
		close(dfd);
	s = lu_session(lu, LIVEUPDATE_IOCTL_CREATE_SESSION, "intact");
	f = make_memfd("intact", INTACT_SIZE, 200);
	check(s >= 0 && f >= 0 && !lu_preserve(s, f, 1),
	      "preserve a 64 KiB memfd in session intact", strerror(errno));
	hold_sessions();
}

static void stage2_mode(int lu, int mode)
{
	long before, after, want;
	char name[32], detail[200];
	int s, fd, err, log;

	snprintf(name, sizeof(name), "corrupt-%d", mode);
	s = lu_session(lu, LIVEUPDATE_IOCTL_RETRIEVE_SESSION, name);
	err = errno;
	before = meminfo_kb("MemTotal");
	log = log_open();
	errno = 0;
	fd = s >= 0 ? lu_retrieve(s, mode) : -1;
	err = s >= 0 ? errno : err;
	snprintf(detail, sizeof(detail), "session %s, fd %d, %s", name, fd,
		 strerror(err));
	result(s >= 0 && fd < 0 && err == corrupt_errno(mode),
	       "mode %d: corrupt file is refused with %s (%s)", mode,
	       corrupt_errno_name(mode), detail);
	result(log_since_contains(log, corrupt_msg[mode]),
	       "mode %d: the kernel log of that retrieve names the fault (%s)",
	       mode, corrupt_msg[mode]);
	errno = 0;
	fd = s >= 0 ? lu_retrieve(s, mode) : -1;
	err = errno;
	result(s >= 0 && fd < 0 && err == corrupt_errno(mode),
	       "mode %d: refusal is sticky (fd %d, %s)", mode, fd, strerror(err));
	err = s >= 0 ? lu_finish(s) : -1;
	result(!err, "mode %d: finish session %s%s%s", mode, name,
	       err ? ": " : "", err ? strerror(errno) : "");
	after = meminfo_kb("MemTotal");
	/*
	 * Every page: what the handler cannot reach (corrupt_lost()) LUO
	 * gives back at finish from the sender's record (patch 0059).
	 */
	want = mode_pages(mode) * (page_size / KIB);
	result(after - before >= want,
	       "mode %d: the corrupt file's memory is given back (%ld kB back, want >= %ld kB; %ld kB of it out of the handler's reach)",
	       mode, after - before, want,
	       corrupt_lost(mode, mode_pages(mode), page_size / 16) *
	       (page_size / KIB));
	if (s >= 0)
		close(s);
}

static void stage2(int lu, int first, int last)
{
	int s, fd, mode;

	for (mode = first; mode <= last; mode++)
		stage2_mode(lu, mode);

	s = lu_session(lu, LIVEUPDATE_IOCTL_RETRIEVE_SESSION, "intact");
	check(s >= 0, "retrieve session intact", strerror(errno));
	fd = s >= 0 ? lu_retrieve(s, 1) : -1;
	if (fd >= 0) {
		uint8_t *map = mmap(NULL, INTACT_SIZE, PROT_READ, MAP_SHARED, fd, 0);
		long i, bad = -1;

		for (i = 0; map != MAP_FAILED && i < INTACT_SIZE; i++) {
			if (map[i] != (uint8_t)(i * 13 + 200)) {
				bad = i;
				break;
			}
		}
		check(map != MAP_FAILED && bad < 0,
		      "intact file in another session is unharmed", NULL);
		close(fd);
	} else {
		check(0, "intact file in another session is unharmed", strerror(errno));
	}
	check(s >= 0 && !lu_finish(s), "finish session intact", strerror(errno));
}

int main(int argc, char **argv)
{
	int stage, mode = cmdline_mode(), lu, planned, first, last;

	if (argc < 2)
		return 2;
	stage = atoi(argv[1]);
	page_size = sysconf(_SC_PAGESIZE);
	printf("KTAP version 1\n");
	if (mode < 0 || mode > NR_MODES || stage < 1 || stage > 2) {
		printf("1..1\nnot ok 1 shmem_corrupt=N (1..%d) or all missing from the command line, or stage %d is not 1 or 2\n",
		       NR_MODES, stage);
		return 1;
	}
	first = mode ? mode : 1;
	last = mode ? mode : NR_MODES;
	printf("# stage %d: corruption modes %d to %d\n", stage, first, last);
	lu = open("/dev/liveupdate", O_RDWR);
	if (lu < 0) {
		printf("1..1\nnot ok 1 open /dev/liveupdate: %s\n", strerror(errno));
		return 1;
	}
	planned = stage == 1 ? STAGE1_TESTS(last - first + 1) :
			       STAGE2_TESTS(last - first + 1);
	printf("1..%d\n", planned);
	fflush(stdout);
	if (stage == 1)
		stage1(lu, first, last);
	else
		stage2(lu, first, last);
	if (test_nr != planned) {
		printf("# BUG: %d results for a plan of %d\n", test_nr, planned);
		failures++;
	}
	return failures ? 1 : 0;
}
