// SPDX-License-Identifier: GPL-2.0
/*
 * HugeTLB memfd live update: stage program for scripts/qemu-run.sh.
 * Prints KTAP; raw ioctls from <linux/liveupdate.h> only.
 *
 * usage: hugetlb_stage STAGE NSTAGES
 *
 * Kernel command line (read from /proc/cmdline):
 *   hugepagesz=2M hugepages=N ...   the pool sizes the stage checks against
 *   hlt.mode=full|2m                full (default): 2 MiB and 1 GiB files;
 *                                   2m: 2 MiB files only
 *   hlt.pernode=1                   expect the per-node refusal warning
 *
 * STAGE < NSTAGES: session "hlt-a-STAGE" gets the files of set A (created in
 * stage 1, the retrieved ones re-preserved later), "hlt-b-STAGE" a fresh
 * set B, "hlt-u-STAGE" a file the next kernel finishes without retrieving.
 * Also checks the frozen behaviour of a preserved file and that closing a
 * session before kexec (abort) leaves pool counters and the file as before.
 * The sessions are held across kexec by a daemon child.
 *
 * STAGE > 1: checks the pool right after boot (hugepages=N minus the pages
 * coming back), retrieves A and B (contents, size, position, seals, mmap,
 * fallocate within size), finishes U without retrieving it (its pages go to
 * the free pool), checks the pool again (N, or K if K > N), and after
 * closing everything that free == nr and resv == 0 per size.
 *
 * Set A also holds, one 2 MiB page each: an MFD_NOEXEC_SEAL file (comes back
 * with F_SEAL_EXEC only, mode 0666, mappable writable), a file whose i_size
 * is 12 KiB (fallocate() inside its huge page: comes back exactly so), and
 * one preserved without seals that gets F_SEAL_SHRINK, F_SEAL_GROW,
 * F_SEAL_FUTURE_WRITE and F_SEAL_SEAL after PRESERVE_FD (F_SEAL_WRITE is
 * refused then, EBUSY): the seals at kexec are the ones that come back.
 *
 * The plan comes first (planned_tests()): every check prints its line on
 * every path; one that cannot run (its file is missing) prints "not ok ...
 * # not run: ...", and a phase that stops early (no session) ends the stage
 * with one such line per planned check left.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/falloc.h>
#include <linux/liveupdate.h>
#include <linux/memfd.h>

#ifndef MFD_HUGE_2MB
#define MFD_HUGE_2MB (21U << 26)
#endif
#ifndef MFD_HUGE_1GB
#define MFD_HUGE_1GB (30U << 26)
#endif
#ifndef MFD_NOEXEC_SEAL
#define MFD_NOEXEC_SEAL 0x0008U
#endif
#ifndef F_SEAL_FUTURE_WRITE
#define F_SEAL_FUTURE_WRITE 0x0010
#endif
#ifndef F_SEAL_EXEC
#define F_SEAL_EXEC 0x0020
#endif

#define MIB (1024L * 1024L)
#define GIB (1024L * MIB)
#define SZ_2M (2 * MIB)

enum { H2M, H1G, NR_SIZES };
static const char *const size_name[NR_SIZES] = { "2048kB", "1048576kB" };
static const long page_size_of[NR_SIZES] = { SZ_2M, GIB };

#include "../common/corrupt_modes.h"
#include "../common/stage.h"

static int planned;
static int mode_2m, mode_cma, mode_corrupt;
/* Why the stage stopped before the end of its plan. */
static char stopped[128];


/* A planned check that cannot run: a failure, with the reason. */
static void __attribute__((format(printf, 2, 3))) not_run(const char *why, const char *fmt, ...)
{
	va_list ap;

	printf("not ok %d ", ++test_nr);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf(" # not run: %s\n", why);
	fflush(stdout);
	failures++;
}

static void __attribute__((format(printf, 2, 3))) skip(const char *why, const char *fmt, ...)
{
	va_list ap;

	printf("ok %d ", ++test_nr);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf(" # SKIP %s\n", why);
	fflush(stdout);
}

static long now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000L + ts.tv_nsec / 1000;
}

/* ---- pool counters ---------------------------------------------------- */

struct pool {
	long nr, free, resv, surplus;
};

static long read_long(const char *path)
{
	char buf[64];
	long v = -1;
	int fd = open(path, O_RDONLY);

	if (fd < 0)
		return -1;
	if (read(fd, buf, sizeof(buf) - 1) > 0)
		v = atol(buf);
	close(fd);
	return v;
}

static void pool_read(int sz, struct pool *p)
{
	char path[128];

#define HP "/sys/kernel/mm/hugepages/hugepages-%s/%s"
	snprintf(path, sizeof(path), HP, size_name[sz], "nr_hugepages");
	p->nr = read_long(path);
	snprintf(path, sizeof(path), HP, size_name[sz], "free_hugepages");
	p->free = read_long(path);
	snprintf(path, sizeof(path), HP, size_name[sz], "resv_hugepages");
	p->resv = read_long(path);
	snprintf(path, sizeof(path), HP, size_name[sz], "surplus_hugepages");
	p->surplus = read_long(path);
#undef HP
}

static void pool_diag(const char *when)
{
	struct pool p;
	int sz;

	for (sz = 0; sz < NR_SIZES; sz++) {
		pool_read(sz, &p);
		diag("pool %s %s: nr=%ld free=%ld resv=%ld surplus=%ld", when,
		     size_name[sz], p.nr, p.free, p.resv, p.surplus);
	}
}

static int pool_same(const struct pool *a, const struct pool *b)
{
	return a->nr == b->nr && a->free == b->free && a->resv == b->resv &&
	       a->surplus == b->surplus;
}

/* hugepages= for each size from the command line (after its hugepagesz=). */
static long cmdline_n[NR_SIZES];
static char cmdline[4096];

static void parse_cmdline(void)
{
	char *tok, *save, buf[sizeof(cmdline)];
	int cur = -1;
	int fd = open("/proc/cmdline", O_RDONLY);
	ssize_t n = fd >= 0 ? read(fd, cmdline, sizeof(cmdline) - 1) : -1;

	if (fd >= 0)
		close(fd);
	cmdline[n > 0 ? n : 0] = 0;
	memcpy(buf, cmdline, sizeof(buf));
	for (tok = strtok_r(buf, " \n", &save); tok; tok = strtok_r(NULL, " \n", &save)) {
		if (!strcmp(tok, "hugepagesz=2M"))
			cur = H2M;
		else if (!strcmp(tok, "hugepagesz=1G"))
			cur = H1G;
		else if (!strncmp(tok, "hugepages=", 10) && cur >= 0) {
			char *p = tok + 10, *colon = strchr(p, ':');
			long total = 0;

			if (!colon) {
				total = atol(p);
			} else {	/* node:count[,node:count] */
				for (p = strtok(p, ","); p; p = strtok(NULL, ",")) {
					colon = strchr(p, ':');
					total += colon ? atol(colon + 1) : 0;
				}
			}
			cmdline_n[cur] = total;
		} else if (!strcmp(tok, "hlt.mode=2m")) {
			mode_2m = 1;
		} else if (!strcmp(tok, "hlt.mode=cma")) {
			mode_cma = 1;
		} else if (!strcmp(tok, "hlt.mode=corrupt")) {
			mode_corrupt = 1;
		} else if (!strcmp(tok, "hlt.mode=corrupt-flb")) {
			mode_corrupt = 2;
		}
	}
}

