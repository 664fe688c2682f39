/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/* Copyright (c) 2026 The luo-memfd authors */
/* Internal helpers of libluo; not installed. */
#ifndef LIBLUO_INTERNAL_H
#define LIBLUO_INTERNAL_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>

#include "libluo.h"

/* Marks internal functions shared between translation units. */
#define LUO_HIDDEN __attribute__((visibility("hidden")))

#define LUO_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Offset of the first byte after MEMBER of TYPE. */
#define luo_offsetofend(TYPE, MEMBER) \
	(offsetof(TYPE, MEMBER) + sizeof(((TYPE *)0)->MEMBER))

/*
 * Value of OPTS->FIELD when OPTS is non-NULL and its sz covers FIELD,
 * DEF otherwise. OPTS must have passed luo__opts_check() first.
 */
#define LUO_OPT(OPTS, FIELD, DEF)                                              \
	(((OPTS) && (OPTS)->sz >= luo_offsetofend(__typeof__(*(OPTS)), FIELD)) \
		 ? (OPTS)->FIELD                                               \
		 : (DEF))

/* errno of the failed libc call as a negative value, never 0. */
static inline int luo__neg_errno(void)
{
	return errno > 0 ? -errno : -EIO;
}

/*
 * Validate a size-carrying input structure whose library-side size is
 * KNOWN. NULL is valid (defaults). sz below sizeof(size_t) is -EINVAL; sz
 * above LUO_OPTS_MAX_SIZE is -E2BIG; bytes in [KNOWN, sz) must be zero, else
 * -E2BIG.
 */
LUO_HIDDEN int luo__opts_check(const void *opts, size_t known);

/*
 * Validate a size-carrying output structure: not NULL (-EINVAL), sz at
 * least sizeof(size_t) (-EINVAL) and at most LUO_OPTS_MAX_SIZE (-E2BIG).
 */
LUO_HIDDEN int luo__out_check(const void *out);

/*
 * Copy the library's filled-in structure SRC (KNOWN bytes, its sz member is
 * ignored) into the caller's DST. A caller whose dst->sz covers KNOWN gets
 * it all and zeros beyond it; a smaller one gets only the members that fit
 * whole: ENDS lists, in order, the offset just past each member after sz
 * (luo_offsetofend()), and no byte of a member cut by sz is written.
 */
LUO_HIDDEN void luo__out_copy(void *dst, const void *src, size_t known,
			      const size_t *ends, size_t nends);

/*
 * Validate the memfd options OPTS (which passed luo__opts_check()) as
 * luo_memfd_create() does, before any system call: 0 with the page size
 * in *PAGE and its log2 in *SHIFT for HugeTLB (0 for shmem), or -EINVAL /
 * -EFBIG.
 */
LUO_HIDDEN int luo__memfd_check(const struct luo_memfd_opts *opts, uint64_t *page,
				unsigned int *shift);

/*
 * One request to luod on the connection SOCK (docs/luod.md): TYPE with
 * NAME (or NULL). With FD_OUT, the reply must carry a descriptor, stored
 * there; with PAYLOAD, up to *PLEN bytes of the reply's payload are copied
 * and *PLEN set, also when luod's status is an error. 0, luod's negative errno, -EPROTO for a malformed reply,
 * or the socket's error.
 */
LUO_HIDDEN int luo__broker_request(int sock, uint16_t type, const char *name, int *fd_out,
				   void *payload, size_t *plen);

/* The same for a request whose payload is one u32 (PREPARE). */
LUO_HIDDEN int luo__broker_request_u32(int sock, uint16_t type, uint32_t arg, void *payload,
				       size_t *plen);

/* 1 if FD is a connection to luod (a SOCK_SEQPACKET socket), else 0. */
LUO_HIDDEN int luo__is_broker(int fd);

/*
 * Parse a NUL-terminated kernel command line (modified in place) into
 * LUO_PROBE_CMDLINE_* flags.
 */
LUO_HIDDEN uint64_t luo__parse_cmdline(char *cmdline);

#endif /* LIBLUO_INTERNAL_H */
