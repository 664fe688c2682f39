// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * luo_memfd_create() and luo_memfd_info().
 *
 * Constants from the Linux uAPI (first principles): MFD_CLOEXEC 0x1,
 * MFD_ALLOW_SEALING 0x2, MFD_HUGETLB 0x4, the page size's log2 in bits 26+
 * (2 MiB: 21 << 26 = 0x54000000, 1 GiB: 30 << 26 = 0x78000000),
 * PROT_READ|PROT_WRITE 3, MAP_SHARED 1, MADV_POPULATE_WRITE 23,
 * F_ADD_SEALS 1033, F_GET_SEALS 1034, F_SEAL_SEAL 0x1, F_SEAL_SHRINK 0x2,
 * F_SEAL_GROW 0x4, F_SEAL_WRITE 0x8, F_SEAL_FUTURE_WRITE 0x10,
 * F_SEAL_EXEC 0x20, HUGETLBFS_MAGIC 0x958458f6.
 */
#include "wrap.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "libluo.h"

#define MIB (UINT64_C(1) << 20)
#define GIB (UINT64_C(1) << 30)
#define FLAGS_DEFAULT 0x3U /* MFD_CLOEXEC | MFD_ALLOW_SEALING */
#define FLAGS_2M 0x54000007U
#define FLAGS_1G 0x78000007U
#define ADD_SEALS 1033
#define GET_SEALS 1034
#define SEAL_SEAL 0x1U
#define SEAL_SHRINK 0x2U
#define SEAL_GROW 0x4U
#define SEAL_WRITE 0x8U

static void expect_memfd(const char *name, unsigned int flags, int ret)
{
	wrap_mocked |= W_MEMFD;
	expect_string(__wrap_memfd_create, name, name);
	expect_value(__wrap_memfd_create, flags, flags);
	will_return(__wrap_memfd_create, ret);
}

static void expect_ftruncate(int fd, uint64_t len, int ret)
{
	wrap_mocked |= W_FTRUNCATE;
	expect_value(__wrap_ftruncate, fd, fd);
	expect_value(__wrap_ftruncate, len, len);
	will_return(__wrap_ftruncate, ret);
}

static void expect_fallocate(int fd, uint64_t len, int ret)
{
	wrap_mocked |= W_FALLOCATE;
	expect_value(__wrap_fallocate, fd, fd);
	expect_value(__wrap_fallocate, mode, 0);
	expect_value(__wrap_fallocate, off, 0);
	expect_value(__wrap_fallocate, len, len);
	will_return(__wrap_fallocate, ret);
}

static void expect_close(int fd)
{
	wrap_mocked |= W_CLOSE;
	expect_value(__wrap_close, fd, fd);
}

static void expect_add_seals(int fd, unsigned int seals, int ret)
{
	wrap_mocked |= W_FCNTL;
	expect_value(__wrap_fcntl, fd, fd);
	expect_value(__wrap_fcntl, cmd, ADD_SEALS);
	expect_value(__wrap_fcntl, arg, seals);
	will_return(__wrap_fcntl, ret);
}

static void expect_mmap(void *ret, uint64_t len, int fd, int err)
{
	wrap_mocked |= W_MMAP;
	expect_value(__wrap_mmap, addr, NULL);
	expect_value(__wrap_mmap, len, len);
	expect_value(__wrap_mmap, prot, 3);
	expect_value(__wrap_mmap, flags, 1);
	expect_value(__wrap_mmap, fd, fd);
	expect_value(__wrap_mmap, off, 0);
	will_return(__wrap_mmap, ret);
	if (ret == MAP_FAILED)
		will_return(__wrap_mmap, err);
}

static void expect_madvise(void *addr, uint64_t len, int ret)
{
	wrap_mocked |= W_MADVISE;
	expect_value(__wrap_madvise, addr, addr);
	expect_value(__wrap_madvise, len, len);
	expect_value(__wrap_madvise, advice, 23);
	will_return(__wrap_madvise, ret);
}

static void expect_munmap(void *addr, uint64_t len)
{
	wrap_mocked |= W_MUNMAP;
	expect_value(__wrap_munmap, addr, addr);
	expect_value(__wrap_munmap, len, len);
}