/* Whether the next kernel was booted with per-node hugepages= (hlt.pernode=1). */
static int want_pernode(void)
{
	return strstr(cmdline, "hlt.pernode=1") != NULL;
}

/* ---- liveupdate ioctls ------------------------------------------------ */

static int create_session(int lu, const char *name)
{
	struct liveupdate_ioctl_create_session cs = { .size = sizeof(cs) };

	snprintf((char *)cs.name, sizeof(cs.name), "%s", name);
	if (ioctl(lu, LIVEUPDATE_IOCTL_CREATE_SESSION, &cs))
		return -1;
	return cs.fd;
}

static int retrieve_session(int lu, const char *name)
{
	struct liveupdate_ioctl_retrieve_session rs = { .size = sizeof(rs) };

	snprintf((char *)rs.name, sizeof(rs.name), "%s", name);
	if (ioctl(lu, LIVEUPDATE_IOCTL_RETRIEVE_SESSION, &rs))
		return -1;
	return rs.fd;
}

static int preserve_fd(int session, int fd, uint64_t token)
{
	struct liveupdate_session_preserve_fd p = {
		.size = sizeof(p), .fd = fd, .token = token,
	};

	return ioctl(session, LIVEUPDATE_SESSION_PRESERVE_FD, &p);
}

static int retrieve_fd(int session, uint64_t token)
{
	struct liveupdate_session_retrieve_fd r = {
		.size = sizeof(r), .token = token,
	};

	if (ioctl(session, LIVEUPDATE_SESSION_RETRIEVE_FD, &r))
		return -1;
	return r.fd;
}

static int finish_session(int session)
{
	struct liveupdate_session_finish f = { .size = sizeof(f) };

	return ioctl(session, LIVEUPDATE_SESSION_FINISH, &f);
}

/* ---- the files -------------------------------------------------------- */

/*
 * Each file: its huge page size, size in pages, which pages are written
 * before preserve (the others are holes, which stay holes at preserve and
 * are written through a mapping right after it, so freeze must add them),
 * position
 * and seals. Contents: a pattern at a stride (1 GiB pages are large for a
 * TCG guest), written through a mapping. A file with @size has that i_size
 * (set by fallocate(), inside its last huge page) and every byte below it
 * written. F_SEAL_EXEC in @seals: created with MFD_NOEXEC_SEAL. @late: seals
 * added one at a time after PRESERVE_FD, in the stage that creates the file
 * (F_SEAL_WRITE is tried first and must be refused); what comes back is
 * @seals | @late.
 */
struct spec {
	uint64_t token;
	const char *name;
	int sz;
	long pages;
	unsigned long holes;	/* bit i: page i never written */
	long pos;
	int seals;
	int set;		/* 'a', 'b' or 'u' */
	long size;		/* i_size if not pages * page size */
	int late;		/* seals added after PRESERVE_FD */
};

#define STRIDE (64 * 1024L)
#define ODD_SIZE (12 * 1024L)
#define LATE_SEALS (F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_FUTURE_WRITE | F_SEAL_SEAL)

static const struct spec specs[] = {
	{ 1, "a: 2M x8, pos, grow/shrink seals", H2M, 8, 0, 3 * SZ_2M + 5,
	  F_SEAL_GROW | F_SEAL_SHRINK, 'a', 0, 0 },
	{ 2, "a: 2M x4 with holes (pages 1, 3)", H2M, 4, 0xa, 0, 0, 'a', 0, 0 },
	{ 3, "a: empty 2M file", H2M, 0, 0, 0, 0, 'a', 0, 0 },
	{ 4, "a: 2M x2, write-sealed", H2M, 2, 0, 17,
	  F_SEAL_WRITE | F_SEAL_GROW | F_SEAL_SHRINK | F_SEAL_SEAL, 'a', 0, 0 },
	{ 5, "a: 1G file of one 1 GiB page", H1G, 1, 0, GIB - 1, F_SEAL_GROW, 'a', 0, 0 },
	{ 6, "a: 2M x1, MFD_NOEXEC_SEAL", H2M, 1, 0, 4097, F_SEAL_EXEC, 'a', 0, 0 },
	{ 7, "a: 12 KiB (fallocate) in one 2M page", H2M, 1, 0, 4096, 0, 'a',
	  ODD_SIZE, 0 },
	{ 8, "a: 2M x1, seals added after preserve", H2M, 1, 0, 3 * 4096 + 5, 0,
	  'a', 0, LATE_SEALS },
	{ 11, "b: 2M x6", H2M, 6, 0, 0, 0, 'b', 0, 0 },
	{ 21, "u: 2M x4, finished without retrieve", H2M, 4, 0, 0, 0, 'u', 0, 0 },
	{ 22, "u: 1G x1, finished without retrieve", H1G, 1, 0, 0, 0, 'u', 0, 0 },
};

#define NR_SPECS (int)(sizeof(specs) / sizeof(specs[0]))

static int spec_used(const struct spec *s)
{
	return !(mode_2m && s->sz == H1G);
}

static long spec_bytes(const struct spec *s)
{
	return s->size ? s->size : s->pages * page_size_of[s->sz];
}

/* The seals the file has at kexec, so in the next kernel. */
static int want_seals(const struct spec *s)
{
	return s->seals | s->late;
}

/* Whether this stage creates the file (set A is created in stage 1 only). */
static int made_in(const struct spec *s, int stage)
{
	return s->set != 'a' || stage == 1;
}

/*
 * Pages of each size all sets hold (what the next kernel gets back): the
 * holes of stage 1 are written after preserve, and freeze adds them.
 */
static long preserved_pages(int sz)
{
	long k = 0;
	int i;

	for (i = 0; i < NR_SPECS; i++)
		if (spec_used(&specs[i]) && specs[i].sz == sz)
			k += specs[i].pages;
	return k;
}

static uint8_t pattern(uint64_t token, long off)
{
	return (uint8_t)((off / STRIDE) * 13 + token * 7 + 1);
}

/* Every byte of a file with an odd size: a pattern that changes per byte. */
static uint8_t byte_pattern(uint64_t token, long off)
{
	return (uint8_t)((off * 31 + token * 7 + (off >> 12)) ^ 0x5a);
}

/* The holes of stage 1 have been written (after preserve, or earlier stage). */
static int holes_written;

static uint8_t expected(const struct spec *s, long off)
{
	long page = off / page_size_of[s->sz];

	if (s->size)
		return byte_pattern(s->token, off);
	if ((s->holes & (1UL << page)) && !holes_written)
		return 0;
	return pattern(s->token, off);
}

static int memfd_for(const struct spec *s)
{
	unsigned int flags = MFD_HUGETLB | MFD_ALLOW_SEALING |
			     (s->sz == H2M ? MFD_HUGE_2MB : MFD_HUGE_1GB);

	if (s->seals & F_SEAL_EXEC)
		flags |= MFD_NOEXEC_SEAL;
	return memfd_create(s->name, flags);
}

/*
 * i_size inside the huge page: fallocate() (ftruncate() to it is EINVAL on
 * hugetlbfs), then write every byte below it through a mapping of the whole
 * page that is mapped read-only and made writable after: a writable mmap
 * would set i_size to the end of the mapping.
 */
