// SPDX-License-Identifier: GPL-2.0
/*
 * shmem memfd live update: interop and behaviour stage program for
 * scripts/qemu-run.sh. Prints KTAP. Uses only raw ioctls from
 * <linux/liveupdate.h>.
 *
 * usage: interop STAGE NSTAGES
 *   STAGE < NSTAGES  preserve a set of memfds in session "shmem-N" (N=STAGE)
 *                    and hold it in a daemon child across the kexec;
 *   STAGE > 1        retrieve session "shmem-(N-1)", check contents, size,
 *                    position and seals of every file, finish, check the
 *                    files behave like ordinary memfds again, and check a
 *                    never-retrieved session gives its memory back.
 * So a chain A,B tests A -> B in both directions the runner is told, and a
 * chain of three re-preserves what it retrieved.
 *
 * One file is preserved without seals and gets F_SEAL_SHRINK, F_SEAL_GROW,
 * F_SEAL_FUTURE_WRITE and F_SEAL_SEAL in stage 1 after PRESERVE_FD
 * (F_SEAL_WRITE is refused then: EBUSY); those seals must come back. That
 * is decided by the kernel that froze the session of stage 1 (stock 7.3
 * records the seals at PRESERVE_FD only), so each session carries a stage
 * record, a small memfd saying which kernel that was ("stock" or "luo"):
 * the checks are a known stock bug when it says stock, whatever kernel
 * retrieves.
 *
 * Large folios: stage 1 creates its files with shmem THP forced, so each
 * non-empty one holds 2 MiB folios. The stage record also carries the
 * ShmemHugePages figure right before the files were preserved; the next
 * stage checks that retrieving them adds exactly that much (every 2 MiB
 * folio came back as one), and that it holds at least the 4 MiB file.
 *
 * The plan comes first (planned_tests()): every check prints its line on
 * every path; one that cannot run (its file was not retrieved) prints
 * "not ok ... # not run: ...", and a phase that stops early (no session)
 * ends the stage with one such line per planned check left.
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
#include <sys/stat.h>
#include <unistd.h>
#include <linux/falloc.h>
#include <linux/liveupdate.h>

#ifndef F_SEAL_FUTURE_WRITE
#define F_SEAL_FUTURE_WRITE 0x0010
#endif
#ifndef F_SEAL_EXEC
#define F_SEAL_EXEC 0x0020
#endif
#ifndef MFD_NOEXEC_SEAL
#define MFD_NOEXEC_SEAL 0x0008U
#endif

#define KIB 1024L
#define MIB (1024L * 1024L)
#define UNRETRIEVED_SIZE (32 * MIB)

#include "../common/stage.h"

static int planned;
/* Set when this stage runs on stock 7.3 (shmem_kernel=stock on the cmdline). */
static int on_stock;
/*
 * The kernel that froze the seals added after PRESERVE_FD (stage 1's):
 * "stock", "luo", or "unknown" if the stage record did not come back.
 */
static char late_kernel[16] = "unknown";
/* ShmemHugePages (kB) right before this stage preserved its files. */
static long thp_preserved = -1;
/* The same figure of the stage before, from its record (-1: none). */
static long thp_recorded = -1;
/* Why the stage stopped before the end of its plan. */
static char stopped[128];


/* A check that, if @stock, fails because of a stock 7.3 bug fixed in ours. */
static void vresult_stock_bug(int ok, int stock, const char *bug,
			      const char *fmt, va_list ap)
{
	printf("%sok %d ", ok || stock ? "" : "not ", ++test_nr);
	vprintf(fmt, ap);
	if (!ok && stock)
		printf(" # SKIP known stock 7.3 bug: %s", bug);
	printf("\n");
	if (!ok && !stock)
		failures++;
	fflush(stdout);
}

/* A check that fails on stock 7.3 because of a bug fixed in our kernel. */
static void __attribute__((format(printf, 3, 4)))
result_stock_bug(int ok, const char *bug, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vresult_stock_bug(ok, on_stock, bug, fmt, ap);
	va_end(ap);
}

