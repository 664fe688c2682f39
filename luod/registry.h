/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/* Copyright (c) 2026 The luo-memfd authors */
/*
 * luod's record of the sessions it creates, kept in a memfd that is itself
 * preserved, so that the next kernel's luod knows who owns what.
 *
 * Format (docs/luod.md), native byte order, LUOD_REG_SIZE bytes:
 *   header: char magic[8] = "LUODREG1", u32 count, u32 reserved = 0
 *   count entries of 64 bytes: u32 uid, u8 name length, u8 reserved[3],
 *   char name[40], u8 reserved[16]; every reserved byte and the name's
 *   tail are zero.
 */
#ifndef LUOD_REGISTRY_H
#define LUOD_REGISTRY_H

#include <stddef.h>
#include <stdint.h>

#include "luod_proto.h"

#define LUOD_REG_SIZE (64u << 10)
#define LUOD_REG_HDR 16u
#define LUOD_REG_ENTRY 64u
#define LUOD_REG_MAX ((LUOD_REG_SIZE - LUOD_REG_HDR) / LUOD_REG_ENTRY)

struct luod_owner {
	uint32_t uid;
	char name[LUOD_NAME_MAX + 1];
};

/* Write N owners into BUF (LUOD_REG_SIZE bytes): 0, or -E2BIG. */
int luod_reg_encode(void *buf, const struct luod_owner *o, uint32_t n);

/*
 * Read BUF (LEN bytes, from the previous kernel: untrusted) into O (room
 * for LUOD_REG_MAX): the count, or -EBADMSG for anything malformed (bad
 * magic, count, name, non-zero reserved bytes, a duplicate).
 */
int luod_reg_decode(const void *buf, size_t len, struct luod_owner *o);

/* The kernel's session name for OWNER's NAME: "luod:UID:NAME". */
void luod_kernel_name(char out[64], uint32_t uid, const char *name);

#endif /* LUOD_REGISTRY_H */
