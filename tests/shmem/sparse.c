// SPDX-License-Identifier: GPL-2.0
/*
 * Sparse memfds across a chain of kexecs: only pages that hold data are
 * preserved, holes stay holes, and nothing written after preserve is lost.
 * KTAP output; "/sparse STAGE NSTAGES" (the runner's arguments).
 *
 * Files (shmem, 4 KiB pages; HugeTLB, 2 MiB pages):
 *   S0..S3  64 MiB shmem, 0 %, 1 % (every 100th page), 50 % (even pages)
 *           and 100 % written before preserve;
 *   S4      16 MiB shmem, even pages written, then swapped out (zram)
 *           before preserve, which must read them back in;
 *   S5      16 MiB shmem, every 4th page written; after preserve two holes
 *           are written and swapped out, which freeze must read back in;
 *   H0..H3  32 MiB HugeTLB, 0 %, one page, 50 % and 100 % written.
 * Every stage that preserves (all but the last) then writes into holes of
 * the preserved files, half through write(2) and half through a mapping
 * (HugeTLB: mapping only), and the next stage must see those pages too.
 *
 * A stage that preserves checks, per file: PRESERVE_FD succeeds; the file's
 * allocated blocks (st_blocks) are exactly its written pages (no hole was
 * filled); the page cache preserve added (the Shmem line of /proc/meminfo,
 * net of what left SwapCached; HugeTLB: free_hugepages) is at most the
 * pages it read back from swap, not
 * the holes; the writes into holes after preserve succeed.  MemFree's drop
 * is printed as a diagnostic only: per-CPU page lists, zram and (on the
 * debug kernel) KASAN and kmemleak move it by megabytes either way.
 * Also: punching a hole and truncating a preserved file stay EPERM.
 * A stage that retrieves checks, per file: RETRIEVE_FD, the size, every
 * byte (written pattern, zeros in holes: pread for shmem; for HugeTLB the
 * written pages, and in the last stage one hole), st_blocks; and after
 * finish the HugeTLB pool: hugepages=N pages, of which exactly the written
 * ones in use.
 *
 * Command line words: sparse_shmem_only (no HugeTLB files: a chain with
 * stock 7.3, which has no HugeTLB handler); shmem_kernel=stock on a stock
 * stage: stock fills holes at preserve, reported as SKIP with what it cost.
 * A stage whose previous kernel was stock (sparse_prev=stock) does not
 * check st_blocks after retrieve: stock handed over every page.
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
#include <sys/stat.h>
#include <sys/swap.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include <linux/falloc.h>
#include <linux/liveupdate.h>
#include <linux/memfd.h>

#include "../common/session.h"
#include "../common/stage.h"

#define KIB 1024L
#define MIB (1024 * KIB)
#define SPAGE 4096L
#define HPAGE (2 * MIB)
#define MAX_POST 3
#define MAX_GEN 3
#define SESSION "sparse"
#define TOKEN0 100

/*
 * Page cache preserve may add beyond what it must read back from swap:
 * other tmpfs users in the guest.  Far below the smallest file's holes.
 */
#define PRESERVE_SLACK_KB (1024L)

struct spec {
	const char *name;
	int huge;
	long pages;		/* size in pages of its kind */
	int every;		/* page p written before preserve iff p % every == 0 (0: none) */
	int swap_before;	/* swapped out before the first preserve */
	int swap_after;		/* the holes written after the first preserve swapped out */
	long post[MAX_GEN][MAX_POST];	/* holes written after preserve in stage g+1 (0: end) */
};

static const struct spec specs[] = {
	{ "S0 shmem 64M, 0%", 0, 16384, 0, 0, 0,
	  { { 5, 7, 16383 }, { 9, 11 }, { 0 } } },
	{ "S1 shmem 64M, 1%", 0, 16384, 100, 0, 0,
	  { { 1, 50 }, { 2 }, { 0 } } },
	{ "S2 shmem 64M, 50%", 0, 16384, 2, 0, 0,
	  { { 1, 3, 16383 }, { 5 }, { 0 } } },
	{ "S3 shmem 64M, 100%", 0, 16384, 1, 0, 0,
	  { { 0 }, { 0 }, { 0 } } },
	{ "S4 shmem 16M, 50%, swapped out before preserve", 0, 4096, 2, 1, 0,
	  { { 0 }, { 3 }, { 0 } } },
	{ "S5 shmem 16M, 25%, holes written after preserve swapped out", 0,
	  4096, 4, 0, 1, { { 1, 2 }, { 3 }, { 0 } } },
	{ "H0 hugetlb 32M, 0%", 1, 16, 0, 0, 0,
	  { { 3 }, { 5 }, { 0 } } },
	{ "H1 hugetlb 32M, one page", 1, 16, 16, 0, 0,
	  { { 9 }, { 10 }, { 0 } } },
	{ "H2 hugetlb 32M, 50%", 1, 16, 2, 0, 0,
	  { { 1 }, { 3 }, { 0 } } },
	{ "H3 hugetlb 32M, 100%", 1, 16, 1, 0, 0,
	  { { 0 }, { 0 }, { 0 } } },
};