/* Same, when the bug is in the kernel that froze stage 1's session. */
static void __attribute__((format(printf, 3, 4)))
result_late_stock_bug(int ok, const char *bug, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vresult_stock_bug(ok, !strcmp(late_kernel, "stock"), bug, fmt, ap);
	va_end(ap);
}

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

/*
 * What each preserved file must look like in the next kernel. @late: seals
 * added after PRESERVE_FD in stage 1 (not at make_file()); the next kernel
 * must have @seals | @late.
 */
struct spec {
	uint64_t token;
	const char *name;
	long size;
	long pos;
	int seals;
	int late;
};

enum { T_BASIC = 1, T_EMPTY, T_SEALED, T_FALLOC, T_THP, T_FUTURE, T_NOEXEC,
       T_LATE, NR_FILES = 8 };

/* Not a test file: says which kernel froze the late seals (see above). */
#define T_RECORD 100

#define LATE_SEALS (F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_FUTURE_WRITE | F_SEAL_SEAL)
#define LATE_BUG "seals added after PRESERVE_FD are dropped"

static const struct spec specs[NR_FILES] = {
	{ T_BASIC, "basic (holes, pos, grow/shrink seals)", 1 * MIB + 123, 4097,
	  F_SEAL_GROW | F_SEAL_SHRINK, 0 },
	{ T_EMPTY, "empty", 0, 0, 0, 0 },
	{ T_SEALED, "write-sealed", 8 * KIB, 100,
	  F_SEAL_WRITE | F_SEAL_GROW | F_SEAL_SHRINK | F_SEAL_SEAL, 0 },
	{ T_FALLOC, "fallocated, written after preserve", 64 * KIB, 0, 0, 0 },
	{ T_THP, "4 MiB, THP when available", 4 * MIB, 4 * MIB, 0, 0 },
	{ T_FUTURE, "future-write + exec seals", 4 * KIB, 7,
	  F_SEAL_FUTURE_WRITE | F_SEAL_EXEC, 0 },
	{ T_NOEXEC, "MFD_NOEXEC_SEAL only", 8 * KIB, 0, F_SEAL_EXEC, 0 },
	{ T_LATE, "seals added after preserve", 16 * KIB, 5000, 0, LATE_SEALS },
};

/*
 * Stock 7.3 re-creates the file executable (0777) and then adds F_SEAL_EXEC,
 * which on an executable memfd implies the write seals.
 */
#define STOCK_EXEC_SEALS (F_SEAL_WRITE | F_SEAL_GROW | F_SEAL_SHRINK | F_SEAL_FUTURE_WRITE)

static uint8_t pattern(uint64_t token, long off)
{
	return (uint8_t)((off * 31 + token * 7 + (off >> 12)) ^ 0x5a);
}

/* Expected byte at @off of file @s. */
static uint8_t expected(const struct spec *s, long off)
{
	switch (s->token) {
	case T_BASIC:
		return ((off >> 12) % 4 == 3) ? 0 : pattern(s->token, off);
	case T_FALLOC:
		return (off >= 8192 && off < 8292) ? pattern(s->token, off) : 0;
	default:
		return pattern(s->token, off);
	}
}

static int write_pattern(int fd, const struct spec *s, long from, long to)
{
	static uint8_t buf[64 * 1024];
	long off, n, i;

	for (off = from; off < to; off += n) {
		n = to - off < (long)sizeof(buf) ? to - off : (long)sizeof(buf);
		for (i = 0; i < n; i++)
			buf[i] = pattern(s->token, off + i);
		if (pwrite(fd, buf, n, off) != n)
			return -1;
	}
	return 0;
}

