// SPDX-License-Identifier: GPL-2.0
/*
 * Races around preserving shmem memfds, across a real kexec; meant for the
 * debug kernel (KASAN, lockdep, kmemleak), whose reports the runner fails
 * on. KTAP output. Stage 1 (the old kernel):
 *   two:      one memfd preserved from two sessions at once, RACE_ROUNDS
 *             times: exactly one of the two preserves wins each time;
 *   close:    a session closed while another thread preserves memfds into
 *             it, RACE_ROUNDS times: afterwards every memfd can be preserved
 *             again (none is left claimed by the dead session);
 *   truncate: ftruncate() and fallocate() in a loop while PRESERVE_FD runs:
 *             once preserved the size is frozen (EPERM), and that size is
 *             what comes back; the sizes go to a manifest memfd;
 *   writers:  threads write through mmap (faulting pages in) while
 *             PRESERVE_FD runs, and go on writing until the kexec, so that
 *             freeze runs under them; the second file is faulted in with
 *             shmem THP on and khugepaged scanning as fast as it can, if
 *             the kernel has THP for shmem;
 *   held:     two memfds whose pages are in ZONE_MOVABLE (the runner boots
 *             with movablecore=), so preserve must migrate them before it
 *             pins them; a pipe holds a reference on a page of each
 *             (vmsplice), which makes the migration fail while it lasts.
 *             Held for 10 ms, preserve still succeeds; held until preserve
 *             returns, preserve fails with ENOMEM and leaves the file
 *             free to be preserved once the pipe lets go.
 * With race_hugetlb on the kernel command line the same runs on HugeTLB
 * memfds of 2 MiB pages (sizes in those pages; no THP; held skips: pool
 * pages need no migration).
 * Stage 2 (the next kernel): the truncated file has exactly its frozen size,
 * its data and zeros after; every word of the written files is one a writer
 * stored, in an order a writer could leave (a pass is a sweep over the file,
 * so at most two passes are visible, the newer one first).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>
#include <linux/falloc.h>
#include <linux/liveupdate.h>
#include <linux/memfd.h>

#include "../common/session.h"
#include "../common/stage.h"

#define RACE_ROUNDS 100
#define CLOSE_FILES 8
/* Sizes in units of a page: 4 KiB, or 2 MiB with race_hugetlb. */
#define TRUNC_DATA ((huge ? 2 : 16) * unit)	/* never shrunk below this */
#define TRUNC_MAX ((huge ? 8 : 256) * unit)
#define WRITE_SIZE (8 * 1024 * 1024L)
#define NR_WRITERS 2			/* file 0 base pages, file 1 THP */

#define HELD_SIZE (16 * 4096L)
#define HELD_MS 10

#define STAGE1_TESTS (2 + 2 + 3 + 2 * NR_WRITERS + 2 + 4)
#define STAGE2_TESTS (2 + 2 * NR_WRITERS + 2 + 2)

#define TOKEN_TRUNC 1
#define TOKEN_MANIFEST 2
#define TOKEN_WRITE 10
#define TOKEN_HELD 20

static int lu;
/* race_hugetlb on the command line: HugeTLB memfds of 2 MiB pages. */
static int huge;
static long unit = 4096;

static uint8_t data_byte(long off)
{
	return (uint8_t)(off * 7 + 3);
}

static int small_memfd(const char *name, long size)
{
	int fd = memfd_create(name, huge ? MFD_HUGETLB : 0);
	long i;
	uint8_t buf[4096], *map;

	if (fd < 0)
		return -1;
	if (huge) {
		/* hugetlbfs has no write(2): through a mapping. */
		map = ftruncate(fd, size) ? MAP_FAILED :
		      mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		if (map == MAP_FAILED) {
			close(fd);
			return -1;
		}
		for (i = 0; i < size; i++)
			map[i] = data_byte(i);
		munmap(map, size);
		return fd;
	}
	for (i = 0; i < size; i += sizeof(buf)) {
		long j;

		for (j = 0; j < (long)sizeof(buf); j++)
			buf[j] = data_byte(i + j);
		if (pwrite(fd, buf, sizeof(buf), i) != (ssize_t)sizeof(buf)) {
			close(fd);
			return -1;
		}
	}
	return fd;
}