#define NR_SPECS (int)(sizeof(specs) / sizeof(specs[0]))
/* Results per file when preserving and when retrieving. */
#define PRESERVE_TESTS 4
#define RETRIEVE_TESTS 5
/* Extra results: punch, truncate, S4 twice, S5 once / finish, pool. */
#define PRESERVE_EXTRA 5
#define RETRIEVE_EXTRA 2

static int stage, nstages, lu, on_stock, shmem_only, prev_stock;
static int fds[NR_SPECS];
static long hugepages_n = -1;

static long psize(const struct spec *s)
{
	return s->huge ? HPAGE : SPAGE;
}

static long fsize(const struct spec *s)
{
	return s->pages * psize(s);
}

static int used(const struct spec *s)
{
	return !(s->huge && shmem_only);
}

/* Whether page @p holds data once stage @upto (and those before) ran. */
static int written(const struct spec *s, long p, int upto)
{
	int g, i;

	if (s->every && p % s->every == 0)
		return 1;
	for (g = 0; g < upto && g < MAX_GEN; g++)
		for (i = 0; i < MAX_POST && s->post[g][i]; i++)
			if (s->post[g][i] == p)
				return 1;
	return 0;
}

static long written_pages(const struct spec *s, int upto)
{
	long p, n = 0;

	for (p = 0; p < s->pages; p++)
		n += written(s, p, upto);
	return n;
}

static uint64_t word(int i, long p, long w)
{
	return ((uint64_t)(i + 1) << 56) ^ ((uint64_t)p << 24) ^ (uint64_t)w ^
	       0x9e3779b97f4a7c15ULL;
}

static void fill(uint64_t *buf, int i, long p, long bytes)
{
	long w;

	for (w = 0; w < bytes / 8; w++)
		buf[w] = word(i, p, w);
}

static void skip(const char *why, const char *what)
{
	printf("ok %d %s # SKIP %s\n", ++test_nr, what, why);
	fflush(stdout);
}

static long sysfs_long(const char *path)
{
	char buf[64];
	int fd = open(path, O_RDONLY);
	ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;

	if (fd >= 0)
		close(fd);
	if (n <= 0)
		return -1;
	buf[n] = 0;
	return strtol(buf, NULL, 10);
}

#define HP2M "/sys/kernel/mm/hugepages/hugepages-2048kB/"

static long huge_free(void)
{
	return sysfs_long(HP2M "free_hugepages");
}

static long huge_nr(void)
{
	return sysfs_long(HP2M "nr_hugepages");
}

/* Write page @p of file @i: through write(2) or a mapping of that page. */
static int write_page(int i, long p, int by_map)
{
	const struct spec *s = &specs[i];
	long sz = psize(s);
	uint64_t *buf;
	int ok;

	if (by_map || s->huge) {
		buf = mmap(NULL, sz, PROT_READ | PROT_WRITE, MAP_SHARED, fds[i],
			   p * sz);
		if (buf == MAP_FAILED)
			return 0;
		fill(buf, i, p, sz);
		return !munmap(buf, sz);
	}
	buf = malloc(sz);
	if (!buf)
		return 0;
	fill(buf, i, p, sz);
	ok = pwrite(fds[i], buf, sz, p * sz) == sz;
	free(buf);
	return ok;
}

static long blocks_pages(int i)
{
	struct stat st;

	if (fstat(fds[i], &st))
		return -1;
	return st.st_blocks * 512 / psize(&specs[i]);
}

