// SPDX-License-Identifier: GPL-2.0
/*
 * Stage program: time LIVEUPDATE_SESSION_PRESERVE_FD of a fully written
 * shmem memfd (4 KiB pages), optionally carry one memfd across a kexec and
 * time RETRIEVE_FD in the next kernel.
 *
 * Configuration from the kernel command line (first kernel's):
 *   lubench.sizes=S1,S2,...   sizes in MiB (default 128)
 *   lubench.reps=N            repetitions per size (default 3)
 *   lubench.carry=MIB         size of a memfd preserved across the kexec (0: none)
 *   lubench.hog=MIB           before measuring, allocate and hold MIB of
 *                             anonymous memory (shifts free memory toward CMA)
 *
 * Each preserve is done in its own session; the session is closed afterwards
 * (which unpreserves) and the memfd freed, so repetitions are independent
 * except for where the page allocator places the next file's pages.
 *
 * Output: KTAP on stdout plus "BENCH size_mib=.. rep=.. preserve_ms=.. " lines
 * and, before each preserve, the CMA free memory from /proc/meminfo. The plan
 * comes first: stage 1 has one result per size and repetition, one more for
 * the carried memfd; a later stage three (one SKIP if nothing was carried).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>
#include <linux/liveupdate.h>

#define MIB (1024UL * 1024UL)
#define CARRY_SESSION "research-carry"
#define CARRY_TOKEN 0x5eed

static int test_no;
static int failures;

static void ktap(int ok, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void ktap(int ok, const char *fmt, ...)
{
	va_list ap;

	printf("%sok %d ", ok ? "" : "not ", ++test_no);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	if (!ok)
		failures++;
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static char cmdline[4096];

static const char *param(const char *name)
{
	size_t n = strlen(name);
	char *p = cmdline;

	while ((p = strstr(p, name)) != NULL) {
		if ((p == cmdline || p[-1] == ' ') && p[n] == '=')
			return p + n + 1;
		p += n;
	}
	return NULL;
}

/*
 * The next size of lubench.sizes=S1,S2,... into *mib; the value ends at the
 * first character that is not a digit after a size (space, newline). Returns
 * 0 when there is none left.
 */
static int next_size(const char **s, long *mib)
{
	char *end;

	if (!*s || !**s || **s == ' ' || **s == '\n')
		return 0;
	*mib = strtol(*s, &end, 10);
	*s = *end == ',' ? end + 1 : NULL;
	return 1;
}

static long param_long(const char *name, long def)
{
	const char *v = param(name);

	return v ? strtol(v, NULL, 0) : def;
}

static void read_cmdline(void)
{
	int fd = open("/proc/cmdline", O_RDONLY);
	ssize_t n = fd >= 0 ? read(fd, cmdline, sizeof(cmdline) - 1) : -1;

	cmdline[n > 0 ? n : 0] = '\0';
	if (fd >= 0)
		close(fd);
}

static long meminfo_kb(const char *key)
{
	char line[256];
	long v = -1;
	FILE *f = fopen("/proc/meminfo", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, strlen(key)) && line[strlen(key)] == ':') {
			v = strtol(line + strlen(key) + 1, NULL, 10);
			break;
		}
	fclose(f);
	return v;
}

static uint64_t pattern(uint64_t page)
{
	return page * 0x9e3779b97f4a7c15ULL + 0x1234;
}

/* Fill every 4 KiB page; each page starts with its own pattern word. */
static int make_memfd(size_t bytes)
{
	static char buf[MIB];
	int fd = memfd_create("research-bench", 0);
	size_t off;

	if (fd < 0)
		return -1;
	memset(buf, 0x5a, sizeof(buf));
	for (off = 0; off < bytes; off += sizeof(buf)) {
		size_t p;

		for (p = 0; p < sizeof(buf); p += 4096) {
			uint64_t v = pattern((off + p) / 4096);

			memcpy(buf + p, &v, sizeof(v));
		}
		if (pwrite(fd, buf, sizeof(buf), off) != (ssize_t)sizeof(buf)) {
			close(fd);
			return -1;
		}
	}
	return fd;
}

static int check_memfd(int fd, size_t bytes)
{
	static char buf[MIB];
	size_t off;
	struct stat st;

	if (fstat(fd, &st) || (size_t)st.st_size != bytes)
		return -1;
	for (off = 0; off < bytes; off += sizeof(buf)) {
		size_t p;

		if (pread(fd, buf, sizeof(buf), off) != (ssize_t)sizeof(buf))
			return -1;
		for (p = 0; p < sizeof(buf); p += 4096) {
			uint64_t v = pattern((off + p) / 4096), got;

			memcpy(&got, buf + p, sizeof(got));
			if (got != v || (unsigned char)buf[p + 8] != 0x5a)
				return -1;
		}
	}
	return 0;
}

static int create_session(int lu, const char *name)
{
	struct liveupdate_ioctl_create_session cs = { .size = sizeof(cs) };

	snprintf((char *)cs.name, sizeof(cs.name), "%s", name);
	if (ioctl(lu, LIVEUPDATE_IOCTL_CREATE_SESSION, &cs))
		return -1;
	return cs.fd;
}

static int preserve(int session, int fd, uint64_t token, double *ms)
{
	struct liveupdate_session_preserve_fd pf = {
		.size = sizeof(pf), .fd = fd, .token = token,
	};
	double t0 = now_ms();
	int ret = ioctl(session, LIVEUPDATE_SESSION_PRESERVE_FD, &pf);

	*ms = now_ms() - t0;
	return ret;
}