/* ---- two sessions, one file ------------------------------------------ */

struct two_arg {
	pthread_barrier_t *bar;
	int session, fd, err;
};

static void *two_thread(void *p)
{
	struct two_arg *a = p;

	pthread_barrier_wait(a->bar);
	a->err = lu_preserve(a->session, a->fd, 1) ? -errno : 0;
	return NULL;
}

static void race_two(void)
{
	int round, wins[3] = { 0 }, loser_errs = 0, last_err = 0, setup = 1;
	pthread_barrier_t bar;

	pthread_barrier_init(&bar, NULL, 2);
	for (round = 0; round < RACE_ROUNDS && setup; round++) {
		struct two_arg a[2];
		pthread_t t[2];
		int fd = small_memfd("two", huge ? unit : 16 * unit), i, n = 0;

		for (i = 0; i < 2; i++) {
			a[i] = (struct two_arg){ .bar = &bar, .fd = fd };
			a[i].session = lu_session(lu, LIVEUPDATE_IOCTL_CREATE_SESSION,
						  i ? "race-two-b" : "race-two-a");
			setup = setup && fd >= 0 && a[i].session >= 0;
		}
		if (setup) {
			for (i = 0; i < 2; i++)
				pthread_create(&t[i], NULL, two_thread, &a[i]);
			for (i = 0; i < 2; i++)
				pthread_join(t[i], NULL);
			for (i = 0; i < 2; i++) {
				n += !a[i].err;
				if (a[i].err) {
					loser_errs++;
					last_err = -a[i].err;
				}
			}
			wins[n]++;
		}
		/* Closing the sessions unpreserves what they hold. */
		for (i = 0; i < 2; i++)
			if (a[i].session >= 0)
				close(a[i].session);
		if (fd >= 0)
			close(fd);
	}
	pthread_barrier_destroy(&bar);
	result(setup, "two: %d rounds set up", round);
	result(setup && wins[1] == RACE_ROUNDS,
	       "two: exactly one of two concurrent preserves wins (rounds with 0/1/2 winners: %d/%d/%d; the loser's error: %s)",
	       wins[0], wins[1], wins[2], last_err ? strerror(last_err) : "none");
	(void)loser_errs;
}

/* ---- close racing with preserve -------------------------------------- */

struct close_arg {
	int session, fds[CLOSE_FILES], done;
};

static void *close_preserver(void *p)
{
	struct close_arg *a = p;
	int i;

	for (i = 0; i < CLOSE_FILES; i++)
		if (!lu_preserve(a->session, a->fds[i], 100 + i))
			a->done++;
	return NULL;
}

static void race_close(void)
{
	int round, i, ok = 1, again_ok = 1, partial = 0;

	for (round = 0; round < RACE_ROUNDS && ok; round++) {
		struct close_arg a = { 0 };
		pthread_t t;
		int s;

		for (i = 0; i < CLOSE_FILES; i++) {
			a.fds[i] = small_memfd("close", huge ? unit : 4 * unit);
			ok = ok && a.fds[i] >= 0;
		}
		a.session = lu_session(lu, LIVEUPDATE_IOCTL_CREATE_SESSION, "race-close");
		ok = ok && a.session >= 0;
		if (ok) {
			pthread_create(&t, NULL, close_preserver, &a);
			/* Somewhere inside the run of preserves. */
			usleep(round % 10 * 50);
			close(a.session);
			pthread_join(t, NULL);
			partial += a.done > 0 && a.done < CLOSE_FILES;
			/* Every file free again: a new session takes them all. */
			s = lu_session(lu, LIVEUPDATE_IOCTL_CREATE_SESSION, "race-close");
			for (i = 0; i < CLOSE_FILES; i++)
				again_ok = again_ok && s >= 0 &&
					   !lu_preserve(s, a.fds[i], 200 + i);
			if (s >= 0)
				close(s);
		}
		for (i = 0; i < CLOSE_FILES; i++)
			if (a.fds[i] >= 0)
				close(a.fds[i]);
	}
	result(ok, "close: %d rounds set up", round);
	result(ok && again_ok,
	       "close: after each close racing preserve, every memfd is preservable again (%d rounds closed mid-run)",
	       partial);
}

