// SPDX-License-Identifier: GPL-2.0
/*
 * Stage program of `make bench`: preserve / retrieve / finish cost of memfds.
 *
 * /etc/bench.conf lists one file per line: "PATH SIZE [PCT]" with PATH one
 * of shmem, shmem-thp, hugetlb-2M, hugetlb-1G, and PCT the share of its
 * pages written (default 100; below 100 every (100 / PCT)th page, the others
 * holes). A shmem-thp file is created and written with shmem THP forced
 * (transparent_hugepage/shmem_enabled), so that it is made of 2 MiB folios:
 * the preserve fails unless ShmemHugePages grew by the whole file, and the
 * retrieve fails unless it grows by the whole file again (every folio came
 * back as one 2 MiB folio). Stage 1 creates, fills and preserves every
 * file (repetition 1). Each later stage retrieves, spot-checks and finishes
 * the previous stage's files, then preserves a fresh set for the next stage,
 * so a run of R repetitions is a chain of R + 1 kernels.
 *
 * Cold and warm: a stage handles its files starting with file
 * (ROTATE + REP - 1) mod N, REP being the repetition the files belong to and
 * ROTATE the "rotate ROTATE" line of the conf (default 0), so that over the
 * repetitions of a run (and runs with other ROTATE values) every file comes
 * first. The first file a stage retrieves, and the first it preserves, is
 * the cold one (pos=0): that operation has not run yet in this boot. For
 * the first file retrieved, the kexec-to-retrieved time is the blackout
 * alone; for later ones it includes the files retrieved before.
 *
 * Output, one line per measurement:
 *   BENCH rep=R path=P size=S every=N pos=K op=preserve|retrieve|finish ms=X
 *         (preserve also mem_kb=K: memory it took, MemFree for shmem,
 *         free huge pages for HugeTLB; pos: the file's place in the stage)
 *   BENCH rep=R path=P size=S every=N pos=K op=retrieved tsc=T   (TSC right
 *         after retrieve; the host subtracts the TSC init printed before
 *         reboot(RB_KEXEC))
 * plus KTAP lines so the runner can judge the run: the plan first, then one
 * result per file for the preserve and two (retrieve and verify, finish) for
 * the retrieve, on every path.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include <x86intrin.h>

#include <libluo.h>

#define MAX_FILES 16
#define PRESERVE_TESTS 1 /* per file, preserve_set() */
#define RETRIEVE_TESTS 2 /* per file, retrieve_set() */

struct bench_file {
	char path[16];
	uint64_t size;
	uint64_t page;
	unsigned int every;	/* one unit in every N written (1: all) */
	int thp;		/* shmem made of 2 MiB folios */
};

#define SHMEM_ENABLED "/sys/kernel/mm/transparent_hugepage/shmem_enabled"
#define THP_SIZE (2ULL << 20)

static struct bench_file files[MAX_FILES];
static int nfiles;
static int ntests;
static unsigned int rotate;