/* Pages of a shmem file in memory (mincore on a mapping nobody touches). */
static long resident(int i)
{
	const struct spec *s = &specs[i];
	unsigned char *vec;
	long p, n = 0;
	void *map;

	map = mmap(NULL, fsize(s), PROT_READ, MAP_SHARED, fds[i], 0);
	if (map == MAP_FAILED)
		return -1;
	vec = malloc(s->pages);
	if (!vec || mincore(map, fsize(s), vec)) {
		n = -1;
	} else {
		for (p = 0; p < s->pages; p++)
			n += vec[p] & 1;
	}
	free(vec);
	munmap(map, fsize(s));
	return n;
}

/*
 * Swapping out chosen pages without madvise() (tinyconfig has no
 * ADVISE_SYSCALLS): they are written from inside a memory cgroup of their
 * own, and memory.reclaim on that cgroup pushes out whatever of it is not
 * pinned, to swap.
 */
#define CG "/sys/fs/cgroup/"
#define CGS CG "sparse/"

static int write_file(const char *path, const char *val);

static int cg_ready;

static void cg_enter(void)
{
	char pid[32];

	if (!cg_ready) {
		mkdir(CG, 0755);
		if ((mount("none", CG, "cgroup2", 0, NULL) && errno != EBUSY) ||
		    !write_file(CG "cgroup.subtree_control", "+memory") ||
		    (mkdir(CGS, 0755) && errno != EEXIST)) {
			printf("# memory cgroup: %s\n", strerror(errno));
			return;
		}
		cg_ready = 1;
	}
	snprintf(pid, sizeof(pid), "%d", getpid());
	if (!write_file(CGS "cgroup.procs", pid))
		printf("# join cgroup: %s\n", strerror(errno));
}

static void cg_leave(void)
{
	char pid[32];

	snprintf(pid, sizeof(pid), "%d", getpid());
	if (cg_ready && !write_file(CG "cgroup.procs", pid))
		printf("# leave cgroup: %s\n", strerror(errno));
}

/* Swap out what file @i has in the cgroup; how many of its pages left memory. */
static long page_out(int i)
{
	const struct spec *s = &specs[i];
	long before = resident(i), after;

	if (!cg_ready)
		return -1;
	/* Fails with EAGAIN when less than asked could go: fine. */
	write_file(CGS "memory.reclaim", "64M");
	after = resident(i);
	printf("# %s: %ld of %ld pages in memory after memory.reclaim (SwapFree %ld kB)\n",
	       s->name, after, s->pages, meminfo_kb("SwapFree"));
	return before - after;
}

/* ---- swap on zram ------------------------------------------------------ */

static int swap_ready;

static int write_file(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY);
	int ok = fd >= 0 && write(fd, val, strlen(val)) == (ssize_t)strlen(val);

	if (fd >= 0)
		close(fd);
	return ok;
}

/* 64 MiB of swap on /dev/zram0, with a swap header written here. */
static const char *swap_setup(void)
{
	static char why[128];
	long size = 64 * MIB;
	unsigned int maj, min;
	char dev[32];
	uint8_t *hdr;
	int fd;

	if (access("/sys/block/zram0", F_OK))
		return "no zram device (kernel without CONFIG_ZRAM/CONFIG_SWAP)";
	if (!write_file("/sys/block/zram0/disksize", "67108864"))
		return "cannot size /dev/zram0";
	fd = open("/sys/block/zram0/dev", O_RDONLY);
	if (fd < 0 || read(fd, dev, sizeof(dev) - 1) <= 0 ||
	    sscanf(dev, "%u:%u", &maj, &min) != 2)
		return "no zram0 device number";
	close(fd);
	if (access("/dev/zram0", F_OK) &&
	    mknod("/dev/zram0", S_IFBLK | 0600, makedev(maj, min)))
		return "mknod /dev/zram0 failed";
	hdr = calloc(1, SPAGE);
	if (!hdr)
		return "out of memory";
	/* Version 1 swap header: version, last page, no bad pages; magic. */
	((uint32_t *)(hdr + 1024))[0] = 1;
	((uint32_t *)(hdr + 1024))[1] = size / SPAGE - 1;
	memcpy(hdr + SPAGE - 10, "SWAPSPACE2", 10);
	fd = open("/dev/zram0", O_WRONLY);
	if (fd < 0 || pwrite(fd, hdr, SPAGE, 0) != SPAGE || fsync(fd)) {
		free(hdr);
		return "cannot write the swap header";
	}
	close(fd);
	free(hdr);
	if (swapon("/dev/zram0", 0)) {
		snprintf(why, sizeof(why), "swapon /dev/zram0: %s", strerror(errno));
		return why;
	}
	swap_ready = 1;
	return NULL;
}

