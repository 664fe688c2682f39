// SPDX-License-Identifier: GPL-2.0
/*
 * Conformance descriptors of the memfd handler family: shmem memfds (kernel
 * handler "memfd-v2") and HugeTLB memfds with 2 MiB and 1 GiB pages.
 *
 * This file is the worked example of docs/conformance.md: three handler
 * descriptors (capabilities + create/check/free callbacks) and one variant
 * table. Every expected value below is written here, from first principles;
 * nothing is read back from the code under test.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cf.h"
#include "libluo.h"

#define KiB (UINT64_C(1) << 10)
#define MiB (UINT64_C(1) << 20)
#define GiB (UINT64_C(1) << 30)

/* shmem files larger than this are compared with pread() (memfd_check()). */
#define PREAD_CHECK_ABOVE (256 * MiB)

/* A sparse variant: the words of cf_fill() in even pages, odd pages left holes. */
static void sparse_fill(unsigned char *p, uint64_t size, uint64_t page, uint64_t token)
{
	struct cf_alive alive;
	uint64_t off, w;

	cf_alive_start(&alive, "filling", size);
	for (off = 0; off + 8 <= size; off += 8) {
		if (!(off % CF_ALIVE_STRIDE))
			cf_alive(&alive, off);
		if ((off / page) & 1) {
			off = (off / page + 1) * page - 8;
			continue;
		}
		w = cf_word(token, off);
		memcpy(p + off, &w, 8);
	}
}

/*
 * Check with pread(): a sparse variant (a read fault would fill a hole), or
 * a dense one (page 0).
 */
static bool pread_check(int fd, uint64_t size, uint64_t page, uint64_t token, char *why,
			size_t why_len)
{
	static uint64_t buf[(2 << 20) / 8];
	uint64_t off, chunk = sizeof(buf), i, want;
	struct cf_alive alive;
	ssize_t n;

	cf_alive_start(&alive, "checking", size);
	for (off = 0; off < size; off += chunk) {
		uint64_t len = size - off < chunk ? size - off : chunk;

		if (!(off % CF_ALIVE_STRIDE))
			cf_alive(&alive, off);

		n = pread(fd, buf, len, off);
		if (n != (ssize_t)len) {
			snprintf(why, why_len, "pread at %" PRIu64 ": %zd (%d)", off, n, -errno);
			return false;
		}
		for (i = 0; i + 8 <= len; i += 8) {
			want = page && ((off + i) / page) & 1 ? 0 : cf_word(token, off + i);
			if (buf[i / 8] != want) {
				snprintf(why, why_len, "word at %" PRIu64 " is %#" PRIx64
					 ", expected %#" PRIx64 " (%s)", off + i, buf[i / 8],
					 want, want ? "written" : "hole");
				return false;
			}
		}
	}
	return true;
}

static int memfd_create_variant(const struct cf_handler *h, const struct cf_variant *v,
				uint64_t token, uint64_t size_override, int64_t pos)
{
	uint64_t size = size_override != UINT64_MAX ? size_override : v->size;
	LUO_OPTS(luo_memfd_opts, mo, .size = size,
		 .hugetlb_page_size = h->page_size == 4096 ? 0 : h->page_size);
	void *map;
	int fd, err;

	fd = luo_memfd_create(v->name, &mo);
	if (fd < 0)
		return fd;
	if (size && h->page_size == 4096 && !(v->flags & CF_V_SPARSE)) {
		/* shmem has a write path: no fault per page (cf.h). */
		err = cf_fill_fd(fd, size, token);
		if (err) {
			close(fd);
			return err;
		}
	} else if (size) {
		/* HugeTLB has no write(2); sparse variants skip pages. */
		map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		if (map == MAP_FAILED)
			goto fail_errno;
		if (v->flags & CF_V_SPARSE)
			sparse_fill(map, size, h->page_size, token);
		else
			cf_fill(map, size, token);
		munmap(map, size);
	}
	if (lseek(fd, pos, SEEK_SET) != pos)
		goto fail_errno;
	if (v->seals && fcntl(fd, F_ADD_SEALS, v->seals) < 0)
		goto fail_errno;
	return fd;
fail_errno:
	err = -errno;
	close(fd);
	return err;
}