static int make_odd(int fd, const struct spec *s)
{
	long psz = page_size_of[s->sz], off;
	struct stat st;
	uint8_t *map;

	if (fallocate(fd, 0, 0, s->size))
		return -1;
	map = mmap(NULL, psz, PROT_READ, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED)
		return -1;
	if (mprotect(map, psz, PROT_READ | PROT_WRITE)) {
		munmap(map, psz);
		return -1;
	}
	for (off = 0; off < s->size; off++)
		map[off] = expected(s, off);
	munmap(map, psz);
	if (fstat(fd, &st))
		return -1;
	if (st.st_size != s->size) {
		diag("%s: i_size %ld after fallocate and the writes, want %ld",
		     s->name, (long)st.st_size, s->size);
		errno = EINVAL;
		return -1;
	}
	return 0;
}

static int make_file(const struct spec *s)
{
	long bytes = spec_bytes(s), off, pos = s->late ? s->pos / 2 : s->pos;
	uint8_t *map;
	int fd = memfd_for(s);

	if (fd < 0)
		return -1;
	if (s->size) {
		if (make_odd(fd, s)) {
			close(fd);
			return -1;
		}
	} else if (bytes) {
		if (ftruncate(fd, bytes))
			return -1;
		map = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		if (map == MAP_FAILED)
			return -1;
		for (off = 0; off < bytes; off += STRIDE)
			if (!(s->holes & (1UL << (off / page_size_of[s->sz]))))
				map[off] = pattern(s->token, off);
		munmap(map, bytes);
	}
	/* Late seals: the position at kexec is set after PRESERVE_FD too. */
	if (lseek(fd, pos, SEEK_SET) != pos)
		return -1;
	/* MFD_NOEXEC_SEAL already added F_SEAL_EXEC. */
	if ((s->seals & ~F_SEAL_EXEC) &&
	    fcntl(fd, F_ADD_SEALS, s->seals & ~F_SEAL_EXEC))
		return -1;
	return fd;
}

/* A file with an odd size: every byte below it, read(2) stops at EOF. */
static int check_odd(int fd, const struct spec *s, char *why, size_t len)
{
	static uint8_t buf[ODD_SIZE];
	ssize_t n;
	long off;

	if (s->size > (long)sizeof(buf)) {
		snprintf(why, len, "BUG: size %ld > buffer %zu", s->size, sizeof(buf));
		return 0;
	}
	n = pread(fd, buf, s->size, 0);
	if (n != s->size) {
		snprintf(why, len, "pread of %ld bytes at 0: %zd (%s)", s->size, n,
			 strerror(errno));
		return 0;
	}
	for (off = 0; off < s->size; off++) {
		if (buf[off] != expected(s, off)) {
			snprintf(why, len, "byte %ld is %#x, want %#x", off,
				 buf[off], expected(s, off));
			return 0;
		}
	}
	n = pread(fd, buf, sizeof(buf), s->size);
	if (n != 0) {
		snprintf(why, len, "pread at EOF (%ld): %zd, want 0", s->size, n);
		return 0;
	}
	return 1;
}

static int check_file(int fd, const struct spec *s, char *why, size_t len)
{
	long bytes = spec_bytes(s), off, pos;
	struct stat st;
	uint8_t *map, b;
	int seals;

	if (fstat(fd, &st) || st.st_size != bytes) {
		snprintf(why, len, "size %ld, want %ld", (long)st.st_size, bytes);
		return 0;
	}
	pos = lseek(fd, 0, SEEK_CUR);
	if (pos != s->pos) {
		snprintf(why, len, "pos %ld, want %ld", pos, s->pos);
		return 0;
	}
	seals = fcntl(fd, F_GET_SEALS);
	if (seals != want_seals(s)) {
		snprintf(why, len, "seals %#x, want %#x", seals, want_seals(s));
		return 0;
	}
	if (s->size)
		return check_odd(fd, s, why, len);
	if (!bytes)
		return 1;
	map = mmap(NULL, bytes, PROT_READ, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED) {
		snprintf(why, len, "mmap: %s", strerror(errno));
		return 0;
	}
	for (off = 0; off < bytes; off += STRIDE) {
		if (map[off] != expected(s, off)) {
			snprintf(why, len, "byte %ld is %#x, want %#x", off,
				 map[off], expected(s, off));
			munmap(map, bytes);
			return 0;
		}
	}
	munmap(map, bytes);
	/* read(2) agrees with the mapping. */
	if (pread(fd, &b, 1, bytes - STRIDE) != 1 ||
	    b != expected(s, bytes - STRIDE)) {
		snprintf(why, len, "pread of the last stride: %s", strerror(errno));
		return 0;
	}
	return 1;
}

/* ---- zero copy: the same physical page on both sides ------------------ */

/*
 * The pfn of a file's first huge page (from /proc/self/pagemap) is stored at
 * byte 8 of the file (not covered by the pattern) before preserve and
 * compared with the pfn the next kernel's file has there.
 */
#define PFN_OFF 8

static int map_pfn(int fd, long bytes, uint64_t *pfn, uint64_t *stored,
		   int store)
{
	uint64_t ent = 0;
	uint8_t *map;
	int pm, ok = 0;

	map = mmap(NULL, bytes, PROT_READ | (store ? PROT_WRITE : 0), MAP_SHARED,
		   fd, 0);
	if (map == MAP_FAILED)
		return 0;
	pm = open("/proc/self/pagemap", O_RDONLY);
	if (pm >= 0 && *(volatile uint8_t *)map == map[0] &&
	    pread(pm, &ent, 8, ((uintptr_t)map / 4096) * 8) == 8 &&
	    (ent >> 63) && (ent & ((1ULL << 55) - 1))) {
		*pfn = ent & ((1ULL << 55) - 1);
		if (store)
			memcpy(map + PFN_OFF, pfn, 8);
		memcpy(stored, map + PFN_OFF, 8);
		ok = 1;
	}
	if (pm >= 0)
		close(pm);
	munmap(map, bytes);
	return ok;
}

/*
 * The pfn is stored through a writable mapping of the whole file: not for a
 * file that cannot be mapped writable in a stage that re-preserves it (write
 * seals, also added late) nor for one with an odd size (the mapping would
 * grow it).
 */
static int zero_copy_spec(const struct spec *s)
{
	return s->pages && !(want_seals(s) & (F_SEAL_WRITE | F_SEAL_FUTURE_WRITE)) &&
	       s->set == 'a' && !s->holes && !s->size;
}

/* ---- stage: preserve -------------------------------------------------- */

#include "../common/late_seals.h"

/* Results of seal_after_preserve(). */
static int late_tests(const struct spec *s)
{
	return late_tests_for(s->late);
}

/*
 * The file (@fd, preserved) gets its position at kexec and its late seals:
 * F_SEAL_WRITE is refused (the preserved pages are pinned: EBUSY), the
 * others are added one at a time.
 */
static void seal_after_preserve(int fd, const struct spec *s)
{
	int i;

	if (fd < 0) {
		not_run("no such file", "%s: F_SEAL_WRITE after preserve is EBUSY",
			s->name);
		for (i = 0; i < NR_LATE; i++)
			if (s->late & late_order[i])
				not_run("no such file", "%s: add %s after preserve",
					s->name, late_name[i]);
		not_run("no such file", "%s: seals after preserve", s->name);
		return;
	}
	if (lseek(fd, s->pos, SEEK_SET) != s->pos)
		diag("%s: lseek to %ld: %s", s->name, s->pos, strerror(errno));
	late_seals_add(fd, s->name, s->late, want_seals(s));
}