/* ---- truncate and fallocate racing with preserve ---------------------- */

static atomic_int trunc_stop;

static void *truncator(void *p)
{
	int fd = *(int *)p;
	unsigned int seed = 1;
	long n = 0;

	while (!atomic_load(&trunc_stop)) {
		long size = TRUNC_DATA + rand_r(&seed) % (TRUNC_MAX - TRUNC_DATA);

		size &= ~(unit - 1);
		if (n++ & 1)
			(void)ftruncate(fd, size);
		else
			(void)fallocate(fd, 0, 0, size);
	}
	return NULL;
}

/* Preserved in session "race-trunc"; the manifest records the size. */
static void race_truncate(int session)
{
	int fd = small_memfd("trunc", TRUNC_DATA), mfd, err = -1, frozen, terr;
	pthread_t t;
	struct stat st = { 0 };
	char manifest[64];

	atomic_store(&trunc_stop, 0);
	if (fd >= 0) {
		pthread_create(&t, NULL, truncator, &fd);
		usleep(2000);
		err = lu_preserve(session, fd, TOKEN_TRUNC) ? -errno : 0;
		atomic_store(&trunc_stop, 1);
		pthread_join(t, NULL);
	}
	result(!err, "truncate: preserve while another thread truncates and fallocates (%s)",
	       err ? strerror(-err) : "ok");
	fstat(fd, &st);
	errno = 0;
	frozen = !err && ftruncate(fd, st.st_size + unit) < 0 && errno == EPERM;
	terr = errno;
	frozen = frozen && fallocate(fd, 0, 0, st.st_size + unit) < 0;
	result(frozen, "truncate: once preserved the size %ld is frozen (ftruncate: %s)",
	       (long)st.st_size, strerror(terr));
	snprintf(manifest, sizeof(manifest), "%ld\n", (long)st.st_size);
	mfd = memfd_create("manifest", 0);
	result(mfd >= 0 && write(mfd, manifest, strlen(manifest)) > 0 &&
	       !lu_preserve(session, mfd, TOKEN_MANIFEST),
	       "truncate: preserve a manifest with the frozen size");
}

/* ---- writers across preserve and freeze ------------------------------ */

/*
 * Word w of the file in pass v: the pass in the high bits, the word's
 * position in the low 32, so that a word out of place or from no pass shows.
 */
static uint64_t stamp(uint64_t v, uint64_t w)
{
	return v << 32 | ((w ^ v * 0x9e3779b1ULL) & 0xffffffffULL);
}

static void writer_loop(uint64_t *map)
{
	uint64_t v, w, n = WRITE_SIZE / sizeof(uint64_t);

	for (v = 1;; v++)
		for (w = 0; w < n; w++)
			atomic_store_explicit((_Atomic uint64_t *)&map[w],
					      stamp(v, w), memory_order_relaxed);
}

struct writer {
	int fd;
	uint64_t *map;
	pthread_t t;
};

static void *writer_thread(void *p)
{
	writer_loop(((struct writer *)p)->map);
	return NULL;
}

/*
 * THP for every shmem file from now on (the tiny guest kernel has no
 * madvise()), with khugepaged scanning as fast as it can. 0 if the kernel
 * has no THP for shmem.
 */