static bool memfd_check(const struct cf_handler *h, const struct cf_variant *v, int fd,
			uint64_t token, const char *what, char *why, size_t why_len)
{
	struct luo_memfd_info info = { .sz = sizeof(info) };
	uint64_t bad;
	void *map;
	int err;

	err = luo_memfd_info(fd, &info);
	if (err) {
		snprintf(why, why_len, "luo_memfd_info: %d", err);
		return false;
	}
	if (!strcmp(what, "size")) {
		if (info.size != v->size) {
			snprintf(why, why_len, "size %" PRIu64 ", expected %" PRIu64, info.size,
				 v->size);
			return false;
		}
		if ((info.hugetlb ? info.page_size : 4096) != h->page_size) {
			snprintf(why, why_len, "page size %" PRIu64 ", expected %" PRIu64,
				 info.page_size, h->page_size);
			return false;
		}
		return true;
	}
	if (!strcmp(what, "position")) {
		if (info.pos != v->pos) {
			snprintf(why, why_len, "position %" PRId64 ", expected %" PRId64, info.pos,
				 v->pos);
			return false;
		}
		return true;
	}
	if (!strcmp(what, "seals")) {
		if (info.seals != v->seals) {
			snprintf(why, why_len, "seals 0x%x, expected 0x%x", info.seals, v->seals);
			return false;
		}
		return true;
	}
	if (!strcmp(what, "holes")) {
		struct stat st;
		uint64_t want = cf_data_bytes(h->page_size, v->size, v->flags);

		if (fstat(fd, &st)) {
			snprintf(why, why_len, "fstat: %d", -errno);
			return false;
		}
		if ((uint64_t)st.st_blocks * 512 != want) {
			snprintf(why, why_len, "%" PRIu64 " bytes allocated, expected %" PRIu64
				 " (the written pages)", (uint64_t)st.st_blocks * 512, want);
			return false;
		}
		return true;
	}
	/* contents */
	if (!v->size)
		return true;
	if (v->flags & CF_V_SPARSE)
		return info.size == v->size &&
		       pread_check(fd, v->size, h->page_size, token, why, why_len);
	if (info.size != v->size) {
		snprintf(why, why_len, "size differs, contents not compared");
		return false;
	}
	/*
	 * Through a mapping, the way a VMM reads its memory; the 1 GiB variant
	 * with pread(), the same words for half the time under the debug kernel
	 * (256 MiB under KASAN: 5.9 s through read faults, 3.0 s with pread).
	 */
	if (v->size > PREAD_CHECK_ABOVE && h->page_size == 4096)
		return pread_check(fd, v->size, 0, token, why, why_len);
	map = mmap(NULL, v->size, PROT_READ, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED) {
		snprintf(why, why_len, "mmap: %d", -errno);
		return false;
	}
	bad = cf_verify(map, v->size, token);
	munmap(map, v->size);
	if (bad != v->size) {
		snprintf(why, why_len, "byte %" PRIu64 " of %" PRIu64 " differs", bad, v->size);
		return false;
	}
	return true;
}

static int shmem_free(uint64_t *bytes)
{
	return cf_meminfo("MemFree:", bytes);
}

static int huge_free(uint64_t kib, uint64_t *bytes)
{
	char path[128];
	uint64_t n;
	int err;

	snprintf(path, sizeof(path), "/sys/kernel/mm/hugepages/hugepages-%" PRIu64 "kB/free_hugepages",
		 kib);
	err = cf_read_u64(path, &n);
	if (err)
		return err;
	*bytes = n * kib * KiB;
	return 0;
}

static int huge2m_free(uint64_t *bytes)
{
	return huge_free(2048, bytes);
}

static int huge1g_free(uint64_t *bytes)
{
	return huge_free(1048576, bytes);
}

/* ---- step 1 of docs/conformance.md: one descriptor per handler ---- */

/*
 * Fields of memfd-v2's struct memfd_luo_ser (include/linux/kho/abi/memfd.h)
 * and values the next kernel must refuse for a 0-byte file.
 */
static const struct cf_field shmem_fields[] = {
	{ "pos", 0, 8, UINT64_C(1) << 63 },      /* past MAX_LFS_FILESIZE */
	{ "seals", 16, 4, 0x8000 },              /* a seal that does not exist */
	{ "flags", 20, 4, 0x80000000 },          /* a flag memfd-v2 does not define */
	{ "nr_folios", 24, 8, UINT64_C(1) << 40 }, /* folios a 0-byte file cannot have */
	{ NULL, 0, 0, 0 },
};

/* struct hugetlb_memfd_luo_ser (include/linux/kho/abi/hugetlb_memfd.h). */
static const struct cf_field hugetlb_fields[] = {
	{ "pos", 0, 8, UINT64_C(1) << 63 },
	{ "seals", 16, 4, 0x8000 },
	{ "flags", 20, 4, 0x80000000 },
	{ "order", 24, 4, 5 },                   /* no hstate of order 5 */
	{ "reserved", 28, 4, 1 },
	{ "nr_folios", 32, 8, UINT64_C(1) << 40 },
	{ NULL, 0, 0, 0 },
};