static int make_file(const struct spec *s)
{
	unsigned int flags = MFD_ALLOW_SEALING;
	long p;
	int fd;

	if (s->seals & F_SEAL_EXEC)
		flags |= MFD_NOEXEC_SEAL;
	fd = memfd_create(s->name, flags);
	if (fd < 0)
		return -1;
	switch (s->token) {
	case T_BASIC:
		if (ftruncate(fd, s->size))
			return -1;
		for (p = 0; p * 4096 < s->size; p++) {
			long end = (p + 1) * 4096 < s->size ? (p + 1) * 4096 : s->size;

			if (p % 4 != 3 && write_pattern(fd, s, p * 4096, end))
				return -1;
		}
		break;
	case T_EMPTY:
		break;
	case T_FALLOC:
		if (fallocate(fd, 0, 0, s->size))
			return -1;
		break;
	default:
		if (write_pattern(fd, s, 0, s->size))
			return -1;
		break;
	}
	if (lseek(fd, s->pos, SEEK_SET) != s->pos)
		return -1;
	/* NOEXEC_SEAL already added F_SEAL_EXEC. */
	if (s->seals && fcntl(fd, F_ADD_SEALS, s->seals & ~F_SEAL_EXEC))
		return -1;
	return fd;
}

/*
 * 1: as expected; 0: wrong (why says what); -1: only the stock exec-seal bug;
 * -2: only the stock late-seal bug (the seals added after PRESERVE_FD are
 * missing, exactly).
 */
static int check_file(int fd, const struct spec *s, char *why, size_t whylen)
{
	int exec_bug = 0, late_bug = 0, want = s->seals | s->late;
	static uint8_t buf[64 * 1024];
	struct stat st;
	long off, n, i, pos;
	int seals;
	uint8_t *map;

	if (fstat(fd, &st)) {
		snprintf(why, whylen, "fstat: %s", strerror(errno));
		return 0;
	}
	if (st.st_size != s->size) {
		snprintf(why, whylen, "size %ld, want %ld", (long)st.st_size, s->size);
		return 0;
	}
	pos = lseek(fd, 0, SEEK_CUR);
	if (pos != s->pos) {
		snprintf(why, whylen, "pos %ld, want %ld", pos, s->pos);
		return 0;
	}
	seals = fcntl(fd, F_GET_SEALS);
	if ((want & F_SEAL_EXEC) && seals == (want | STOCK_EXEC_SEALS) &&
	    seals != want) {
		exec_bug = 1;
		snprintf(why, whylen, "seals %#x, want %#x", seals, want);
	} else if (s->late && seals == s->seals) {
		late_bug = 1;
		snprintf(why, whylen, "seals %#x, want %#x", seals, want);
	} else if (seals != want) {
		snprintf(why, whylen, "seals %#x, want %#x", seals, want);
		return 0;
	}
	for (off = 0; off < s->size; off += n) {
		n = s->size - off < (long)sizeof(buf) ? s->size - off : (long)sizeof(buf);
		if (pread(fd, buf, n, off) != n) {
			snprintf(why, whylen, "pread at %ld: %s", off, strerror(errno));
			return 0;
		}
		for (i = 0; i < n; i++) {
			if (buf[i] != expected(s, off + i)) {
				snprintf(why, whylen, "byte %ld is %#x, want %#x",
					 off + i, buf[i], expected(s, off + i));
				return 0;
			}
		}
	}
	/* The same through a mapping. */
	if (s->size) {
		map = mmap(NULL, s->size, PROT_READ, MAP_SHARED, fd, 0);
		if (map == MAP_FAILED) {
			snprintf(why, whylen, "mmap: %s", strerror(errno));
			return 0;
		}
		for (off = 0; off < s->size; off += 997) {
			if (map[off] != expected(s, off)) {
				snprintf(why, whylen, "mapped byte %ld wrong", off);
				munmap(map, s->size);
				return 0;
			}
		}
		munmap(map, s->size);
	}
	return exec_bug ? -1 : late_bug ? -2 : 1;
}

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

static void set_thp(const char *mode)
{
	int fd = open("/sys/kernel/mm/transparent_hugepage/shmem_enabled", O_WRONLY);

	if (fd >= 0) {
		if (write(fd, mode, strlen(mode)) < 0)
			diag("could not set shmem THP %s: %s", mode, strerror(errno));
		close(fd);
	}
}