/* Mock every call luo_memfd_create() might make, so none goes unseen. */
static void mock_all(void)
{
	wrap_mocked |= W_MEMFD | W_FTRUNCATE | W_FALLOCATE | W_MMAP | W_MUNMAP |
		       W_MADVISE | W_FCNTL | W_CLOSE;
}

/* ---- argument validation: no system call at all ---- */

static void create_null_name(void **state)
{
	(void)state;
	mock_all();
	assert_int_equal(luo_memfd_create(NULL, NULL), -EINVAL);
}

static void create_name_lengths(void **state)
{
	char name[251];

	(void)state;
	memset(name, 'n', 250);
	name[250] = '\0';
	mock_all();
	assert_int_equal(luo_memfd_create(name, NULL), -ENAMETOOLONG);
	name[249] = '\0'; /* 249 bytes: the longest memfd_create() takes */
	expect_memfd(name, FLAGS_DEFAULT, 5);
	assert_int_equal(luo_memfd_create(name, NULL), 5);
	expect_memfd("", FLAGS_DEFAULT, 6);
	assert_int_equal(luo_memfd_create("", NULL), 6);
}

static void create_bad_page_sizes(void **state)
{
	/* Not a power of two, or not above the 4 KiB base page. */
	static const uint64_t bad[] = { 4096, 2048, 1, 2 * MIB + 1, 3 * MIB,
					GIB + 4096, UINT64_MAX };
	LUO_OPTS(luo_memfd_opts, o);
	size_t i;

	(void)state;
	mock_all();
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		o.hugetlb_page_size = bad[i];
		assert_int_equal(luo_memfd_create("x", &o), -EINVAL);
	}
}

static void create_hugetlb_unaligned_size(void **state)
{
	LUO_OPTS(luo_memfd_opts, o, .hugetlb_page_size = 2 * MIB, .size = 3 * MIB);

	(void)state;
	mock_all();
	assert_int_equal(luo_memfd_create("x", &o), -EINVAL);
	o.hugetlb_page_size = GIB;
	o.size = 2 * MIB;
	assert_int_equal(luo_memfd_create("x", &o), -EINVAL);
}

static void create_bad_seals_flags_prefault(void **state)
{
	LUO_OPTS(luo_memfd_opts, o);

	(void)state;
	mock_all();
	o.seals = 0x40;
	assert_int_equal(luo_memfd_create("x", &o), -EINVAL);
	o.seals = 0x80000000U;
	assert_int_equal(luo_memfd_create("x", &o), -EINVAL);
	o.seals = 0;
	o.flags = 4; /* 1: NOCLOEXEC, 2: NOEXEC_SEAL */
	assert_int_equal(luo_memfd_create("x", &o), -EINVAL);
	o.flags = 0;
	o.prefault = 3;
	assert_int_equal(luo_memfd_create("x", &o), -EINVAL);
}

static void create_size_too_big(void **state)
{
	LUO_OPTS(luo_memfd_opts, o, .size = UINT64_C(1) << 63);

	(void)state;
	mock_all();
	assert_int_equal(luo_memfd_create("x", &o), -EFBIG);
	o.size = UINT64_MAX;
	assert_int_equal(luo_memfd_create("x", &o), -EFBIG);
}

static void create_bad_opts_size(void **state)
{
	struct {
		struct luo_memfd_opts o;
		char future[8];
	} n;

	(void)state;
	mock_all();
	memset(&n, 0, sizeof(n));
	assert_int_equal(luo_memfd_create("x", &n.o), -EINVAL); /* sz 0 */
	n.o.sz = sizeof(n);
	n.future[7] = 1;
	assert_int_equal(luo_memfd_create("x", &n.o), -E2BIG);
	n.future[7] = 0;
	expect_memfd("x", FLAGS_DEFAULT, 3);
	assert_int_equal(luo_memfd_create("x", &n.o), 3);
}

static void create_older_smaller_opts(void **state)
{
	struct luo_memfd_opts o;

	(void)state;
	/* An older caller knew only sz and size: the rest (garbage here) must
	 * read as zero: shmem, no seals, no prefault, close-on-exec. */
	memset(&o, 0xff, sizeof(o));
	o.sz = sizeof(size_t) + sizeof(uint64_t);
	o.size = 4096;
	mock_all();
	expect_memfd("old", FLAGS_DEFAULT, 5);
	expect_ftruncate(5, 4096, 0);
	assert_int_equal(luo_memfd_create("old", &o), 5);
	assert_string_equal(wrap_log, "memfd_create ftruncate");
}

