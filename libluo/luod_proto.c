// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/* Copyright (c) 2026 The luo-memfd authors */
/* The luod protocol, version 1: encoding and decoding (docs/luod.md). */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>

#include "luod_proto.h"

_Static_assert(sizeof(struct luod_hdr) == LUOD_HDR_SIZE, "the header is 16 bytes");

static int luod_name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '.' || c == '_' || c == '-';
}

int luod_name_valid(const char *name, size_t len)
{
	size_t i;

	if (!name || len == 0 || len > LUOD_NAME_MAX || name[0] == '.')
		return 0;
	for (i = 0; i < len; i++)
		if (!luod_name_char(name[i]))
			return 0;
	return 1;
}

/* "[UID/]NAME" of LEN bytes into REQ: 0 or -EINVAL. */
static int luod_parse_ref(const char *ref, size_t len, struct luod_req *req)
{
	const char *slash = memchr(ref, '/', len);
	uint64_t uid = 0;
	size_t i, digits;

	if (slash) {
		digits = (size_t)(slash - ref);
		if (digits == 0 || digits > LUOD_UID_DIGITS || (ref[0] == '0' && digits > 1))
			return -EINVAL;
		for (i = 0; i < digits; i++) {
			if (ref[i] < '0' || ref[i] > '9')
				return -EINVAL;
			uid = uid * 10 + (uint64_t)(ref[i] - '0');
		}
		if (uid > UINT32_MAX)
			return -EINVAL;
		req->has_uid = 1;
		req->uid = (uint32_t)uid;
		len -= digits + 1;
		ref = slash + 1;
	}
	if (!luod_name_valid(ref, len))
		return -EINVAL;
	memcpy(req->name, ref, len);
	req->name[len] = '\0';
	return 0;
}

int luod_decode_req(const void *buf, size_t len, struct luod_req *req)
{
	const unsigned char *p = buf;
	uint16_t n;

	memset(req, 0, sizeof(*req));
	if (len < LUOD_HDR_SIZE || len > LUOD_MAX_MSG)
		return -EPROTO;
	memcpy(&req->hdr, p, LUOD_HDR_SIZE);
	if (req->hdr.magic != LUOD_MAGIC)
		return -EPROTO;
	if (req->hdr.version != LUOD_VERSION)
		return -EPROTONOSUPPORT;
	if (req->hdr.len != len - LUOD_HDR_SIZE)
		return -EPROTO;
	p += LUOD_HDR_SIZE;
	switch (req->hdr.type) {
	case LUOD_HELLO:
	case LUOD_LIST:
	case LUOD_WATCH:
	case LUOD_STATUS:
		return req->hdr.len == 0 ? 0 : -EPROTO;
	case LUOD_READY:
	case LUOD_PREPARE:
		if (req->hdr.len != 4)
			return -EPROTO;
		memcpy(&req->arg, p, 4);
		return 0;
	case LUOD_CREATE:
	case LUOD_RETRIEVE:
	case LUOD_RELEASE:
		if (req->hdr.len < 2)
			return -EPROTO;
		memcpy(&n, p, 2);
		if ((size_t)n + 2 != req->hdr.len)
			return -EPROTO;
		if (n > LUOD_REF_MAX)
			return -EINVAL;
		return luod_parse_ref((const char *)p + 2, n, req);
	default:
		return -EPROTO;
	}
}

int luod_encode_req_u32(void *buf, uint16_t type, uint32_t seq, uint32_t arg)
{
	struct luod_hdr h = { .magic = LUOD_MAGIC, .version = LUOD_VERSION, .type = type,
			      .seq = seq, .len = 4 };
	unsigned char *p = buf;

	memcpy(p, &h, LUOD_HDR_SIZE);
	memcpy(p + LUOD_HDR_SIZE, &arg, 4);
	return LUOD_HDR_SIZE + 4;
}

int luod_encode_req(void *buf, uint16_t type, uint32_t seq, const char *name)
{
	struct luod_hdr h = { .magic = LUOD_MAGIC, .version = LUOD_VERSION, .type = type,
			      .seq = seq };
	unsigned char *p = buf;
	size_t n = name ? strnlen(name, LUOD_REF_MAX + 1) : 0;
	uint16_t n16 = (uint16_t)n;

	if (n > LUOD_REF_MAX)
		return -EINVAL;
	if (name) {
		h.len = (uint32_t)(2 + n);
		memcpy(p + LUOD_HDR_SIZE, &n16, 2);
		memcpy(p + LUOD_HDR_SIZE + 2, name, n);
	}
	memcpy(p, &h, LUOD_HDR_SIZE);
	return (int)(LUOD_HDR_SIZE + h.len);
}

