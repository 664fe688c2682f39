// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/* Copyright (c) 2026 The luo-memfd authors */
/*
 * Client side of luod, the live-update broker (docs/luod.md): when luod
 * holds /dev/liveupdate, a connection to its socket stands in for the
 * device descriptor in luo_session_create() and luo_session_retrieve().
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "internal.h"
#include "luod_proto.h"

/* Numbers requests; luod refuses one that does not follow the last. */
static _Atomic uint32_t luo_broker_seq;

/*
 * Read luod's reply to request TYPE numbered SEQ into BUF (LUOD_MAX_REPLY
 * bytes). A reply to an earlier request (one its sender gave up on) is
 * skipped, with any descriptor it carried.
 */
static int luo_broker_read(int sock, unsigned char *buf, uint16_t type, uint32_t seq,
			   int *fd_out, void *payload, size_t *plen)
{
	union {
		struct cmsghdr c;
		char space[CMSG_SPACE(sizeof(int))];
	} ctl;
	struct iovec iov = { .iov_base = buf, .iov_len = LUOD_MAX_REPLY };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct luod_hdr h;
	struct cmsghdr *c;
	const void *p = NULL;
	size_t n = 0;
	ssize_t got;
	int fd, ret;

	for (;;) {
		fd = -1;
		memset(&ctl, 0, sizeof(ctl));
		mh.msg_control = ctl.space;
		mh.msg_controllen = sizeof(ctl.space);
		do {
			got = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
		} while (got < 0 && errno == EINTR);
		if (got < 0)
			return luo__neg_errno();
		if (got == 0)
			return -ECONNRESET;
		for (c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c))
			if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS &&
			    c->cmsg_len == CMSG_LEN(sizeof(int)))
				memcpy(&fd, CMSG_DATA(c), sizeof(int));
		if ((size_t)got >= sizeof(h)) {
			memcpy(&h, buf, sizeof(h));
			/* seq 0: luod could not read the request; that is the answer. */
			if (h.magic == LUOD_MAGIC && h.seq != 0 && (int32_t)(h.seq - seq) < 0) {
				if (fd >= 0)
					close(fd);
				continue;
			}
		}
		break;
	}
	ret = (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) ? -EPROTO :
		luod_decode_reply(buf, (size_t)got, type, seq, &p, &n);
	if (ret == 0 && (fd_out ? fd < 0 : fd >= 0))
		ret = -EPROTO; /* a descriptor missing, or one nobody asked for */
	/* luod's payload comes with a failure too (PREPARE's late clients). */
	if (p && payload) {
		if (n > *plen) {
			ret = -EPROTO;
		} else {
			memcpy(payload, p, n);
			*plen = n;
		}
	}
	if (ret < 0) {
		if (fd >= 0)
			close(fd);
		return ret;
	}
	if (fd_out)
		*fd_out = fd;
	return 0;
}

/* Send the request in BUF (LEN bytes, TYPE numbered SEQ) and read the reply. */
static int luo_broker_call(int sock, const unsigned char *buf, int len, uint16_t type,
			   uint32_t seq, int *fd_out, void *payload, size_t *plen)
{
	unsigned char *reply;
	ssize_t got;
	int ret;

	do {
		got = send(sock, buf, (size_t)len, MSG_NOSIGNAL);
	} while (got < 0 && errno == EINTR);
	if (got < 0)
		return luo__neg_errno();
	if (got != len)
		return -EPROTO;
	reply = malloc(LUOD_MAX_REPLY);
	if (!reply)
		return -ENOMEM;
	ret = luo_broker_read(sock, reply, type, seq, fd_out, payload, plen);
	free(reply);
	return ret;
}

int luo__broker_request(int sock, uint16_t type, const char *name, int *fd_out,
			void *payload, size_t *plen)
{
	unsigned char buf[LUOD_MAX_MSG];
	uint32_t seq = atomic_fetch_add(&luo_broker_seq, 1) + 1;
	int len = luod_encode_req(buf, type, seq, name);

	if (len < 0)
		return len;
	return luo_broker_call(sock, buf, len, type, seq, fd_out, payload, plen);
}