/* Behaviour of a preserved file before kexec (same on stock and ours). */
#define FROZEN_TESTS 5
static void frozen_behaviour(int session, int *fds)
{
	char buf[16] = "x";
	int fd = fds[T_FALLOC - 1];

	errno = 0;
	result(ftruncate(fd, 128 * KIB) < 0 && errno == EPERM,
	       "preserved file cannot grow (ftruncate: %s)", strerror(errno));
	errno = 0;
	result(fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0, 4096) < 0 &&
	       errno == EPERM, "preserved file cannot be hole-punched (%s)",
	       strerror(errno));
	errno = 0;
	result(pwrite(fd, buf, 1, 64 * KIB) < 0 && errno == EPERM,
	       "preserved file cannot be written past EOF (%s)", strerror(errno));
	errno = 0;
	result(preserve_fd(session, fds[T_EMPTY - 1], T_BASIC) < 0 && errno == EEXIST,
	       "a token cannot be reused in a session (%s)", strerror(errno));
	errno = 0;
	result(preserve_fd(session, fd, 99) < 0,
	       "a file cannot be preserved twice (%s)", strerror(errno));
}

/* Closing a session before kexec unpreserves: the file is ordinary again. */
#define ABORT_TESTS 2
static void abort_behaviour(int lu)
{
	int s = create_session(lu, "shmem-abort");
	int fd = memfd_create("abort", 0);
	char c = 'a';

	if (s < 0 || fd < 0 || ftruncate(fd, 64 * KIB) || pwrite(fd, &c, 1, 5) != 1) {
		result(0, "abort: preserve (setup: %s)", strerror(errno));
		not_run("no setup",
			"abort: after closing the session the file can change size and be punched");
		return;
	}
	result(!preserve_fd(s, fd, 1), "abort: preserve");
	close(s);
	result(!ftruncate(fd, 128 * KIB) && !fallocate(fd, FALLOC_FL_PUNCH_HOLE |
						      FALLOC_FL_KEEP_SIZE, 0, 4096),
	       "abort: after closing the session the file can change size and be punched");
	close(fd);
}

#include "../common/late_seals.h"

/* Results of seal_after_preserve(). */
static int late_tests(const struct spec *s)
{
	return late_tests_for(s->late);
}

/*
 * Stage 1, after PRESERVE_FD: F_SEAL_WRITE is refused (the preserved folios
 * are pinned: EBUSY, on stock too), the late seals are added one at a time.
 */
static void seal_after_preserve(int fd, const struct spec *s)
{
	late_seals_add(fd, s->name, s->late, s->seals | s->late);
}

/*
 * The stage record: which kernel froze the seals added after PRESERVE_FD,
 * and ShmemHugePages at preserve ("luo 16384").
 */
static void preserve_record(int session)
{
	char rec[64];
	ssize_t len = snprintf(rec, sizeof(rec), "%s %ld", late_kernel, thp_preserved);
	int fd = memfd_create("stage record", 0), ok;

	ok = fd >= 0 && pwrite(fd, rec, len, 0) == len &&
	     !preserve_fd(session, fd, T_RECORD);
	result(ok, "preserve the stage record (late seals frozen on %s, %ld kB in 2 MiB folios: %s)",
	       late_kernel, thp_preserved, ok ? "ok" : strerror(errno));
	if (fd >= 0)
		close(fd);
}

static void retrieve_record(int session)
{
	char buf[64] = "", kernel[sizeof(late_kernel)] = "";
	int fd = retrieve_fd(session, T_RECORD), ok;
	ssize_t n = fd >= 0 ? pread(fd, buf, sizeof(buf) - 1, 0) : -1;
	long thp = -1;

	if (n > 0)
		buf[n] = 0;
	ok = n > 0 && sscanf(buf, "%15s %ld", kernel, &thp) == 2 && thp >= 0 &&
	     (!strcmp(kernel, "stock") || !strcmp(kernel, "luo") ||
	      !strcmp(kernel, "unknown"));
	if (ok) {
		memcpy(late_kernel, kernel, sizeof(late_kernel));
		thp_recorded = thp;
	}
	result(ok, "retrieve the stage record: late seals frozen on %s",
	       ok ? late_kernel : fd < 0 ? strerror(errno) : "bad record");
	if (fd >= 0)
		close(fd);
}