static int thp_for_shmem(void)
{
	static const char *const knobs[][2] = {
		{ "/sys/kernel/mm/transparent_hugepage/shmem_enabled", "always" },
		{ "/sys/kernel/mm/transparent_hugepage/hugepages-2048kB/shmem_enabled",
		  "inherit" },
		{ "/sys/kernel/mm/transparent_hugepage/khugepaged/scan_sleep_millisecs",
		  "0" },
	};
	unsigned int i;
	int ok = 1;

	for (i = 0; i < sizeof(knobs) / sizeof(knobs[0]); i++) {
		int fd = open(knobs[i][0], O_WRONLY);

		/* The per-size knob is optional; the others are not. */
		if (fd < 0) {
			ok = ok && i == 1;
			continue;
		}
		ok = ok && write(fd, knobs[i][1], strlen(knobs[i][1])) > 0;
		close(fd);
	}
	return ok;
}

/* The file mapped at a 2 MiB boundary, so that faults can map huge pages. */
static uint64_t *map_aligned(int fd)
{
	const long huge = 2 * 1024 * 1024L;
	char *area = mmap(NULL, WRITE_SIZE + huge, PROT_NONE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *at;

	if (area == MAP_FAILED)
		return MAP_FAILED;
	at = (char *)(((uintptr_t)area + huge - 1) & ~(uintptr_t)(huge - 1));
	return mmap(at, WRITE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED,
		    fd, 0);
}

static int start_writer(struct writer *wr, const char *name)
{
	wr->fd = memfd_create(name, huge ? MFD_HUGETLB : 0);
	wr->map = MAP_FAILED;
	if (wr->fd >= 0 && !ftruncate(wr->fd, WRITE_SIZE))
		wr->map = map_aligned(wr->fd);
	if (wr->map == MAP_FAILED)
		return 0;
	pthread_create(&wr->t, NULL, writer_thread, wr);
	return 1;
}

/*
 * Writer 0 fills its file with base pages first; then THP is switched on
 * and writer 1 faults its file in (huge pages where it can) while both are
 * preserved; khugepaged may collapse either under the writers, the
 * preserves and the freeze.
 */
static void race_writers(int session)
{
	static struct writer wr[NR_WRITERS];
	uint64_t last = WRITE_SIZE / sizeof(uint64_t) - 1;
	int i, err, ok, thp = 0;

	ok = start_writer(&wr[0], "writer");
	while (ok && !atomic_load_explicit((_Atomic uint64_t *)&wr[0].map[last],
					   memory_order_relaxed))
		usleep(1000);
	result(ok, "writers: a memfd of 8 MiB faulted in with %s pages, its writer running",
	       huge ? "2 MiB HugeTLB" : "base");
	thp = !huge && thp_for_shmem();
	ok = start_writer(&wr[1], "writer-thp");
	result(ok, "writers: a memfd of 8 MiB faulted in %s, its writer running",
	       huge ? "(HugeTLB: pages preserve may have to fill)" :
	       thp ? "with shmem THP always and khugepaged at full speed" :
		     "(no THP for shmem here: base pages)");
	/* Pages are being faulted in and written while each preserve runs. */
	usleep(5000);
	fflush(stdout);
	if (system("grep -E '^(Shmem|ShmemHugePages):' /proc/meminfo | sed 's/^/# /'"))
		printf("# no /proc/meminfo\n");
	for (i = 0; i < NR_WRITERS; i++) {
		err = wr[i].map == MAP_FAILED ? -EBADF :
		      lu_preserve(session, wr[i].fd, TOKEN_WRITE + i) ? -errno : 0;
		result(!err, "writers: preserve file %d while its writer runs (%s)", i,
		       err ? strerror(-err) : "ok");
	}
}

/* ---- a page held by someone else while preserve migrates it ----------- */

/* The pfn mapped at @addr (root), or 0. */
static uint64_t pfn_of(const void *addr)
{
	int fd = open("/proc/self/pagemap", O_RDONLY);
	uint64_t e = 0;
	off_t at = (off_t)((uintptr_t)addr / 4096) * 8;

	if (fd < 0)
		return 0;
	if (pread(fd, &e, sizeof(e), at) != (ssize_t)sizeof(e))
		e = 0;
	close(fd);
	return (e >> 63) ? (e & ((1ULL << 55) - 1)) : 0;
}

/* The pfn range [*start, *end) of node 0's Movable zone; 0 if none. */
static int movable_zone(uint64_t *start, uint64_t *end)
{
	FILE *f = fopen("/proc/zoneinfo", "r");
	char line[256];
	unsigned long long v, spanned = 0;
	int in = 0;

	*start = *end = 0;
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, "Node ", 5)) {
			in = strstr(line, "zone") && strstr(line, "Movable");
			continue;
		}
		if (!in)
			continue;
		if (sscanf(line, " spanned %llu", &v) == 1)
			spanned = v;
		else if (sscanf(line, " start_pfn: %llu", &v) == 1)
			*start = v;
	}
	fclose(f);
	*end = *start + spanned;
	return spanned > 0;
}