int luo__broker_request_u32(int sock, uint16_t type, uint32_t arg, void *payload, size_t *plen)
{
	unsigned char buf[LUOD_MAX_MSG];
	uint32_t seq = atomic_fetch_add(&luo_broker_seq, 1) + 1;
	int len = luod_encode_req_u32(buf, type, seq, arg);

	return luo_broker_call(sock, buf, len, type, seq, NULL, payload, plen);
}

int luo__is_broker(int fd)
{
	struct stat st;
	int type;
	socklen_t len = sizeof(type);

	if (fstat(fd, &st) < 0 || !S_ISSOCK(st.st_mode))
		return 0;
	return getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) == 0 && type == SOCK_SEQPACKET;
}

int luo_connect(const struct luo_connect_opts *opts)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	const char *path;
	uint64_t flags;
	unsigned char hello[12];
	size_t hlen = sizeof(hello);
	uint16_t version;
	int err, sock;

	err = luo__opts_check(opts, sizeof(*opts));
	if (err)
		return err;
	path = LUO_OPT(opts, path, NULL);
	flags = LUO_OPT(opts, flags, 0);
	if (flags & ~LUO_CONNECT_NOCLOEXEC)
		return -EINVAL;
	if (!path)
		path = LUOD_SOCKET_PATH;
	if (!*path)
		return -EINVAL;
	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	memcpy(sa.sun_path, path, strlen(path) + 1);

	sock = socket(AF_UNIX,
		      SOCK_SEQPACKET | ((flags & LUO_CONNECT_NOCLOEXEC) ? 0 : SOCK_CLOEXEC), 0);
	if (sock < 0)
		return luo__neg_errno();
	if (connect(sock, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		err = luo__neg_errno();
		goto fail;
	}
	err = luo__broker_request(sock, LUOD_HELLO, NULL, NULL, hello, &hlen);
	if (err)
		goto fail;
	memcpy(&version, hello, sizeof(version));
	if (hlen != sizeof(hello) || version != LUOD_VERSION) {
		err = -EPROTONOSUPPORT;
		goto fail;
	}
	return sock;
fail:
	close(sock);
	return err;
}

int luo_watch(const struct luo_connect_opts *opts)
{
	int conn = luo_connect(opts), err;

	if (conn < 0)
		return conn;
	err = luo__broker_request(conn, LUOD_WATCH, NULL, NULL, NULL, NULL);
	if (err) {
		close(conn);
		return err;
	}
	return conn;
}

int luo_watch_read(int wfd)
{
	unsigned char buf[LUOD_MAX_MSG];
	struct luod_hdr h;
	ssize_t n;

	if (wfd < 0)
		return -EBADF;
	do {
		n = recv(wfd, buf, sizeof(buf), 0);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return luo__neg_errno();
	if (n == 0)
		return -ECONNRESET;
	if (n != LUOD_HDR_SIZE)
		return -EPROTO;
	memcpy(&h, buf, sizeof(h));
	if (h.magic != LUOD_MAGIC || h.version != LUOD_VERSION ||
	    h.type != LUOD_EVENT_PREPARE || h.len != 0 || h.seq == 0 || h.seq > INT32_MAX)
		return -EPROTO;
	return (int)h.seq;
}

int luo_watch_ready(int wfd, int id)
{
	unsigned char buf[LUOD_HDR_SIZE + 4];
	uint32_t seq = atomic_fetch_add(&luo_broker_seq, 1) + 1;
	int len;
	ssize_t n;

	if (wfd < 0)
		return -EBADF;
	if (id <= 0)
		return -EINVAL;
	len = luod_encode_req_u32(buf, LUOD_READY, seq, (uint32_t)id);
	do {
		n = send(wfd, buf, (size_t)len, MSG_NOSIGNAL);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return luo__neg_errno();
	return n == len ? 0 : -EPROTO;
}

int luo_release(int conn, const char *name)
{
	if (conn < 0)
		return -EBADF;
	if (!name)
		return -EINVAL;
	if (!luo__is_broker(conn))
		return -ENOTSOCK;
	return luo__broker_request(conn, LUOD_RELEASE, name, NULL, NULL, NULL);
}
