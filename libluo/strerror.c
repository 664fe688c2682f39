// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/* Copyright (c) 2026 The luo-memfd authors */
/* What each errno means for /dev/liveupdate and its sessions (Linux 7.3). */
#include <limits.h>

#include "internal.h"

static const char luo_unknown[] =
	"Unknown error: not an error libluo or LUO reports (see strerror(3))";

struct luo_errmsg {
	int err;
	const char *msg;
};

static const struct luo_errmsg luo_errmsgs[] = {
	{ ENOENT,
	  "Not found: no session of that name was handed over by the previous kernel "
	  "(RETRIEVE_SESSION), no preserved file has that token or the session was "
	  "finished (RETRIEVE_FD), no handler can preserve this kind of file, e.g. not "
	  "a memfd or a HugeTLB memfd on a kernel without HugeTLB live update "
	  "(PRESERVE_FD), or /dev/liveupdate does not exist (boot with liveupdate=on "
	  "and KHO enabled)" },
	{ EEXIST,
	  "Already exists: a session with this name was already created in this "
	  "kernel (CREATE_SESSION), or this token is already used in the session "
	  "(PRESERVE_FD)" },
	{ EBUSY,
	  "Busy: /dev/liveupdate is already open (it admits a single opener; pass the "
	  "descriptor over a Unix socket instead), the file is already preserved in "
	  "this or another session (PRESERVE_FD), or a file handler is not ready to "
	  "finish (FINISH)" },
	{ EINVAL,
	  "Invalid argument: empty or unterminated session name, an ioctl on the "
	  "wrong kind of session (PRESERVE_FD on a retrieved session, RETRIEVE_FD or "
	  "FINISH on a session created in this kernel), a session that is already "
	  "retrieved, a device ioctl on a session descriptor or the reverse, or an "
	  "invalid libluo option" },
	{ ENAMETOOLONG,
	  "Name too long: a session name has at most 63 bytes, a memfd name at most "
	  "249" },
	{ E2BIG,
	  "Argument too big: an option structure is larger than this version knows and "
	  "its extra bytes are not zero, or too many descriptors for one message" },
	{ ENOSPC,
	  "No space: the kernel's table of sessions or of files in a session is full, "
	  "or the HugeTLB pool has no free page" },
	{ ENOMEM,
	  "Out of memory: the kernel could not allocate its bookkeeping or the pages "
	  "of the file (preservation allocates and pins every page)" },
	{ EPERM,
	  "Operation not permitted: a preserved memfd can no longer change size "
	  "(truncate, fallocate, writes past the end), or a seal forbids the change" },
	{ EACCES,
	  "Permission denied: opening /dev/liveupdate or reading debugfs needs "
	  "privileges" },
	{ EBADF,
	  "Bad file descriptor: a negative or closed descriptor was passed" },
	{ ENOTTY,
	  "Inappropriate ioctl: the descriptor is not /dev/liveupdate or a LUO "
	  "session" },
	{ ENODEV,
	  "No such device: /dev/liveupdate has no driver behind it, or the kernel has "
	  "no HugeTLB pool of the requested page size" },
	{ ENXIO,
	  "No such device or address: /dev/liveupdate is a stale node without the LUO "
	  "driver (live update disabled on this boot)" },
	{ EIO,
	  "I/O error: the kernel failed to restore the state handed over by the "
	  "previous kernel (opening the device or retrieving a file); it stays failed "
	  "until the next reboot" },
	{ EOPNOTSUPP,
	  "Not supported: the memfd carries seals this kernel cannot preserve or "
	  "restore" },
	{ EFBIG,
	  "File too big: a memfd of more than 2^32 - 1 pages cannot be preserved, or "
	  "the size exceeds the largest file offset" },
	{ EMFILE,
	  "Too many open files in this process: no descriptor left for the session "
	  "or the retrieved file" },
	{ ENFILE, "Too many open files in the system" },
	{ EFAULT, "Bad address: a buffer passed to the kernel is not accessible" },
	{ ERANGE, "Result too large: the buffer cannot hold the session name" },
	{ EPROTO,
	  "Protocol error: the kernel's answer or a received message is malformed "
	  "(not a luo_send_fds() message, or a descriptor count mismatch)" },
	{ EMSGSIZE,
	  "Message too long: more descriptors arrived than there was room for; all "
	  "of them were closed" },
	{ ECONNRESET,
	  "Connection reset: the peer closed the socket before a whole message "
	  "arrived" },
	{ ENODATA,
	  "No data: KHO's debugfs directory is not visible (mount debugfs on "
	  "/sys/kernel/debug), so whether this boot is a live update cannot be "
	  "told" },
	{ EOVERFLOW, "Value too large: arithmetic overflow in the kernel" },
	{ EINTR, "Interrupted system call" },
	{ EAGAIN, "Resource temporarily unavailable: nothing to receive yet" },
	{ EPIPE, "Broken pipe: the receiving process closed its socket" },
	{ ENOTSOCK, "Not a socket" },
	{ ENOTCONN, "The socket is not connected" },
	{ ETOOMANYREFS,
	  "Too many references: too many descriptors are in flight on Unix sockets" },
};