/* Behaviour of a preserved file (spec @s, open as @fd) before kexec. */
static const char *const frozen_names[] = {
	"preserved: ftruncate to grow is EPERM",
	"preserved: ftruncate to shrink is EPERM",
	"preserved: hole punch is EPERM",
	"preserved: fallocate is EPERM",
	"preserved: writable mmap beyond EOF is EPERM",
	"preserved: still readable",
};

#define FROZEN_TESTS ((int)(sizeof(frozen_names) / sizeof(frozen_names[0])))

static void frozen_behaviour(int fd, const struct spec *s)
{
	long bytes = spec_bytes(s), psz = page_size_of[s->sz];
	uint8_t *map, b = 0;
	int i;

	if (fd < 0) {
		for (i = 0; i < FROZEN_TESTS; i++)
			not_run("no such file", "%s", frozen_names[i]);
		return;
	}
	errno = 0;
	result(ftruncate(fd, bytes + psz) < 0 && errno == EPERM,
	       "%s (%s)", frozen_names[0], strerror(errno));
	errno = 0;
	result(ftruncate(fd, bytes - psz) < 0 && errno == EPERM,
	       "%s (%s)", frozen_names[1], strerror(errno));
	errno = 0;
	result(fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0, psz) < 0 &&
	       errno == EPERM, "%s (%s)", frozen_names[2], strerror(errno));
	errno = 0;
	result(fallocate(fd, 0, 0, bytes + psz) < 0 && errno == EPERM,
	       "%s (%s)", frozen_names[3], strerror(errno));
	errno = 0;
	map = mmap(NULL, bytes + psz, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	result(map == MAP_FAILED && errno == EPERM,
	       "%s (%s)", frozen_names[4], strerror(errno));
	if (map != MAP_FAILED)
		munmap(map, bytes + psz);
	result(pread(fd, &b, 1, 0) == 1 && b == expected(s, 0), "%s", frozen_names[5]);
}

/* Closing a session before kexec leaves everything as it was. */
#define ABORT_TESTS 5
static void abort_behaviour(int lu)
{
	static const struct spec s = { 99, "abort", H2M, 4, 0, 0, 0, 'x', 0, 0 };
	struct pool p0, p1, p2;
	int sess, fd, ok, i;

	fd = make_file(&s);
	sess = create_session(lu, "hlt-abort");
	if (fd < 0 || sess < 0) {
		result(0, "abort: preserve a 2M x4 file (setup: %s)", strerror(errno));
		for (i = 2; i <= ABORT_TESTS; i++)
			not_run("no setup", "abort: check %d of %d", i, ABORT_TESTS);
		return;
	}
	pool_read(H2M, &p0);
	result(!preserve_fd(sess, fd, 1), "abort: preserve a 2M x4 file");
	pool_read(H2M, &p1);
	result(pool_same(&p0, &p1), "abort: preserve leaves the pool counters alone");
	close(sess);
	pool_read(H2M, &p2);
	result(pool_same(&p0, &p2), "abort: after closing the session the pool is as before (nr=%ld free=%ld resv=%ld)",
	       p2.nr, p2.free, p2.resv);
	ok = !ftruncate(fd, 6 * SZ_2M) && !fallocate(fd, FALLOC_FL_PUNCH_HOLE |
						     FALLOC_FL_KEEP_SIZE, 0, SZ_2M) &&
	     !ftruncate(fd, 2 * SZ_2M);
	result(ok, "abort: the file can grow, be punched and shrink again (%s)",
	       ok ? "ok" : strerror(errno));
	close(fd);
	pool_read(H2M, &p2);
	result(p2.free == p0.free + 4 && p2.resv == p0.resv,
	       "abort: closing the file frees its 4 pages (free %ld -> %ld, resv %ld)",
	       p0.free, p2.free, p2.resv);
}

static int stage_preserve(int lu, int stage, int *fds)
{
	int sess[3], i, set, ok;
	char name[32], why[96];
	struct pool before[NR_SIZES], after;
	long t0;

	for (i = 0; i < NR_SIZES; i++)
		pool_read(i, &before[i]);
	pool_diag("before preserve");

	for (set = 0; set < 3; set++) {
		snprintf(name, sizeof(name), "hlt-%c-%d", "abu"[set], stage);
		sess[set] = create_session(lu, name);
		result(sess[set] >= 0, "create session %s", name);
		if (sess[set] < 0) {
			snprintf(stopped, sizeof(stopped), "session %s not created", name);
			return -1;
		}
	}
	for (i = 0; i < NR_SPECS; i++) {
		const struct spec *s = &specs[i];

		if (!spec_used(s))
			continue;
		/* Set A comes from the previous kernel after stage 1. */
		snprintf(why, sizeof(why), "not retrieved");
		if (made_in(s, stage)) {
			fds[i] = make_file(s);
			if (fds[i] < 0)
				snprintf(why, sizeof(why), "create: %s", strerror(errno));
		}
		if (fds[i] < 0) {
			if (zero_copy_spec(s))
				not_run(why, "%s: first page at pfn", s->name);
			result(0, "preserve %s (%s)", s->name, why);
			continue;
		}
		if (zero_copy_spec(s)) {
			uint64_t pfn, stored;

			ok = map_pfn(fds[i], spec_bytes(s), &pfn, &stored, 1);
			result(ok, "%s: first page at pfn %#llx", s->name,
			       (unsigned long long)pfn);
		}
		t0 = now_us();
		ok = !preserve_fd(sess[s->set == 'a' ? 0 : s->set == 'b' ? 1 : 2],
				  fds[i], s->token);
		t0 = now_us() - t0;
		result(ok, "preserve %s (%s, %ld us)", s->name,
		       ok ? "ok" : strerror(errno), t0);
	}
	/* Seals added while preserved (files made in this stage). */
	for (i = 0; i < NR_SPECS; i++)
		if (spec_used(&specs[i]) && specs[i].late &&
		    made_in(&specs[i], stage))
			seal_after_preserve(fds[i], &specs[i]);
	pool_diag("after preserve");
	pool_read(H2M, &after);
	result(after.nr == before[H2M].nr,
	       "preserve does not change nr_hugepages (2M %ld)", after.nr);

	/* Written after preserve through a new mapping: must arrive. */
	if (fds[0] >= 0) {
		uint8_t *map = mmap(NULL, spec_bytes(&specs[0]),
				    PROT_READ | PROT_WRITE, MAP_SHARED, fds[0], 0);

		ok = map != MAP_FAILED;
		if (ok) {
			long off;

			for (off = 0; off < spec_bytes(&specs[0]); off += STRIDE)
				map[off] = pattern(specs[0].token, off);
			munmap(map, spec_bytes(&specs[0]));
		}
		/* The holes of specs[1]: pages the array lacks until freeze. */
		if (ok && stage == 1 && fds[1] >= 0 && specs[1].holes) {
			const struct spec *h = &specs[1];

			map = mmap(NULL, spec_bytes(h), PROT_READ | PROT_WRITE,
				   MAP_SHARED, fds[1], 0);
			ok = map != MAP_FAILED;
			if (ok) {
				long off;

				for (off = 0; off < spec_bytes(h); off += STRIDE)
					if (h->holes & (1UL << (off / page_size_of[h->sz])))
						map[off] = pattern(h->token, off);
				munmap(map, spec_bytes(h));
				holes_written = 1;
			}
		}
		result(ok, "write into a preserved file through mmap (and into the holes of %s)",
		       specs[1].name);
	} else {
		not_run("no such file", "write into a preserved file through mmap");
	}
	/* specs[1] has no seals: what fails, fails because it is frozen. */
	frozen_behaviour(fds[1], &specs[1]);
	errno = 0;
	result(preserve_fd(sess[1], fds[0], 77) < 0,
	       "a file cannot be preserved twice (%s)", strerror(errno));
	if (stage == 1)
		abort_behaviour(lu);

	hold_sessions();
	for (set = 0; set < 3; set++)
		close(sess[set]);
	for (i = 0; i < NR_SPECS; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	return 0;
}

/* ---- cgroups: the retriever is charged like for a fresh file ---------- */

#define CG "/sys/fs/cgroup/hlt"
static int cg_ok;

static int write_str(const char *path, const char *v)
{
	int fd = open(path, O_WRONLY), ok;

	if (fd < 0)
		return 0;
	ok = write(fd, v, strlen(v)) == (ssize_t)strlen(v);
	close(fd);
	return ok;
}

/* Run the rest of the stage in a child cgroup with hugetlb and memory. */
static void cgroup_enter(void)
{
	char pid[32];

	mkdir("/sys/fs/cgroup", 0755);
	if (mount("none", "/sys/fs/cgroup", "cgroup2", 0,
		  "memory_hugetlb_accounting") && errno != EBUSY) {
		char why[96];

		snprintf(why, sizeof(why), "mount cgroup2: %s", strerror(errno));
		skip(why, "run in cgroup hlt with the memory and hugetlb controllers");
		return;
	}
	mkdir(CG, 0755);
	snprintf(pid, sizeof(pid), "%d", getpid());
	cg_ok = write_str("/sys/fs/cgroup/cgroup.subtree_control", "+memory +hugetlb") &&
		write_str(CG "/cgroup.procs", pid);
	result(cg_ok, "run in cgroup hlt with the memory and hugetlb controllers");
}

static long memstat(const char *key)
{
	char line[256];
	size_t klen = strlen(key);
	long v = -1;
	FILE *f = fopen(CG "/memory.stat", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, klen) && line[klen] == ' ')
			v = atol(line + klen + 1);
	fclose(f);
	return v;
}