static void hog(long mib)
{
	char *p;

	if (mib <= 0)
		return;
	p = mmap(NULL, mib * MIB, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (p == MAP_FAILED) {
		printf("# hog of %ld MiB failed: %s\n", mib, strerror(errno));
		return;
	}
	printf("# holding %ld MiB of anonymous memory\n", mib);
}

static int stage1(int nstages)
{
	long reps = param_long("lubench.reps", 3);
	long carry = param_long("lubench.carry", 0);
	const char *sizes = param("lubench.sizes"), *s;
	int lu, r, err, planned = 0;
	long mib;

	if (!sizes)
		sizes = "128";
	/* One result per size and repetition, one for the carried memfd. */
	for (s = sizes; next_size(&s, &mib);)
		planned += reps > 0 ? reps : 0;
	if (carry > 0 && nstages > 1)
		planned++;
	lu = open("/dev/liveupdate", O_RDWR);
	if (lu < 0) {
		err = errno;
		printf("1..1\n");
		ktap(0, "open /dev/liveupdate: %s", strerror(err));
		return 1;
	}
	printf("1..%d%s\n", planned,
	       planned ? "" : " # SKIP no sizes, no repetitions, nothing carried");
	hog(param_long("lubench.hog", 0));

	for (s = sizes; next_size(&s, &mib);) {
		for (r = 1; r <= reps; r++) {
			long cma_before = meminfo_kb("CmaFree");
			long free_before = meminfo_kb("MemFree");
			int fd = make_memfd(mib * MIB);
			long cma_after_write = meminfo_kb("CmaFree");
			char name[64];
			int sess, ret;
			double ms = 0;

			if (fd < 0) {
				ktap(0, "write %ld MiB memfd: %s", mib, strerror(errno));
				continue;
			}
			snprintf(name, sizeof(name), "bench-%ld-%d", mib, r);
			sess = create_session(lu, name);
			ret = sess < 0 ? -1 : preserve(sess, fd, 1, &ms);
			printf("BENCH size_mib=%ld rep=%d preserve_ms=%.1f memfree_kb=%ld cmafree_kb_before=%ld cmafree_kb_after_write=%ld cma_used_by_file_kb=%ld\n",
			       mib, r, ms, free_before, cma_before, cma_after_write,
			       cma_before - cma_after_write);
			ktap(ret == 0, "preserve %ld MiB rep %d: %.1f ms", mib, r, ms);
			if (sess >= 0)
				close(sess);	/* unpreserves */
			close(fd);
		}
	}

	if (carry > 0 && nstages > 1) {
		int fd = make_memfd(carry * MIB), sess;
		double ms = 0;
		pid_t pid;

		sess = fd < 0 ? -1 : create_session(lu, CARRY_SESSION);
		r = sess < 0 ? -1 : preserve(sess, fd, CARRY_TOKEN, &ms);
		ktap(r == 0, "preserve %ld MiB memfd to carry: %.1f ms", carry, ms);
		if (r)
			return 1;
		/* Hold /dev/liveupdate and the session across the kexec. */
		pid = fork();
		if (pid == 0) {
			int i;

			setsid();
			for (i = 0; i < 3; i++)
				close(i);
			for (;;)
				pause();
		}
		close(sess);
		close(lu);
		close(fd);
	}
	return failures ? 1 : 0;
}

static int stage2(void)
{
	long carry = param_long("lubench.carry", 0);
	struct liveupdate_ioctl_retrieve_session rs = { .size = sizeof(rs) };
	struct liveupdate_session_retrieve_fd rf = {
		.size = sizeof(rf), .token = CARRY_TOKEN,
	};
	struct liveupdate_session_finish fin = { .size = sizeof(fin) };
	double t0, ms;
	int lu;

	if (carry <= 0) {
		printf("1..1\n");
		ktap(1, "nothing carried # SKIP lubench.carry is 0");
		return 0;
	}
	/* Retrieve, contents, finish: a failure ends the stage, the rest not run. */
	printf("1..3\n");
	lu = open("/dev/liveupdate", O_RDWR);
	snprintf((char *)rs.name, sizeof(rs.name), "%s", CARRY_SESSION);
	if (lu < 0 || ioctl(lu, LIVEUPDATE_IOCTL_RETRIEVE_SESSION, &rs)) {
		ktap(0, "retrieve session: %s", strerror(errno));
		ktap(0, "carried %ld MiB memfd has its contents and size # not run: no session",
		     carry);
		ktap(0, "finish session # not run: no session");
		return 1;
	}
	t0 = now_ms();
	if (ioctl(rs.fd, LIVEUPDATE_SESSION_RETRIEVE_FD, &rf)) {
		ktap(0, "retrieve fd: %s", strerror(errno));
		ktap(0, "carried %ld MiB memfd has its contents and size # not run: no file",
		     carry);
		ktap(0, "finish session # not run: no file");
		return 1;
	}
	ms = now_ms() - t0;
	printf("BENCH retrieve size_mib=%ld retrieve_ms=%.1f\n", carry, ms);
	ktap(1, "retrieve %ld MiB: %.1f ms", carry, ms);
	ktap(check_memfd(rf.fd, carry * MIB) == 0,
	     "carried %ld MiB memfd has its contents and size", carry);
	ktap(ioctl(rs.fd, LIVEUPDATE_SESSION_FINISH, &fin) == 0, "finish session");
	return failures ? 1 : 0;
}

int main(int argc, char **argv)
{
	int stage = argc > 1 ? atoi(argv[1]) : 1;
	int nstages = argc > 2 ? atoi(argv[2]) : 1;

	setvbuf(stdout, NULL, _IOLBF, 0);
	read_cmdline();
	printf("KTAP version 1\n");
	{
		struct utsname u;

		uname(&u);
		printf("# memfd_bench stage %d of %d on %s %s\n", stage, nstages,
		       u.release, u.version);
	}
	return stage == 1 ? stage1(nstages) : stage2();
}
