/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/* Copyright (c) 2026 The luo-memfd authors */
/* One message on a Unix socket, with one descriptor riding along. */
#ifndef LUOD_FDMSG_H
#define LUOD_FDMSG_H

#include <stddef.h>
#include <sys/types.h>

/*
 * Send LEN bytes of BUF on SOCK with FLAGS (MSG_NOSIGNAL is added), and FD
 * as SCM_RIGHTS if FD >= 0: what sendmsg() returns.
 */
ssize_t send_with_fd(int sock, const void *buf, size_t len, int fd, int flags);

#endif /* LUOD_FDMSG_H */
