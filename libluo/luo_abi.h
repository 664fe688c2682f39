/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/* Copyright (c) 2026 The luo-memfd authors */
/*
 * The /dev/liveupdate ioctl ABI of Linux 7.3, as libluo uses it.
 *
 * libluo carries its own definition of the kernel ABI (as liburing and libbpf
 * do), so that it builds with a distribution's CFLAGS and no kernel tree or
 * installed kernel header. The names are libluo's own; libluo-check-uapi
 * (tests/libluo/check_uapi.c) compiles against a kernel's installed
 * <linux/liveupdate.h> and asserts that every number, size and offset here
 * equals the kernel's. Not installed.
 */
#ifndef LIBLUO_LUO_ABI_H
#define LIBLUO_LUO_ABI_H

#include <stdint.h>
#include <sys/ioctl.h>

/* ioctl type byte of /dev/liveupdate and of session fds. */
#define LUO_ABI_IOCTL_TYPE 0xBA

/* Bytes of a session name buffer, the terminating NUL included. */
#define LUO_ABI_NAME_LEN 64

/* Command numbers: device fd 0x00.., session fd 0x40... */
#define LUO_ABI_CMD_CREATE_SESSION 0x00
#define LUO_ABI_CMD_RETRIEVE_SESSION 0x01
#define LUO_ABI_CMD_PRESERVE_FD 0x40
#define LUO_ABI_CMD_RETRIEVE_FD 0x41
#define LUO_ABI_CMD_FINISH 0x42
#define LUO_ABI_CMD_GET_NAME 0x43

/*
 * Every argument starts with its own size in bytes; the kernel accepts a
 * larger structure whose extra bytes are zero. The ioctls carry no size or
 * direction bits (_IO).
 */

/* Device fd: create (or retrieve) a session by name; out: its fd. */
struct luo_abi_session_by_name {
	uint32_t size;
	int32_t fd;
	uint8_t name[LUO_ABI_NAME_LEN];
};

/* Session fd: preserve fd under token (in), or retrieve token's fd (out). */
struct luo_abi_fd_token {
	uint32_t size;
	int32_t fd;
	uint64_t token __attribute__((aligned(8)));
};

/* Session fd: finish. */
struct luo_abi_finish {
	uint32_t size;
	uint32_t reserved;
};

/* Session fd: the session's name (out). */
struct luo_abi_get_name {
	uint32_t size;
	uint32_t reserved;
	uint8_t name[LUO_ABI_NAME_LEN];
};

#define LUO_ABI_IOCTL_CREATE_SESSION _IO(LUO_ABI_IOCTL_TYPE, LUO_ABI_CMD_CREATE_SESSION)
#define LUO_ABI_IOCTL_RETRIEVE_SESSION _IO(LUO_ABI_IOCTL_TYPE, LUO_ABI_CMD_RETRIEVE_SESSION)
#define LUO_ABI_IOCTL_PRESERVE_FD _IO(LUO_ABI_IOCTL_TYPE, LUO_ABI_CMD_PRESERVE_FD)
#define LUO_ABI_IOCTL_RETRIEVE_FD _IO(LUO_ABI_IOCTL_TYPE, LUO_ABI_CMD_RETRIEVE_FD)
#define LUO_ABI_IOCTL_FINISH _IO(LUO_ABI_IOCTL_TYPE, LUO_ABI_CMD_FINISH)
#define LUO_ABI_IOCTL_GET_NAME _IO(LUO_ABI_IOCTL_TYPE, LUO_ABI_CMD_GET_NAME)

#endif /* LIBLUO_LUO_ABI_H */
