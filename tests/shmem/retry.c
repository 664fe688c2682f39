// SPDX-License-Identifier: GPL-2.0
/*
 * End-to-end test: a retrieve that runs out of memory, a freeze that fails
 * and an accounting FLB that cannot be preserved cost no data. Needs the
 * debug kernel (CONFIG_FAIL_FUNCTION) on both sides and a pool of 2 MiB
 * huge pages (hugepages=32). KTAP output.
 *
 *   stage 1: preserve, each in a session of its own, three shmem memfds of
 *            RETRY_PAGES pages and four HugeTLB memfds of HUGE_PAGES 2 MiB
 *            pages, every byte a pattern of its own; the first HugeTLB
 *            preserve with the accounting FLB's preserve failing
 *            (lmc_hstate_flb_preserve) must fail with ENOMEM, and the
 *            next one succeed. Then kexec twice with a handler's freeze
 *            failing (memfd_luo_freeze, then hml_freeze, each on its
 *            second file): the kexec fails with ENOMEM and the kernel
 *            goes on; a new session still preserves a file. Hold them
 *            all across the real kexec;
 *   stage 2: with fail_function (Documentation/fault-injection), make one
 *            step of each file's retrieve fail once with -ENOMEM: the
 *            insertion of the shmem file's 300th folio into the page cache
 *            (memfd_luo_add_folio), or the mapping of the folio array
 *            (lmc_map_array, shmem and HugeTLB). Retrieve must fail with
 *            ENOMEM; then either a second retrieve gives the whole file
 *            back (size and every byte), or, never retried, finishing its
 *            session gives all its memory back (MemTotal for shmem, the
 *            exact free_hugepages count for HugeTLB, which must not move
 *            before the finish: the pages wait for a retry). Two more
 *            HugeTLB files are retrieved by the stage from inside a cgroup
 *            (cgroup2 mounted with memory_hugetlb_accounting) whose limit
 *            the file does not fit: memory.max 1M (the memcg charge of
 *            the first page fails, after its hugetlb cgroup charge) and
 *            hugetlb.2MB.max 6M (the fourth page's charge fails, three
 *            are in the file already). Retrieve must fail with ENOMEM;
 *            with the limit lifted, a second retrieve gives the whole
 *            file, charged once: hugetlb.2MB.current is the file's size,
 *            and 0 once the file is closed (HugePages_Rsvd 0 too). The
 *            file preserved after the failed kexecs comes back whole.
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
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/liveupdate.h>
#include <linux/memfd.h>

#include "../common/session.h"
#include "../common/stage.h"

#define FF "/sys/kernel/debug/fail_function/"
#define CG "/sys/fs/cgroup/"
#define CGR CG "luo-retry/"
#define HUGE_FREE "/sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages"
#define RETRY_PAGES 1024L
#define HUGE_PAGES 8L
#define HUGE_SIZE (2L << 20)
/* -ENOMEM as fail_function's retval file reads it (an unsigned long). */
#define RETVAL_ENOMEM "0xfffffffffffffff4"

enum outcome { RETRY, GIVE_UP };

struct retry_case {
	const char *session;
	int huge;
	const char *func;	/* fail_function injection point, or NULL */
	const char *retval;	/* the value the point returns */
	int interval;		/* fail the Nth call */
	enum outcome outcome;
	const char *limit;	/* or a limit of cgroup CGR (func NULL) */
	const char *limit_val;
};

static const struct retry_case cases[] = {
	{ "retry-add", 0, "memfd_luo_add_folio", RETVAL_ENOMEM, 300, RETRY, NULL, NULL },
	{ "retry-map", 0, "lmc_map_array", RETVAL_ENOMEM, 1, RETRY, NULL, NULL },
	{ "retry-add-giveup", 0, "memfd_luo_add_folio", RETVAL_ENOMEM, 300, GIVE_UP, NULL, NULL },
	{ "retry-huge-map", 1, "lmc_map_array", RETVAL_ENOMEM, 1, RETRY, NULL, NULL },
	{ "retry-huge-giveup", 1, "lmc_map_array", RETVAL_ENOMEM, 1, GIVE_UP, NULL, NULL },
	{ "retry-huge-memcg", 1, NULL, NULL, 0, RETRY, "memory.max", "1M" },
	{ "retry-huge-hugetlbcg", 1, NULL, NULL, 0, RETRY, "hugetlb.2MB.max", "6M" },
};

