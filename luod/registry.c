// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/* Copyright (c) 2026 The luo-memfd authors */
/* luod's owner record: encoding and validating decoding (registry.h). */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "registry.h"

static const char luod_reg_magic[8] = { 'L', 'U', 'O', 'D', 'R', 'E', 'G', '1' };

_Static_assert(LUOD_REG_MAX >= 1000, "the record holds a thousand sessions");

int luod_reg_encode(void *buf, const struct luod_owner *o, uint32_t n)
{
	unsigned char *p = buf, *e;
	uint32_t i;
	size_t len;

	if (n > LUOD_REG_MAX)
		return -E2BIG;
	memset(p, 0, LUOD_REG_SIZE);
	memcpy(p, luod_reg_magic, 8);
	memcpy(p + 8, &n, 4);
	for (i = 0; i < n; i++) {
		e = p + LUOD_REG_HDR + (size_t)i * LUOD_REG_ENTRY;
		len = strnlen(o[i].name, LUOD_NAME_MAX + 1);
		if (!luod_name_valid(o[i].name, len))
			return -EINVAL;
		memcpy(e, &o[i].uid, 4);
		e[4] = (unsigned char)len;
		memcpy(e + 8, o[i].name, len);
	}
	return 0;
}

static int luod_all_zero(const unsigned char *p, size_t n)
{
	while (n--)
		if (*p++)
			return 0;
	return 1;
}

int luod_reg_decode(const void *buf, size_t len, struct luod_owner *o)
{
	const unsigned char *p = buf, *e;
	uint32_t n, i, j;
	size_t nlen;

	if (len < LUOD_REG_HDR || memcmp(p, luod_reg_magic, 8))
		return -EBADMSG;
	memcpy(&n, p + 8, 4);
	if (n > LUOD_REG_MAX || !luod_all_zero(p + 12, 4) ||
	    LUOD_REG_HDR + (size_t)n * LUOD_REG_ENTRY > len)
		return -EBADMSG;
	for (i = 0; i < n; i++) {
		e = p + LUOD_REG_HDR + (size_t)i * LUOD_REG_ENTRY;
		nlen = e[4];
		if (!luod_all_zero(e + 5, 3) || !luod_name_valid((const char *)e + 8, nlen) ||
		    !luod_all_zero(e + 8 + nlen, LUOD_NAME_MAX - nlen) ||
		    !luod_all_zero(e + 48, 16))
			return -EBADMSG;
		memcpy(&o[i].uid, e, 4);
		memcpy(o[i].name, e + 8, nlen);
		o[i].name[nlen] = '\0';
		for (j = 0; j < i; j++)
			if (o[j].uid == o[i].uid && !strcmp(o[j].name, o[i].name))
				return -EBADMSG;
	}
	/* Nothing but zeros after the last entry. */
	e = p + LUOD_REG_HDR + (size_t)n * LUOD_REG_ENTRY;
	return luod_all_zero(e, len - (size_t)(e - p)) ? (int)n : -EBADMSG;
}

void luod_kernel_name(char out[64], uint32_t uid, const char *name)
{
	snprintf(out, 64, "luod:%u:%s", uid, name);
}
