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
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "internal.h"
#include "luod_proto.h"

/* Numbers requests; luod refuses one that does not follow the last. */
static _Atomic uint32_t luo_broker_seq;

int luo__broker_request(int sock, uint16_t type, const char *name, int *fd_out,
			void *payload, size_t *plen)
{
	unsigned char buf[LUOD_MAX_MSG];
	union {
		struct cmsghdr c;
		char space[CMSG_SPACE(sizeof(int))];
	} ctl;
	struct iovec iov = { .iov_base = buf, .iov_len = sizeof(buf) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *c;
	const void *p;
	uint32_t seq = atomic_fetch_add(&luo_broker_seq, 1) + 1;
	size_t n;
	ssize_t got;
	int len, fd = -1, ret;

	len = luod_encode_req(buf, type, seq, name);
	if (len < 0)
		return len;
	do {
		got = send(sock, buf, (size_t)len, MSG_NOSIGNAL);
	} while (got < 0 && errno == EINTR);
	if (got < 0)
		return luo__neg_errno();
	if (got != len)
		return -EPROTO;

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
	ret = (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) ? -EPROTO :
		luod_decode_reply(buf, (size_t)got, type, seq, &p, &n);
	if (ret == 0 && (fd_out ? fd < 0 : fd >= 0))
		ret = -EPROTO; /* a descriptor missing, or one nobody asked for */
	if (ret == 0 && payload) {
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