#define NR_CASES ((int)(sizeof(cases) / sizeof(cases[0])))
/*
 * arm, ENOMEM, then retry: fd, data, [charged once], finish, [uncharged];
 * give up: [held], finish, back
 */
#define CASE_TESTS(c) (2 + ((c)->outcome == RETRY ? 3 + 2 * !(c)->func : \
				2 + (c)->huge))

static long page_size;

static long file_size(const struct retry_case *c)
{
	return c->huge ? HUGE_PAGES * HUGE_SIZE : RETRY_PAGES * page_size;
}

static uint8_t pattern(const struct retry_case *c, long i)
{
	return (uint8_t)(i * 7 + (i >> 12) + (c - cases) * 31 + 1);
}

static long read_long(const char *path, const char *key)
{
	char line[256];
	long v = -1;
	FILE *f = fopen(path, "r");

	while (f && fgets(line, sizeof(line), f)) {
		if (!key) {
			v = atol(line);
			break;
		}
		if (!strncmp(line, key, strlen(key)))
			v = atol(line + strlen(key));
	}
	if (f)
		fclose(f);
	return v;
}

static int put(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY | O_TRUNC);
	ssize_t n = fd >= 0 ? write(fd, val, strlen(val)) : -1;
	int err = errno;

	if (fd >= 0)
		close(fd);
	errno = err;
	return n == (ssize_t)strlen(val) ? 0 : -1;
}

/*
 * Move this process into cgroup CGR, its memory and hugetlb controllers on,
 * HugeTLB pages charged to the memcg too, and set @c->limit there.
 */
static int cg_arm(const struct retry_case *c, char *why, size_t len)
{
	char path[128], pid[32];
	const char *step;

	step = "mount cgroup2 with memory_hugetlb_accounting";
	if (mount("none", CG, "cgroup2", 0, "memory_hugetlb_accounting") &&
	    (errno != EBUSY ||
	     mount(NULL, CG, NULL, MS_REMOUNT, "memory_hugetlb_accounting")))
		goto fail;
	step = "enable the memory and hugetlb controllers";
	if (put(CG "cgroup.subtree_control", "+memory +hugetlb"))
		goto fail;
	step = "create " CGR;
	if (mkdir(CGR, 0755) && errno != EEXIST)
		goto fail;
	step = "set the limit";
	snprintf(path, sizeof(path), CGR "%s", c->limit);
	if (put(path, c->limit_val))
		goto fail;
	step = "join the cgroup";
	snprintf(pid, sizeof(pid), "%d", getpid());
	if (put(CGR "cgroup.procs", pid))
		goto fail;
	snprintf(why, len, "%s %s", c->limit, c->limit_val);
	return 0;
fail:
	snprintf(why, len, "%s %s: %s: %s", c->limit, c->limit_val, step,
		 strerror(errno));
	return -1;
}

/* Lift the limit of @c (the process stays in the cgroup). */
static void disarm(const struct retry_case *c)
{
	char path[128];

	if (c->func) {
		put(FF "inject", "\n");
		return;
	}
	snprintf(path, sizeof(path), CGR "%s", c->limit);
	if (put(path, "max"))
		printf("# lifting %s: %s\n", c->limit, strerror(errno));
}

/* Back to the root cgroup. */
static void cg_leave(void)
{
	char pid[32];

	snprintf(pid, sizeof(pid), "%d", getpid());
	if (put(CG "cgroup.procs", pid))
		printf("# leaving %s: %s\n", CGR, strerror(errno));
}