static int stage_preserve(int lu, int stage, int *fds, int ret_session)
{
	char name[32];
	int session, un, ufd, i, ok;
	long shp0 = meminfo_kb("ShmemHugePages");

	snprintf(name, sizeof(name), "shmem-%d", stage);
	session = create_session(lu, name);
	result(session >= 0, "create session %s", name);
	if (session < 0) {
		snprintf(stopped, sizeof(stopped), "session %s not created", name);
		return -1;
	}

	if (stage == 1) {
		set_thp("force");
		for (i = 0; i < NR_FILES; i++) {
			fds[i] = make_file(&specs[i]);
			if (fds[i] < 0)
				break;
		}
		set_thp("never");
		result(i == NR_FILES, "create %d test memfds (%s)", NR_FILES,
		       i == NR_FILES ? "ok" : strerror(errno));
		if (i != NR_FILES) {
			snprintf(stopped, sizeof(stopped), "test memfds not created");
			return -1;
		}
		diag("ShmemHugePages before preserve: %ld kB (was %ld kB)",
		     meminfo_kb("ShmemHugePages"), shp0);
	}

	thp_preserved = meminfo_kb("ShmemHugePages");
	for (i = 0; i < NR_FILES; i++) {
		lseek(fds[i], specs[i].pos / 2, SEEK_SET);
		ok = !preserve_fd(session, fds[i], specs[i].token);
		result(ok, "preserve %s (%s)", specs[i].name, ok ? "ok" : strerror(errno));
	}
	/* The position at kexec counts, not the one at PRESERVE_FD. */
	for (i = 0; i < NR_FILES; i++)
		lseek(fds[i], specs[i].pos, SEEK_SET);
	preserve_record(session);

	if (stage == 1) {
		/* Written after preserve: must arrive, same physical pages. */
		const struct spec *s = &specs[T_FALLOC - 1];

		for (i = 0; i < NR_FILES; i++)
			if (specs[i].late)
				seal_after_preserve(fds[i], &specs[i]);
		result(!write_pattern(fds[T_FALLOC - 1], s, 8192, 8292),
		       "write into a preserved file after PRESERVE_FD");
		frozen_behaviour(session, fds);
		abort_behaviour(lu);
	}

	/* A session the next kernel finishes without retrieving. */
	snprintf(name, sizeof(name), "shmem-unretrieved-%d", stage);
	un = create_session(lu, name);
	ufd = memfd_create("unretrieved", 0);
	ok = un >= 0 && ufd >= 0 && !fallocate(ufd, 0, 0, UNRETRIEVED_SIZE) &&
	     !preserve_fd(un, ufd, 1);
	result(ok, "preserve a %ld MiB memfd in %s", UNRETRIEVED_SIZE / MIB, name);
	close(ufd);

	/* Hold the sessions across kexec in a daemon. */
	hold_sessions();
	close(session);
	close(un);
	if (ret_session >= 0)
		close(ret_session);
	return 0;
}