/* hugetlb cgroup usage and reservation, and memcg hugetlb, per size. */
#define CGROUP_TESTS (NR_SIZES + 1)
static void cgroup_check(const char *when, const long *pages)
{
	static const char *const cg_name[NR_SIZES] = { "2MB", "1GB" };
	long total = 0;
	char path[96];
	int sz;

	if (!cg_ok) {
		for (sz = 0; sz < NR_SIZES; sz++)
			skip("not in cgroup hlt", "%s: hugetlb cgroup %s", when, cg_name[sz]);
		skip("not in cgroup hlt", "%s: memcg hugetlb", when);
		return;
	}
	for (sz = 0; sz < NR_SIZES; sz++) {
		long want = pages[sz] * page_size_of[sz], cur, rsvd;

		snprintf(path, sizeof(path), CG "/hugetlb.%s.current", cg_name[sz]);
		cur = read_long(path);
		snprintf(path, sizeof(path), CG "/hugetlb.%s.rsvd.current",
			 cg_name[sz]);
		rsvd = read_long(path);
		result(cur == want && rsvd == want,
		       "%s: hugetlb cgroup %s current=%ld rsvd=%ld (want %ld)",
		       when, cg_name[sz], cur, rsvd, want);
		total += want;
	}
	result(memstat("hugetlb") == total, "%s: memcg hugetlb=%ld (want %ld)",
	       when, memstat("hugetlb"), total);
}

/* ---- stage: retrieve -------------------------------------------------- */

static long max_l(long a, long b)
{
	return a > b ? a : b;
}

static void boot_pool_checks(void)
{
	struct pool p;
	int sz;

	pool_diag("at boot");
	for (sz = 0; sz < NR_SIZES; sz++) {
		long n = cmdline_n[sz], k = preserved_pages(sz);

		pool_read(sz, &p);
		result(p.nr == max_l(n - k, 0) && p.free == p.nr && p.resv == 0,
		       "%s boot pool is hugepages=%ld minus %ld coming back: nr=%ld free=%ld resv=%ld",
		       size_name[sz], n, k, p.nr, p.free, p.resv);
	}
	if (want_pernode()) {
		int ok = !system("dmesg | grep -q 'per-node hugepages= for 2.00 MiB pages is not supported'");

		result(ok, "per-node hugepages= is refused with a warning");
	}
}

/*
 * Results of retrieved_checks(): an exec-sealed file is not executable and
 * can be mapped writable; seals added after preserve are enforced.
 */
static int retrieved_tests(const struct spec *s)
{
	return (want_seals(s) & F_SEAL_EXEC ? 2 : 0) +
	       (s->late & F_SEAL_FUTURE_WRITE ? 1 : 0);
}

static void retrieved_checks(int fd, const struct spec *s)
{
	long bytes = spec_bytes(s), off;
	struct stat st;
	uint8_t *map;
	int ok;

	if (want_seals(s) & F_SEAL_EXEC) {
		if (fd < 0) {
			not_run("not retrieved", "%s: mode 0666", s->name);
			not_run("not retrieved", "%s: writable shared mmap", s->name);
		} else {
			ok = !fstat(fd, &st);
			result(ok && (st.st_mode & 07777) == 0666,
			       "%s: mode %#o (want 0666)", s->name,
			       ok ? (unsigned int)st.st_mode & 07777 : 0);
			errno = 0;
			map = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED,
				   fd, 0);
			ok = map != MAP_FAILED;
			off = 0;
			if (ok) {
				for (; off < bytes; off += STRIDE)
					if (map[off] != expected(s, off))
						break;
				munmap(map, bytes);
			}
			result(ok && off >= bytes,
			       "%s: writable shared mmap, contents intact (%s)",
			       s->name, !ok ? strerror(errno) :
			       off < bytes ? "wrong byte" : "ok");
		}
	}
	if (s->late & F_SEAL_FUTURE_WRITE) {
		if (fd < 0) {
			not_run("not retrieved",
				"%s: seals added after preserve enforced on mmap",
				s->name);
		} else {
			errno = 0;
			map = mmap(NULL, bytes, PROT_WRITE, MAP_SHARED, fd, 0);
			result(map == MAP_FAILED && errno == EPERM,
			       "%s: seals added after preserve enforced on mmap: writable shared mmap is EPERM (%s)",
			       s->name, map == MAP_FAILED ? strerror(errno) : "mapped");
			if (map != MAP_FAILED)
				munmap(map, bytes);
		}
	}
}

