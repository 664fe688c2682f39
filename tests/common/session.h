/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Raw LUO session ioctls for the stage programs in tests/shmem (the same
 * four calls each of them needs; libluo has the full API). Each returns
 * a descriptor or 0 on success, -1 with errno set on failure.
 */
#ifndef LUO_TESTS_SESSION_H
#define LUO_TESTS_SESSION_H

#include <stdint.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <linux/liveupdate.h>

/* LIVEUPDATE_IOCTL_CREATE_SESSION or _RETRIEVE_SESSION on @lu. */
static __attribute__((unused)) int lu_session(int lu, unsigned long cmd,
					      const char *name)
{
	struct liveupdate_ioctl_create_session s = { .size = sizeof(s) };

	snprintf((char *)s.name, sizeof(s.name), "%s", name);
	if (ioctl(lu, cmd, &s))
		return -1;
	return s.fd;
}

static __attribute__((unused)) int lu_preserve(int session, int fd,
					       uint64_t token)
{
	struct liveupdate_session_preserve_fd p = {
		.size = sizeof(p), .fd = fd, .token = token,
	};

	return ioctl(session, LIVEUPDATE_SESSION_PRESERVE_FD, &p);
}

static __attribute__((unused)) int lu_retrieve(int session, uint64_t token)
{
	struct liveupdate_session_retrieve_fd r = {
		.size = sizeof(r), .token = token,
	};

	if (ioctl(session, LIVEUPDATE_SESSION_RETRIEVE_FD, &r))
		return -1;
	return r.fd;
}

static __attribute__((unused)) int lu_finish(int session)
{
	struct liveupdate_session_finish f = { .size = sizeof(f) };

	return ioctl(session, LIVEUPDATE_SESSION_FINISH, &f);
}

#endif /* LUO_TESTS_SESSION_H */