/* ---- checks ------------------------------------------------------------ */

/* Every byte of file @i as it must be after stage @upto's writes. */
static int check_data(int i, int upto, int last, char *why, size_t whylen)
{
	const struct spec *s = &specs[i];
	long sz = psize(s), p, w;
	uint64_t *buf = NULL;

	if (!s->huge) {
		buf = malloc(sz);
		if (!buf)
			return 0;
	}
	for (p = 0; p < s->pages; p++) {
		int data = written(s, p, upto);

		if (s->huge) {
			/* A hole read allocates a page: one, in the last stage. */
			if (!data && !(last && p == s->pages - 1))
				continue;
			buf = mmap(NULL, sz, PROT_READ, MAP_SHARED, fds[i], p * sz);
			if (buf == MAP_FAILED) {
				snprintf(why, whylen, "mmap page %ld: %s", p,
					 strerror(errno));
				return 0;
			}
		} else if (pread(fds[i], buf, sz, p * sz) != sz) {
			snprintf(why, whylen, "pread page %ld: %s", p, strerror(errno));
			free(buf);
			return 0;
		}
		for (w = 0; w < sz / 8; w++) {
			uint64_t want = data ? word(i, p, w) : 0;

			if (buf[w] != want) {
				snprintf(why, whylen,
					 "page %ld word %ld: %#llx, want %#llx (%s)",
					 p, w, (unsigned long long)buf[w],
					 (unsigned long long)want,
					 data ? "written" : "hole");
				if (s->huge)
					munmap(buf, sz);
				else
					free(buf);
				return 0;
			}
		}
		if (s->huge)
			munmap(buf, sz);
	}
	if (!s->huge)
		free(buf);
	snprintf(why, whylen, "%ld pages written, the rest zero",
		 written_pages(s, upto));
	return 1;
}

/* ---- stage parts --------------------------------------------------------- */

static void create_files(void)
{
	int i;
	long p;

	for (i = 0; i < NR_SPECS; i++) {
		const struct spec *s = &specs[i];
		unsigned int flags = s->huge ? MFD_HUGETLB | MFD_HUGE_2MB : 0;

		fds[i] = -1;
		if (!used(s))
			continue;
		fds[i] = memfd_create(s->name, flags);
		if (fds[i] < 0 || ftruncate(fds[i], fsize(s))) {
			printf("# create %s: %s\n", s->name, strerror(errno));
			continue;
		}
		if (s->swap_before && swap_ready)
			cg_enter();
		for (p = 0; p < s->pages; p++)
			if (written(s, p, 0) && !write_page(i, p, 0))
				printf("# write %s page %ld: %s\n", s->name, p,
				       strerror(errno));
		if (s->swap_before && swap_ready)
			cg_leave();
	}
}

static void retrieve_files(int session)
{
	int last = stage == nstages, i;
	long want_inuse = 0;
	char why[160];

	for (i = 0; i < NR_SPECS; i++) {
		const struct spec *s = &specs[i];
		struct stat st;
		long want = written_pages(s, stage - 1), got;

		fds[i] = -1;
		if (!used(s)) {
			for (int k = 0; k < RETRIEVE_TESTS; k++)
				skip("no HugeTLB handler in this chain", s->name);
			continue;
		}
		fds[i] = lu_retrieve(session, TOKEN0 + i);
		result(fds[i] >= 0, "%s: RETRIEVE_FD (%s)", s->name,
		       fds[i] >= 0 ? "ok" : strerror(errno));
		if (fds[i] < 0) {
			for (int k = 1; k < RETRIEVE_TESTS; k++)
				skip("not retrieved", s->name);
			continue;
		}
		/* fstat first: the arguments below are evaluated in any order. */
		if (fstat(fds[i], &st))
			st.st_size = -1;
		result(st.st_size == fsize(s), "%s: size %lld (want %ld)", s->name,
		       (long long)st.st_size, fsize(s));
		got = blocks_pages(i);
		if (prev_stock && !s->huge)
			skip("the previous kernel (stock 7.3) filled every hole",
			     "st_blocks after retrieve");
		else
			result(got == want,
			       "%s: holes stayed holes: %ld pages allocated (want %ld written)",
			       s->name, got, want);
		result(check_data(i, stage - 1, last, why, sizeof(why)),
		       "%s: contents: %s", s->name, why);
		if (s->huge)
			want_inuse += want + (last ? !written(s, s->pages - 1, stage - 1) : 0);
		if (!s->huge && !prev_stock) {
			got = resident(i);
			result(got == want, "%s: %ld pages in memory (want %ld)",
			       s->name, got, want);
		} else {
			skip(s->huge ? "mincore reports mappings for HugeTLB" :
			     "the previous kernel filled every hole",
			     "pages in memory");
		}
	}
	result(!lu_finish(session), "finish session " SESSION);
	if (shmem_only || hugepages_n < 0) {
		skip("no HugeTLB files", "HugeTLB pool after finish");
	} else {
		long nr = huge_nr(), fr = huge_free();

		result(nr == hugepages_n && nr - fr == want_inuse,
		       "HugeTLB pool after finish: %ld pages (want hugepages=%ld), %ld in use (want %ld)",
		       nr, hugepages_n, nr - fr, want_inuse);
	}
}

