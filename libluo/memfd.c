// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/* Copyright (c) 2026 The luo-memfd authors */
/* Creating and describing memfds meant for preservation. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "internal.h"

/* Fallbacks for older libc headers; values from the Linux uAPI. */
#ifndef F_SEAL_FUTURE_WRITE
#define F_SEAL_FUTURE_WRITE 0x0010
#endif
#ifndef F_SEAL_EXEC
#define F_SEAL_EXEC 0x0020
#endif
#ifndef MFD_HUGETLB
#define MFD_HUGETLB 0x0004U
#endif
#ifndef MFD_NOEXEC_SEAL
#define MFD_NOEXEC_SEAL 0x0008U
#endif
#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif
#define LUO_MFD_HUGE_SHIFT 26 /* MFD_HUGE_SHIFT: log2(page size) goes here */
#define LUO_MFD_HUGE_MASK 0x3fU /* MFD_HUGE_MASK: six bits of log2 */
#define LUO_HUGETLBFS_MAGIC 0x958458f6U

_Static_assert(LUO_MEMFD_SEALS_ALL ==
		       (F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE |
			F_SEAL_FUTURE_WRITE | F_SEAL_EXEC),
	       "LUO_MEMFD_SEALS_ALL must list the F_SEAL_* bits");

/* Write-fault every page of the first SIZE bytes of FD. */
static int luo_memfd_touch(int fd, uint64_t size, uint64_t page)
{
	volatile unsigned char *p;
	uint64_t off;
	void *map;
	int err = 0;

	map = mmap(NULL, (size_t)size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED)
		return luo__neg_errno();
	if (madvise(map, (size_t)size, MADV_POPULATE_WRITE) < 0) {
		if (errno == EINVAL || errno == ENOSYS) {
			/*
			 * Kernel before 5.14 (EINVAL) or built without
			 * CONFIG_ADVISE_SYSCALLS (ENOSYS, e.g. tinyconfig):
			 * fault the pages in by hand. The
			 * file was just created and sized, so it reads as zero:
			 * storing a zero changes nothing but the allocation.
			 */
			p = map;
			for (off = 0; off < size; off += page)
				p[off] = 0;
		} else {
			err = luo__neg_errno();
		}
	}
	munmap(map, (size_t)size);
	return err;
}

/*
 * The HugeTLB page size OPTS asks for, as log2 in *SHIFT (0: shmem), from
 * hugetlb_page_size or hugetlb_page_shift; both may be given if they agree.
 * A huge page is a power of two above the base page BASE, and memfd_create()
 * carries its log2 in six bits. Whether the kernel has that size is for
 * memfd_create() to say (ENODEV).
 */
static int luo_memfd_huge_shift(const struct luo_memfd_opts *opts, uint64_t base,
				unsigned int *shift)
{
	uint64_t size = LUO_OPT(opts, hugetlb_page_size, 0);
	unsigned int from_size = 0, want = LUO_OPT(opts, hugetlb_page_shift, 0U);

	if (size) {
		if ((size & (size - 1)) || size <= base)
			return -EINVAL;
		while ((UINT64_C(1) << from_size) != size)
			from_size++;
		if (want && want != from_size)
			return -EINVAL;
		want = from_size;
	}
	if (want && (want > LUO_MFD_HUGE_MASK || (UINT64_C(1) << want) <= base))
		return -EINVAL;
	*shift = want;
	return 0;
}

int luo__memfd_check(const struct luo_memfd_opts *opts, uint64_t *page, unsigned int *shift)
{
	uint64_t size = LUO_OPT(opts, size, 0), flags = LUO_OPT(opts, flags, 0);
	unsigned int seals = LUO_OPT(opts, seals, 0U);
	unsigned int prefault = LUO_OPT(opts, prefault, LUO_PREFAULT_NONE);
	int err;

	if (flags & ~(LUO_MEMFD_NOCLOEXEC | LUO_MEMFD_NOEXEC_SEAL))
		return -EINVAL;
	if (seals & ~LUO_MEMFD_SEALS_ALL)
		return -EINVAL;
	if (prefault != LUO_PREFAULT_NONE && prefault != LUO_PREFAULT_FALLOCATE &&
	    prefault != LUO_PREFAULT_TOUCH)
		return -EINVAL;
	if (size > (uint64_t)INT64_MAX)
		return -EFBIG;
	*page = (uint64_t)sysconf(_SC_PAGESIZE);
	err = luo_memfd_huge_shift(opts, *page, shift);
	if (err)
		return err;
	if (*shift) {
		*page = UINT64_C(1) << *shift;
		if (size % *page)
			return -EINVAL;
	}
	return 0;
}