/* Last stage: split a restored THP by punching a hole into it. */
static void thp_punch(int fd)
{
	const struct spec *s = &specs[T_THP - 1];
	long hole = 1 * MIB + 4096, off;
	uint8_t buf[3 * 4096], *map;
	int ok = 1;

	if (fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, hole, 4096)) {
		result(0, "punch a hole into a retrieved 4 MiB file: %s", strerror(errno));
		return;
	}
	if (pread(fd, buf, sizeof(buf), hole - 4096) != sizeof(buf))
		ok = 0;
	for (off = 0; ok && off < (long)sizeof(buf); off++) {
		long at = hole - 4096 + off;
		uint8_t want = (at >= hole && at < hole + 4096) ? 0 : pattern(s->token, at);

		if (buf[off] != want)
			ok = 0;
	}
	map = mmap(NULL, s->size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED) {
		ok = 0;
	} else {
		map[hole + 10] = 0x77;
		map[3 * MIB] = 0x66;
		ok = ok && map[hole + 10] == 0x77 && map[2 * MIB + 5] == pattern(s->token, 2 * MIB + 5);
		munmap(map, s->size);
	}
	result(ok, "retrieved 4 MiB file: punch a hole (splits a THP), read, mmap and write");
}

static int stage_retrieve(int lu, int stage, int *fds, int *sessionp)
{
	char name[32], why[128];
	int session, un, i, ok, again;
	long before, after, thp;

	snprintf(name, sizeof(name), "shmem-%d", stage - 1);
	session = retrieve_session(lu, name);
	result(session >= 0, "retrieve session %s (%s)", name,
	       session >= 0 ? "ok" : strerror(errno));
	if (session < 0) {
		snprintf(stopped, sizeof(stopped), "session %s not retrieved", name);
		return -1;
	}
	retrieve_record(session);

	thp = meminfo_kb("ShmemHugePages");
	for (i = 0; i < NR_FILES; i++) {
		fds[i] = retrieve_fd(session, specs[i].token);
		if (fds[i] < 0) {
			result(0, "retrieve %s: %s", specs[i].name, strerror(errno));
			if (specs[i].seals & F_SEAL_EXEC)
				not_run("not retrieved",
					"retrieved exec-sealed (MFD_NOEXEC_SEAL) file is not executable");
			if (specs[i].late & F_SEAL_FUTURE_WRITE)
				not_run("not retrieved",
					"retrieved %s: writable shared mmap is EPERM",
					specs[i].name);
			continue;
		}
		why[0] = 0;
		ok = check_file(fds[i], &specs[i], why, sizeof(why));
		if (ok == -1)
			result_stock_bug(0, "exec-sealed memfd comes back write-sealed",
					 "retrieve %s: contents, size, pos, seals: %s",
					 specs[i].name, why);
		else if (ok == -2)
			result_late_stock_bug(0, LATE_BUG,
					      "retrieve %s: contents, size, pos, seals: %s",
					      specs[i].name, why);
		else
			result(ok, "retrieve %s: contents, size, pos, seals%s%s",
			       specs[i].name, ok ? "" : ": ", why);
		if (specs[i].seals & F_SEAL_EXEC) {
			struct stat st;

			fstat(fds[i], &st);
			result_stock_bug(!(st.st_mode & 0111),
					 "exec-sealed memfd comes back with mode 0777",
					 "retrieved exec-sealed (MFD_NOEXEC_SEAL) file is not executable (mode %#o)",
					 (unsigned int)st.st_mode & 0777);
		}
		if (specs[i].late & F_SEAL_FUTURE_WRITE) {
			void *map;

			errno = 0;
			map = mmap(NULL, specs[i].size, PROT_WRITE, MAP_SHARED,
				   fds[i], 0);
			result_late_stock_bug(map == MAP_FAILED && errno == EPERM,
					      LATE_BUG,
					      "retrieved %s: writable shared mmap is EPERM (%s)",
					      specs[i].name,
					      map == MAP_FAILED ? strerror(errno) : "mapped");
			if (map != MAP_FAILED)
				munmap(map, specs[i].size);
		}
	}
	thp = meminfo_kb("ShmemHugePages") - thp;
	result(thp_recorded >= 4096 && thp == thp_recorded,
	       "retrieved files are in 2 MiB folios as preserved: %ld kB (%ld kB at preserve, at least the 4 MiB file)",
	       thp, thp_recorded);
	errno = 0;
	result(retrieve_fd(session, 4242) < 0 && errno == ENOENT,
	       "unknown token is ENOENT (%s)", strerror(errno));
	again = retrieve_fd(session, T_BASIC);
	result(again >= 0, "a token can be retrieved again");
	if (again >= 0)
		close(again);

	result(!finish_session(session), "finish session %s", name);

	/* Ordinary memfd again: unsealed file can change size and be punched. */
	if (fds[T_FALLOC - 1] >= 0) {
		int fd = fds[T_FALLOC - 1];

		ok = !ftruncate(fd, 128 * KIB) &&
		     !fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
				64 * KIB, 4096) &&
		     !ftruncate(fd, 64 * KIB);
		result(ok, "retrieved file grows, shrinks and is punched after finish (%s)",
		       ok ? "ok" : strerror(errno));
	} else {
		not_run("not retrieved",
			"retrieved file grows, shrinks and is punched after finish");
	}
	if (fds[T_BASIC - 1] >= 0) {
		errno = 0;
		result(ftruncate(fds[T_BASIC - 1], 2 * MIB) < 0 && errno == EPERM,
		       "retrieved F_SEAL_GROW is enforced");
	} else {
		not_run("not retrieved", "retrieved F_SEAL_GROW is enforced");
	}
	if (fds[T_NOEXEC - 1] >= 0) {
		uint8_t c = pattern(T_NOEXEC, 5);

		errno = 0;
		ok = pwrite(fds[T_NOEXEC - 1], &c, 1, 5) == 1;
		result_stock_bug(ok, "MFD_NOEXEC_SEAL memfd comes back read-only",
				 "retrieved MFD_NOEXEC_SEAL file is still writable (%s)",
				 ok ? "ok" : strerror(errno));
	} else {
		not_run("not retrieved", "retrieved MFD_NOEXEC_SEAL file is still writable");
	}
	if (fds[T_SEALED - 1] >= 0) {
		char c = 0;

		errno = 0;
		result(pwrite(fds[T_SEALED - 1], &c, 1, 0) < 0 && errno == EPERM,
		       "retrieved F_SEAL_WRITE is enforced");
	} else {
		not_run("not retrieved", "retrieved F_SEAL_WRITE is enforced");
	}

	/* Finish without retrieve gives the memory back. */
	snprintf(name, sizeof(name), "shmem-unretrieved-%d", stage - 1);
	un = retrieve_session(lu, name);
	/* Preserved memory joins MemTotal when it is given back. */
	before = meminfo_kb("MemTotal");
	ok = un >= 0 && !finish_session(un);
	after = meminfo_kb("MemTotal");
	result(ok, "finish %s without retrieving", name);
	diag("MemTotal %ld kB -> %ld kB after finishing %s", before, after, name);
	result(after - before >= UNRETRIEVED_SIZE / KIB,
	       "finish without retrieve gives back the %ld MiB (%ld kB)",
	       UNRETRIEVED_SIZE / MIB, after - before);
	if (un >= 0)
		close(un);
	*sessionp = session;
	return 0;
}