/* The file handled @pos-th for repetition @rep (see "Cold and warm"). */
static int file_at(int rep, int pos)
{
	return (int)((rotate + (unsigned int)rep - 1 + (unsigned int)pos) % (unsigned int)nfiles);
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void ktap(int ok, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void ktap(int ok, const char *fmt, ...)
{
	va_list ap;

	printf("%sok %d ", ok ? "" : "not ", ++ntests);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

/*
 * One file per line: "PATH SIZE [WRITTEN]", WRITTEN being a share of the
 * file's units written, as a percentage ("1", one unit in every 100) or as
 * "1/N" (one in every N); all of them if absent.
 */
static int load_conf(void)
{
	char path[16], line[128], written[16];
	unsigned long long size;
	unsigned int pct, every;
	FILE *f = fopen("/etc/bench.conf", "r");

	if (!f)
		return -1;
	while (nfiles < MAX_FILES && fgets(line, sizeof(line), f)) {
		struct bench_file *b;
		int n = sscanf(line, "%15s %llu %15s", path, &size, written);

		if (n < 2)
			continue;
		if (!strcmp(path, "rotate")) {
			rotate = (unsigned int)size;
			continue;
		}
		every = 1;
		if (n == 3 && sscanf(written, "1/%u", &every) == 1)
			every = every ? every : 1;
		else if (n == 3 && sscanf(written, "%u", &pct) == 1 && pct && pct < 100)
			every = 100 / pct;
		b = &files[nfiles++];
		snprintf(b->path, sizeof(b->path), "%s", path);
		b->size = size;
		b->every = every;
		b->page = !strcmp(path, "hugetlb-2M") ? LUO_HUGETLB_2M :
			  !strcmp(path, "hugetlb-1G") ? LUO_HUGETLB_1G : 0;
		b->thp = !strcmp(path, "shmem-thp");
	}
	fclose(f);
	return nfiles ? 0 : -1;
}

static uint64_t pattern(int rep, int i, uint64_t off)
{
	return ((uint64_t)rep << 56) ^ ((uint64_t)i << 48) ^ off;
}

/* The file's page size: a unit written whole or left a hole. */
static uint64_t unit_of(const struct bench_file *b)
{
	return b->page ? b->page : b->thp ? THP_SIZE : 4096;
}

/* Whether the unit at @off holds data: one in every b->every. */
static int unit_written(const struct bench_file *b, uint64_t off)
{
	return (off / unit_of(b)) % b->every == 0;
}

/*
 * Write one word per 4 KiB page of every written unit (each such page is
 * dirtied) and check them back. Holes are not touched, not even read: a
 * read fault would fill them.
 */
static int fill_or_check(int fd, const struct bench_file *b, int rep, int i, int check)
{
	uint64_t off, u, unit = unit_of(b);
	char *map;
	int bad = 0;

	if (!b->size)
		return 0;
	if (b->every > 1) {
		/*
		 * One mapping per written unit: a shared HugeTLB mapping of the
		 * whole file would reserve a huge page for every hole.
		 */
		for (u = 0; u < b->size; u += unit) {
			if (!unit_written(b, u))
				continue;
			map = mmap(NULL, unit, PROT_READ | PROT_WRITE, MAP_SHARED, fd, u);
			if (map == MAP_FAILED)
				return -errno;
			for (off = 0; off < unit; off += 4096) {
				uint64_t *w = (uint64_t *)(map + off);

				if (!check)
					*w = pattern(rep, i, u + off);
				else if (*w != pattern(rep, i, u + off))
					bad++;
			}
			munmap(map, unit);
		}
		return bad ? -EIO : 0;
	}
	map = mmap(NULL, b->size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED)
		return -errno;
	for (off = 0; off < b->size; off += 4096) {
		uint64_t *w = (uint64_t *)(map + off);

		if (!unit_written(b, off))
			continue;

		if (!check)
			*w = pattern(rep, i, off);
		else if (*w != pattern(rep, i, off))
			bad++;
	}
	munmap(map, b->size);
	return bad ? -EIO : 0;
}

static long read_long(const char *path, const char *field)
{
	char line[256];
	size_t n = field ? strlen(field) : 0;
	long v = -1;
	FILE *f = fopen(path, "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (!field) {
			v = strtol(line, NULL, 10);
			break;
		}
		if (!strncmp(line, field, n) && line[n] == ':')
			v = strtol(line + n + 1, NULL, 10);
	}
	fclose(f);
	return v;
}

/* Shmem in 2 MiB folios, in kB (/proc/meminfo ShmemHugePages). */
static long shmem_thp_kb(void)
{
	return read_long("/proc/meminfo", "ShmemHugePages");
}

/*
 * Set shmem_enabled to @mode; the mode it had goes to @old (the word in
 * brackets). 0, or a negative errno.
 */
static int set_shmem_thp(const char *mode, char *old, size_t len)
{
	char line[256], *l, *r;
	FILE *f = fopen(SHMEM_ENABLED, "r+");
	int err = 0;

	if (!f)
		return -errno;
	if (old) {
		if (!fgets(line, sizeof(line), f) || !(l = strchr(line, '[')) ||
		    !(r = strchr(l, ']'))) {
			fclose(f);
			return -EIO;
		}
		*r = 0;
		snprintf(old, len, "%s", l + 1);
		rewind(f);
	}
	if (fputs(mode, f) == EOF)
		err = -errno;
	if (fclose(f) && !err)
		err = -errno;
	return err;
}

/* Free memory of the file's kind in kB: MemFree, or free huge pages. */
static long free_kb(const struct bench_file *b)
{
	char path[128];

	if (!b->page)
		return read_long("/proc/meminfo", "MemFree");
	snprintf(path, sizeof(path),
		 "/sys/kernel/mm/hugepages/hugepages-%" PRIu64 "kB/free_hugepages",
		 b->page >> 10);
	return read_long(path, NULL) * (long)(b->page >> 10);
}

static void session_name(char *buf, size_t len, int rep, int i)
{
	snprintf(buf, len, "bench-%d-%d", rep, i);
}

static int preserve_set(int dev, int rep, int *held)
{
	char name[LUO_SESSION_NAME_MAX];
	int pos, i, fd, s, err;
	double t;
	long mem;

	for (pos = 0; pos < nfiles; pos++) {
		struct bench_file *b = &files[i = file_at(rep, pos)];
		LUO_OPTS(luo_memfd_opts, mo, .size = b->size,
			 .hugetlb_page_size = b->page);

		char thp_mode[32];
		long thp_kb = 0;

		held[i] = -1;
		if (b->thp) {
			err = set_shmem_thp("force", thp_mode, sizeof(thp_mode));
			if (err) {
				ktap(0, "rep %d %s %" PRIu64 " setup: shmem THP: %s",
				     rep, b->path, b->size, luo_strerror(err));
				continue;
			}
			thp_kb = shmem_thp_kb();
		}
		fd = luo_memfd_create("bench", &mo);
		if (fd < 0) {
			if (b->thp)
				set_shmem_thp(thp_mode, NULL, 0);
			ktap(1, "rep %d %s %" PRIu64 " preserve # SKIP memfd_create: %s",
			     rep, b->path, b->size, luo_strerror(fd));
			continue;
		}
		err = fill_or_check(fd, b, rep, i, 0);
		if (b->thp) {
			thp_kb = shmem_thp_kb() - thp_kb;
			set_shmem_thp(thp_mode, NULL, 0);
			if (!err && thp_kb != (long)(b->size >> 10)) {
				ktap(0, "rep %d %s %" PRIu64 " setup: %ld of %" PRIu64
				     " kB in 2 MiB folios", rep, b->path, b->size,
				     thp_kb, b->size >> 10);
				close(fd);
				continue;
			}
		}
		session_name(name, sizeof(name), rep, i);
		s = luo_session_create(dev, name);
		if (err || s < 0) {
			ktap(0, "rep %d %s %" PRIu64 " setup: %s", rep, b->path,
			     b->size, luo_strerror(err ? err : s));
			close(fd);
			continue;
		}
		mem = free_kb(b);
		t = now_ms();
		err = luo_session_preserve_fd(s, fd, 1);
		t = now_ms() - t;
		mem -= free_kb(b);
		close(fd);
		if (err == -ENOENT && b->page) {
			ktap(1, "rep %d %s %" PRIu64 " preserve # SKIP handler not available",
			     rep, b->path, b->size);
			close(s);
			continue;
		}
		if (err) {
			ktap(0, "rep %d %s %" PRIu64 " preserve: %s", rep, b->path,
			     b->size, luo_strerror(err));
			close(s);
			continue;
		}
		printf("BENCH rep=%d path=%s size=%" PRIu64 " every=%u pos=%d op=preserve ms=%.3f mem_kb=%ld\n",
		       rep, b->path, b->size, b->every, pos, t, mem);
		ktap(1, "rep %d %s %" PRIu64 " preserve", rep, b->path, b->size);
		held[i] = s;
	}
	return 0;
}

static void retrieve_set(int dev, int rep)
{
	char name[LUO_SESSION_NAME_MAX];
	int pos, i, fd, s, err;
	uint64_t tsc;
	long thp_kb;
	double t;

	for (pos = 0; pos < nfiles; pos++) {
		struct bench_file *b = &files[i = file_at(rep, pos)];

		session_name(name, sizeof(name), rep, i);
		s = luo_session_retrieve(dev, name);
		if (s == -ENOENT) {
			/* Not preserved (skipped) in the previous stage. */
			ktap(1, "rep %d %s %" PRIu64 " retrieve and verify # SKIP not preserved",
			     rep, b->path, b->size);
			ktap(1, "rep %d %s %" PRIu64 " finish # SKIP not preserved", rep, b->path,
			     b->size);
			continue;
		}
		if (s < 0) {
			ktap(0, "rep %d %s retrieve session: %s", rep, b->path, luo_strerror(s));
			ktap(0, "rep %d %s %" PRIu64 " finish # not run: no session", rep, b->path,
			     b->size);
			continue;
		}
		thp_kb = b->thp ? shmem_thp_kb() : 0;
		t = now_ms();
		fd = luo_session_retrieve_fd(s, 1);
		t = now_ms() - t;
		tsc = __rdtsc();
		if (b->thp)
			thp_kb = shmem_thp_kb() - thp_kb;
		if (fd < 0) {
			ktap(0, "rep %d %s %" PRIu64 " retrieve: %s", rep, b->path,
			     b->size, luo_strerror(fd));
			ktap(0, "rep %d %s %" PRIu64 " finish # not run: nothing retrieved", rep,
			     b->path, b->size);
			close(s);
			continue;
		}
		printf("BENCH rep=%d path=%s size=%" PRIu64 " every=%u pos=%d op=retrieve ms=%.3f\n",
		       rep, b->path, b->size, b->every, pos, t);
		printf("BENCH rep=%d path=%s size=%" PRIu64 " every=%u pos=%d op=retrieved tsc=%" PRIu64 "\n",
		       rep, b->path, b->size, b->every, pos, tsc);
		err = fill_or_check(fd, b, rep, i, 1);
		if (b->thp && thp_kb != (long)(b->size >> 10)) {
			printf("# rep %d %s: %ld of %" PRIu64 " kB came back in 2 MiB folios\n",
			       rep, b->path, thp_kb, b->size >> 10);
			err = -EIO;
		}
		ktap(!err, "rep %d %s %" PRIu64 " retrieve and verify", rep, b->path, b->size);
		close(fd);
		t = now_ms();
		err = luo_session_finish(s);
		t = now_ms() - t;
		if (!err)
			printf("BENCH rep=%d path=%s size=%" PRIu64 " every=%u pos=%d op=finish ms=%.3f\n",
			       rep, b->path, b->size, b->every, pos, t);
		ktap(!err, "rep %d %s %" PRIu64 " finish", rep, b->path, b->size);
		close(s);
	}
}

int main(int argc, char **argv)
{
	int stage, nstages, dev, held[MAX_FILES], planned;
	pid_t pid;

	if (argc < 3 || load_conf()) {
		fprintf(stderr, "usage: %s STAGE NSTAGES (with /etc/bench.conf)\n", argv[0]);
		return 2;
	}
	stage = atoi(argv[1]);
	nstages = atoi(argv[2]);
	printf("KTAP version 1\n");
	fflush(stdout);
	dev = luo_device_open(NULL);
	if (dev < 0) {
		printf("1..0 # SKIP %s\n", luo_strerror(dev));
		return 1;
	}
	planned = (stage > 1 ? RETRIEVE_TESTS * nfiles : 0) +
		  (stage < nstages ? PRESERVE_TESTS * nfiles : 0);
	printf("1..%d%s\n", planned, planned ? "" : " # SKIP nothing to measure in a chain of one");
	fflush(stdout);
	if (stage > 1)
		retrieve_set(dev, stage - 1);
	if (stage < nstages)
		preserve_set(dev, stage, held);
	if (ntests != planned) {
		printf("# BUG: %d results for a plan of %d\n", ntests, planned);
		fflush(stdout);
	}
	if (stage < nstages) {
		close(dev);
		pid = fork();
		if (pid == 0) {
			/* Hold the sessions until the kexec. */
			setsid();
			close(0);
			close(1);
			close(2);
			for (;;)
				pause();
		}
		return pid < 0 || ntests != planned;
	}
	close(dev);
	return ntests != planned;
}
