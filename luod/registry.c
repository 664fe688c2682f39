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

/* The generation of SLOT if its magic is there, else 0 (never written). */
static uint32_t luod_reg_gen(const unsigned char *slot)
{
	uint32_t gen;

	if (memcmp(slot, luod_reg_magic, 8))
		return 0;
	memcpy(&gen, slot + 12, 4);
	return gen;
}

int luod_reg_encode(void *buf, const struct luod_owner *o, uint32_t n)
{
	unsigned char *a = buf, *b = a + LUOD_REG_SLOT, *p, *e;
	uint32_t ga = luod_reg_gen(a), gb = luod_reg_gen(b), gen;
	uint32_t i;
	size_t len;

	if (n > LUOD_REG_MAX)
		return -E2BIG;
	for (i = 0; i < n; i++) {
		len = strnlen(o[i].name, LUOD_NAME_MAX + 1);
		if (!luod_name_valid(o[i].name, len))
			return -EINVAL;
	}
	/* Overwrite the older slot; the other stays whole meanwhile. */
	p = (int32_t)(ga - gb) <= 0 ? a : b;
	gen = ((int32_t)(ga - gb) <= 0 ? gb : ga) + 1;
	if (gen == 0)
		gen = 1;
	memset(p, 0, LUOD_REG_SLOT);
	memcpy(p, luod_reg_magic, 8);
	memcpy(p + 8, &n, 4);
	for (i = 0; i < n; i++) {
		e = p + LUOD_REG_HDR + (size_t)i * LUOD_REG_ENTRY;
		len = strlen(o[i].name);
		memcpy(e, &o[i].uid, 4);
		e[4] = (unsigned char)len;
		memcpy(e + 8, o[i].name, len);
	}
	/* Last, in one aligned store: the slot is now the newest whole one. */
	__atomic_store_n((uint32_t *)(void *)(p + 12), gen, __ATOMIC_RELEASE);
	return 0;
}

static int luod_all_zero(const unsigned char *p, size_t n)
{
	while (n--)
		if (*p++)
			return 0;
	return 1;
}

/* One slot, strictly: the count, or -EBADMSG. */
static int luod_reg_decode_slot(const unsigned char *p, struct luod_owner *o)
{
	const unsigned char *e;
	uint32_t n, i, j;
	size_t nlen;

	if (memcmp(p, luod_reg_magic, 8))
		return -EBADMSG;
	memcpy(&n, p + 8, 4);
	if (n > LUOD_REG_MAX)
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
	return luod_all_zero(e, LUOD_REG_SLOT - (size_t)(e - p)) ? (int)n : -EBADMSG;
}

int luod_reg_decode(const void *buf, size_t len, struct luod_owner *o)
{
	const unsigned char *a = buf, *b = a + LUOD_REG_SLOT;
	uint32_t ga, gb;
	int na, nb;

	if (len != LUOD_REG_SIZE)
		return -EBADMSG;
	nb = luod_reg_decode_slot(b, o);
	ga = luod_reg_gen(a);
	gb = luod_reg_gen(b);
	/* B is whole and newer: keep it. Else A decides, if it is whole. */
	if (nb >= 0 && (int32_t)(gb - ga) > 0)
		return nb;
	na = luod_reg_decode_slot(a, o);
	if (na >= 0)
		return na;
	return nb >= 0 ? luod_reg_decode_slot(b, o) : -EBADMSG;
}

void luod_kernel_name(char out[64], uint32_t uid, const char *name)
{
	snprintf(out, 64, "luod:%u:%s", uid, name);
}