/* ---- call sequences ---- */

static void create_defaults(void **state)
{
	(void)state;
	mock_all();
	expect_memfd("guest", FLAGS_DEFAULT, 5);
	assert_int_equal(luo_memfd_create("guest", NULL), 5);
	assert_string_equal(wrap_log, "memfd_create");
}

static void create_with_size(void **state)
{
	LUO_OPTS(luo_memfd_opts, o, .size = 3 * 4096 + 1);

	(void)state;
	mock_all();
	expect_memfd("m", FLAGS_DEFAULT, 5);
	expect_ftruncate(5, 3 * 4096 + 1, 0);
	assert_int_equal(luo_memfd_create("m", &o), 5);
	assert_string_equal(wrap_log, "memfd_create ftruncate");
}

static void create_nocloexec(void **state)
{
	LUO_OPTS(luo_memfd_opts, o, .flags = LUO_MEMFD_NOCLOEXEC);

	(void)state;
	mock_all();
	expect_memfd("m", 0x2, 5);
	assert_int_equal(luo_memfd_create("m", &o), 5);
}

static void create_hugetlb_2m(void **state)
{
	LUO_OPTS(luo_memfd_opts, o, .hugetlb_page_size = LUO_HUGETLB_2M, .size = 4 * MIB);

	(void)state;
	assert_int_equal(LUO_HUGETLB_2M, 2 * MIB);
	mock_all();
	expect_memfd("h", FLAGS_2M, 7);
	expect_ftruncate(7, 4 * MIB, 0);
	assert_int_equal(luo_memfd_create("h", &o), 7);
}

static void create_hugetlb_1g(void **state)
{
	LUO_OPTS(luo_memfd_opts, o, .hugetlb_page_size = LUO_HUGETLB_1G, .size = 2 * GIB);

	(void)state;
	assert_int_equal(LUO_HUGETLB_1G, GIB);
	mock_all();
	expect_memfd("h", FLAGS_1G, 7);
	expect_ftruncate(7, 2 * GIB, 0);
	assert_int_equal(luo_memfd_create("h", &o), 7);
}

/* Every power of two above the base page goes to the kernel as log2. */
static void create_hugetlb_any_power_of_two(void **state)
{
	static const struct {
		uint64_t size;
		unsigned int log2;
	} ok[] = { { 64 << 10, 16 }, { MIB, 20 }, { 32 * MIB, 25 }, { 512 * MIB, 29 },
		   { 16 * GIB, 34 }, { UINT64_C(1) << 63, 63 } };
	LUO_OPTS(luo_memfd_opts, o);
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		mock_all();
		o.hugetlb_page_size = ok[i].size;
		o.hugetlb_page_shift = 0;
		expect_memfd("h", 0x7U | (ok[i].log2 << 26), 7);
		assert_int_equal(luo_memfd_create("h", &o), 7);
		/* The same size as log2, and both together. */
		o.hugetlb_page_shift = ok[i].log2;
		expect_memfd("h", 0x7U | (ok[i].log2 << 26), 8);
		assert_int_equal(luo_memfd_create("h", &o), 8);
		o.hugetlb_page_size = 0;
		expect_memfd("h", 0x7U | (ok[i].log2 << 26), 9);
		assert_int_equal(luo_memfd_create("h", &o), 9);
	}
}

static void create_hugetlb_bad_shift(void **state)
{
	LUO_OPTS(luo_memfd_opts, o);

	(void)state;
	mock_all();
	o.hugetlb_page_shift = 12; /* the base page itself */
	assert_int_equal(luo_memfd_create("h", &o), -EINVAL);
	o.hugetlb_page_shift = 64; /* does not fit MFD_HUGE_MASK */
	assert_int_equal(luo_memfd_create("h", &o), -EINVAL);
	o.hugetlb_page_shift = 21; /* disagrees with the size */
	o.hugetlb_page_size = GIB;
	assert_int_equal(luo_memfd_create("h", &o), -EINVAL);
	o.hugetlb_page_size = 2 * MIB; /* agrees, but 3 MiB is no multiple */
	o.size = 3 * MIB;
	assert_int_equal(luo_memfd_create("h", &o), -EINVAL);
}

