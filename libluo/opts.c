// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
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

void luo__out_copy(void *dst, const void *src, size_t known)
{
	unsigned char *d = dst;
	size_t sz;

	memcpy(&sz, dst, sizeof(sz));
	if (sz <= known) {
		memcpy(d + sizeof(size_t), (const unsigned char *)src + sizeof(size_t),
		       sz - sizeof(size_t));
		return;
	}
	memcpy(d + sizeof(size_t), (const unsigned char *)src + sizeof(size_t),
	       known - sizeof(size_t));
	memset(d + known, 0, sz - known);
}