/* The text of positive ERR in TABLE (N entries), or NULL. */
static const char *luo_errmsg_find(const struct luo_errmsg *table, size_t n, int err)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (table[i].err == err)
			return table[i].msg;
	return NULL;
}

const char *luo_strerror(int err)
{
	const char *msg;

	if (err == INT_MIN)
		return luo_unknown;
	if (err < 0)
		err = -err;
	if (err == 0)
		return "Success";
	msg = luo_errmsg_find(luo_errmsgs, LUO_ARRAY_SIZE(luo_errmsgs), err);
	return msg ? msg : luo_unknown;
}

/* One short line for an error of one call: what it means there. */
struct luo_callmsg {
	int call;
	int err;
	const char *msg;
};

static const struct luo_callmsg luo_callmsgs[] = {
	{ LUO_CALL_DEVICE_OPEN, ENOENT, "no /dev/liveupdate: boot with liveupdate=on" },
	{ LUO_CALL_DEVICE_OPEN, EBUSY, "the device is held by another process" },
	{ LUO_CALL_DEVICE_OPEN, EIO, "the handed-over sessions could not be restored" },
	{ LUO_CALL_DEVICE_OPEN, ENXIO, "stale device node: live update is off" },
	{ LUO_CALL_DEVICE_OPEN, ENODEV, "stale device node: live update is off" },
	{ LUO_CALL_SESSION_CREATE, EEXIST, "a session of that name exists already" },
	{ LUO_CALL_SESSION_CREATE, ENOSPC, "the kernel's session table is full" },
	{ LUO_CALL_SESSION_CREATE, EINVAL, "empty name, or not the device" },
	{ LUO_CALL_SESSION_RETRIEVE, ENOENT, "no session of that name was handed over" },
	{ LUO_CALL_SESSION_RETRIEVE, EINVAL, "retrieved already, or not the device" },
	{ LUO_CALL_SESSION_FINISH, EINVAL, "not a retrieved session" },
	{ LUO_CALL_SESSION_FINISH, EBUSY, "a file handler is not ready yet; try again" },
	{ LUO_CALL_SESSION_GET_NAME, ERANGE, "the buffer is too small for the name" },
	{ LUO_CALL_PRESERVE_FD, ENOENT, "this kernel cannot preserve this kind of file" },
	{ LUO_CALL_PRESERVE_FD, EBUSY, "the file is preserved already" },
	{ LUO_CALL_PRESERVE_FD, EEXIST, "the token is taken in this session" },
	{ LUO_CALL_PRESERVE_FD, EINVAL, "the session was retrieved, not created here" },
	{ LUO_CALL_PRESERVE_FD, EOPNOTSUPP, "the memfd has seals the kernel cannot keep" },
	{ LUO_CALL_PRESERVE_FD, EFBIG, "the memfd has too many pages" },
	{ LUO_CALL_PRESERVE_FD, ENOSPC, "the session's file table is full" },
	{ LUO_CALL_PRESERVE_FD, ENOMEM, "out of memory pinning the file's pages" },
	{ LUO_CALL_RETRIEVE_FD, ENOENT, "no file with that token, or the session is finished" },
	{ LUO_CALL_RETRIEVE_FD, EINVAL, "the session was created here, not retrieved" },
	{ LUO_CALL_RETRIEVE_FD, EOPNOTSUPP, "the memfd has seals this kernel does not know" },
	{ LUO_CALL_RETRIEVE_FD, EIO, "the preserved memory could not be restored" },
	{ LUO_CALL_RETRIEVE_FD, ENOMEM, "out of memory or over a cgroup limit; try again" },
	{ LUO_CALL_MEMFD_CREATE, ENODEV, "the kernel has no HugeTLB pages of that size" },
	{ LUO_CALL_MEMFD_CREATE, ENOSPC, "the HugeTLB pool has too few free pages" },
	{ LUO_CALL_MEMFD_CREATE, EINVAL, "invalid size, page size or option" },
};

/* The short form of each errno luo_strerror() knows, for other calls. */
static const struct luo_errmsg luo_shortmsgs[] = {
	{ ENOENT, "not found" },
	{ EEXIST, "already exists" },
	{ EBUSY, "busy" },
	{ EINVAL, "invalid argument" },
	{ ENAMETOOLONG, "name too long" },
	{ E2BIG, "option structure too big" },
	{ ENOSPC, "no space left" },
	{ ENOMEM, "out of memory" },
	{ EPERM, "not permitted" },
	{ EACCES, "permission denied" },
	{ EBADF, "bad file descriptor" },
	{ ENOTTY, "not a LUO descriptor" },
	{ EIO, "input/output error" },
	{ EPROTO, "malformed answer or message" },
};

const char *luo_strerror_call(int call, int err)
{
	const char *msg;
	size_t i;

	if (err == INT_MIN)
		return luo_unknown;
	if (err < 0)
		err = -err;
	if (err == 0)
		return "success";
	for (i = 0; i < LUO_ARRAY_SIZE(luo_callmsgs); i++)
		if (luo_callmsgs[i].call == call && luo_callmsgs[i].err == err)
			return luo_callmsgs[i].msg;
	msg = luo_errmsg_find(luo_shortmsgs, LUO_ARRAY_SIZE(luo_shortmsgs), err);
	return msg ? msg : luo_strerror(err);
}