/* MFD_NOEXEC_SEAL is 0x8 in the uAPI. */
static void create_noexec_seal(void **state)
{
	LUO_OPTS(luo_memfd_opts, o, .flags = LUO_MEMFD_NOEXEC_SEAL);

	(void)state;
	mock_all();
	expect_memfd("x", FLAGS_DEFAULT | 0x8U, 5);
	assert_int_equal(luo_memfd_create("x", &o), 5);
	o.flags |= LUO_MEMFD_NOCLOEXEC;
	o.hugetlb_page_size = LUO_HUGETLB_2M;
	expect_memfd("x", (FLAGS_2M & ~0x1U) | 0x8U, 6);
	assert_int_equal(luo_memfd_create("x", &o), 6);
	o.flags = 1ULL << 2;
	assert_int_equal(luo_memfd_create("x", &o), -EINVAL);
}

static void create_hugetlb_empty(void **state)
{
	LUO_OPTS(luo_memfd_opts, o, .hugetlb_page_size = LUO_HUGETLB_2M,
		 .prefault = LUO_PREFAULT_TOUCH);

	(void)state;
	mock_all();
	expect_memfd("h", FLAGS_2M, 7);
	assert_int_equal(luo_memfd_create("h", &o), 7);
	assert_string_equal(wrap_log, "memfd_create");
}

static void create_fallocate_then_seals(void **state)
{
	LUO_OPTS(luo_memfd_opts, o, .size = 8192, .prefault = LUO_PREFAULT_FALLOCATE,
		 .seals = SEAL_SHRINK | SEAL_GROW);

	(void)state;
	mock_all();
	expect_memfd("f", FLAGS_DEFAULT, 5);
	expect_ftruncate(5, 8192, 0);
	expect_fallocate(5, 8192, 0);
	expect_add_seals(5, SEAL_SHRINK | SEAL_GROW, 0);
	assert_int_equal(luo_memfd_create("f", &o), 5);
	assert_string_equal(wrap_log, "memfd_create ftruncate fallocate fcntl");
}

static void create_touch_populate(void **state)
{
	LUO_OPTS(luo_memfd_opts, o, .size = 16384, .prefault = LUO_PREFAULT_TOUCH,
		 .seals = LUO_MEMFD_SEALS_ALL);
	void *buf = malloc(16384);

	(void)state;
	assert_int_equal(LUO_MEMFD_SEALS_ALL, 0x3f);
	mock_all();
	expect_memfd("t", FLAGS_DEFAULT, 5);
	expect_ftruncate(5, 16384, 0);
	expect_mmap(buf, 16384, 5, 0);
	expect_madvise(buf, 16384, 0);
	expect_munmap(buf, 16384);
	expect_add_seals(5, 0x3f, 0);
	assert_int_equal(luo_memfd_create("t", &o), 5);
	assert_string_equal(wrap_log, "memfd_create ftruncate mmap madvise munmap fcntl");
	free(buf);
}

/* Without MADV_POPULATE_WRITE (EINVAL: before Linux 5.14; ENOSYS: no
 * CONFIG_ADVISE_SYSCALLS) every page gets one write of zero. */
static void check_touch_fallback(uint64_t hps, uint64_t size, uint64_t page,
				 unsigned int flags, int madvise_err)
{
	LUO_OPTS(luo_memfd_opts, o, .size = size, .prefault = LUO_PREFAULT_TOUCH,
		 .hugetlb_page_size = hps);
	unsigned char *buf = malloc(size);
	uint64_t off;

	memset(buf, 0xaa, size);
	mock_all();
	expect_memfd("t", flags, 5);
	expect_ftruncate(5, size, 0);
	expect_mmap(buf, size, 5, 0);
	expect_madvise(buf, size, madvise_err);
	expect_munmap(buf, size);
	assert_int_equal(luo_memfd_create("t", &o), 5);
	for (off = 0; off < size; off++)
		assert_int_equal(buf[off], off % page == 0 ? 0 : 0xaa);
	free(buf);
}

static void create_touch_fallback_shmem(void **state)
{
	(void)state;
	/* Base page size of this machine, from the kernel's aux vector. */
	check_touch_fallback(0, 5 * (uint64_t)getpagesize(), (uint64_t)getpagesize(),
			     FLAGS_DEFAULT, -EINVAL);
}

