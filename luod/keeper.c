// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/* Copyright (c) 2026 The luo-memfd authors */
/* The keeper of luod's descriptors (keeper.h). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "fdmsg.h"
#include "keeper.h"
#include "luod_proto.h"

#define KEEPER_MAX (1100) /* luod's sessions, its record and device, and slack */

struct keeper_msg {
	uint8_t op;
	uint8_t has_fd;
	uint16_t len;
	char tag[KEEPER_TAG_MAX];
};

int keeper_send(int ch, int op, const char *tag, int fd)
{
	struct keeper_msg m = { .op = (uint8_t)op, .has_fd = fd >= 0 };
	size_t n = tag ? strnlen(tag, KEEPER_TAG_MAX) : 0;

	if (n >= KEEPER_TAG_MAX)
		return -EINVAL;
	m.len = (uint16_t)n;
	memcpy(m.tag, tag ? tag : "", n);
	if (send_with_fd(ch, &m, sizeof(m), fd, 0) != (ssize_t)sizeof(m))
		return errno ? -errno : -EPROTO;
	return 0;
}

int keeper_recv(int ch, int *op, char tag[KEEPER_TAG_MAX], int *fd)
{
	struct keeper_msg m;
	union {
		struct cmsghdr h;
		char space[CMSG_SPACE(sizeof(int))];
	} ctl;
	struct iovec iov = { .iov_base = &m, .iov_len = sizeof(m) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.space,
			     .msg_controllen = sizeof(ctl.space) };
	struct cmsghdr *c;
	ssize_t n;

	*fd = -1;
	n = recvmsg(ch, &mh, MSG_CMSG_CLOEXEC);
	if (n < 0)
		return -errno;
	for (c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS &&
		    c->cmsg_len == CMSG_LEN(sizeof(int)))
			memcpy(fd, CMSG_DATA(c), sizeof(int));
	if (n != (ssize_t)sizeof(m) || m.len >= KEEPER_TAG_MAX || !!m.has_fd != (*fd >= 0) ||
	    (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC))) {
		if (*fd >= 0)
			close(*fd);
		*fd = -1;
		return n == 0 ? -ECONNRESET : -EPROTO;
	}
	*op = m.op;
	memcpy(tag, m.tag, m.len);
	tag[m.len] = '\0';
	return 0;
}

static struct {
	char tag[KEEPER_TAG_MAX];
	int fd;
} kept[KEEPER_MAX];
static unsigned int nkept;

static void keeper_drop(const char *tag)
{
	unsigned int i;

	for (i = 0; i < nkept; i++) {
		if (strcmp(kept[i].tag, tag))
			continue;
		if (kept[i].fd >= 0)
			close(kept[i].fd);
		kept[i] = kept[--nkept];
		return;
	}
}

static void keeper_add(const char *tag, int fd)
{
	keeper_drop(tag);
	if (nkept == KEEPER_MAX) {
		if (fd >= 0)
			close(fd);
		return;
	}
	memcpy(kept[nkept].tag, tag, strlen(tag) + 1);
	kept[nkept].fd = fd;
	nkept++;
}

/* Hand the whole list to a new luod on CH, after the keeper's pid. */
static int keeper_handover(int ch)
{
	char tag[KEEPER_TAG_MAX];
	unsigned int i;
	int err;

	snprintf(tag, sizeof(tag), "keeper-pid:%d", (int)getpid());
	err = keeper_send(ch, KEEPER_ADD, tag, -1);
	if (err)
		return err;
	for (i = 0; i < nkept; i++) {
		err = keeper_send(ch, KEEPER_ADD, kept[i].tag, kept[i].fd);
		if (err)
			return err;
	}
	return keeper_send(ch, KEEPER_END, NULL, -1);
}

/* Apply every message queued on CH: -1 once its luod is gone, else CH. */
static int keeper_drain(int ch)
{
	char tag[KEEPER_TAG_MAX];
	struct pollfd p;
	int op, fd;

	while (ch >= 0) {
		p = (struct pollfd){ .fd = ch, .events = POLLIN };
		if (poll(&p, 1, 0) <= 0)
			return ch; /* nothing queued, and still connected */
		if (keeper_recv(ch, &op, tag, &fd) < 0) {
			close(ch);
			return -1;
		}
		if (op == KEEPER_ADD) {
			keeper_add(tag, fd);
		} else {
			if (fd >= 0)
				close(fd);
			keeper_drop(tag);
			/* luod waits for this: the session may be gone now. */
			keeper_send(ch, KEEPER_END, tag, -1);
		}
	}
	return ch;
}

static void __attribute__((noreturn)) keeper_main(int ch, int lis)
{
	struct pollfd p[2];
	struct ucred cred;
	socklen_t clen;
	int c;

	for (;;) {
		p[0] = (struct pollfd){ .fd = ch, .events = POLLIN };
		p[1] = (struct pollfd){ .fd = lis, .events = POLLIN };
		if (poll(p, 2, -1) < 0)
			continue;
		/* luod gone: keep everything for the next one. */
		if (ch >= 0 && (p[0].revents & (POLLIN | POLLHUP | POLLERR)))
			ch = keeper_drain(ch);
		if (p[1].revents & POLLIN) {
			c = accept4(lis, NULL, NULL, SOCK_CLOEXEC);
			if (c < 0)
				continue;
			clen = sizeof(cred);
			/* Only root takes the sessions of every user. */
			if (getsockopt(c, SOL_SOCKET, SO_PEERCRED, &cred, &clen) < 0 ||
			    cred.uid != 0) {
				close(c);
				continue;
			}
			/*
			 * Apply what the old luod sent before it went: a new one
			 * gets everything, and only once the old one is gone.
			 */
			ch = keeper_drain(ch);
			if (ch >= 0 || keeper_handover(c) < 0) {
				close(c);
				continue;
			}
			ch = c;
		}
	}
}

int keeper_spawn(const char *path, pid_t *kpid)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int sv[2], lis, fd;
	pid_t pid;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return -errno;
	lis = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	unlink(path);
	if (lis < 0 || bind(lis, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    chmod(path, 0600) < 0 || listen(lis, 4) < 0) {
		fd = -errno;
		if (lis >= 0)
			close(lis);
		close(sv[0]);
		close(sv[1]);
		return fd;
	}
	pid = fork();
	if (pid < 0) {
		fd = -errno;
		close(lis);
		close(sv[0]);
		close(sv[1]);
		return fd;
	}
	if (pid == 0) {
		/* Only the channel, the socket and stdio: no client, no session. */
		for (fd = 3; fd < 4096; fd++)
			if (fd != sv[1] && fd != lis)
				close(fd);
		setsid();
		signal(SIGTERM, SIG_IGN);
		signal(SIGPIPE, SIG_IGN);
		keeper_main(sv[1], lis);
	}
	close(lis);
	close(sv[1]);
	*kpid = pid;
	return sv[0];
}

int keeper_connect(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int s;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	s = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (s < 0)
		return -errno;
	if (connect(s, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int err = -errno;

		close(s);
		return err;
	}
	return s;
}
