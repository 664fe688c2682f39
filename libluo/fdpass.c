// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/* Copyright (c) 2026 The luo-memfd authors */
/*
 * Handing descriptors to another process over a Unix socket (SCM_RIGHTS).
 *
 * Wire format: one message whose data is an 8-byte header, the magic
 * "LUOF" and the descriptor count as little-endian 32-bit integers, with the
 * descriptors attached as one SCM_RIGHTS control message.
 */
#define _GNU_SOURCE
#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "internal.h"

#define LUO_FDPASS_MAGIC 0x464f554cU /* "LUOF" read as little-endian */
#define LUO_FDPASS_HDR 8

#ifndef SCM_PIDFD
#define SCM_PIDFD 0x04 /* Linux 6.5+: a pidfd, installed like SCM_RIGHTS */
#endif

/*
 * Room for the descriptors plus what a receiving socket may add unasked:
 * SCM_CREDENTIALS (SO_PASSCRED) and SCM_PIDFD (SO_PASSPIDFD).
 */
#define LUO_CMSG_EXTRA (CMSG_SPACE(sizeof(struct ucred)) + CMSG_SPACE(sizeof(int)))

union luo_cmsg_buf {
	char buf[CMSG_SPACE(sizeof(int) * LUO_SEND_FDS_MAX) + LUO_CMSG_EXTRA];
	struct cmsghdr align;
};

static void luo_put_le32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
	p[2] = (unsigned char)(v >> 16);
	p[3] = (unsigned char)(v >> 24);
}

static uint32_t luo_get_le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

int luo_send_fds(int sock, const int *fds, unsigned int nfds)
{
	unsigned char hdr[LUO_FDPASS_HDR];
	union luo_cmsg_buf cbuf;
	struct cmsghdr *cmsg;
	struct msghdr msg;
	struct iovec iov;
	size_t off = 0;
	unsigned int i;
	ssize_t n;

	if (sock < 0)
		return -EBADF;
	if (!fds || !nfds)
		return -EINVAL;
	if (nfds > LUO_SEND_FDS_MAX)
		return -E2BIG;
	for (i = 0; i < nfds; i++)
		if (fds[i] < 0)
			return -EBADF;

	luo_put_le32(hdr, LUO_FDPASS_MAGIC);
	luo_put_le32(hdr + 4, nfds);
	memset(&cbuf, 0, sizeof(cbuf));
	memset(&msg, 0, sizeof(msg));
	iov.iov_base = hdr;
	iov.iov_len = sizeof(hdr);
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = cbuf.buf;
	msg.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
	cmsg = CMSG_FIRSTHDR(&msg);
	cmsg->cmsg_level = SOL_SOCKET;
	cmsg->cmsg_type = SCM_RIGHTS;
	cmsg->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
	memcpy(CMSG_DATA(cmsg), fds, sizeof(int) * nfds);

	/* The descriptors travel with the first byte; a stream socket may
	 * take the rest of the header in later calls, without them. */
	while (off < sizeof(hdr)) {
		iov.iov_base = hdr + off;
		iov.iov_len = sizeof(hdr) - off;
		n = sendmsg(sock, &msg, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return luo__neg_errno();
		off += (size_t)n;
		msg.msg_control = NULL;
		msg.msg_controllen = 0;
	}
	return 0;
}

static void luo_close_all(const int *fds, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		close(fds[i]);
}

int luo_recv_fds(int sock, int *fds, unsigned int max_fds)
{
	unsigned char hdr[LUO_FDPASS_HDR];
	int got[LUO_SEND_FDS_MAX];
	union luo_cmsg_buf cbuf;
	unsigned int ngot = 0, k, i;
	bool extra = false;
	struct cmsghdr *cmsg;
	struct msghdr msg;
	struct iovec iov;
	size_t off = 0, len;
	int err = 0, type, fd;
	socklen_t tlen;
	ssize_t n;

	if (sock < 0)
		return -EBADF;
	if (!fds || !max_fds)
		return -EINVAL;
	if (max_fds > LUO_SEND_FDS_MAX)
		return -E2BIG;

	memset(&cbuf, 0, sizeof(cbuf));
	memset(&msg, 0, sizeof(msg));
	iov.iov_base = hdr;
	iov.iov_len = sizeof(hdr);
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = cbuf.buf;
	msg.msg_controllen = CMSG_SPACE(sizeof(int) * max_fds) + LUO_CMSG_EXTRA;
	do
		n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return luo__neg_errno();

	/* Collect whatever arrived first, so that every error path closes it. */
	for (cmsg = CMSG_FIRSTHDR(&msg); cmsg; cmsg = CMSG_NXTHDR(&msg, cmsg)) {
		if (cmsg->cmsg_level != SOL_SOCKET)
			continue;
		if (cmsg->cmsg_type != SCM_RIGHTS && cmsg->cmsg_type != SCM_PIDFD)
			continue; /* e.g. SCM_CREDENTIALS: nothing to release */
		len = cmsg->cmsg_len - CMSG_LEN(0);
		k = (unsigned int)(len / sizeof(int));
		for (i = 0; i < k; i++) {
			memcpy(&fd, CMSG_DATA(cmsg) + i * sizeof(int), sizeof(int));
			if (cmsg->cmsg_type == SCM_PIDFD) {
				close(fd); /* not ours to keep */
			} else if (ngot < LUO_SEND_FDS_MAX) {
				got[ngot++] = fd;
			} else {
				close(fd); /* more than SCM_MAX_FD: impossible */
				extra = true;
			}
		}
	}

	if (n == 0) {
		err = -ECONNRESET;
		goto fail;
	}
	/* CMSG_SPACE() rounds up, so the kernel may deliver one or more
	 * descriptors than asked for without setting MSG_CTRUNC. */
	if ((msg.msg_flags & (MSG_CTRUNC | MSG_TRUNC)) || ngot > max_fds || extra) {
		err = -EMSGSIZE;
		goto fail;
	}
	off = (size_t)n;
	if (off < sizeof(hdr)) {
		/* Only a stream socket may deliver the header in pieces. */
		tlen = sizeof(type);
		if (getsockopt(sock, SOL_SOCKET, SO_TYPE, &type, &tlen) < 0) {
			err = luo__neg_errno();
			goto fail;
		}
		if (type != SOCK_STREAM) {
			err = -EPROTO;
			goto fail;
		}
	}
	while (off < sizeof(hdr)) {
		n = recv(sock, hdr + off, sizeof(hdr) - off, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err = luo__neg_errno();
			goto fail;
		}
		if (n == 0) {
			err = -ECONNRESET;
			goto fail;
		}
		off += (size_t)n;
	}
	if (luo_get_le32(hdr) != LUO_FDPASS_MAGIC || luo_get_le32(hdr + 4) != ngot ||
	    ngot == 0) {
		err = -EPROTO;
		goto fail;
	}
	memcpy(fds, got, ngot * sizeof(int));
	return (int)ngot;

fail:
	luo_close_all(got, ngot);
	return err;
}