struct held {
	int fd, pipe[2];
	uint8_t *map;
};

/* A memfd of HELD_SIZE with its data; a pipe holds a reference on page 3. */
static int held_setup(struct held *h, const char *name)
{
	struct iovec iov;

	h->map = MAP_FAILED;
	h->pipe[0] = h->pipe[1] = -1;
	h->fd = small_memfd(name, HELD_SIZE);
	if (h->fd < 0 || pipe(h->pipe))
		return 0;
	h->map = mmap(NULL, HELD_SIZE, PROT_READ, MAP_SHARED, h->fd, 0);
	if (h->map == MAP_FAILED)
		return 0;
	iov.iov_base = h->map + 3 * 4096;
	iov.iov_len = 4096;
	return vmsplice(h->pipe[1], &iov, 1, 0) == 4096;
}

/* Read the pipe empty: its reference on the page goes. */
static void held_release(struct held *h)
{
	uint8_t buf[4096];

	if (h->pipe[0] >= 0 && read(h->pipe[0], buf, sizeof(buf)) < 0)
		printf("# reading the pipe: %s\n", strerror(errno));
}

static void *held_thread(void *p)
{
	usleep(HELD_MS * 1000);
	held_release(p);
	return NULL;
}

static void race_held(int session)
{
	struct held h[2];
	uint64_t zs, ze, pfn[2];
	pthread_t t;
	int i, ok, err;

	if (huge) {
		/* HugeTLB pages come from the pool, never from ZONE_MOVABLE. */
		for (i = 0; i < 4; i++)
			printf("ok %d held: case %d # SKIP HugeTLB pool pages need no migration\n",
			       ++test_nr, i + 1);
		return;
	}

	ok = movable_zone(&zs, &ze);
	for (i = 0; i < 2; i++) {
		ok = held_setup(&h[i], i ? "held-long" : "held-short") && ok;
		pfn[i] = h[i].map == MAP_FAILED ? 0 : pfn_of(h[i].map + 3 * 4096);
		ok = ok && pfn[i] >= zs && pfn[i] < ze;
	}
	result(ok, "held: a page of each file is in ZONE_MOVABLE [%#llx, %#llx) and held by a pipe (pfns %#llx, %#llx)",
	       (unsigned long long)zs, (unsigned long long)ze,
	       (unsigned long long)pfn[0], (unsigned long long)pfn[1]);

	err = ok ? pthread_create(&t, NULL, held_thread, &h[0]) : EINVAL;
	if (!err) {
		err = lu_preserve(session, h[0].fd, TOKEN_HELD) ? errno : 0;
		pthread_join(t, NULL);
	}
	result(!err, "held: preserve succeeds while a pipe holds a page for %d ms (%s)",
	       HELD_MS, err ? strerror(err) : "ok");

	err = ok && lu_preserve(session, h[1].fd, TOKEN_HELD + 1) ? errno : 0;
	result(ok && err == ENOMEM,
	       "held: preserve fails with ENOMEM while the pipe holds a page throughout (%s)",
	       err ? strerror(err) : "it succeeded");
	held_release(&h[1]);
	err = ok && lu_preserve(session, h[1].fd, TOKEN_HELD + 1) ? errno : 0;
	result(ok && !err, "held: once the pipe lets go, the same file is preserved (%s)",
	       err ? strerror(err) : "ok");
	for (i = 0; i < 2; i++) {
		if (h[i].map != MAP_FAILED)
			munmap(h[i].map, HELD_SIZE);
		if (h[i].pipe[0] >= 0) {
			close(h[i].pipe[0]);
			close(h[i].pipe[1]);
		}
	}
}