int luod_encode_reply(void *buf, uint16_t type, uint32_t seq, int32_t status,
		      const void *payload, size_t plen)
{
	struct luod_hdr h = { .magic = LUOD_MAGIC, .version = LUOD_VERSION,
			      .type = (uint16_t)(type | LUOD_REPLY), .seq = seq };
	unsigned char *p = buf;

	if (plen > LUOD_MAX_REPLY - LUOD_HDR_SIZE - 4)
		return -EMSGSIZE;
	h.len = (uint32_t)(4 + plen);
	memcpy(p, &h, LUOD_HDR_SIZE);
	memcpy(p + LUOD_HDR_SIZE, &status, 4);
	if (plen)
		memcpy(p + LUOD_HDR_SIZE + 4, payload, plen);
	return (int)(LUOD_HDR_SIZE + h.len);
}

int luod_decode_reply(const void *buf, size_t len, uint16_t type, uint32_t seq,
		      const void **payload, size_t *plen)
{
	const unsigned char *p = buf;
	struct luod_hdr h;
	int32_t status;

	if (len < LUOD_HDR_SIZE + 4 || len > LUOD_MAX_REPLY)
		return -EPROTO;
	memcpy(&h, p, LUOD_HDR_SIZE);
	if (h.magic != LUOD_MAGIC || h.version != LUOD_VERSION || h.len != len - LUOD_HDR_SIZE)
		return -EPROTO;
	/* An error reply to a message luod could not read has type LUOD_REPLY. */
	if (h.type != (uint16_t)(type | LUOD_REPLY) && h.type != LUOD_REPLY)
		return -EPROTO;
	if (h.seq != seq)
		return -EPROTO;
	memcpy(&status, p + LUOD_HDR_SIZE, 4);
	if (status > 0 || status < -4095)
		return -EPROTO;
	*payload = p + LUOD_HDR_SIZE + 4;
	*plen = h.len - 4;
	return status;
}

/* LIST's entries, and with STATUS each one's files and bytes after its name. */
static int encode_entries(void *buf, size_t size, const struct luod_entry *e, uint32_t n,
			  int status)
{
	const size_t extra = status ? 12 : 0;
	unsigned char *p = buf;
	size_t off = 4, len;
	uint32_t i;

	if (size < 4)
		return -EMSGSIZE;
	memcpy(p, &n, 4);
	for (i = 0; i < n; i++) {
		len = strnlen(e[i].name, LUOD_NAME_MAX + 1);
		if (len > LUOD_NAME_MAX)
			return -EINVAL;
		if (off + 6 + len + extra > size)
			return -EMSGSIZE;
		memcpy(p + off, &e[i].uid, 4);
		p[off + 4] = e[i].state;
		p[off + 5] = (unsigned char)len;
		memcpy(p + off + 6, e[i].name, len);
		off += 6 + len;
		if (status) {
			memcpy(p + off, &e[i].files, 4);
			memcpy(p + off + 4, &e[i].bytes, 8);
			off += 12;
		}
	}
	return (int)off;
}

static int decode_entries(const void *buf, size_t len, struct luod_entry *e, uint32_t max,
			  int status)
{
	const size_t extra = status ? 12 : 0;
	const unsigned char *p = buf;
	size_t off = 4, nlen;
	uint32_t n, i;

	if (len < 4)
		return -EPROTO;
	memcpy(&n, p, 4);
	if (n > max)
		return -EPROTO;
	for (i = 0; i < n; i++) {
		if (off + 6 > len)
			return -EPROTO;
		memcpy(&e[i].uid, p + off, 4);
		e[i].state = p[off + 4];
		nlen = p[off + 5];
		if (e[i].state < LUOD_OUTGOING || e[i].state > LUOD_RETRIEVED ||
		    off + 6 + nlen + extra > len ||
		    !luod_name_valid((const char *)p + off + 6, nlen))
			return -EPROTO;
		memcpy(e[i].name, p + off + 6, nlen);
		e[i].name[nlen] = '\0';
		off += 6 + nlen;
		e[i].files = LUOD_FILES_UNKNOWN;
		e[i].bytes = LUOD_BYTES_UNKNOWN;
		if (status) {
			memcpy(&e[i].files, p + off, 4);
			memcpy(&e[i].bytes, p + off + 4, 8);
			off += 12;
		}
	}
	return off == len ? (int)n : -EPROTO;
}

int luod_encode_list(void *buf, size_t size, const struct luod_entry *e, uint32_t n)
{
	return encode_entries(buf, size, e, n, 0);
}

int luod_decode_list(const void *buf, size_t len, struct luod_entry *e, uint32_t max)
{
	return decode_entries(buf, len, e, max, 0);
}

int luod_encode_status(void *buf, size_t size, const struct luod_entry *e, uint32_t n)
{
	return encode_entries(buf, size, e, n, 1);
}

int luod_decode_status(const void *buf, size_t len, struct luod_entry *e, uint32_t max)
{
	return decode_entries(buf, len, e, max, 1);
}
