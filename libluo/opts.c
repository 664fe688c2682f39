// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/* Copyright (c) 2026 The luo-memfd authors */
/* Size-carrying option and result structures. */
#include <string.h>

#include "internal.h"

int luo__opts_check(const void *opts, size_t known)
{
	const unsigned char *p = opts;
	size_t sz, i;

	if (!opts)
		return 0;
	memcpy(&sz, opts, sizeof(sz));
	if (sz < sizeof(size_t))
		return -EINVAL;
	if (sz > LUO_OPTS_MAX_SIZE)
		return -E2BIG;
	for (i = known; i < sz; i++)
		if (p[i])
			return -E2BIG;
	return 0;
}

int luo__out_check(const void *out)
{
	size_t sz;

	if (!out)
		return -EINVAL;
	memcpy(&sz, out, sizeof(sz));
	if (sz < sizeof(size_t))
		return -EINVAL;
	if (sz > LUO_OPTS_MAX_SIZE)
		return -E2BIG;
	return 0;
}

void luo__out_copy(void *dst, const void *src, size_t known, const size_t *ends,
		   size_t nends)
{
	unsigned char *d = dst;
	size_t sz, limit, i;

	memcpy(&sz, dst, sizeof(sz));
	if (sz >= known) {
		limit = known;
	} else {
		/* The last member that ends within sz; never part of one. */
		limit = sizeof(size_t);
		for (i = 0; i < nends && ends[i] <= sz; i++)
			limit = ends[i];
	}
	memcpy(d + sizeof(size_t), (const unsigned char *)src + sizeof(size_t),
	       limit - sizeof(size_t));
	if (sz > known)
		memset(d + known, 0, sz - known);
}
