/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/* Copyright (c) 2026 The luo-memfd authors */
/*
 * The luod protocol, version 1 (docs/luod.md is its specification).
 *
 * Pure encoding and decoding: no system call, so the daemon, libluo's
 * client side, the unit tests and the fuzzer share it.
 */
#ifndef LIBLUO_LUOD_PROTO_H
#define LIBLUO_LUOD_PROTO_H

#include <stddef.h>
#include <stdint.h>

/* Internal to libluo (and luod, which links libluo.a): never exported. */
#define LUOD_HIDDEN __attribute__((visibility("hidden")))

#define LUOD_MAGIC 0x444f554cu /* "LUOD" in memory on little-endian */
#define LUOD_VERSION 1
#define LUOD_HDR_SIZE 16
#define LUOD_MAX_PAYLOAD 4096 /* of a request */
#define LUOD_MAX_MSG (LUOD_HDR_SIZE + LUOD_MAX_PAYLOAD)
#define LUOD_MAX_REPLY 65536  /* a whole reply: LIST of every session fits */
#define LUOD_SOCKET_PATH "/run/luod/liveupdate.sock"

/* Longest client session name, and the longest "UID/NAME" form. */
#define LUOD_NAME_MAX 40
#define LUOD_UID_DIGITS 10
#define LUOD_REF_MAX (LUOD_UID_DIGITS + 1 + LUOD_NAME_MAX)

enum luod_type {
	LUOD_HELLO = 1,    /* -> version, the uid luod sees, flags */
	LUOD_CREATE = 2,   /* name -> a new outgoing session (fd) */
	LUOD_RETRIEVE = 3, /* name -> the session the previous kernel handed over (fd) */
	LUOD_LIST = 4,     /* -> the caller's sessions (root: everyone's) */
	LUOD_RELEASE = 5,  /* name -> luod drops its own reference to the session */
	LUOD_WATCH = 6,    /* -> this connection is told before a kexec (events) */
	LUOD_READY = 7,    /* u32 id: a watcher's answer to PREPARE id (no reply) */
	LUOD_PREPARE = 8,  /* u32 timeout ms (root) -> every watcher asked; who answered */
	LUOD_STATUS = 9,   /* -> LIST, and each session's files and bytes */
	LUOD_EVENT_PREPARE = 0x4001, /* luod -> watcher, seq = id: get ready, answer READY */
	LUOD_REPLY = 0x8000, /* or-ed into the request's type in its reply */
};

/* luod_hello_reply.flags */
#define LUOD_HELLO_RECOVERED (1u << 0) /* a previous kernel's luod state was read */

/* luod_entry.state */
enum luod_state {
	LUOD_OUTGOING = 1,  /* created in this kernel, goes to the next */
	LUOD_WAITING = 2,   /* handed over by the previous kernel, not retrieved yet */
	LUOD_RETRIEVED = 3, /* handed over and retrieved */
};

struct luod_hdr {
	uint32_t magic;
	uint16_t version;
	uint16_t type;
	uint32_t seq;
	uint32_t len; /* payload bytes after the header */
};

/* luod_entry.files and .bytes when luod cannot tell */
#define LUOD_FILES_UNKNOWN UINT32_MAX
#define LUOD_BYTES_UNKNOWN UINT64_MAX

/* A session as LIST and STATUS report it. */
struct luod_entry {
	uint32_t uid;
	uint8_t state;
	char name[LUOD_NAME_MAX + 1];
	uint32_t files; /* STATUS only: files in the session */
	uint64_t bytes; /* STATUS only: their sizes added up */
};

/* A decoded request. */
struct luod_req {
	struct luod_hdr hdr;
	uint32_t arg;      /* READY's id, PREPARE's timeout */
	int has_uid;       /* the name said "UID/NAME" */
	uint32_t uid;      /* that UID */
	char name[LUOD_NAME_MAX + 1];
};

/*
 * 1 if NAME (LEN bytes, no NUL needed) is a valid client session name:
 * 1 to LUOD_NAME_MAX bytes of [A-Za-z0-9._-], not starting with '.'.
 */
LUOD_HIDDEN int luod_name_valid(const char *name, size_t len);

/*
 * Decode a request of LEN bytes: 0, or a negative errno for the error
 * reply: -EPROTO (bad magic, length, or a type luod does not know),
 * -EPROTONOSUPPORT (version), -EINVAL (a bad name).
 */
LUOD_HIDDEN int luod_decode_req(const void *buf, size_t len, struct luod_req *req);

/* Encode a request into BUF (LUOD_MAX_MSG bytes): its length, or -EINVAL. */
LUOD_HIDDEN int luod_encode_req(void *buf, uint16_t type, uint32_t seq, const char *name);

/* Encode a request whose payload is one u32 (READY, PREPARE): its length. */
LUOD_HIDDEN int luod_encode_req_u32(void *buf, uint16_t type, uint32_t seq, uint32_t arg);

/*
 * Encode a reply to TYPE/SEQ with STATUS and PAYLOAD (PLEN bytes) into BUF
 * (LUOD_MAX_REPLY bytes): its length, or -EMSGSIZE.
 */
LUOD_HIDDEN int luod_encode_reply(void *buf, uint16_t type, uint32_t seq, int32_t status,
		      const void *payload, size_t plen);

/*
 * Decode a reply of LEN bytes to a request TYPE/SEQ: its status (0 or a
 * negative errno from luod) with *PAYLOAD and *PLEN after the status, or
 * -EPROTO for a malformed reply.
 */
LUOD_HIDDEN int luod_decode_reply(const void *buf, size_t len, uint16_t type, uint32_t seq,
		      const void **payload, size_t *plen);

/* LIST reply payload: u32 count, then per entry u32 uid, u8 state, u8 len, name. */
LUOD_HIDDEN int luod_encode_list(void *buf, size_t size, const struct luod_entry *e, uint32_t n);
/* Decode up to MAX entries: the count, or -EPROTO. */
LUOD_HIDDEN int luod_decode_list(const void *buf, size_t len, struct luod_entry *e, uint32_t max);

/* STATUS reply payload: LIST's, each entry followed by u32 files, u64 bytes. */
LUOD_HIDDEN int luod_encode_status(void *buf, size_t size, const struct luod_entry *e,
				   uint32_t n);
LUOD_HIDDEN int luod_decode_status(const void *buf, size_t len, struct luod_entry *e,
				   uint32_t max);

#endif /* LIBLUO_LUOD_PROTO_H */
