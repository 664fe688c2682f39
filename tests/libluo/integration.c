// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * libluo integration test: a stage program for scripts/qemu-run.sh, run as
 * "/stage STAGE NSTAGES" in a QEMU guest, printing KTAP on stdout.
 *
 * Stage 1 exercises every libluo function against the real /dev/liveupdate,
 * error paths included, and leaves sessions with known contents behind:
 * one process creates a session and hands it (and the device) to a second
 * process over a Unix socket (SCM_RIGHTS), which holds it across the kexec;
 * a third, detached process holds the others. Stage 2 retrieves every
 * session, verifies every byte and property, checks the incoming-session
 * error paths and finishes. A stage 3, if there is one, checks that nothing
 * was handed over twice.
 *
 * A kernel that refuses HugeTLB memfds (stock 7.3: ENOENT at PRESERVE_FD)
 * gets a SKIP for the HugeTLB tests, unless the command line says
 * libluo.expect_hugetlb=1, which makes it a failure.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "libluo.h"

#ifndef F_SEAL_EXEC
#define F_SEAL_EXEC 0x0020 /* Linux uAPI; glibc 2.36 lacks it */
#endif

#define S_MAIN "itest-main"
#define S_EMPTY "itest-empty"
#define S_UNFIN "itest-unfinished"
#define S_CLOSE "itest-close"
#define S_HANDOFF "itest-handoff"
#define S_CHILD "itest-child"
#define S_HUGE "itest-hugetlb"
#define S_STATE "itest-state"
/* 63 bytes: the longest name the kernel takes. */
#define S_LONG "itest-LLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLL"

#define T_BIG 1
#define T_EMPTY 2
#define T_SPARSE 3
#define T_MAX UINT64_MAX
#define T_LONG 7
#define T_HUGE 9
#define T_NOEXEC 13
#define T_HANDOFF 42
#define T_CHILD 43

#define BIG_SIZE ((UINT64_C(4) << 20) + 123)
#define BIG_POS 12345
#define BIG_SEALS (F_SEAL_GROW | F_SEAL_SHRINK | F_SEAL_WRITE)
#define SPARSE_SIZE (UINT64_C(1) << 20)
#define SPARSE_DATA_OFF (UINT64_C(512) << 10)
#define SMALL_SIZE 5000
#define MAX_TOKEN_SIZE 100
#define HUGE_SIZE (UINT64_C(4) << 20)
#define HANDOFF_SIZE (UINT64_C(64) << 10)

/*
 * Results of stage1() and stage2(): every check prints one line on every
 * path (a failure, a SKIP, or "not run" when the stage cannot go on), so
 * these are exact; check_plan() reports a count that drifted.
 */
#define STAGE1_TESTS 61
#define STAGE2_TESTS 38
#define HANDOFF_TESTS 8 /* stage1_handoff(), part of STAGE1_TESTS */

static int test_no, failures;


_Static_assert(sizeof(S_LONG) == LUO_SESSION_NAME_MAX, "S_LONG must have 63 bytes");

/* ------------------------------------------------------------ KTAP output */

static void __attribute__((format(printf, 2, 3))) result(bool ok, const char *fmt, ...)
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

static void __attribute__((format(printf, 2, 3))) skip(const char *why, const char *fmt, ...)
{
	va_list ap;

	printf("ok %d ", ++test_no);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf(" # SKIP %s\n", why);
	fflush(stdout);
}