/* Debug kernels: no leak reported in our code (kmemleak scan on demand). */
#define KMEMLEAK "/sys/kernel/debug/kmemleak"
#define KMEMLEAK_TEST "kmemleak reports nothing in memfd_luo/luo_memfd_common/KHO"

/* Whether this kernel has kmemleak: the check is then part of the plan. */
static int kmemleak_present(void)
{
	int fd = open(KMEMLEAK, O_RDWR);

	if (fd < 0)
		return 0;
	close(fd);
	return 1;
}

static void kmemleak_check(void)
{
	static char buf[1 << 16];
	int fd = open(KMEMLEAK, O_RDWR);
	long n, total = 0;
	int ours = 0;
	char why[96];

	/* Present when the plan was made: a scan that cannot run is a SKIP. */
	if (fd < 0) {
		snprintf(why, sizeof(why), "open %s: %s", KMEMLEAK, strerror(errno));
		skip(why, KMEMLEAK_TEST);
		return;
	}
	/*
	 * kmemleak reports an object only from its second scan and once it
	 * is 5 s old: scan, wait, scan again.
	 */
	for (int pass = 0; pass < 2; pass++) {
		if (pass)
			sleep(6);
		if (write(fd, "scan", 4) != 4) {
			snprintf(why, sizeof(why), "kmemleak scan: %s", strerror(errno));
			skip(why, KMEMLEAK_TEST);
			close(fd);
			return;
		}
	}
	lseek(fd, 0, SEEK_SET);
	while ((n = read(fd, buf, sizeof(buf) - 1)) > 0) {
		buf[n] = 0;
		total += n;
		if (strstr(buf, "luo_memfd") || strstr(buf, "memfd_luo") ||
		    strstr(buf, "kho_") || strstr(buf, "lmc_"))
			ours = 1;
	}
	close(fd);
	diag("kmemleak report: %ld bytes", total);
	result(!ours, KMEMLEAK_TEST);
}