/* fail_function: make the @nth call of @func return @retval, once. */
static int ff_arm(const char *func, const char *retval, int nth, char *why,
		  size_t len)
{
	char path[128], val[32];
	const char *step;

	step = "clear inject";
	if (put(FF "inject", "\n"))
		goto fail;
	step = "add the function to inject";
	if (put(FF "inject", func))
		goto fail;
	snprintf(path, sizeof(path), FF "%s/retval", func);
	step = "retval";
	if (put(path, retval))
		goto fail;
	snprintf(val, sizeof(val), "%d", nth);
	step = "probability, interval, verbose or times";
	if (put(FF "probability", "100") || put(FF "interval", val) ||
	    put(FF "verbose", "0") || put(FF "times", "1"))
		goto fail;
	snprintf(why, len, "%s, call %d", func, nth);
	return 0;
fail:
	snprintf(why, len, "%s: %s: %s", func, step, strerror(errno));
	return -1;
}

/* Make the @c->interval-th call of @c->func fail, once, or set the limit. */
static int arm(const struct retry_case *c, char *why, size_t len)
{
	if (!c->func)
		return cg_arm(c, why, len);
	return ff_arm(c->func, c->retval, c->interval, why, len);
}

static int make_memfd(const struct retry_case *c)
{
	int fd = memfd_create(c->session, c->huge ? MFD_HUGETLB : 0);
	long size = file_size(c), i;
	uint8_t *map;

	if (fd < 0 || ftruncate(fd, size))
		return -1;
	map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED)
		return -1;
	for (i = 0; i < size; i++)
		map[i] = pattern(c, i);
	munmap(map, size);
	return fd;
}

/* Load the next kernel of the chain the way the runner's init does. */
static int load_next(int next_stage, char *why, size_t len)
{
	char cmdline[4096] = "";
	int cfd = open("/next/cmdline", O_RDONLY), kfd, ifd;
	ssize_t n = cfd >= 0 ? read(cfd, cmdline, sizeof(cmdline) - 32) : -1;
	long ret;

	if (cfd >= 0)
		close(cfd);
	if (n < 0) {
		snprintf(why, len, "/next/cmdline: %s", strerror(errno));
		return -1;
	}
	cmdline[n] = '\0';
	if (n && cmdline[n - 1] == '\n')
		cmdline[--n] = '\0';
	snprintf(cmdline + n, sizeof(cmdline) - n, " luo_stage=%d", next_stage);
	kfd = open("/next/bzImage", O_RDONLY);
	ifd = open("/next/initrd.cpio", O_RDONLY);
	ret = kfd < 0 || ifd < 0 ? -1 :
	      syscall(SYS_kexec_file_load, kfd, ifd, strlen(cmdline) + 1,
		      cmdline, 0UL);
	if (ret)
		snprintf(why, len, "load /next: %s", strerror(errno));
	if (kfd >= 0)
		close(kfd);
	if (ifd >= 0)
		close(ifd);
	return ret ? -1 : 0;
}

/*
 * With the @nth call of a handler's freeze() failing, the kexec must fail
 * with that error and the kernel go on: LUO unfreezes what it froze, and
 * every file stays preserved for the real kexec after this stage.
 */
static void freeze_fails(const char *func, int nth)
{
	char why[160] = "";
	int armed, rc = 0, err = 0;

	armed = !load_next(2, why, sizeof(why)) &&
		!ff_arm(func, RETVAL_ENOMEM, nth, why, sizeof(why));
	if (armed) {
		fflush(stdout);
		sync();
		errno = 0;
		rc = reboot(RB_KEXEC);
		err = errno;
	}
	put(FF "inject", "\n");
	result(armed && rc < 0 && err == ENOMEM,
	       "freeze: with %s failing the kexec fails with ENOMEM, the kernel goes on (%s)",
	       why, rc < 0 ? strerror(err) : "no failure");
}

static uint8_t after_pattern(long i)
{
	return (uint8_t)(i * 13 + (i >> 12) + 5);
}