int luo_memfd_create(const char *name, const struct luo_memfd_opts *opts)
{
	uint64_t size, flags, page;
	unsigned int seals, prefault, mfd_flags, shift;
	int err, fd;

	if (!name)
		return -EINVAL;
	if (strnlen(name, LUO_MEMFD_NAME_MAX + 1) > LUO_MEMFD_NAME_MAX)
		return -ENAMETOOLONG;
	err = luo__opts_check(opts, sizeof(*opts));
	if (err)
		return err;
	err = luo__memfd_check(opts, &page, &shift);
	if (err)
		return err;
	size = LUO_OPT(opts, size, 0);
	seals = LUO_OPT(opts, seals, 0U);
	prefault = LUO_OPT(opts, prefault, LUO_PREFAULT_NONE);
	flags = LUO_OPT(opts, flags, 0);

	mfd_flags = MFD_ALLOW_SEALING;
	if (!(flags & LUO_MEMFD_NOCLOEXEC))
		mfd_flags |= MFD_CLOEXEC;
	if (flags & LUO_MEMFD_NOEXEC_SEAL)
		mfd_flags |= MFD_NOEXEC_SEAL;
	if (shift)
		mfd_flags |= MFD_HUGETLB | (shift << LUO_MFD_HUGE_SHIFT);

	fd = memfd_create(name, mfd_flags);
	if (fd < 0)
		return luo__neg_errno();

	if (size && ftruncate(fd, (off_t)size) < 0)
		goto fail_errno;
	if (size && prefault == LUO_PREFAULT_FALLOCATE &&
	    fallocate(fd, 0, 0, (off_t)size) < 0)
		goto fail_errno;
	if (size && prefault == LUO_PREFAULT_TOUCH) {
		err = luo_memfd_touch(fd, size, page);
		if (err)
			goto fail;
	}
	if (seals && fcntl(fd, F_ADD_SEALS, (int)seals) < 0)
		goto fail_errno;
	return fd;

fail_errno:
	err = luo__neg_errno();
fail:
	close(fd);
	return err;
}

/* Where each member of struct luo_memfd_info after sz ends. */
static const size_t luo_memfd_info_ends[] = {
	luo_offsetofend(struct luo_memfd_info, size),
	luo_offsetofend(struct luo_memfd_info, page_size),
	luo_offsetofend(struct luo_memfd_info, pos),
	luo_offsetofend(struct luo_memfd_info, seals),
	luo_offsetofend(struct luo_memfd_info, hugetlb),
};

int luo_memfd_info(int fd, struct luo_memfd_info *info)
{
	struct luo_memfd_info out;
	struct statfs sfs;
	struct stat st;
	off_t pos;
	int err, seals;

	if (fd < 0)
		return -EBADF;
	err = luo__out_check(info);
	if (err)
		return err;

	if (fstat(fd, &st) < 0)
		return luo__neg_errno();
	if (fstatfs(fd, &sfs) < 0)
		return luo__neg_errno();
	pos = lseek(fd, 0, SEEK_CUR);
	if (pos < 0)
		return luo__neg_errno();
	seals = fcntl(fd, F_GET_SEALS);
	if (seals < 0)
		return luo__neg_errno();

	memset(&out, 0, sizeof(out));
	out.size = (uint64_t)st.st_size;
	out.page_size = (uint64_t)sfs.f_bsize;
	out.pos = (int64_t)pos;
	out.seals = (unsigned int)seals;
	out.hugetlb = (uint32_t)sfs.f_type == LUO_HUGETLBFS_MAGIC;
	luo__out_copy(info, &out, sizeof(out), luo_memfd_info_ends,
		      LUO_ARRAY_SIZE(luo_memfd_info_ends));
	return 0;
}
