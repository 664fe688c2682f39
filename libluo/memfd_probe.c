// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/* Copyright (c) 2026 The luo-memfd authors */
/*
 * Can a memfd of this kind and size be preserved? Asked before the memfd
 * is filled: a VMM wants to know before it allocates gigabytes of guest RAM
 * that the kernel will refuse to carry over.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"
#include "luod_proto.h"

/* Where each member of struct luo_memfd_probe_result after sz ends. */
static const size_t luo_memfd_probe_ends[] = {
	luo_offsetofend(struct luo_memfd_probe_result, flags),
	luo_offsetofend(struct luo_memfd_probe_result, page_size),
	luo_offsetofend(struct luo_memfd_probe_result, pages_needed),
	luo_offsetofend(struct luo_memfd_probe_result, pages_free),
	luo_offsetofend(struct luo_memfd_probe_result, create_err),
	luo_offsetofend(struct luo_memfd_probe_result, preserve_err),
	luo_offsetofend(struct luo_memfd_probe_result, pool_err),
};

/* Read one unsigned decimal number from PATH. */
static int luo_read_u64(const char *path, uint64_t *val)
{
	char buf[32], *end;
	ssize_t n;
	int fd, err = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return luo__neg_errno();
	n = read(fd, buf, sizeof(buf) - 1);
	if (n < 0)
		err = luo__neg_errno();
	close(fd);
	if (err)
		return err;
	buf[n] = '\0';
	if (n == 0 || buf[0] < '0' || buf[0] > '9')
		return -EPROTO;
	errno = 0;
	*val = strtoull(buf, &end, 10);
	if (errno || (*end && *end != '\n'))
		return -EPROTO;
	return 0;
}

/* Pages of PAGE bytes free in the HugeTLB pool and not reserved, into R. */
static void luo_probe_pool(uint64_t page, struct luo_memfd_probe_result *r)
{
	char path[96];
	uint64_t nfree, resv;
	int err;

	snprintf(path, sizeof(path), "/sys/kernel/mm/hugepages/hugepages-%" PRIu64 "kB/free_hugepages",
		 page >> 10);
	err = luo_read_u64(path, &nfree);
	if (!err) {
		snprintf(path, sizeof(path),
			 "/sys/kernel/mm/hugepages/hugepages-%" PRIu64 "kB/resv_hugepages",
			 page >> 10);
		err = luo_read_u64(path, &resv);
	}
	if (err) {
		r->pool_err = err;
		return;
	}
	r->pages_free = nfree > resv ? nfree - resv : 0;
	r->flags |= LUO_MEMFD_PROBE_POOL_KNOWN;
	if (r->pages_free >= r->pages_needed)
		r->flags |= LUO_MEMFD_PROBE_POOL_FITS;
}

/*
 * Preserve the empty memfd FD in a session of its own and close the session
 * again, which gives the file back: 0 if the kernel took it.
 */
static int luo_probe_preserve(int dev_fd, int fd)
{
	char name[LUO_SESSION_NAME_MAX];
	int sess, err;

	/* Unique among this process's concurrent probes: FD is theirs alone. */
	snprintf(name, sizeof(name), "libluo-probe-%ld-%d", (long)getpid(), fd);
	sess = luo_session_create(dev_fd, name);
	if (sess < 0)
		return sess;
	err = luo_session_preserve_fd(sess, fd, 0);
	close(sess);
	/* Through luod: it holds the session too; have it let go. */
	if (luo__is_broker(dev_fd))
		luo__broker_request(dev_fd, LUOD_RELEASE, name, NULL, NULL, NULL);
	return err;
}

int luo_memfd_probe(int dev_fd, const struct luo_memfd_opts *opts,
		    struct luo_memfd_probe_result *res)
{
	struct luo_memfd_probe_result r;
	struct luo_memfd_opts trial;
	unsigned int shift;
	uint64_t size;
	int err, fd;

	err = luo__out_check(res);
	if (err)
		return err;
	err = luo__opts_check(opts, sizeof(*opts));
	if (err)
		return err;

	/* The same memfd, empty: it costs no page and shows the same kind. */
	memset(&trial, 0, sizeof(trial));
	trial.sz = sizeof(trial);
	trial.hugetlb_page_size = LUO_OPT(opts, hugetlb_page_size, 0);
	trial.hugetlb_page_shift = LUO_OPT(opts, hugetlb_page_shift, 0U);
	trial.seals = LUO_OPT(opts, seals, 0U);
	trial.prefault = LUO_OPT(opts, prefault, LUO_PREFAULT_NONE);
	trial.flags = LUO_OPT(opts, flags, 0) & ~(uint64_t)LUO_MEMFD_NOCLOEXEC;
	size = LUO_OPT(opts, size, 0);
	/* Validate SIZE against the page size as luo_memfd_create() would. */
	trial.size = size;
	memset(&r, 0, sizeof(r));
	err = luo__memfd_check(&trial, &r.page_size, &shift);
	if (err)
		return err;
	trial.size = 0;
	r.pages_needed = size / r.page_size + !!(size % r.page_size);

	fd = luo_memfd_create("libluo-probe", &trial);
	if (fd < 0) {
		r.create_err = fd;
	} else {
		r.flags |= LUO_MEMFD_PROBE_CREATED;
		if (dev_fd >= 0) {
			r.flags |= LUO_MEMFD_PROBE_PRESERVE_TRIED;
			r.preserve_err = luo_probe_preserve(dev_fd, fd);
			if (!r.preserve_err)
				r.flags |= LUO_MEMFD_PROBE_PRESERVED;
		}
		close(fd);
	}
	if (shift)
		luo_probe_pool(r.page_size, &r);

	luo__out_copy(res, &r, sizeof(r), luo_memfd_probe_ends,
		      LUO_ARRAY_SIZE(luo_memfd_probe_ends));
	return 0;
}