static void stage1(int lu)
{
	int i, s, fd, flb = 0, armed, err;
	char why[160];
	uint8_t buf[4096];

	for (i = 0; i < NR_CASES; i++) {
		const struct retry_case *c = &cases[i];

		s = lu_session(lu, LIVEUPDATE_IOCTL_CREATE_SESSION, c->session);
		fd = make_memfd(c);
		/* LUO preserves the accounting FLB with the first HugeTLB file. */
		if (c->huge && !flb++) {
			armed = s >= 0 && fd >= 0 &&
				!ff_arm("lmc_hstate_flb_preserve", RETVAL_ENOMEM, 1,
					why, sizeof(why));
			err = armed && lu_preserve(s, fd, i + 1) ? errno : 0;
			put(FF "inject", "\n");
			result(armed && err == ENOMEM,
			       "flb: with %s failing, the first HugeTLB preserve fails with ENOMEM (%s)",
			       why, err ? strerror(err) : "no failure");
		}
		result(s >= 0 && fd >= 0 && !lu_preserve(s, fd, i + 1),
		       "%s: preserve a %ld KiB %s memfd (%s)", c->session,
		       file_size(c) >> 10, c->huge ? "HugeTLB" : "shmem",
		       strerror(errno));
	}
	/* The second file of each kind fails: the first was frozen already. */
	freeze_fails("memfd_luo_freeze", 2);
	freeze_fails("hml_freeze", 2);

	s = lu_session(lu, LIVEUPDATE_IOCTL_CREATE_SESSION, "retry-after-freeze");
	fd = memfd_create("after-freeze", 0);
	for (i = 0; i < (int)sizeof(buf); i++)
		buf[i] = after_pattern(i);
	err = s >= 0 && fd >= 0 && write(fd, buf, sizeof(buf)) == sizeof(buf) &&
	      !lu_preserve(s, fd, 1) ? 0 : errno;
	result(!err, "freeze: after the failed kexecs a new session preserves a file (%s)",
	       err ? strerror(err) : "ok");
	hold_sessions();
}

/* The file preserved after the failed kexecs comes back. */
static void stage2_after_freeze(int lu)
{
	int s = lu_session(lu, LIVEUPDATE_IOCTL_RETRIEVE_SESSION, "retry-after-freeze");
	int fd = s >= 0 ? lu_retrieve(s, 1) : -1;
	uint8_t buf[4096 + 1];
	ssize_t n = fd >= 0 ? pread(fd, buf, sizeof(buf), 0) : -1;
	int i, bad = n == 4096 ? -1 : 0;

	for (i = 0; bad < 0 && i < 4096; i++)
		if (buf[i] != after_pattern(i))
			bad = i;
	result(bad < 0, "retry-after-freeze: the file comes back, %zd bytes, its data (first bad byte %d)",
	       n, bad);
	result(s >= 0 && !lu_finish(s), "retry-after-freeze: finish the session");
	if (fd >= 0)
		close(fd);
}

/* Size and every byte of a retrieved file; "" if all is well. */
static const char *check_data(const struct retry_case *c, int fd, char *buf,
			      size_t len)
{
	long size = file_size(c), i;
	struct stat st;
	uint8_t *map;

	if (fstat(fd, &st) || st.st_size != size) {
		snprintf(buf, len, "size %lld, want %ld", (long long)st.st_size, size);
		return buf;
	}
	map = mmap(NULL, size, PROT_READ, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED) {
		snprintf(buf, len, "mmap: %s", strerror(errno));
		return buf;
	}
	for (i = 0; i < size; i++) {
		if (map[i] != pattern(c, i)) {
			snprintf(buf, len, "byte %ld is %#x, want %#x", i, map[i],
				 pattern(c, i));
			munmap(map, size);
			return buf;
		}
	}
	munmap(map, size);
	return "";
}

static long memory_now(const struct retry_case *c)
{
	return c->huge ? read_long(HUGE_FREE, NULL) :
			 read_long("/proc/meminfo", "MemTotal:");
}