static int stage_retrieve(int lu, int stage, int *fds, int *sessions)
{
	char name[32], why[160];
	int i, set, sess[3], ok;
	struct pool p;
	long k[NR_SIZES], inuse[NR_SIZES] = { 0 }, t0;

	holes_written = 1;
	for (i = 0; i < NR_SIZES; i++)
		k[i] = preserved_pages(i);
	boot_pool_checks();
	cgroup_enter();

	for (set = 0; set < 3; set++) {
		snprintf(name, sizeof(name), "hlt-%c-%d", "abu"[set], stage - 1);
		sess[set] = retrieve_session(lu, name);
		result(sess[set] >= 0, "retrieve session %s (%s)", name,
		       sess[set] >= 0 ? "ok" : strerror(errno));
		if (sess[set] < 0) {
			snprintf(stopped, sizeof(stopped), "session %s not retrieved", name);
			return -1;
		}
	}
	for (i = 0; i < NR_SPECS; i++) {
		const struct spec *s = &specs[i];

		if (!spec_used(s) || s->set == 'u')
			continue;
		t0 = now_us();
		fds[i] = retrieve_fd(sess[s->set == 'a' ? 0 : 1], s->token);
		t0 = now_us() - t0;
		if (fds[i] < 0) {
			result(0, "retrieve %s: %s", s->name, strerror(errno));
			if (zero_copy_spec(s))
				not_run("not retrieved", "%s: zero copy, same physical page",
					s->name);
			retrieved_checks(-1, s);
			continue;
		}
		diag("RETRIEVE_FD %s: %ld us", s->name, t0);
		why[0] = 0;
		ok = check_file(fds[i], s, why, sizeof(why));
		result(ok, "retrieve %s: contents, size, pos, seals%s%s", s->name,
		       ok ? "" : ": ", why);
		if (zero_copy_spec(s)) {
			uint64_t pfn = 0, stored = 0;

			ok = map_pfn(fds[i], spec_bytes(s), &pfn, &stored, 0);
			result(ok && pfn == stored,
			       "%s: zero copy, same physical page (pfn %#llx, was %#llx)",
			       s->name, (unsigned long long)pfn,
			       (unsigned long long)stored);
		}
		retrieved_checks(fds[i], s);
		inuse[s->sz] += s->pages;
	}
	pool_diag("after retrieve");
	cgroup_check("after retrieve", inuse);

	/* Behaves like a fresh hugetlb memfd. */
	if (fds[1] >= 0) {
		const struct spec *s = &specs[1];
		uint8_t *map;

		ok = !fallocate(fds[1], FALLOC_FL_KEEP_SIZE, 0, spec_bytes(s));
		result(ok, "fallocate within size of a retrieved file (%s)",
		       ok ? "ok" : strerror(errno));
		map = mmap(NULL, spec_bytes(s), PROT_READ | PROT_WRITE, MAP_SHARED,
			   fds[1], 0);
		ok = map != MAP_FAILED;
		if (ok) {
			long off;

			/* Fill the holes so the next stage sees the pattern... */
			for (off = 0; off < spec_bytes(s); off += STRIDE)
				map[off] = expected(s, off);
			munmap(map, spec_bytes(s));
		}
		result(ok, "writable shared mmap of a retrieved file");
	} else {
		not_run("not retrieved", "fallocate within size of a retrieved file");
		not_run("not retrieved", "writable shared mmap of a retrieved file");
	}
	if (fds[3] >= 0) {
		uint8_t *map = mmap(NULL, spec_bytes(&specs[3]), PROT_WRITE,
				    MAP_SHARED, fds[3], 0);

		result(map == MAP_FAILED && errno == EPERM,
		       "retrieved F_SEAL_WRITE is enforced on mmap (%s)",
		       strerror(errno));
	} else {
		not_run("not retrieved", "retrieved F_SEAL_WRITE is enforced on mmap");
	}
	if (fds[0] >= 0) {
		errno = 0;
		result(ftruncate(fds[0], spec_bytes(&specs[0]) + SZ_2M) < 0 &&
		       errno == EPERM, "retrieved F_SEAL_GROW is enforced");
	} else {
		not_run("not retrieved", "retrieved F_SEAL_GROW is enforced");
	}

	for (set = 0; set < 2; set++) {
		ok = !finish_session(sess[set]);
		result(ok, "finish session %c (%s)", "abu"[set],
		       ok ? "ok" : strerror(errno));
	}
	/* U: finish without retrieving anything: its pages join the pool. */
	ok = !finish_session(sess[2]);
	result(ok, "finish session u without retrieving (%s)",
	       ok ? "ok" : strerror(errno));
	pool_diag("after finish");
	for (i = 0; i < NR_SIZES; i++) {
		long want = max_l(cmdline_n[i], k[i]);

		pool_read(i, &p);
		result(p.nr == want && p.free == want - inuse[i] && p.resv == 0,
		       "%s pool after retrieve+finish: nr=%ld (want %ld) free=%ld (want %ld) resv=%ld",
		       size_name[i], p.nr, want, p.free, want - inuse[i], p.resv);
	}

	/* An unsealed retrieved file grows, shrinks, punches like any other. */
	if (fds[1] >= 0) {
		int fd = fds[1];
		struct pool q;

		pool_read(H2M, &p);
		ok = !ftruncate(fd, 6 * SZ_2M) && !fallocate(fd, 0, 0, 6 * SZ_2M);
		pool_read(H2M, &q);
		result(ok && q.free == p.free - 2,
		       "retrieved file grows by fallocate (free %ld -> %ld)",
		       p.free, q.free);
		ok = !fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
				4 * SZ_2M, 2 * SZ_2M) && !ftruncate(fd, 4 * SZ_2M);
		pool_read(H2M, &q);
		result(ok && q.free == p.free && q.resv == 0,
		       "retrieved file shrinks and is punched (free %ld, resv %ld)",
		       q.free, q.resv);
	} else {
		not_run("not retrieved", "retrieved file grows by fallocate");
		not_run("not retrieved", "retrieved file shrinks and is punched");
	}
	for (set = 0; set < 3; set++)
		sessions[set] = sess[set];
	return 0;
}

