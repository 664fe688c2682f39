/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/* Copyright (c) 2026 The luo-memfd authors */
/*
 * luod's record of the sessions it creates, kept in a memfd that is itself
 * preserved, so that the next kernel's luod knows who owns what.
 *
 * The kexec can come at any instant, also in the middle of a rewrite, so
 * the record has two slots of LUOD_REG_SLOT bytes and a rewrite goes to the
 * older one, its generation stored last: a reader takes the valid slot of
 * the higher generation, the last one written whole. Slot format (native
 * byte order; docs/luod.md):
 *   header: char magic[8] = "LUODREG1", u32 count, u32 generation
 *   count entries of 64 bytes: u32 uid, u8 name length, u8 reserved[3],
 *   char name[40], u8 reserved[16]; every reserved byte, the name's tail
 *   and the rest of the slot are zero.
 */
#ifndef LUOD_REGISTRY_H
#define LUOD_REGISTRY_H

#include <stddef.h>
#include <stdint.h>

#include "luod_proto.h"

#define LUOD_REG_SLOT (64u << 10)
#define LUOD_REG_SIZE (2 * LUOD_REG_SLOT)
#define LUOD_REG_HDR 16u
#define LUOD_REG_ENTRY 64u
#define LUOD_REG_MAX ((LUOD_REG_SLOT - LUOD_REG_HDR) / LUOD_REG_ENTRY)

struct luod_owner {
	uint32_t uid;
	char name[LUOD_NAME_MAX + 1];
};

/*
 * Write N owners into the older slot of the record BUF (LUOD_REG_SIZE
 * bytes, shared memory the kexec may cut short): 0, -E2BIG or -EINVAL.
 */
int luod_reg_encode(void *buf, const struct luod_owner *o, uint32_t n);

/*
 * Read the record BUF (LEN bytes, from the previous kernel: untrusted) into
 * O (room for LUOD_REG_MAX): the count in the valid slot of the higher
 * generation, or -EBADMSG when no slot is valid (bad magic, count, name,
 * non-zero reserved bytes, a duplicate) or LEN is not LUOD_REG_SIZE.
 */
int luod_reg_decode(const void *buf, size_t len, struct luod_owner *o);

/* The kernel's session name for OWNER's NAME: "luod:UID:NAME". */
void luod_kernel_name(char out[64], uint32_t uid, const char *name);

#endif /* LUOD_REGISTRY_H */