static void preserve_files(int session)
{
	char what[160];
	int i, k;

	for (i = 0; i < NR_SPECS; i++) {
		const struct spec *s = &specs[i];
		long want = written_pages(s, stage - 1), got;
		long free0, free1, shm0, shm1, sc0, sc1, swapped = 0;
		int err, g = stage - 1, ok = 1, n = 0;

		if (!used(s) || fds[i] < 0) {
			for (k = 0; k < PRESERVE_TESTS; k++)
				skip(used(s) ? "no file" : "no HugeTLB handler in this chain",
				     s->name);
			continue;
		}
		if (s->swap_before && stage == 1) {
			if (!swap_ready) {
				skip("no swap", "written pages swapped out before preserve");
			} else {
				swapped = page_out(i);
				result(swapped > 0,
				       "%s: %ld of %ld written pages swapped out before preserve",
				       s->name, swapped, want);
			}
		} else if (s->swap_before) {
			skip("stage 1 only", "written pages swapped out before preserve");
		}
		free0 = s->huge ? huge_free() : meminfo_kb("MemFree");
		shm0 = meminfo_kb("Shmem");
		sc0 = meminfo_kb("SwapCached");
		err = lu_preserve(session, fds[i], TOKEN0 + i);
		shm1 = meminfo_kb("Shmem");
		sc1 = meminfo_kb("SwapCached");
		free1 = s->huge ? huge_free() : meminfo_kb("MemFree");
		result(!err, "%s: PRESERVE_FD (%s)", s->name, err ? strerror(errno) : "ok");
		got = blocks_pages(i);
		snprintf(what, sizeof(what),
			 "%s: preserve filled no hole: %ld pages allocated (want %ld written)",
			 s->name, got, want);
		if (on_stock && got == s->pages && want < s->pages)
			skip("stock 7.3 fills every hole at preserve", what);
		else
			result(got == want, "%s", what);
		if (s->huge) {
			result(free1 == free0,
			       "%s: preserve took no huge page (free %ld -> %ld)",
			       s->name, free0, free1);
		} else {
			/*
			 * A page that stayed in the swap cache moves into the
			 * page cache without taking memory: count the page
			 * cache it added net of what left the swap cache.
			 */
			long took = (shm1 - shm0) + (sc1 - sc0);
			long may = PRESERVE_SLACK_KB + swapped * 4;
			int known = shm0 >= 0 && shm1 >= 0 && sc0 >= 0 && sc1 >= 0;

			printf("# %s: MemFree %ld -> %ld kB, SwapCached %ld -> %ld kB during preserve\n",
			       s->name, free0, free1, sc0, sc1);
			snprintf(what, sizeof(what),
				 "%s: preserve added %ld kB of page cache (at most %ld: holes are %ld kB)",
				 s->name, took, may, (s->pages - want) * 4);
			if (!known)
				result(0, "%s: /proc/meminfo has no Shmem or SwapCached line",
				       s->name);
			else if (on_stock && took > may)
				skip("stock 7.3 fills every hole at preserve", what);
			else
				result(took <= may, "%s", what);
		}
		if (s->swap_before && stage == 1 && swap_ready) {
			got = resident(i);
			result(got == want, "%s: preserve read the swapped pages back in: %ld in memory (want %ld)",
			       s->name, got, want);
		} else if (s->swap_before) {
			skip(swap_ready ? "stage 1 only" : "no swap",
			     "preserve read the swapped pages back in");
		}
		/* Holes written after preserve: they must come through too. */
		if (s->swap_after && stage == 1 && swap_ready)
			cg_enter();
		for (k = 0; g < MAX_GEN && k < MAX_POST && s->post[g][k]; k++, n++)
			ok &= write_page(i, s->post[g][k], k & 1);
		if (s->swap_after && stage == 1 && swap_ready)
			cg_leave();
		if (!n)
			skip("no hole to write", "writes into holes after preserve");
		else
			result(ok, "%s: %d holes written after preserve (%s)", s->name,
			       n, ok ? "ok" : strerror(errno));
		if (s->swap_after && stage == 1) {
			if (!swap_ready || on_stock) {
				skip("no swap", "holes written after preserve swapped out");
			} else {
				long out = page_out(i);

				result(out == n,
				       "%s: the %d pages written after preserve swapped out (%ld left memory)",
				       s->name, n, out);
			}
		} else if (s->swap_after) {
			skip("stage 1 only", "holes written after preserve swapped out");
		}
	}
	/* A preserved file keeps its size and its pages. */
	if (fds[1] >= 0) {
		result(fallocate(fds[1], FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
				 0, SPAGE) < 0 && errno == EPERM,
		       "preserved: punching a hole is EPERM (%s)", strerror(errno));
		result(ftruncate(fds[1], SPAGE) < 0 && errno == EPERM,
		       "preserved: truncate is EPERM (%s)", strerror(errno));
	} else {
		skip("no file", "punch");
		skip("no file", "truncate");
	}
}