/* What survives a memfd's update: memfd_check() compares each. */
static const struct cf_check memfd_checks[] = {
	{ "size", "size survives", true },
	{ "position", "position survives", true },
	{ "seals", "seals survive", true },
	{ "holes", "holes stay holes (only written pages allocated)", true },
	{ "contents", "contents survive", false },
	{ NULL, NULL, false },
};

static const struct cf_handler shmem = {
	.name = "shmem",
	.compatible = "memfd-v2",
	.caps = CF_CAP_SPARSE,
	.checks = memfd_checks,
	.page_size = 4096,
	.create = memfd_create_variant,
	.check = memfd_check,
	.free_bytes = shmem_free,
	.fields = shmem_fields,
};

static const struct cf_handler hugetlb_2m = {
	.name = "hugetlb-2M",
	.compatible = "memfd-hugetlb",
	.caps = CF_CAP_SPARSE,
	.checks = memfd_checks,
	.page_size = 2 * MiB,
	.create = memfd_create_variant,
	.check = memfd_check,
	.free_bytes = huge2m_free,
	.fields = hugetlb_fields,
};

static const struct cf_handler hugetlb_1g = {
	.name = "hugetlb-1G",
	.compatible = "memfd-hugetlb",
	.caps = CF_CAP_SPARSE,
	.checks = memfd_checks,
	.page_size = GiB,
	.create = memfd_create_variant,
	.check = memfd_check,
	.free_bytes = huge1g_free,
	.fields = hugetlb_fields,
};

static const struct cf_handler *const memfd_handlers[] = { &shmem, &hugetlb_2m, &hugetlb_1g,
							   NULL };

/* ---- step 2: the variant table (handler x size x seals x position) ---- */

#ifndef F_SEAL_EXEC
#define F_SEAL_EXEC 0x0020 /* Linux 6.3; older libc headers lack it */
#endif

#define SEALS_FULL (F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE)
#define SEALS_SIZE (F_SEAL_SHRINK | F_SEAL_GROW)

#define V(NAME, H, SIZE, SEALS, POS, FLAGS)                                              \
	{ .name = NAME, .handler = &H, .size = SIZE, .seals = SEALS, .pos = POS, .flags = FLAGS }

static const struct cf_variant memfd_variants[] = {
	/* name            handler     size      seals                       pos             flags */
	V("shm-empty",     shmem,      0,        0,                          0,              0),
	V("shm-1B",        shmem,      1,        SEALS_SIZE | F_SEAL_SEAL,   1,              0),
	V("shm-4K-wseal",  shmem,      4 * KiB,  SEALS_FULL,                 100,            0),
	V("shm-odd",       shmem,      12345,    0,                          12345,          0),
	/* F_SEAL_EXEC on an executable memfd implies WRITE, FUTURE_WRITE, GROW and
	 * SHRINK (memfd_add_seals(), fcntl(2)): list them, they are what we expect. */
	V("shm-2M-exec",   shmem,      2 * MiB,  F_SEAL_EXEC | F_SEAL_FUTURE_WRITE | F_SEAL_WRITE |
						SEALS_SIZE,                 MiB + 3,        0),
	V("shm-64M",       shmem,      64 * MiB, 0,                          64 * MiB + 4096, 0),
	V("shm-1G",        shmem,      GiB,      SEALS_SIZE,                 0x12345,        CF_V_BIG),
	V("h2M-empty",     hugetlb_2m, 0,        0,                          0,              0),
	V("h2M-2M",        hugetlb_2m, 2 * MiB,  0,                          4096,           0),
	V("h2M-16M-seal",  hugetlb_2m, 16 * MiB, SEALS_FULL,                 16 * MiB,       0),
	V("shm-16M-sparse", shmem,     16 * MiB, 0,                          4096,           CF_V_SPARSE),
	V("h2M-16M-sparse", hugetlb_2m, 16 * MiB, 0,                         0,              CF_V_SPARSE),
	V("h1G-1G",        hugetlb_1g, GiB,      F_SEAL_SEAL,                4096,           CF_V_BIG),
};

/* ---- step 3: the family, listed in main.c and conformance.mk ---- */

const struct cf_family cf_family_memfd = {
	.name = "memfd",
	.handlers = memfd_handlers,
	.variants = memfd_variants,
	.nr_variants = sizeof(memfd_variants) / sizeof(memfd_variants[0]),
};
