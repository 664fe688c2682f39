// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/* Copyright (c) 2026 The luo-memfd authors */
/* Device and session ioctls of /dev/liveupdate (Linux 7.3 uAPI, luo_abi.h). */
#define _GNU_SOURCE
#include <fcntl.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "internal.h"
#include "luo_abi.h"
#include "luod_proto.h"

_Static_assert(LUO_SESSION_NAME_MAX == LUO_ABI_NAME_LEN,
	       "LUO_SESSION_NAME_MAX must mirror the uAPI");

int luo_device_open(const struct luo_device_opts *opts)
{
	const char *path;
	uint64_t flags;
	int err, fd;

	err = luo__opts_check(opts, sizeof(*opts));
	if (err)
		return err;
	path = LUO_OPT(opts, path, NULL);
	flags = LUO_OPT(opts, flags, 0);
	if (flags & ~LUO_DEVICE_NOCLOEXEC)
		return -EINVAL;
	if (!path)
		path = LUO_DEVICE_PATH;
	if (!*path)
		return -EINVAL;

	fd = open(path, O_RDWR | ((flags & LUO_DEVICE_NOCLOEXEC) ? 0 : O_CLOEXEC));
	if (fd < 0)
		return luo__neg_errno();
	return fd;
}

/* Copy a session name into the fixed uAPI buffer after validating it. */
static int luo_name_copy(uint8_t dst[LUO_ABI_NAME_LEN], const char *name)
{
	size_t len;

	if (!name)
		return -EINVAL;
	len = strnlen(name, LUO_ABI_NAME_LEN);
	if (len == 0)
		return -EINVAL;
	if (len >= LUO_ABI_NAME_LEN)
		return -ENAMETOOLONG;
	memcpy(dst, name, len);
	dst[len] = '\0';
	return 0;
}

/*
 * Apply the luo_fd_opts flags to FD, a descriptor the kernel just returned
 * close-on-exec: FD, or a negative errno. F_SETFD fails only with EBADF,
 * when another thread closed FD under us: the number is no longer ours to
 * close, and a retrieved session or file it named is the caller's to redo.
 */
static int luo_fd_finish(int fd, uint64_t flags)
{
	if (fd < 0)
		return -EPROTO;
	if ((flags & LUO_FD_NOCLOEXEC) && fcntl(fd, F_SETFD, 0) < 0)
		return luo__neg_errno();
	return fd;
}

static int luo_fd_opts_flags(const struct luo_fd_opts *opts, uint64_t *flags)
{
	int err = luo__opts_check(opts, sizeof(*opts));

	if (err)
		return err;
	*flags = LUO_OPT(opts, flags, 0);
	return (*flags & ~LUO_FD_NOCLOEXEC) ? -EINVAL : 0;
}

/* CREATE_SESSION or RETRIEVE_SESSION by name. */
static int luo_session_by_name(int dev_fd, const char *name, unsigned long cmd,
			       const struct luo_fd_opts *opts)
{
	struct luo_abi_session_by_name arg;
	uint64_t flags;
	int err;

	memset(&arg, 0, sizeof(arg));
	arg.size = sizeof(arg);
	arg.fd = -1;
	if (dev_fd < 0)
		return -EBADF;
	err = luo_name_copy(arg.name, name);
	if (err)
		return err;
	err = luo_fd_opts_flags(opts, &flags);
	if (err)
		return err;
	if (ioctl(dev_fd, cmd, &arg) < 0) {
		err = luo__neg_errno();
		/* A connection to luod answers ENOTTY: ask luod instead. */
		if (err != -ENOTTY || !luo__is_broker(dev_fd))
			return err;
		err = luo__broker_request(dev_fd,
					  cmd == LUO_ABI_IOCTL_CREATE_SESSION ? LUOD_CREATE
									       : LUOD_RETRIEVE,
					  name, &arg.fd, NULL, NULL);
		if (err)
			return err;
	}
	return luo_fd_finish(arg.fd, flags);
}

int luo_session_create_opts(int dev_fd, const char *name, const struct luo_fd_opts *opts)
{
	return luo_session_by_name(dev_fd, name, LUO_ABI_IOCTL_CREATE_SESSION, opts);
}

int luo_session_create(int dev_fd, const char *name)
{
	return luo_session_create_opts(dev_fd, name, NULL);
}

int luo_session_retrieve_opts(int dev_fd, const char *name, const struct luo_fd_opts *opts)
{
	return luo_session_by_name(dev_fd, name, LUO_ABI_IOCTL_RETRIEVE_SESSION, opts);
}

int luo_session_retrieve(int dev_fd, const char *name)
{
	return luo_session_retrieve_opts(dev_fd, name, NULL);
}

int luo_session_finish(int session_fd)
{
	struct luo_abi_finish arg;

	memset(&arg, 0, sizeof(arg));
	arg.size = sizeof(arg);
	if (session_fd < 0)
		return -EBADF;
	if (ioctl(session_fd, LUO_ABI_IOCTL_FINISH, &arg) < 0)
		return luo__neg_errno();
	return 0;
}

int luo_session_get_name(int session_fd, char *buf, size_t buf_len)
{
	struct luo_abi_get_name arg;
	size_t len;

	memset(&arg, 0, sizeof(arg));
	arg.size = sizeof(arg);
	if (session_fd < 0)
		return -EBADF;
	if (!buf || !buf_len)
		return -EINVAL;
	if (ioctl(session_fd, LUO_ABI_IOCTL_GET_NAME, &arg) < 0)
		return luo__neg_errno();
	/* The kernel NUL-terminates; do not rely on it. */
	len = strnlen((const char *)arg.name, sizeof(arg.name));
	if (len == sizeof(arg.name))
		return -EPROTO;
	if (len >= buf_len)
		return -ERANGE;
	memcpy(buf, arg.name, len + 1);
	return 0;
}

int luo_session_preserve_fd(int session_fd, int fd, uint64_t token)
{
	struct luo_abi_fd_token arg;

	memset(&arg, 0, sizeof(arg));
	arg.size = sizeof(arg);
	arg.fd = fd;
	arg.token = token;
	if (session_fd < 0 || fd < 0)
		return -EBADF;
	if (ioctl(session_fd, LUO_ABI_IOCTL_PRESERVE_FD, &arg) < 0)
		return luo__neg_errno();
	return 0;
}

int luo_session_retrieve_fd_opts(int session_fd, uint64_t token,
				 const struct luo_fd_opts *opts)
{
	struct luo_abi_fd_token arg;
	uint64_t flags;
	int err;

	memset(&arg, 0, sizeof(arg));
	arg.size = sizeof(arg);
	arg.fd = -1;
	arg.token = token;
	if (session_fd < 0)
		return -EBADF;
	err = luo_fd_opts_flags(opts, &flags);
	if (err)
		return err;
	if (ioctl(session_fd, LUO_ABI_IOCTL_RETRIEVE_FD, &arg) < 0)
		return luo__neg_errno();
	return luo_fd_finish(arg.fd, flags);
}

int luo_session_retrieve_fd(int session_fd, uint64_t token)
{
	return luo_session_retrieve_fd_opts(session_fd, token, NULL);
}

int luo_version(void)
{
	return LIBLUO_VERSION_NUM(LIBLUO_MAJOR_VERSION, LIBLUO_MINOR_VERSION,
				  LIBLUO_PATCH_VERSION);
}