static void stage2_case(int lu, int i)
{
	const struct retry_case *c = &cases[i];
	long before, held, after, want;
	char why[160], buf[128];
	const char *bad;
	int s, fd, err, armed;

	s = lu_session(lu, LIVEUPDATE_IOCTL_RETRIEVE_SESSION, c->session);
	armed = s >= 0 && !arm(c, why, sizeof(why));
	if (s < 0)
		snprintf(why, sizeof(why), "retrieve session: %s", strerror(errno));
	result(armed, "%s: arm %s (%s)", c->session,
	       c->func ? "fail_function" : "a cgroup limit", why);

	before = memory_now(c);
	errno = 0;
	fd = armed ? lu_retrieve(s, i + 1) : -1;
	err = errno;
	disarm(c);
	result(armed && fd < 0 && err == ENOMEM,
	       "%s: retrieve fails with ENOMEM (fd %d, %s)", c->session, fd,
	       strerror(err));
	if (fd >= 0)
		close(fd);

	if (c->outcome == RETRY) {
		errno = 0;
		fd = s >= 0 ? lu_retrieve(s, i + 1) : -1;
		result(fd >= 0, "%s: a second retrieve gives the file (%s)",
		       c->session, fd >= 0 ? "ok" : strerror(errno));
		bad = fd >= 0 ? check_data(c, fd, buf, sizeof(buf)) : "no file";
		result(!*bad, "%s: its size and every byte are the ones written%s%s",
		       c->session, *bad ? ": " : "", bad);
		if (!c->func) {
			held = read_long(CGR "hugetlb.2MB.current", NULL);
			result(held == file_size(c),
			       "%s: the file's pages are charged once (hugetlb.2MB.current %ld, want %ld)",
			       c->session, held, file_size(c));
		}
		if (fd >= 0)
			close(fd);
		err = s >= 0 ? lu_finish(s) : -1;
		result(!err, "%s: finish the session (%s)", c->session,
		       err ? strerror(errno) : "ok");
		if (!c->func) {
			after = read_long(CGR "hugetlb.2MB.current", NULL);
			want = read_long("/proc/meminfo", "HugePages_Rsvd:");
			result(after == 0 && want == 0,
			       "%s: closed, the file is uncharged and reserves nothing (hugetlb.2MB.current %ld, HugePages_Rsvd %ld)",
			       c->session, after, want);
			cg_leave();
		}
	} else {
		if (c->huge) {
			held = memory_now(c);
			result(held == before,
			       "%s: its pages wait for a retry (free_hugepages %ld, was %ld)",
			       c->session, held, before);
		}
		err = s >= 0 ? lu_finish(s) : -1;
		result(!err, "%s: finish the session without a retry (%s)",
		       c->session, err ? strerror(errno) : "ok");
		after = memory_now(c);
		if (c->huge) {
			want = HUGE_PAGES;
			result(after - before == want,
			       "%s: every page is back in the pool (free_hugepages %ld -> %ld, want +%ld)",
			       c->session, before, after, want);
		} else {
			want = RETRY_PAGES * (page_size >> 10);
			result(after - before >= want,
			       "%s: its memory is given back (%ld kB, want >= %ld kB)",
			       c->session, after - before, want);
		}
	}
	if (s >= 0)
		close(s);
}

int main(int argc, char **argv)
{
	int stage, lu, planned = 0, i;

	if (argc < 2)
		return 2;
	stage = atoi(argv[1]);
	page_size = sysconf(_SC_PAGESIZE);
	printf("KTAP version 1\n");
	if (stage < 1 || stage > 2) {
		printf("1..1\nnot ok 1 stage %d is not 1 or 2\n", stage);
		return 1;
	}
	lu = open("/dev/liveupdate", O_RDWR);
	if (lu < 0) {
		printf("1..1\nnot ok 1 open /dev/liveupdate: %s\n", strerror(errno));
		return 1;
	}
	for (i = 0; i < NR_CASES; i++)
		planned += stage == 1 ? 1 : CASE_TESTS(&cases[i]);
	/* flb, two failed freezes, a file after them; it comes back, finish */
	planned += stage == 1 ? 4 : 2;
	printf("1..%d\n", planned);
	fflush(stdout);
	if (stage == 1) {
		stage1(lu);
	} else {
		for (i = 0; i < NR_CASES; i++)
			stage2_case(lu, i);
		stage2_after_freeze(lu);
	}
	if (test_nr != planned) {
		printf("# BUG: %d results for a plan of %d\n", test_nr, planned);
		failures++;
	}
	return failures ? 1 : 0;
}