/* Last stage: closing everything returns every page, no reservation left. */
static void close_all(int *fds, int *sessions)
{
	static const long none[NR_SIZES];
	struct pool p;
	int i;

	for (i = 0; i < NR_SPECS; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	for (i = 0; i < 3; i++)
		if (sessions[i] >= 0)
			close(sessions[i]);
	pool_diag("after close");
	cgroup_check("after close", none);
	for (i = 0; i < NR_SIZES; i++) {
		pool_read(i, &p);
		result(p.free == p.nr && p.resv == 0 && p.surplus == 0,
		       "%s after closing all files: nr=%ld free=%ld resv=%ld",
		       size_name[i], p.nr, p.free, p.resv);
	}
}

/* hugetlb_cma=: 1 GiB pages from CMA are refused, 2 MiB pages are not. */
static void cma_stage(int lu)
{
	static const struct spec g = { 31, "cma 1G", H1G, 1, 0, 0, 0, 'x', 0, 0 };
	static const struct spec m = { 32, "2M", H2M, 2, 0, 0, 0, 'x', 0, 0 };
	int sess = create_session(lu, "hlt-cma"), fd, ok;

	struct pool p;

	ok = write_str("/sys/kernel/mm/hugepages/hugepages-1048576kB/nr_hugepages", "1");
	pool_read(H1G, &p);
	result(ok && sess >= 0 && p.nr == 1,
	       "1 GiB page allocated at run time from hugetlb CMA (nr=%ld)", p.nr);
	fd = make_file(&g);
	result(fd >= 0, "1 GiB memfd from CMA (%s)", fd >= 0 ? "ok" : strerror(errno));
	errno = 0;
	result(fd >= 0 && preserve_fd(sess, fd, 1) < 0 && errno == EOPNOTSUPP,
	       "preserving it is refused with EOPNOTSUPP (%s)", strerror(errno));
	result(!system("dmesg | grep -q 'come from hugetlb_cma=: not preservable'"),
	       "and the kernel log says why");
	if (fd >= 0)
		close(fd);
	fd = make_file(&m);
	result(fd >= 0 && !preserve_fd(sess, fd, 2),
	       "a 2 MiB memfd is still preservable (%s)", strerror(errno));
	close(sess);
	if (fd >= 0)
		close(fd);
}

/*
 * Corruption (hlt.mode=corrupt, two stages): stage 1 preserves one 2 MiB
 * file per mode of luo_memfd_common's test knob, mode m in a file of
 * CORRUPT_BASE + m pages (the size selects the mode) and a session of its
 * own, and asks the old kernel to corrupt each at freeze; stage 2 must refuse
 * each file with a log line naming the fault and give its pages back to the
 * pool (tests/common/corrupt_modes.h: which ones stay reserved). Mode 8
 * needs an array of more than one page (257 huge pages): not tried here.
 */
#define CORRUPT_BASE 2
#define CORRUPT_ARM_TESTS(n) (1 + (n))		/* corrupt_stage(), stage 1 */
#define CORRUPT_VERIFY_TESTS(n) (1 + 5 * (n))	/* corrupt_stage(), stage 2 */

static int corrupt_mode_tried(int mode)
{
	return mode >= 1 && mode <= NR_CORRUPT_MODES && mode != 8;
}

static int nr_corrupt_modes(void)
{
	int m, n = 0;

	for (m = 1; m <= NR_CORRUPT_MODES; m++)
		n += corrupt_mode_tried(m);
	return n;
}

static struct spec corrupt_spec(int mode)
{
	struct spec c = { 40 + mode, "corrupt", H2M, CORRUPT_BASE + mode,
			  0, 0, 0, 'x', 0, 0 };

	return c;
}

static void corrupt_arm(int lu)
{
	char name[32], v[32];
	int sess, fd, ok, mode, knob;
	struct spec c;

	mkdir("/sys/kernel/debug", 0755);
	mount("none", "/sys/kernel/debug", "debugfs", 0, NULL);
	knob = open(CORRUPT_KNOB, O_WRONLY);
	result(knob >= 0, "open the corruption knob (%s)",
	       knob >= 0 ? "ok" : strerror(errno));
	for (mode = 1; mode <= NR_CORRUPT_MODES; mode++) {
		if (!corrupt_mode_tried(mode))
			continue;
		c = corrupt_spec(mode);
		snprintf(name, sizeof(name), "hlt-c-%d", mode);
		snprintf(v, sizeof(v), "%ld %d", c.pages, mode);
		sess = create_session(lu, name);
		fd = make_file(&c);
		ok = sess >= 0 && fd >= 0 && !preserve_fd(sess, fd, c.token) &&
		     knob >= 0 && write(knob, v, strlen(v)) == (ssize_t)strlen(v);
		result(ok, "mode %d: preserve a 2M x%ld file in session %s and ask for the corruption (%s)",
		       mode, c.pages, name, ok ? "ok" : strerror(errno));
	}
	if (knob >= 0)
		close(knob);
	hold_sessions();
}

static void corrupt_verify(int lu)
{
	long n = cmdline_n[H2M], held = 0, want;
	char name[32];
	int sess, fd, err, mode, log;
	struct spec c;
	struct pool p;

	for (mode = 1; mode <= NR_CORRUPT_MODES; mode++)
		if (corrupt_mode_tried(mode))
			held += corrupt_spec(mode).pages;
	pool_read(H2M, &p);
	result(p.nr == n - held, "boot pool %ld (want %ld: %ld pages held by corrupt files)",
	       p.nr, n - held, held);
	want = n - held;
	for (mode = 1; mode <= NR_CORRUPT_MODES; mode++) {
		if (!corrupt_mode_tried(mode))
			continue;
		c = corrupt_spec(mode);
		snprintf(name, sizeof(name), "hlt-c-%d", mode);
		sess = retrieve_session(lu, name);
		log = log_open();
		errno = 0;
		fd = sess >= 0 ? retrieve_fd(sess, c.token) : -1;
		err = errno;
		result(sess >= 0 && fd < 0 && err == corrupt_errno(mode),
		       "mode %d: corrupted file is refused with %s (session %s, fd %d, %s)",
		       mode, corrupt_errno_name(mode), name, fd, strerror(err));
		result(log_since_contains(log, corrupt_msg[mode]),
		       "mode %d: the kernel log of that retrieve names the fault (%s)",
		       mode, corrupt_msg[mode]);
		errno = 0;
		fd = sess >= 0 ? retrieve_fd(sess, c.token) : -1;
		err = errno;
		result(sess >= 0 && fd < 0 && err == corrupt_errno(mode),
		       "mode %d: refusal is sticky (fd %d, %s)", mode, fd, strerror(err));
		err = sess >= 0 ? finish_session(sess) : -1;
		result(!err, "mode %d: finish the session%s%s", mode,
		       err ? ": " : "", err ? strerror(errno) : "");
		want += c.pages - corrupt_lost(mode, c.pages, 0);
		pool_read(H2M, &p);
		result(p.nr == want && p.free == p.nr && p.resv == 0,
		       "mode %d: pages back in the pool: nr=%ld (want %ld) free=%ld resv=%ld",
		       mode, p.nr, want, p.free, p.resv);
		if (sess >= 0)
			close(sess);
	}
}

/*
 * Accounting FLB corruption (hlt.mode=corrupt-flb, two stages): stage 1
 * preserves a 2M x5 file and a 2M x3 file, each in a session of its own, and
 * asks the old kernel to add 2^50 pages to the FLB's first count when it
 * freezes the first one (CORRUPT_HSTATES). The counts are only accounting:
 * stage 2 must see them refused at boot (logged; the boot pool is then not
 * reduced) and still get both files back with every byte, and every page in
 * the pool once they are finished.
 */
#define FLB_ARM_TESTS 3
#define FLB_VERIFY_TESTS 6

static const struct spec flb_specs[2] = {
	{ 60, "flb: 2M x5, carries the corruption", H2M, 5, 0, 7, 0, 'x', 0, 0 },
	{ 61, "flb: 2M x3", H2M, 3, 0, 0, F_SEAL_GROW, 'x', 0, 0 },
};

static void flb_arm(int lu)
{
	char name[32], v[32];
	int i, sess, fd, ok, knob;

	mkdir("/sys/kernel/debug", 0755);
	mount("none", "/sys/kernel/debug", "debugfs", 0, NULL);
	knob = open(CORRUPT_KNOB, O_WRONLY);
	result(knob >= 0, "open the corruption knob (%s)",
	       knob >= 0 ? "ok" : strerror(errno));
	for (i = 0; i < 2; i++) {
		const struct spec *c = &flb_specs[i];

		snprintf(name, sizeof(name), "hlt-f-%d", i);
		snprintf(v, sizeof(v), "%ld %d", c->pages, CORRUPT_HSTATES);
		sess = create_session(lu, name);
		fd = make_file(c);
		ok = sess >= 0 && fd >= 0 && !preserve_fd(sess, fd, c->token);
		if (i == 0)
			ok = ok && knob >= 0 &&
			     write(knob, v, strlen(v)) == (ssize_t)strlen(v);
		result(ok, "preserve %s in session %s%s (%s)", c->name, name,
		       i ? "" : ", ask for the FLB corruption",
		       ok ? "ok" : strerror(errno));
	}
	if (knob >= 0)
		close(knob);
	hold_sessions();
}

static void flb_verify(int lu)
{
	long n = cmdline_n[H2M], held = flb_specs[0].pages + flb_specs[1].pages;
	int i, ok = 1, sess[2], fd[2];
	char name[32], why[256] = "";
	struct pool p;

	result(!system("dmesg | grep -q 'hugetlb accounting FLB from the previous kernel is corrupt'"),
	       "the kernel log says the accounting FLB is corrupt");
	pool_read(H2M, &p);
	result(p.nr == n, "boot pool %ld (want %ld: corrupt counts reduce nothing)",
	       p.nr, n);
	for (i = 0; i < 2; i++) {
		snprintf(name, sizeof(name), "hlt-f-%d", i);
		sess[i] = retrieve_session(lu, name);
		fd[i] = sess[i] >= 0 ? retrieve_fd(sess[i], flb_specs[i].token) : -1;
		if (fd[i] < 0)
			snprintf(why, sizeof(why), "retrieve: %s", strerror(errno));
		result(fd[i] >= 0 && check_file(fd[i], &flb_specs[i], why, sizeof(why)),
		       "%s comes back whole (%s)", flb_specs[i].name,
		       why[0] ? why : "ok");
		why[0] = 0;
	}
	for (i = 0; i < 2; i++) {
		if (fd[i] >= 0)
			close(fd[i]);
		ok = ok && sess[i] >= 0 && !finish_session(sess[i]);
		if (sess[i] >= 0)
			close(sess[i]);
	}
	result(ok, "finish both sessions (%s)", ok ? "ok" : strerror(errno));
	pool_read(H2M, &p);
	result(p.nr == n + held && p.free == p.nr && p.resv == 0,
	       "every page in the pool: nr=%ld (want %ld) free=%ld resv=%ld",
	       p.nr, n + held, p.free, p.resv);
}

/* ---- the plan --------------------------------------------------------- */

#define CMA_TESTS 5		/* cma_stage() */

/*
 * The number of results of this stage, from the same tables and conditions
 * as main() and the stage functions: every check prints one line on every
 * path (a SKIP, or "not run" if what it needs is missing).
 */
static int planned_tests(int stage, int nstages)
{
	int n = 0, i;

	if (mode_cma)
		return CMA_TESTS;
	if (mode_corrupt == 2)
		return stage == 1 ? FLB_ARM_TESTS : FLB_VERIFY_TESTS;
	if (mode_corrupt)
		return stage == 1 ? CORRUPT_ARM_TESTS(nr_corrupt_modes()) :
				    CORRUPT_VERIFY_TESTS(nr_corrupt_modes());
	if (stage > 1) {
		/* stage_retrieve(): boot pools (+ per-node warning), cgroup, sessions */
		n += NR_SIZES + (want_pernode() ? 1 : 0) + 1 + 3;
		/*
		 * each file of sets A and B, zero-copy ones twice, and the
		 * checks of exec-sealed and late-sealed ones
		 */
		for (i = 0; i < NR_SPECS; i++)
			if (spec_used(&specs[i]) && specs[i].set != 'u')
				n += 1 + zero_copy_spec(&specs[i]) +
				     retrieved_tests(&specs[i]);
		/*
		 * cgroup after retrieve; fallocate, mmap and two seals; finish
		 * A, B and U; pools after finish; grow and shrink specs[1]
		 */
		n += CGROUP_TESTS + 4 + 3 + NR_SIZES + 2;
	}
	if (stage < nstages) {
		/*
		 * stage_preserve(): sessions; each file, zero-copy ones twice;
		 * seals added after preserve to the files made in this stage
		 */
		n += 3;
		for (i = 0; i < NR_SPECS; i++)
			if (spec_used(&specs[i]))
				n += 1 + zero_copy_spec(&specs[i]) +
				     (made_in(&specs[i], stage) ?
				      late_tests(&specs[i]) : 0);
		/* nr_hugepages, write through mmap, frozen file, preserved twice */
		n += 1 + 1 + FROZEN_TESTS + 1;
		if (stage == 1)
			n += ABORT_TESTS;
	} else {
		/* close_all(): cgroup and pool per size */
		n += CGROUP_TESTS + NR_SIZES;
	}
	return n;
}

int main(int argc, char **argv)
{
	int stage, nstages, lu, i, fds[NR_SPECS], sessions[3] = { -1, -1, -1 };

	if (argc < 3) {
		fprintf(stderr, "usage: %s STAGE NSTAGES\n", argv[0]);
		return 2;
	}
	stage = atoi(argv[1]);
	nstages = atoi(argv[2]);
	for (i = 0; i < NR_SPECS; i++)
		fds[i] = -1;
	parse_cmdline();
	printf("KTAP version 1\n");
	diag("stage %d of %d, mode %s, hugepages 2M=%ld 1G=%ld", stage, nstages,
	     mode_2m ? "2m" : "full", cmdline_n[H2M], cmdline_n[H1G]);

	lu = open("/dev/liveupdate", O_RDWR);
	if (lu < 0) {
		printf("1..1\nnot ok 1 open /dev/liveupdate: %s\n", strerror(errno));
		return 1;
	}
	if (mode_corrupt && (nstages != 2 || stage < 1 || stage > 2)) {
		printf("1..1\nnot ok 1 hlt.mode=corrupt runs in a chain of two kernels, not %d\n",
		       nstages);
		return 1;
	}
	planned = planned_tests(stage, nstages);
	printf("1..%d\n", planned);
	fflush(stdout);
	if (mode_cma) {
		cma_stage(lu);
		goto out;
	}
	if (mode_corrupt == 2) {
		if (stage == 1)
			flb_arm(lu);
		else
			flb_verify(lu);
		goto out;
	}
	if (mode_corrupt) {
		if (stage == 1)
			corrupt_arm(lu);
		else
			corrupt_verify(lu);
		goto out;
	}
	if (stage > 1 && stage_retrieve(lu, stage, fds, sessions))
		goto out;
	if (stage < nstages) {
		/* Sets B and U are created afresh; A is what came back. */
		for (i = 0; i < NR_SPECS; i++)
			if (specs[i].set != 'a' && fds[i] >= 0) {
				close(fds[i]);
				fds[i] = -1;
			}
		for (i = 0; i < 3; i++)
			if (sessions[i] >= 0)
				close(sessions[i]);
		stage_preserve(lu, stage, fds);
	} else {
		close_all(fds, sessions);
	}
out:
	/* A phase that stopped early: the rest of the plan did not run. */
	while (test_nr < planned)
		not_run(stopped[0] ? stopped : "BUG: planned_tests() counts too many",
			"check %d of %d", test_nr + 1, planned);
	if (test_nr > planned) {
		diag("BUG: %d results for a plan of %d", test_nr, planned);
		failures++;
	}
	return failures ? 1 : 0;
}