/* ---- stage 2 checks --------------------------------------------------- */

static void check_truncate(int session)
{
	int fd = lu_retrieve(session, TOKEN_TRUNC), mfd = lu_retrieve(session, TOKEN_MANIFEST);
	char manifest[64] = "";
	long want = -1, off, bad = -1;
	struct stat st = { 0 };
	uint8_t *map = MAP_FAILED;

	if (mfd >= 0 && pread(mfd, manifest, sizeof(manifest) - 1, 0) > 0)
		want = atol(manifest);
	if (fd >= 0)
		fstat(fd, &st);
	result(fd >= 0 && want > 0 && st.st_size == want,
	       "truncate: the file comes back with its frozen size (%ld, want %ld)",
	       (long)st.st_size, want);
	if (fd >= 0 && st.st_size > 0)
		map = mmap(NULL, st.st_size, PROT_READ, MAP_SHARED, fd, 0);
	for (off = 0; map != MAP_FAILED && off < st.st_size && bad < 0; off++)
		if (map[off] != (off < TRUNC_DATA ? data_byte(off) : 0))
			bad = off;
	result(map != MAP_FAILED && bad < 0,
	       "truncate: its data, then zeros (first bad byte: %ld)", bad);
	if (map != MAP_FAILED)
		munmap(map, st.st_size);
}

static void check_writer(int session, int i)
{
	int fd = lu_retrieve(session, TOKEN_WRITE + i);
	uint64_t *map = MAP_FAILED, w, n = WRITE_SIZE / sizeof(uint64_t);
	uint64_t top = 0, bottom = 0, v, bad = ~0ULL, drops = 0;
	struct stat st = { 0 };

	if (fd >= 0)
		fstat(fd, &st);
	result(fd >= 0 && st.st_size == WRITE_SIZE, "writers: file %d comes back, %ld bytes",
	       i, (long)st.st_size);
	if (fd >= 0 && st.st_size == WRITE_SIZE)
		map = mmap(NULL, WRITE_SIZE, PROT_READ, MAP_SHARED, fd, 0);
	/*
	 * Each word is stamp(v, w) for some pass v >= 1; along the file the
	 * pass may drop once from v + 1 to v (where the writer was), never
	 * rise; a word never written (0) may only follow the last written.
	 */
	for (w = 0; map != MAP_FAILED && w < n && bad == ~0ULL; w++) {
		v = map[w] >> 32;
		if (!map[w]) {
			if (w == 0 || top > 1)
				bad = w;
			v = 0;
		} else if (map[w] != stamp(v, w)) {
			bad = w;
		}
		if (w == 0) {
			top = bottom = v;
		} else if (v != bottom) {
			if (v + 1 != bottom || ++drops > 1)
				bad = w;
			bottom = v;
		}
	}
	result(map != MAP_FAILED && bad == ~0ULL,
	       "writers: file %d holds only words its writer stored, in sweep order (passes %llu..%llu, first bad word %lld)",
	       i, (unsigned long long)bottom, (unsigned long long)top,
	       bad == ~0ULL ? -1LL : (long long)bad);
	if (map != MAP_FAILED)
		munmap(map, WRITE_SIZE);
}