static void __attribute__((format(printf, 1, 2))) diag(const char *fmt, ...)
{
	va_list ap;

	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

/* start_luod(): uses diag() above. */
#include "../common/luod_start.h"

/* N planned tests that cannot run: one failure line each. */
static void not_run(int n, const char *why, const char *what)
{
	int i;

	for (i = 1; i <= n; i++) {
		printf("not ok %d %s (%d of %d) # not run: %s\n", ++test_no, what, i, n, why);
		failures++;
	}
	fflush(stdout);
}

/* The plan printed up front must match the tests that ran. */
static void check_plan(int planned)
{
	if (test_no != planned) {
		diag("ran %d tests but planned %d", test_no, planned);
		failures++;
	}
}

/* Check that RET equals WANT; on mismatch say what came instead. */
static bool expect_ret(int ret, int want, const char *what)
{
	bool ok = ret == want;

	if (!ok)
		diag("%s: got %d (%s), want %d", what, ret,
		     ret < 0 ? strerror(-ret) : "no error", want);
	result(ok, "%s", what);
	return ok;
}

/* ------------------------------------------------------------ data */

static uint64_t mix(uint64_t token, uint64_t index)
{
	uint64_t z = token * UINT64_C(0x9e3779b97f4a7c15) + index + 0x5bd1e995;

	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

static unsigned char pat(uint64_t token, uint64_t off)
{
	return (unsigned char)(mix(token, off / 8) >> (8 * (off % 8)));
}

/* Fill [off, off + len) of FD with the pattern of TOKEN. */
static int fill(int fd, uint64_t token, uint64_t off, uint64_t len)
{
	unsigned char *p;
	uint64_t i;

	if (!len)
		return 0;
	p = mmap(NULL, off + len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		return -errno;
	for (i = off; i < off + len; i++)
		p[i] = pat(token, i);
	munmap(p, off + len);
	return 0;
}

/* Whether [off, off + len) of FD holds TOKEN's pattern (token 0: zeros). */
static bool verify(int fd, uint64_t token, uint64_t off, uint64_t len)
{
	unsigned char *p;
	uint64_t i;
	bool ok = true;

	if (!len)
		return true;
	p = mmap(NULL, off + len, PROT_READ, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		diag("mmap: %s", strerror(errno));
		return false;
	}
	for (i = off; i < off + len; i++) {
		if (p[i] != (token ? pat(token, i) : 0)) {
			diag("byte %" PRIu64 " is 0x%02x, want 0x%02x", i, p[i],
			     token ? pat(token, i) : 0);
			ok = false;
			break;
		}
	}
	munmap(p, off + len);
	return ok;
}

/* A shmem memfd of SIZE bytes holding TOKEN's pattern. */
static int make_memfd(uint64_t token, uint64_t size)
{
	LUO_OPTS(luo_memfd_opts, o, .size = size);
	int fd = luo_memfd_create("itest", &o), err;

	if (fd < 0)
		return fd;
	err = fill(fd, token, 0, size);
	if (err) {
		close(fd);
		return err;
	}
	return fd;
}

static bool same_file(int a, int b)
{
	struct stat sa, sb;

	return fstat(a, &sa) == 0 && fstat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
	       sa.st_ino == sb.st_ino;
}

static bool cmdline_has(const char *word)
{
	char buf[4096];
	ssize_t n;
	int fd = open("/proc/cmdline", O_RDONLY);

	if (fd < 0)
		return false;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	return strstr(buf, word) != NULL;
}

/* Put the process in the background until the kexec. */
static void __attribute__((noreturn)) hold_forever(void)
{
	int null = open("/dev/null", O_RDWR);

	setsid();
	if (null >= 0) {
		dup2(null, 0);
		dup2(null, 1);
		dup2(null, 2);
		if (null > 2)
			close(null);
	}
	for (;;)
		pause();
}

/* ============================================================ stage 1 */

/*
 * The receiving side of the hand-off: gets the device and a session over
 * SOCK, checks the session, creates its own session through the received
 * device, reports one status byte per check and holds everything.
 */
static void __attribute__((noreturn)) handoff_child(int sock)
{
	char name[LUO_SESSION_NAME_MAX], st[4] = { 'n', 'n', 'n', 'n' };
	int fds[2] = { -1, -1 }, n, sess, mfd, fd;

	/* Start clean: whatever the child has, it got over the socket. */
	for (fd = 3; fd < 1024; fd++)
		if (fd != sock)
			close(fd);
	n = luo_recv_fds(sock, fds, 2);
	if (n == 2) {
		st[0] = 'y';
		if (luo_session_get_name(fds[1], name, sizeof(name)) == 0 &&
		    !strcmp(name, S_HANDOFF))
			st[1] = 'y';
		sess = luo_session_create(fds[0], S_CHILD);
		mfd = make_memfd(T_CHILD, SMALL_SIZE);
		if (sess >= 0 && mfd >= 0) {
			st[2] = 'y';
			if (luo_session_preserve_fd(sess, mfd, T_CHILD) == 0)
				st[3] = 'y';
		}
		if (mfd >= 0)
			close(mfd);
		close(fds[0]); /* the device is not needed any more */
	}
	if (write(sock, st, sizeof(st)) != (ssize_t)sizeof(st))
		_exit(1);
	close(sock);
	hold_forever(); /* with the handed-off session and S_CHILD */
}

static int stage1_handoff(int dev)
{
	char st[4] = { 0 };
	int sp[2], sess, mfd, fds[2], ret;
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sp) < 0) {
		result(false, "hand-off: socketpair: %s", strerror(errno));
		not_run(HANDOFF_TESTS - 1, "no socketpair", "hand-off");
		return -1;
	}
	fflush(stdout);
	pid = fork();
	if (pid < 0) {
		result(false, "hand-off: fork: %s", strerror(errno));
		not_run(HANDOFF_TESTS - 1, "no child", "hand-off");
		close(sp[0]);
		close(sp[1]);
		return -1;
	}
	if (pid == 0) {
		close(sp[0]);
		handoff_child(sp[1]);
	}
	close(sp[1]);

	sess = luo_session_create(dev, S_HANDOFF);
	expect_ret(sess < 0 ? sess : 0, 0, "hand-off: parent creates " S_HANDOFF);
	mfd = make_memfd(T_HANDOFF, HANDOFF_SIZE);
	ret = sess >= 0 && mfd >= 0 ? luo_session_preserve_fd(sess, mfd, T_HANDOFF) : -EBADF;
	expect_ret(ret, 0, "hand-off: parent preserves a memfd in it");
	if (mfd >= 0)
		close(mfd);

	fds[0] = dev;
	fds[1] = sess;
	ret = sess >= 0 ? luo_send_fds(sp[0], fds, 2) : sess;
	expect_ret(ret, 0, "hand-off: luo_send_fds(device, session)");
	/* Nothing more to send: a child still waiting gets EOF, not a hang. */
	shutdown(sp[0], SHUT_WR);
	if (sess >= 0)
		close(sess); /* the child is the only holder from now on */

	ret = (int)read(sp[0], st, sizeof(st));
	close(sp[0]);
	result(ret == 4 && st[0] == 'y', "hand-off: child luo_recv_fds() got 2 descriptors");
	result(ret == 4 && st[1] == 'y', "hand-off: child reads the session name");
	result(ret == 4 && st[2] == 'y',
	       "hand-off: child creates " S_CHILD " through the received device");
	result(ret == 4 && st[3] == 'y', "hand-off: child preserves a memfd in " S_CHILD);
	/* The session outlives the parent's descriptor: the name is taken. */
	ret = luo_session_create(dev, S_HANDOFF);
	expect_ret(ret, -EEXIST, "hand-off: session alive with the child as only holder");
	if (ret >= 0)
		close(ret);
	return 0;
}

/* A 2 MiB HugeTLB memfd, allocating the pool if it is empty. */
static int make_huge_memfd(void)
{
	LUO_OPTS(luo_memfd_opts, o, .size = HUGE_SIZE, .hugetlb_page_size = LUO_HUGETLB_2M,
		 .prefault = LUO_PREFAULT_FALLOCATE);
	int fd, err, nr;

	/* sysfs first: a kernel without CONFIG_PROC_SYSCTL has no /proc/sys. */
	nr = open("/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages", O_RDWR);
	if (nr < 0)
		nr = open("/proc/sys/vm/nr_hugepages", O_RDWR);
	if (nr >= 0) {
		char buf[32] = { 0 };

		if (read(nr, buf, sizeof(buf) - 1) > 0 && atoi(buf) < 8 &&
		    write(nr, "8\n", 2) != 2)
			diag("could not raise nr_hugepages: %s", strerror(errno));
		close(nr);
	}
	fd = luo_memfd_create("itest-huge", &o);
	if (fd < 0)
		return fd;
	err = fill(fd, T_HUGE, 0, HUGE_SIZE);
	if (err) {
		close(fd);
		return err;
	}
	return fd;
}

/*
 * The 2 MiB HugeTLB pool this boot starts with, from the command line the
 * suites give (tests/suites): 32 pages on libluo-luo, none on libluo-stock.
 */
static long boot_pool_2m(void)
{
	if (cmdline_has("hugepagesz=2M"))
		return cmdline_has("hugepages=32") ? 32 : -1;
	return cmdline_has("hugepages=") ? -1 : 0;
}

/*
 * What libluo 1.1 added, on the real kernel: luo_version(), the _opts calls,
 * MFD_NOEXEC_SEAL, page sizes as log2, and luo_memfd_probe(). Runs before
 * any HugeTLB page is taken, so the pool is still the boot's. Preserves one
 * memfd in S_MAIN under T_NOEXEC for stage 2.
 */
static void stage1_v11(int dev, int s_main, bool expect_huge)
{
	LUO_OPTS(luo_fd_opts, nocloexec, .flags = LUO_FD_NOCLOEXEC);
	LUO_OPTS(luo_memfd_opts, mo, .size = SMALL_SIZE, .flags = LUO_MEMFD_NOEXEC_SEAL);
	LUO_OPTS(luo_memfd_opts, huge, .hugetlb_page_shift = 21, .size = HUGE_SIZE);
	struct luo_memfd_probe_result r = { .sz = sizeof(r) };
	long pool = boot_pool_2m();
	struct stat st;
	int s, fd, seals, ret;
	uint64_t want;

	ret = luo_version();
	result(ret == LIBLUO_VERSION, "luo_version() is %d.%d.%d, the header's", ret >> 16,
	       (ret >> 8) & 0xff, ret & 0xff);

	s = luo_session_create_opts(dev, "itest-opts", &nocloexec);
	result(s >= 0 && !(fcntl(s, F_GETFD) & FD_CLOEXEC),
	       "luo_session_create_opts(LUO_FD_NOCLOEXEC) gives an inheritable session");
	if (s >= 0)
		close(s);

	fd = luo_memfd_create("itest-noexec", &mo);
	seals = fd >= 0 ? fcntl(fd, F_GET_SEALS) : -1;
	result(fd >= 0 && fstat(fd, &st) == 0 && !(st.st_mode & 0111) && seals >= 0 &&
		       (seals & F_SEAL_EXEC),
	       "LUO_MEMFD_NOEXEC_SEAL: F_SEAL_EXEC set, no execute bit");
	ret = fd < 0 ? fd : fill(fd, T_NOEXEC, 0, SMALL_SIZE);
	expect_ret(ret ? ret : luo_session_preserve_fd(s_main, fd, T_NOEXEC), 0,
		   "preserve the MFD_NOEXEC_SEAL memfd");
	if (fd >= 0)
		close(fd);

	want = LUO_MEMFD_PROBE_CREATED | LUO_MEMFD_PROBE_PRESERVE_TRIED |
	       LUO_MEMFD_PROBE_PRESERVED;
	ret = luo_memfd_probe(dev, NULL, &r);
	result(ret == 0 && r.flags == want && r.page_size == 4096 && r.pages_needed == 0,
	       "luo_memfd_probe(shmem): preservable");
	if (ret == 0 && r.flags != want)
		diag("probe flags 0x%" PRIx64 " preserve_err %d", r.flags, r.preserve_err);

	/* HugeTLB: the kernel's answer and the boot's pool of 2 MiB pages. */
	r.sz = sizeof(r);
	ret = luo_memfd_probe(dev, &huge, &r);
	if (expect_huge)
		result(ret == 0 && (r.flags & LUO_MEMFD_PROBE_PRESERVED),
		       "luo_memfd_probe(2 MiB HugeTLB) on a kernel that preserves them");
	else
		result(ret == 0 && (r.flags & LUO_MEMFD_PROBE_CREATED) &&
			       (r.flags & LUO_MEMFD_PROBE_PRESERVE_TRIED) &&
			       !(r.flags & LUO_MEMFD_PROBE_PRESERVED) && r.preserve_err == -ENOENT,
		       "luo_memfd_probe(2 MiB HugeTLB) on stock 7.3: not preservable (ENOENT)");
	if (ret == 0)
		diag("HugeTLB probe: flags 0x%" PRIx64 " create %d preserve %d pool %d free %" PRIu64,
		     r.flags, r.create_err, r.preserve_err, r.pool_err, r.pages_free);
	if (pool < 0)
		skip("boot pool not known from the command line",
		     "luo_memfd_probe() counts the boot's 2 MiB pool");
	else
		result(ret == 0 && (r.flags & LUO_MEMFD_PROBE_POOL_KNOWN) && r.pages_needed == 2 &&
			       r.pages_free == (uint64_t)pool &&
			       !!(r.flags & LUO_MEMFD_PROBE_POOL_FITS) == (pool >= 2),
		       "luo_memfd_probe() counts the boot's 2 MiB pool (%ld pages, 2 needed)", pool);
}

static int stage1(void)
{
	struct luo_probe_result pr = { .sz = sizeof(pr) };
	LUO_OPTS(luo_probe_opts, po, .flags = LUO_PROBE_TRY_OPEN);
	LUO_OPTS(luo_memfd_opts, mo);
	struct luo_memfd_info info = { .sz = sizeof(info) };
	int dev, dev2, s_main, s_long, s_empty, s_unfin, s_close, s_huge = -1, s_state, s_tmp;
	int fd_big, fd_empty, fd_sparse, fd_max, fd_long, fd_small, fd_huge, fd_tmp, ret;
	char name[LUO_SESSION_NAME_MAX], longname[80], buf[64];
	bool huge_preserved = false, expect_huge = cmdline_has("libluo.expect_hugetlb=1");
	int p[2];

	printf("KTAP version 1\n1..%d\n", STAGE1_TESTS);
	fflush(stdout);

	/* --- availability and boot detection (device not open yet) --- */
	expect_ret(luo_is_available(NULL), 1, "luo_is_available() on a liveupdate=on boot");
	ret = luo_probe(&po, &pr);
	result(ret == 0 && (pr.flags & LUO_PROBE_DEVICE_NODE) &&
		       (pr.flags & LUO_PROBE_DEVICE_OPENED) &&
		       (pr.flags & LUO_PROBE_CMDLINE_LIVEUPDATE_ON) &&
		       (pr.flags & LUO_PROBE_KHO_DEBUGFS) && !(pr.flags & LUO_PROBE_KHO_IN),
	       "luo_probe(): device node, trial open, liveupdate=on, KHO debugfs, no kho/in");
	if (ret == 0)
		diag("probe flags 0x%" PRIx64, pr.flags);
	expect_ret(luo_is_live_update_boot(NULL), 0, "luo_is_live_update_boot() is 0 on a cold boot");

	/* --- device --- */
	dev = luo_device_open(NULL);
	result(dev >= 0, "luo_device_open()");
	if (dev < 0) {
		diag("cannot continue: %s", luo_strerror(dev));
		not_run(STAGE1_TESTS - test_no, "no device", "stage 1");
		return 1;
	}
	result(fcntl(dev, F_GETFD) & FD_CLOEXEC, "device descriptor is close-on-exec");
	dev2 = luo_device_open(NULL);
	expect_ret(dev2, -EBUSY, "second luo_device_open() fails with EBUSY");
	if (dev2 >= 0)
		close(dev2);
	expect_ret(luo_is_available(&po), 1, "luo_is_available(TRY_OPEN) while held: busy counts as available");
	pr.sz = sizeof(pr);
	result(luo_probe(&po, &pr) == 0 && (pr.flags & LUO_PROBE_DEVICE_BUSY) &&
		       pr.open_err == -EBUSY,
	       "luo_probe(TRY_OPEN) while held reports LUO_PROBE_DEVICE_BUSY");
	expect_ret(luo_session_retrieve(dev, S_MAIN), -ENOENT,
		   "luo_session_retrieve() on a cold boot fails with ENOENT");

	/* --- sessions --- */
	s_main = luo_session_create(dev, S_MAIN);
	result(s_main >= 0, "luo_session_create(" S_MAIN ")");
	result(s_main >= 0 && (fcntl(s_main, F_GETFD) & FD_CLOEXEC),
	       "session descriptor is close-on-exec");
	ret = luo_session_create(dev, S_MAIN);
	expect_ret(ret, -EEXIST, "duplicate session name fails with EEXIST");
	if (ret >= 0)
		close(ret);
	memset(longname, 'x', 64);
	longname[64] = '\0';
	expect_ret(luo_session_create(dev, longname), -ENAMETOOLONG,
		   "64-byte session name fails with ENAMETOOLONG");
	expect_ret(luo_session_create(dev, ""), -EINVAL, "empty session name fails with EINVAL");
	s_long = luo_session_create(dev, S_LONG);
	result(s_long >= 0, "63-byte session name is accepted");
	ret = luo_session_get_name(s_long, name, sizeof(name));
	result(ret == 0 && !strcmp(name, S_LONG), "luo_session_get_name() returns all 63 bytes");
	expect_ret(luo_session_get_name(s_long, name, 63), -ERANGE,
		   "luo_session_get_name() into 63 bytes fails with ERANGE");
	ret = luo_session_get_name(s_main, name, sizeof(name));
	result(ret == 0 && !strcmp(name, S_MAIN), "luo_session_get_name(" S_MAIN ")");
	expect_ret(luo_session_create(s_main, "x"), -EINVAL,
		   "CREATE_SESSION on a session descriptor fails with EINVAL");
	expect_ret(luo_session_get_name(dev, name, sizeof(name)), -EINVAL,
		   "GET_NAME on the device fails with EINVAL");
	expect_ret(luo_session_finish(s_main), -EINVAL,
		   "luo_session_finish() on an outgoing session fails with EINVAL");
	expect_ret(luo_session_retrieve_fd(s_main, T_BIG), -EINVAL,
		   "luo_session_retrieve_fd() on an outgoing session fails with EINVAL");

	/* --- memfds and preservation --- */
	fd_big = make_memfd(T_BIG, BIG_SIZE);
	result(fd_big >= 0, "luo_memfd_create() + fill %" PRIu64 " bytes", BIG_SIZE);
	ret = fd_big >= 0 && lseek(fd_big, BIG_POS, SEEK_SET) == BIG_POS &&
	      fcntl(fd_big, F_ADD_SEALS, BIG_SEALS) == 0;
	result(ret, "set position %d and seals 0x%x", BIG_POS, BIG_SEALS);
	expect_ret(luo_session_preserve_fd(s_main, fd_big, T_BIG), 0,
		   "luo_session_preserve_fd(shmem memfd)");
	expect_ret(luo_session_preserve_fd(s_main, fd_big, T_BIG), -EEXIST,
		   "duplicate token fails with EEXIST");
	expect_ret(luo_session_preserve_fd(s_main, fd_big, 77), -EBUSY,
		   "the same file under another token fails with EBUSY");
	expect_ret(luo_session_preserve_fd(s_long, fd_big, 77), -EBUSY,
		   "the same file in another session fails with EBUSY");
	info.sz = sizeof(info);
	ret = luo_memfd_info(fd_big, &info);
	result(ret == 0 && info.size == BIG_SIZE && info.pos == BIG_POS &&
		       info.seals == BIG_SEALS && !info.hugetlb,
	       "luo_memfd_info() of the preserved memfd");
	errno = 0;
	result(ftruncate(fd_big, 4096) < 0 && errno == EPERM,
	       "a preserved memfd cannot change size (EPERM)");

	fd_empty = luo_memfd_create("itest-empty", NULL);
	expect_ret(fd_empty < 0 ? fd_empty : luo_session_preserve_fd(s_main, fd_empty, T_EMPTY),
		   0, "preserve an empty memfd");

	mo.size = SPARSE_SIZE;
	fd_sparse = luo_memfd_create("itest-sparse", &mo);
	ret = fd_sparse < 0 ? fd_sparse : fill(fd_sparse, T_SPARSE, SPARSE_DATA_OFF, 4096);
	expect_ret(ret ? ret : luo_session_preserve_fd(s_main, fd_sparse, T_SPARSE), 0,
		   "preserve a sparse memfd (one page written)");

	mo.size = MAX_TOKEN_SIZE;
	mo.prefault = LUO_PREFAULT_TOUCH;
	fd_max = luo_memfd_create("itest-max", &mo);
	ret = fd_max < 0 ? fd_max : fill(fd_max, 0x5a5a, 0, MAX_TOKEN_SIZE);
	expect_ret(ret ? ret : luo_session_preserve_fd(s_main, fd_max, T_MAX), 0,
		   "preserve under token UINT64_MAX (memfd pre-faulted by touch)");

	fd_long = make_memfd(T_LONG, SMALL_SIZE);
	expect_ret(fd_long < 0 ? fd_long : luo_session_preserve_fd(s_long, fd_long, T_LONG), 0,
		   "preserve in the 63-byte-name session");

	ret = pipe(p);
	expect_ret(ret < 0 ? -errno : luo_session_preserve_fd(s_main, p[0], 100), -ENOENT,
		   "preserving a pipe fails with ENOENT (no handler)");
	if (ret == 0) {
		close(p[0]);
		close(p[1]);
	}
	expect_ret(luo_session_preserve_fd(dev, fd_long, 101), -EINVAL,
		   "PRESERVE_FD on the device fails with EINVAL");

	/* Closing a session unpreserves its files: the file can go elsewhere. */
	s_tmp = luo_session_create(dev, "itest-tmp");
	fd_tmp = make_memfd(5, SMALL_SIZE);
	ret = s_tmp >= 0 && fd_tmp >= 0 ? luo_session_preserve_fd(s_tmp, fd_tmp, 5) : -EBADF;
	expect_ret(ret, 0, "preserve in a temporary session");
	if (s_tmp >= 0)
		close(s_tmp);
	expect_ret(luo_session_preserve_fd(s_long, fd_tmp, 5), 0,
		   "after closing the session its file is free to preserve again");
	s_tmp = luo_session_create(dev, "itest-tmp");
	expect_ret(s_tmp < 0 ? s_tmp : 0, 0, "the closed session's name is free again");
	if (s_tmp >= 0)
		close(s_tmp);
	errno = 0;
	result(fd_tmp >= 0 && ftruncate(fd_tmp, 8192) < 0 && errno == EPERM,
	       "...while preserved again it is frozen again");
	if (fd_tmp >= 0)
		close(fd_tmp);

	s_empty = luo_session_create(dev, S_EMPTY);
	result(s_empty >= 0, "create a session without files");
	s_unfin = luo_session_create(dev, S_UNFIN);
	fd_small = make_memfd(11, SMALL_SIZE);
	ret = s_unfin >= 0 && fd_small >= 0 ? luo_session_preserve_fd(s_unfin, fd_small, 1) : -EBADF;
	expect_ret(ret, 0, "preserve in " S_UNFIN);
	if (fd_small >= 0)
		close(fd_small);
	s_close = luo_session_create(dev, S_CLOSE);
	fd_small = make_memfd(12, SMALL_SIZE);
	ret = s_close >= 0 && fd_small >= 0 ? luo_session_preserve_fd(s_close, fd_small, 1) : -EBADF;
	expect_ret(ret, 0, "preserve in " S_CLOSE);
	if (fd_small >= 0)
		close(fd_small);

	/* --- libluo 1.1, before any HugeTLB page is taken --- */
	stage1_v11(dev, s_main, expect_huge);

	/* --- HugeTLB --- */
	fd_huge = make_huge_memfd();
	if (fd_huge < 0) {
		if (expect_huge)
			result(false, "create a 2 MiB HugeTLB memfd: %s", strerror(-fd_huge));
		else {
			diag("HugeTLB memfd: %s", strerror(-fd_huge));
			skip("no 2 MiB HugeTLB pages", "create a 2 MiB HugeTLB memfd");
		}
		skip("no HugeTLB memfd", "preserve a 2 MiB HugeTLB memfd");
	} else {
		result(true, "create a 2 MiB HugeTLB memfd (fallocate pre-fault)");
		s_huge = luo_session_create(dev, S_HUGE);
		ret = s_huge >= 0 ? luo_session_preserve_fd(s_huge, fd_huge, T_HUGE) : s_huge;
		if (ret == -ENOENT && !expect_huge) {
			skip("kernel without HugeTLB live update (ENOENT)",
			     "preserve a 2 MiB HugeTLB memfd");
		} else {
			huge_preserved = expect_ret(ret, 0, "preserve a 2 MiB HugeTLB memfd");
		}
		if (!huge_preserved && s_huge >= 0) {
			close(s_huge);
			s_huge = -1;
		}
		close(fd_huge);
	}

	/* What stage 2 should expect, in its own session. */
	s_state = luo_session_create(dev, S_STATE);
	mo.size = 0;
	mo.prefault = 0;
	fd_tmp = luo_memfd_create("itest-state", &mo);
	snprintf(buf, sizeof(buf), "hugetlb=%d\n", huge_preserved);
	ret = s_state >= 0 && fd_tmp >= 0 &&
			      write(fd_tmp, buf, strlen(buf)) == (ssize_t)strlen(buf)
		      ? luo_session_preserve_fd(s_state, fd_tmp, 0)
		      : -EIO;
	expect_ret(ret, 0, "preserve the state record in " S_STATE);

	/* --- SCM_RIGHTS hand-off to a second process --- */
	stage1_handoff(dev);

	/* Everything is preserved: the kernel holds the files. */
	close(fd_big);
	close(fd_empty);
	close(fd_sparse);
	close(fd_max);
	close(fd_long);
	close(fd_tmp);

	/* A detached holder keeps the sessions open until the kexec. */
	fflush(stdout);
	if (fork() == 0)
		hold_forever();
	check_plan(STAGE1_TESTS);
	diag("stage 1: %d failure(s); sessions held by a detached child", failures);
	close(dev);
	return failures ? 1 : 0;
}

/* ------------------------------------------------ client mode (luod) */

#define S_CLIENT "itest-client"
#define S_RELEASED "itest-released"
#define T_CLIENT 7

/*
 * Start /bin/luod and wait until it answers (tests/common/luod_start.h): 0,
 * or -1 if there is no /bin/luod. A luod that never answers is 0: the cases
 * that use it fail.
 */
static int client_luod(void)
{
	if (access("/bin/luod", X_OK))
		return -1;
	start_luod();
	return 0;
}

/*
 * With the device closed, luod takes it; the same libluo calls then create
 * a session through luod (luo_connect()), which holds it across the kexec.
 */
static void client_mode_create(void)
{
	int conn, sess, sess2, fd, dev, ret;

	if (client_luod() < 0) {
		skip("no /bin/luod in this initramfs", "client mode: create through luod");
		skip("no /bin/luod in this initramfs", "client mode: the device is luod's");
		skip("no /bin/luod in this initramfs", "client mode: luo_release() on a non-socket");
		skip("no /bin/luod in this initramfs", "client mode: a released session dies with its holder");
		return;
	}
	conn = luo_connect(NULL);
	sess = conn < 0 ? conn : luo_session_create(conn, S_CLIENT);
	fd = make_memfd(T_CLIENT, SMALL_SIZE);
	expect_ret(sess >= 0 && fd >= 0 ? luo_session_preserve_fd(sess, fd, T_CLIENT) : -EBADF, 0,
		   "client mode: luo_session_create() on a luo_connect() connection, then preserve");
	dev = luo_device_open(NULL);
	expect_ret(dev, -EBUSY, "client mode: the device is luod's");
	expect_ret(luo_release(fd, S_RELEASED), -ENOTSOCK,
		   "client mode: luo_release() on a memfd gets ENOTSOCK");
	if (fd >= 0)
		close(fd);

	/*
	 * Released: the session lives only as long as this process's
	 * descriptor; closing it ends the session, so the name is free again
	 * and nothing is handed over (client_mode_retrieve()).
	 */
	sess2 = conn < 0 ? conn : luo_session_create(conn, S_RELEASED);
	fd = make_memfd(T_CLIENT, SMALL_SIZE);
	ret = sess2 >= 0 && fd >= 0 ? luo_session_preserve_fd(sess2, fd, T_CLIENT) : -EBADF;
	ret = ret ? ret : luo_release(conn, S_RELEASED);
	if (sess2 >= 0)
		close(sess2);
	if (fd >= 0)
		close(fd);
	sess2 = ret ? ret : luo_session_create(conn, S_RELEASED);
	expect_ret(sess2 >= 0 ? 0 : sess2, 0,
		   "client mode: luo_release(), then the last descriptor closed: the session is gone");
	if (sess2 >= 0) {
		luo_release(conn, S_RELEASED);
		close(sess2);
	}
	if (sess >= 0)
		close(sess); /* luod holds it */
	if (conn >= 0)
		close(conn);
}

/* The next kernel: luod again, and the session comes back through it. */
static void client_mode_retrieve(void)
{
	struct luo_memfd_info info = { .sz = sizeof(info) };
	int conn, sess, fd;

	if (client_luod() < 0) {
		skip("no /bin/luod in this initramfs", "client mode: retrieve through luod");
		skip("no /bin/luod in this initramfs", "client mode: a released session is not handed over");
		return;
	}
	conn = luo_connect(NULL);
	sess = conn < 0 ? conn : luo_session_retrieve(conn, S_CLIENT);
	fd = sess < 0 ? sess : luo_session_retrieve_fd(sess, T_CLIENT);
	result(fd >= 0 && luo_memfd_info(fd, &info) == 0 && info.size == SMALL_SIZE &&
		       verify(fd, T_CLIENT, 0, SMALL_SIZE),
	       "client mode: luo_session_retrieve() through luod gives the file back (%d)", fd);
	expect_ret(conn < 0 ? conn : luo_session_retrieve(conn, S_RELEASED), -ENOENT,
		   "client mode: a released session whose holder closed it is not handed over");
}

/* ============================================================ stage 2 */

/* Retrieve TOKEN from SESS and check size, position, seals and contents. */
static int check_file(int sess, uint64_t token, uint64_t pattern, uint64_t size, int64_t pos,
		      unsigned int seals, const char *what)
{
	struct luo_memfd_info info = { .sz = sizeof(info) };
	int fd = luo_session_retrieve_fd(sess, token), ret;
	bool ok;

	if (fd < 0) {
		expect_ret(fd, 0, what);
		return fd;
	}
	ret = luo_memfd_info(fd, &info);
	ok = ret == 0 && info.size == size && info.pos == pos && info.seals == seals;
	if (!ok)
		diag("info: ret %d size %" PRIu64 " pos %" PRId64 " seals 0x%x", ret, info.size,
		     info.pos, info.seals);
	ok = ok && verify(fd, pattern, 0, size);
	result(ok, "%s", what);
	return fd;
}

static int stage2(void)
{
	struct luo_probe_result pr = { .sz = sizeof(pr) };
	struct luo_memfd_info info = { .sz = sizeof(info) };
	int dev, dev2, s_main, s_long, s_empty, s_unfin, s_close, s_huge, s_state, s_hand;
	int s_child, fd, fd2, ret;
	char name[LUO_SESSION_NAME_MAX], buf[64] = { 0 };
	bool huge_preserved = false;

	printf("KTAP version 1\n1..%d\n", STAGE2_TESTS);
	fflush(stdout);

	expect_ret(luo_is_live_update_boot(NULL), 1, "luo_is_live_update_boot() after the kexec");
	result(luo_probe(NULL, &pr) == 0 && (pr.flags & LUO_PROBE_KHO_IN) &&
		       (pr.flags & LUO_PROBE_KHO_IN_LUO),
	       "luo_probe() sees kho/in and the incoming LUO tree");
	dev = luo_device_open(NULL);
	result(dev >= 0, "luo_device_open() in the new kernel");
	if (dev < 0) {
		diag("cannot continue: %s", luo_strerror(dev));
		not_run(STAGE2_TESTS - test_no, "no device", "stage 2");
		return 1;
	}
	dev2 = luo_device_open(NULL);
	expect_ret(dev2, -EBUSY, "second luo_device_open() fails with EBUSY");
	if (dev2 >= 0)
		close(dev2);

	/* State record first: did stage 1 preserve a HugeTLB memfd? */
	s_state = luo_session_retrieve(dev, S_STATE);
	fd = s_state >= 0 ? luo_session_retrieve_fd(s_state, 0) : s_state;
	ret = fd >= 0 ? (int)pread(fd, buf, sizeof(buf) - 1, 0) : fd;
	result(ret > 0 && !strncmp(buf, "hugetlb=", 8), "retrieve the state record");
	huge_preserved = ret > 0 && buf[8] == '1';
	if (fd >= 0)
		close(fd);

	/* --- the main session --- */
	s_main = luo_session_retrieve(dev, S_MAIN);
	result(s_main >= 0, "luo_session_retrieve(" S_MAIN ")");
	if (s_main < 0) {
		diag("cannot continue: %s", luo_strerror(s_main));
		not_run(STAGE2_TESTS - test_no, "no session " S_MAIN, "stage 2");
		return 1;
	}
	expect_ret(luo_session_retrieve(dev, S_MAIN), -EINVAL,
		   "retrieving a session twice fails with EINVAL");
	ret = luo_session_get_name(s_main, name, sizeof(name));
	result(ret == 0 && !strcmp(name, S_MAIN), "luo_session_get_name() of a retrieved session");
	expect_ret(luo_session_retrieve(dev, "itest-no-such-session"), -ENOENT,
		   "unknown session name fails with ENOENT");
	fd = check_file(s_main, T_BIG, T_BIG, BIG_SIZE, BIG_POS, BIG_SEALS,
			"token 1: size, position, seals and every byte survived");
	fd2 = luo_session_retrieve_fd(s_main, T_BIG);
	result(fd >= 0 && fd2 >= 0 && same_file(fd, fd2),
	       "retrieving a token twice returns the same file");
	if (fd2 >= 0)
		close(fd2);
	if (fd >= 0)
		close(fd);
	fd = check_file(s_main, T_EMPTY, 0, 0, 0, 0, "token 2: the empty memfd");
	/* A retrieved memfd is a fresh file: not frozen any more. */
	result(fd >= 0 && ftruncate(fd, 8192) == 0, "a retrieved memfd can change size");
	if (fd >= 0)
		close(fd);
	fd = luo_session_retrieve_fd(s_main, T_SPARSE);
	result(fd >= 0 && luo_memfd_info(fd, &info) == 0 && info.size == SPARSE_SIZE &&
		       verify(fd, 0, 0, SPARSE_DATA_OFF) &&
		       verify(fd, T_SPARSE, SPARSE_DATA_OFF, 4096) &&
		       verify(fd, 0, SPARSE_DATA_OFF + 4096,
			      SPARSE_SIZE - SPARSE_DATA_OFF - 4096),
	       "token 3: the sparse memfd, holes read as zero");
	if (fd >= 0)
		close(fd);
	fd = check_file(s_main, T_MAX, 0x5a5a, MAX_TOKEN_SIZE, 0, 0, "token UINT64_MAX");
	if (fd >= 0)
		close(fd);
	{
		LUO_OPTS(luo_fd_opts, nocloexec, .flags = LUO_FD_NOCLOEXEC);

		fd = luo_session_retrieve_fd_opts(s_main, T_NOEXEC, &nocloexec);
		ret = fd >= 0 ? fcntl(fd, F_GET_SEALS) : fd;
		result(fd >= 0 && !(fcntl(fd, F_GETFD) & FD_CLOEXEC) && ret >= 0 &&
			       (ret & F_SEAL_EXEC) && verify(fd, T_NOEXEC, 0, SMALL_SIZE),
		       "MFD_NOEXEC_SEAL memfd: F_SEAL_EXEC and data survived, retrieved inheritable");
		if (fd >= 0)
			close(fd);
	}
	expect_ret(luo_session_retrieve_fd(s_main, 12345), -ENOENT,
		   "unknown token fails with ENOENT");
	fd = luo_memfd_create("x", NULL);
	expect_ret(luo_session_preserve_fd(s_main, fd, 500), -EINVAL,
		   "PRESERVE_FD on a retrieved session fails with EINVAL");
	if (fd >= 0)
		close(fd);
	expect_ret(luo_session_finish(s_main), 0, "luo_session_finish(" S_MAIN ")");
	expect_ret(luo_session_finish(s_main), 0, "finishing twice succeeds");
	expect_ret(luo_session_retrieve_fd(s_main, T_BIG), -ENOENT,
		   "after finish, RETRIEVE_FD fails with ENOENT");
	/* Only outgoing sessions clash: the incoming name is free to reuse. */
	ret = luo_session_create(dev, S_MAIN);
	result(ret >= 0, "a new outgoing session may reuse an incoming name");
	if (ret >= 0)
		close(ret);
	close(s_main);

	/* --- the other sessions --- */
	s_long = luo_session_retrieve(dev, S_LONG);
	fd = s_long >= 0 ? check_file(s_long, T_LONG, T_LONG, SMALL_SIZE, 0, 0,
				      "63-byte-name session and its file")
			 : (expect_ret(s_long, 0, "63-byte-name session and its file"), -1);
	if (fd >= 0)
		close(fd);
	fd = s_long >= 0 ? check_file(s_long, 5, 5, SMALL_SIZE, 0, 0,
				      "a file preserved again after its first session closed")
			 : (expect_ret(s_long, 0, "re-preserved file"), -1);
	if (fd >= 0)
		close(fd);
	expect_ret(luo_session_retrieve(dev, "itest-tmp"), -ENOENT,
		   "a session closed before the kexec is gone (ENOENT)");

	s_empty = luo_session_retrieve(dev, S_EMPTY);
	result(s_empty >= 0 && luo_session_finish(s_empty) == 0,
	       "a session without files is retrieved and finished");
	if (s_empty >= 0)
		close(s_empty);

	s_unfin = luo_session_retrieve(dev, S_UNFIN);
	result(s_unfin >= 0 && luo_session_finish(s_unfin) == 0 &&
		       luo_session_retrieve_fd(s_unfin, 1) == -ENOENT,
	       "finish without retrieving discards the file (then ENOENT)");
	if (s_unfin >= 0)
		close(s_unfin);

	s_close = luo_session_retrieve(dev, S_CLOSE);
	result(s_close >= 0, "retrieve " S_CLOSE);
	if (s_close >= 0)
		close(s_close); /* closing finishes it implicitly */
	expect_ret(luo_session_retrieve(dev, S_CLOSE), -ENOENT,
		   "a retrieved session closed without finish is gone (ENOENT)");

	/* --- the SCM_RIGHTS hand-off --- */
	s_hand = luo_session_retrieve(dev, S_HANDOFF);
	fd = s_hand >= 0 ? check_file(s_hand, T_HANDOFF, T_HANDOFF, HANDOFF_SIZE, 0, 0,
				      "session held only by the hand-off child survived")
			 : (expect_ret(s_hand, 0, "session held only by the hand-off child"), -1);
	if (fd >= 0)
		close(fd);
	s_child = luo_session_retrieve(dev, S_CHILD);
	fd = s_child >= 0 ? check_file(s_child, T_CHILD, T_CHILD, SMALL_SIZE, 0, 0,
				       "session created through the handed-off device survived")
			  : (expect_ret(s_child, 0, "session created by the child"), -1);
	if (fd >= 0)
		close(fd);
	expect_ret(s_hand >= 0 ? luo_session_finish(s_hand) : s_hand, 0,
		   "finish the handed-off session");
	if (s_hand >= 0)
		close(s_hand);
	if (s_child >= 0) {
		luo_session_finish(s_child);
		close(s_child);
	}

	/* --- HugeTLB --- */
	if (!huge_preserved) {
		skip("not preserved in stage 1", "HugeTLB memfd survived");
	} else {
		s_huge = luo_session_retrieve(dev, S_HUGE);
		fd = s_huge >= 0 ? luo_session_retrieve_fd(s_huge, T_HUGE) : s_huge;
		info.sz = sizeof(info);
		result(fd >= 0 && luo_memfd_info(fd, &info) == 0 && info.hugetlb &&
			       info.page_size == LUO_HUGETLB_2M && info.size == HUGE_SIZE &&
			       verify(fd, T_HUGE, 0, HUGE_SIZE),
		       "HugeTLB memfd survived: 2 MiB pages, size and every byte");
		if (fd >= 0)
			close(fd);
		if (s_huge >= 0) {
			luo_session_finish(s_huge);
			close(s_huge);
		}
	}
	if (s_state >= 0) {
		luo_session_finish(s_state);
		close(s_state);
	}

	/* --- outgoing again in the new kernel --- */
	ret = luo_session_create(dev, "itest-stage2");
	fd = make_memfd(99, SMALL_SIZE);
	expect_ret(ret >= 0 && fd >= 0 ? luo_session_preserve_fd(ret, fd, 99) : -EBADF, 0,
		   "create and preserve again after a live update");
	if (ret >= 0)
		close(ret);
	if (fd >= 0)
		close(fd);
	close(dev);
	client_mode_create();
	check_plan(STAGE2_TESTS);
	diag("stage 2: %d failure(s)", failures);
	return failures ? 1 : 0;
}

/* ============================================================ stage 3+ */

static int stage_later(int stage)
{
	static const char *names[] = { S_MAIN, S_LONG, S_EMPTY, S_UNFIN, S_CLOSE,
				       S_HANDOFF, S_CHILD, S_HUGE, S_STATE, "itest-stage2" };
	size_t i;
	int dev;

	printf("KTAP version 1\n1..%zu\n", 4 + sizeof(names) / sizeof(names[0]));
	expect_ret(luo_is_live_update_boot(NULL), 1, "still a live-update boot");
	dev = luo_device_open(NULL);
	result(dev >= 0, "luo_device_open() in stage %d", stage);
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		char what[128];

		snprintf(what, sizeof(what), "%s was not handed over again (ENOENT)", names[i]);
		expect_ret(dev >= 0 ? luo_session_retrieve(dev, names[i]) : dev, -ENOENT, what);
	}
	if (dev >= 0)
		close(dev);
	client_mode_retrieve();
	return failures ? 1 : 0;
}

int main(int argc, char **argv)
{
	int stage = argc > 1 ? atoi(argv[1]) : 1;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (stage <= 1)
		return stage1();
	if (stage == 2)
		return stage2();
	return stage_later(stage);
}