int main(int argc, char **argv)
{
	int session, planned = 0;
	const char *noswap = "not stage 1";
	char cmd[4096], *hp;

	if (argc < 3)
		return 2;
	stage = atoi(argv[1]);
	nstages = atoi(argv[2]);
	printf("KTAP version 1\n");
	lu = open("/dev/liveupdate", O_RDWR);
	if (lu < 0 || stage < 1 || stage > nstages || nstages > MAX_GEN + 1) {
		printf("1..1\nnot ok 1 open /dev/liveupdate (%s), stage %d of %d\n",
		       strerror(errno), stage, nstages);
		return 1;
	}
	on_stock = cmdline_has("shmem_kernel=stock");
	shmem_only = cmdline_has("sparse_shmem_only");
	prev_stock = cmdline_has("sparse_prev=stock");
	read_cmdline(cmd, sizeof(cmd));
	hp = strstr(cmd, "hugepages=");
	if (hp && !shmem_only)
		hugepages_n = strtol(hp + 10, NULL, 10);

	if (stage > 1)
		planned += NR_SPECS * RETRIEVE_TESTS + RETRIEVE_EXTRA;
	if (stage < nstages)
		planned += 1 + NR_SPECS * PRESERVE_TESTS + PRESERVE_EXTRA;
	printf("1..%d\n", planned);
	printf("# stage %d of %d%s%s\n", stage, nstages, on_stock ? ", stock kernel" : "",
	       shmem_only ? ", shmem only" : "");
	fflush(stdout);

	if (stage > 1) {
		session = lu_session(lu, LIVEUPDATE_IOCTL_RETRIEVE_SESSION, SESSION);
		if (session < 0) {
			printf("not ok %d retrieve session " SESSION ": %s\n", ++test_nr,
			       strerror(errno));
			return 1;
		}
		retrieve_files(session);
		close(session);
	} else {
		if (!on_stock)
			noswap = swap_setup();
		printf("# swap: %s\n", noswap ? noswap : "64 MiB on /dev/zram0");
		create_files();
	}
	if (stage < nstages) {
		session = lu_session(lu, LIVEUPDATE_IOCTL_CREATE_SESSION, SESSION);
		result(session >= 0, "create session " SESSION " (%s)",
		       session >= 0 ? "ok" : strerror(errno));
		if (session >= 0) {
			preserve_files(session);
			hold_sessions();
		}
	}
	if (test_nr != planned) {
		printf("# BUG: %d results for a plan of %d\n", test_nr, planned);
		failures++;
	}
	return failures ? 1 : 0;
}