static void create_touch_fallback_no_madvise(void **state)
{
	(void)state;
	check_touch_fallback(0, 3 * (uint64_t)getpagesize(), (uint64_t)getpagesize(),
			     FLAGS_DEFAULT, -ENOSYS);
}

static void create_touch_fallback_hugetlb(void **state)
{
	(void)state;
	check_touch_fallback(2 * MIB, 4 * MIB, 2 * MIB, FLAGS_2M, -EINVAL);
}

/* ---- failure of each step closes the memfd and reports the errno ---- */

static void create_memfd_fails(void **state)
{
	static const int errs[] = { EMFILE, ENFILE, ENODEV, ENOENT, EPERM, EINVAL };
	LUO_OPTS(luo_memfd_opts, o, .hugetlb_page_size = LUO_HUGETLB_1G);
	size_t i;

	(void)state;
	mock_all();
	for (i = 0; i < sizeof(errs) / sizeof(errs[0]); i++) {
		expect_memfd("x", FLAGS_1G, -errs[i]);
		assert_int_equal(luo_memfd_create("x", &o), -errs[i]);
	}
}

static void create_ftruncate_fails(void **state)
{
	LUO_OPTS(luo_memfd_opts, o, .size = 4096, .seals = SEAL_SEAL);

	(void)state;
	mock_all();
	expect_memfd("x", FLAGS_DEFAULT, 5);
	expect_ftruncate(5, 4096, -EPERM);
	expect_close(5);
	assert_int_equal(luo_memfd_create("x", &o), -EPERM);
	assert_string_equal(wrap_log, "memfd_create ftruncate close");
}

static void create_fallocate_fails(void **state)
{
	LUO_OPTS(luo_memfd_opts, o, .size = 4 * MIB, .hugetlb_page_size = 2 * MIB,
		 .prefault = LUO_PREFAULT_FALLOCATE);

	(void)state;
	mock_all();
	expect_memfd("x", FLAGS_2M, 5);
	expect_ftruncate(5, 4 * MIB, 0);
	expect_fallocate(5, 4 * MIB, -ENOSPC);
	expect_close(5);
	assert_int_equal(luo_memfd_create("x", &o), -ENOSPC);
}

static void create_mmap_fails(void **state)
{
	LUO_OPTS(luo_memfd_opts, o, .size = 4 * MIB, .hugetlb_page_size = 2 * MIB,
		 .prefault = LUO_PREFAULT_TOUCH);

	(void)state;
	mock_all();
	expect_memfd("x", FLAGS_2M, 5);
	expect_ftruncate(5, 4 * MIB, 0);
	expect_mmap(MAP_FAILED, 4 * MIB, 5, ENOMEM);
	expect_close(5);
	assert_int_equal(luo_memfd_create("x", &o), -ENOMEM);
	assert_string_equal(wrap_log, "memfd_create ftruncate mmap close");
}

static void create_madvise_fails(void **state)
{
	LUO_OPTS(luo_memfd_opts, o, .size = 8192, .prefault = LUO_PREFAULT_TOUCH);
	char buf[8192];

	(void)state;
	mock_all();
	expect_memfd("x", FLAGS_DEFAULT, 5);
	expect_ftruncate(5, 8192, 0);
	expect_mmap(buf, 8192, 5, 0);
	expect_madvise(buf, 8192, -EFAULT);
	expect_munmap(buf, 8192);
	expect_close(5);
	assert_int_equal(luo_memfd_create("x", &o), -EFAULT);
	assert_string_equal(wrap_log, "memfd_create ftruncate mmap madvise munmap close");
}

static void create_seals_fail(void **state)
{
	LUO_OPTS(luo_memfd_opts, o, .seals = SEAL_WRITE);

	(void)state;
	mock_all();
	expect_memfd("x", FLAGS_DEFAULT, 5);
	expect_add_seals(5, SEAL_WRITE, -EBUSY);
	expect_close(5);
	assert_int_equal(luo_memfd_create("x", &o), -EBUSY);
}

/* ---- the real kernel (shmem only; HugeTLB needs a configured pool) ---- */