/*
 * The number of results of this stage, from the same conditions as main():
 * every check below prints one line on every path (see not_run()).
 */
static int planned_tests(int stage, int nstages, int kmemleak)
{
	int n = 0, i;

	if (stage > 1) {
		/*
		 * stage_retrieve(): the session; each file, exec-sealed ones
		 * twice; unknown token, retrieve again, finish; four checks
		 * after finish; the unretrieved session and its memory.
		 */
		n += 1 + NR_FILES + 3 + 4 + 2;
		for (i = 0; i < NR_FILES; i++) {
			if (specs[i].seals & F_SEAL_EXEC)
				n++;
			if (specs[i].late & F_SEAL_FUTURE_WRITE)
				n++; /* the late seals enforced on mmap */
		}
		n++; /* retrieve_record() */
		n++; /* the retrieved files' 2 MiB folios */
		if (stage == nstages)
			n++; /* thp_punch() */
	}
	if (stage == nstages && kmemleak)
		n++;
	if (stage < nstages) {
		/*
		 * stage_preserve(): the session, each file, the stage record,
		 * the unretrieved one.
		 */
		n += 1 + NR_FILES + 1 + 1;
		/*
		 * Stage 1: files made, seals added after preserve, written
		 * after preserve, frozen, abort.
		 */
		if (stage == 1) {
			n += 1 + 1 + FROZEN_TESTS + ABORT_TESTS;
			for (i = 0; i < NR_FILES; i++)
				n += late_tests(&specs[i]);
		}
	}
	return n;
}

int main(int argc, char **argv)
{
	int stage, nstages, lu, fds[NR_FILES], session = -1, kmemleak;

	if (argc < 3) {
		fprintf(stderr, "usage: %s STAGE NSTAGES\n", argv[0]);
		return 2;
	}
	stage = atoi(argv[1]);
	nstages = atoi(argv[2]);
	on_stock = cmdline_has("shmem_kernel=stock");
	/* Stage 1 adds the late seals; later stages learn from the record. */
	if (stage == 1)
		snprintf(late_kernel, sizeof(late_kernel), "%s",
			 on_stock ? "stock" : "luo");
	printf("KTAP version 1\n");

	lu = open("/dev/liveupdate", O_RDWR);
	if (lu < 0) {
		printf("1..1\nnot ok 1 open /dev/liveupdate: %s\n", strerror(errno));
		return 1;
	}
	kmemleak = stage == nstages && kmemleak_present();
	planned = planned_tests(stage, nstages, kmemleak);
	printf("1..%d%s\n", planned, planned ? "" : " # SKIP nothing to check in a chain of one");
	fflush(stdout);
	if (stage > 1 && stage_retrieve(lu, stage, fds, &session))
		goto out;
	if (stage > 1 && stage == nstages) {
		if (fds[T_THP - 1] >= 0)
			thp_punch(fds[T_THP - 1]);
		else
			not_run("not retrieved",
				"retrieved 4 MiB file: punch a hole (splits a THP), read, mmap and write");
	}
	if (kmemleak)
		kmemleak_check();
	if (stage < nstages)
		stage_preserve(lu, stage, fds, session);
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