static void check_held(int session, int i)
{
	int fd;
	struct stat st = { 0 };
	uint8_t *map = MAP_FAILED;
	long off, bad = -1;

	if (huge) {
		printf("ok %d held: file %d # SKIP HugeTLB pool pages need no migration\n",
		       ++test_nr, i);
		return;
	}
	fd = lu_retrieve(session, TOKEN_HELD + i);

	if (fd >= 0)
		fstat(fd, &st);
	if (st.st_size == HELD_SIZE)
		map = mmap(NULL, HELD_SIZE, PROT_READ, MAP_SHARED, fd, 0);
	for (off = 0; map != MAP_FAILED && off < HELD_SIZE && bad < 0; off++)
		if (map[off] != data_byte(off))
			bad = off;
	result(map != MAP_FAILED && bad < 0,
	       "held: file %d comes back, %ld bytes, with its data (first bad byte: %ld)",
	       i, (long)st.st_size, bad);
	if (map != MAP_FAILED)
		munmap(map, HELD_SIZE);
}

int main(int argc, char **argv)
{
	int stage, session, i, planned;

	if (argc < 2)
		return 2;
	stage = atoi(argv[1]);
	printf("KTAP version 1\n");
	lu = open("/dev/liveupdate", O_RDWR);
	if (lu < 0 || stage < 1 || stage > 2) {
		printf("1..1\nnot ok 1 open /dev/liveupdate (%s), stage %d of 2\n",
		       strerror(errno), stage);
		return 1;
	}
	if (cmdline_has("race_hugetlb")) {
		huge = 1;
		unit = 2L << 20;
	}
	planned = stage == 1 ? STAGE1_TESTS : STAGE2_TESTS;
	printf("1..%d\n", planned);
	fflush(stdout);
	if (stage == 1) {
		/*
		 * The writers must outlive this stage: a child does the work
		 * and reports its verdict through a pipe, then holds the
		 * sessions and lets its writer threads run until the kexec.
		 */
		int pfd[2];
		char verdict = 1;

		if (pipe(pfd))
			return 1;
		if (fork() > 0) {
			close(pfd[1]);
			if (read(pfd[0], &verdict, 1) != 1)
				printf("# the stage's child died before its verdict\n");
			return verdict;
		}
		close(pfd[0]);
		race_two();
		race_close();
		session = lu_session(lu, LIVEUPDATE_IOCTL_CREATE_SESSION, "race-keep");
		result(session >= 0, "create session race-keep");
		race_truncate(session);
		race_held(session);
		race_writers(session);
		result(1, "writers: left running in a holder process until the kexec");
		if (test_nr != planned) {
			printf("# BUG: %d results for a plan of %d\n", test_nr, planned);
			failures++;
		}
		fflush(stdout);
		verdict = failures ? 1 : 0;
		setsid();
		close(0);
		close(1);
		close(2);
		if (write(pfd[1], &verdict, 1) != 1)
			_exit(1);
		close(pfd[1]);
		for (;;)
			pause();
	} else {
		session = lu_session(lu, LIVEUPDATE_IOCTL_RETRIEVE_SESSION, "race-keep");
		result(session >= 0, "retrieve session race-keep (%s)",
		       session >= 0 ? "ok" : strerror(errno));
		check_truncate(session);
		for (i = 0; i < NR_WRITERS; i++)
			check_writer(session, i);
		for (i = 0; i < 2; i++)
			check_held(session, i);
		result(session >= 0 && !lu_finish(session), "finish session race-keep");
	}
	if (test_nr != planned) {
		printf("# BUG: %d results for a plan of %d\n", test_nr, planned);
		failures++;
	}
	return failures ? 1 : 0;
}