static void real_shmem_size_and_cloexec(void **state)
{
	LUO_OPTS(luo_memfd_opts, o, .size = 3 * 4096 + 100);
	struct stat st;
	int fd;

	(void)state;
	fd = luo_memfd_create("real", &o);
	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	assert_int_equal(st.st_size, 3 * 4096 + 100);
	assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	assert_int_equal(fcntl(fd, GET_SEALS), 0); /* sealing allowed, none set */
	close(fd);

	o.flags = LUO_MEMFD_NOCLOEXEC;
	fd = luo_memfd_create("real", &o);
	assert_true(fd >= 0);
	assert_false(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	close(fd);
}

static void check_real_prefault(unsigned int mode)
{
	LUO_OPTS(luo_memfd_opts, o, .size = 64 * 4096, .prefault = mode);
	struct stat st;
	int fd;

	fd = luo_memfd_create("prefault", &o);
	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	/* Every page allocated: st_blocks counts 512-byte units. */
	assert_true((uint64_t)st.st_blocks * 512 >= 64 * 4096);
	close(fd);
}

static void real_shmem_prefault_fallocate(void **state)
{
	(void)state;
	check_real_prefault(LUO_PREFAULT_FALLOCATE);
}

static void real_shmem_prefault_touch(void **state)
{
	(void)state;
	check_real_prefault(LUO_PREFAULT_TOUCH);
}

static void real_shmem_no_prefault_is_sparse(void **state)
{
	LUO_OPTS(luo_memfd_opts, o, .size = 64 * 4096);
	struct stat st;
	int fd;

	(void)state;
	fd = luo_memfd_create("sparse", &o);
	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	assert_int_equal(st.st_blocks, 0);
	close(fd);
}

static void real_shmem_seals_enforced(void **state)
{
	LUO_OPTS(luo_memfd_opts, o, .size = 8192, .prefault = LUO_PREFAULT_TOUCH,
		 .seals = SEAL_GROW | SEAL_SHRINK | SEAL_WRITE);
	char c = 1;
	int fd;

	(void)state;
	fd = luo_memfd_create("sealed", &o);
	assert_true(fd >= 0);
	assert_int_equal(fcntl(fd, GET_SEALS), SEAL_GROW | SEAL_SHRINK | SEAL_WRITE);
	assert_int_equal(ftruncate(fd, 4096), -1);
	assert_int_equal(errno, EPERM);
	assert_int_equal(pwrite(fd, &c, 1, 0), -1);
	assert_int_equal(errno, EPERM);
	close(fd);
}

/* ---- luo_memfd_info ---- */

static void info_real_shmem(void **state)
{
	LUO_OPTS(luo_memfd_opts, o, .size = 8192, .seals = SEAL_GROW);
	struct luo_memfd_info info;
	int fd;

	(void)state;
	fd = luo_memfd_create("info", &o);
	assert_true(fd >= 0);
	assert_int_equal(lseek(fd, 100, SEEK_SET), 100);
	memset(&info, 0xaa, sizeof(info));
	info.sz = sizeof(info);
	assert_int_equal(luo_memfd_info(fd, &info), 0);
	assert_int_equal(info.sz, sizeof(info));
	assert_int_equal(info.size, 8192);
	assert_int_equal(info.page_size, getpagesize());
	assert_int_equal(info.pos, 100);
	assert_int_equal(info.seals, SEAL_GROW);
	assert_int_equal(info.hugetlb, 0);
	close(fd);
}

static void info_mocked_hugetlb(void **state)
{
	struct luo_memfd_info info = { .sz = sizeof(info) };
	struct statfs sfs;
	struct stat st;

	(void)state;
	memset(&st, 0, sizeof(st));
	memset(&sfs, 0, sizeof(sfs));
	st.st_size = (off_t)(6 * MIB);
	sfs.f_type = 0x958458f6;
	sfs.f_bsize = (long)(2 * MIB);
	wrap_mocked |= W_FSTAT | W_FSTATFS | W_LSEEK | W_FCNTL;
	expect_value(__wrap_fstat, fd, 4);
	will_return(__wrap_fstat, 0);
	will_return(__wrap_fstat, &st);
	expect_value(__wrap_fstatfs, fd, 4);
	will_return(__wrap_fstatfs, 0);
	will_return(__wrap_fstatfs, &sfs);
	expect_value(__wrap_lseek, fd, 4);
	expect_value(__wrap_lseek, off, 0);
	expect_value(__wrap_lseek, whence, SEEK_CUR);
	will_return(__wrap_lseek, (off_t)(2 * MIB + 5));
	expect_value(__wrap_fcntl, fd, 4);
	expect_value(__wrap_fcntl, cmd, GET_SEALS);
	will_return(__wrap_fcntl, 0x3f);
	assert_int_equal(luo_memfd_info(4, &info), 0);
	assert_int_equal(info.size, 6 * MIB);
	assert_int_equal(info.page_size, 2 * MIB);
	assert_int_equal(info.pos, 2 * MIB + 5);
	assert_int_equal(info.seals, 0x3f);
	assert_int_equal(info.hugetlb, 1);
}

static void info_bad_args(void **state)
{
	struct luo_memfd_info info;

	(void)state;
	wrap_mocked |= W_FSTAT | W_FSTATFS | W_LSEEK | W_FCNTL;
	memset(&info, 0, sizeof(info));
	info.sz = sizeof(info);
	assert_int_equal(luo_memfd_info(-1, &info), -EBADF);
	assert_int_equal(luo_memfd_info(3, NULL), -EINVAL);
	info.sz = 0;
	assert_int_equal(luo_memfd_info(3, &info), -EINVAL);
	info.sz = 7;
	assert_int_equal(luo_memfd_info(3, &info), -EINVAL);
	info.sz = 4097;
	assert_int_equal(luo_memfd_info(3, &info), -E2BIG);
}

static void info_each_call_fails(void **state)
{
	struct luo_memfd_info info = { .sz = sizeof(info) };
	struct statfs sfs;
	struct stat st;

	(void)state;
	memset(&st, 0, sizeof(st));
	memset(&sfs, 0, sizeof(sfs));
	wrap_mocked |= W_FSTAT | W_FSTATFS | W_LSEEK | W_FCNTL;

	expect_value(__wrap_fstat, fd, 4);
	will_return(__wrap_fstat, -EBADF);
	assert_int_equal(luo_memfd_info(4, &info), -EBADF);

	expect_value(__wrap_fstat, fd, 4);
	will_return(__wrap_fstat, 0);
	will_return(__wrap_fstat, &st);
	expect_value(__wrap_fstatfs, fd, 4);
	will_return(__wrap_fstatfs, -EIO);
	assert_int_equal(luo_memfd_info(4, &info), -EIO);

	expect_value(__wrap_fstat, fd, 4);
	will_return(__wrap_fstat, 0);
	will_return(__wrap_fstat, &st);
	expect_value(__wrap_fstatfs, fd, 4);
	will_return(__wrap_fstatfs, 0);
	will_return(__wrap_fstatfs, &sfs);
	expect_value(__wrap_lseek, fd, 4);
	expect_value(__wrap_lseek, off, 0);
	expect_value(__wrap_lseek, whence, SEEK_CUR);
	will_return(__wrap_lseek, (off_t)-ESPIPE);
	assert_int_equal(luo_memfd_info(4, &info), -ESPIPE);

	expect_value(__wrap_fstat, fd, 4);
	will_return(__wrap_fstat, 0);
	will_return(__wrap_fstat, &st);
	expect_value(__wrap_fstatfs, fd, 4);
	will_return(__wrap_fstatfs, 0);
	will_return(__wrap_fstatfs, &sfs);
	expect_value(__wrap_lseek, fd, 4);
	expect_value(__wrap_lseek, off, 0);
	expect_value(__wrap_lseek, whence, SEEK_CUR);
	will_return(__wrap_lseek, (off_t)0);
	expect_value(__wrap_fcntl, fd, 4);
	expect_value(__wrap_fcntl, cmd, GET_SEALS);
	will_return(__wrap_fcntl, -EINVAL);
	assert_int_equal(luo_memfd_info(4, &info), -EINVAL);
}

static void info_real_not_a_memfd(void **state)
{
	struct luo_memfd_info info = { .sz = sizeof(info) };
	int p[2];

	(void)state;
	assert_int_equal(pipe(p), 0);
	assert_int_equal(luo_memfd_info(p[0], &info), -ESPIPE);
	close(p[0]);
	close(p[1]);
}

/*
 * luo_memfd_info() into a structure whose sz is SZ: the size (known from the
 * file created here) comes back, and no byte from offset WHOLE on changes.
 */
static void info_cut_at(size_t sz, size_t whole)
{
	LUO_OPTS(luo_memfd_opts, o, .size = 8192);
	struct luo_memfd_info info;
	unsigned char sentinel[sizeof(info)];
	int fd;

	fd = luo_memfd_create("cut", &o);
	assert_true(fd >= 0);
	memset(&info, 0x5c, sizeof(info));
	memset(sentinel, 0x5c, sizeof(sentinel));
	info.sz = sz;
	assert_int_equal(luo_memfd_info(fd, &info), 0);
	assert_int_equal(info.sz, sz);
	assert_int_equal(info.size, 8192);
	assert_memory_equal((unsigned char *)&info + whole, sentinel + whole,
			    sizeof(info) - whole);
	close(fd);
}

/* An older caller's smaller structure (sz, size): nothing past its sz is written. */
static void info_smaller_struct(void **state)
{
	size_t known = sizeof(size_t) + sizeof(uint64_t);

	(void)state;
	info_cut_at(known, known);
}

/*
 * A caller whose sz ends inside a member (here half of page_size) gets the
 * members that fit whole and not one byte of the member it cuts.
 */
static void info_partial_member(void **state)
{
	size_t whole = offsetof(struct luo_memfd_info, page_size);

	(void)state;
	info_cut_at(whole + sizeof(uint32_t), whole);
}

/* A newer caller's larger structure: the unknown tail is zeroed. */
static void info_larger_struct(void **state)
{
	struct {
		struct luo_memfd_info info;
		unsigned char future[24];
	} n;
	unsigned char zero[24] = { 0 };
	int fd;

	(void)state;
	fd = luo_memfd_create("new", NULL);
	assert_true(fd >= 0);
	memset(&n, 0x77, sizeof(n));
	n.info.sz = sizeof(n);
	assert_int_equal(luo_memfd_info(fd, &n.info), 0);
	assert_int_equal(n.info.size, 0);
	assert_int_equal(n.info.pos, 0);
	assert_memory_equal(n.future, zero, sizeof(zero));
	close(fd);
}

DEFINE_TESTS(memfd,
	cmocka_unit_test(create_null_name),
	cmocka_unit_test(create_name_lengths),
	cmocka_unit_test(create_bad_page_sizes),
	cmocka_unit_test(create_hugetlb_unaligned_size),
	cmocka_unit_test(create_bad_seals_flags_prefault),
	cmocka_unit_test(create_size_too_big),
	cmocka_unit_test(create_bad_opts_size),
	cmocka_unit_test(create_older_smaller_opts),
	cmocka_unit_test(create_defaults),
	cmocka_unit_test(create_with_size),
	cmocka_unit_test(create_nocloexec),
	cmocka_unit_test(create_hugetlb_2m),
	cmocka_unit_test(create_hugetlb_1g),
	cmocka_unit_test(create_hugetlb_empty),
	cmocka_unit_test(create_hugetlb_any_power_of_two),
	cmocka_unit_test(create_hugetlb_bad_shift),
	cmocka_unit_test(create_noexec_seal),
	cmocka_unit_test(create_fallocate_then_seals),
	cmocka_unit_test(create_touch_populate),
	cmocka_unit_test(create_touch_fallback_shmem),
	cmocka_unit_test(create_touch_fallback_no_madvise),
	cmocka_unit_test(create_touch_fallback_hugetlb),
	cmocka_unit_test(create_memfd_fails),
	cmocka_unit_test(create_ftruncate_fails),
	cmocka_unit_test(create_fallocate_fails),
	cmocka_unit_test(create_mmap_fails),
	cmocka_unit_test(create_madvise_fails),
	cmocka_unit_test(create_seals_fail),
	cmocka_unit_test(real_shmem_size_and_cloexec),
	cmocka_unit_test(real_shmem_prefault_fallocate),
	cmocka_unit_test(real_shmem_prefault_touch),
	cmocka_unit_test(real_shmem_no_prefault_is_sparse),
	cmocka_unit_test(real_shmem_seals_enforced),
	cmocka_unit_test(info_real_shmem),
	cmocka_unit_test(info_mocked_hugetlb),
	cmocka_unit_test(info_bad_args),
	cmocka_unit_test(info_each_call_fails),
	cmocka_unit_test(info_real_not_a_memfd),
	cmocka_unit_test(info_smaller_struct),
	cmocka_unit_test(info_partial_member),
	cmocka_unit_test(info_larger_struct));
