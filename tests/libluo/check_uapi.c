// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * libluo's own ABI definitions (libluo/luo_abi.h) against a kernel's
 * installed <linux/liveupdate.h>: every ioctl number, size and field offset
 * must be equal. Built with -isystem KERNEL/usr/include by
 * `make libluo-check-uapi KHDR=...`; a mismatch fails the compile, and the
 * program prints one KTAP line per structure when it runs.
 */
#include <stddef.h>
#include <stdio.h>

#include <linux/liveupdate.h>

#include "luo_abi.h"

#define SAME(a, b) _Static_assert((a) == (b), #a " != " #b)
#define SAME_FIELD(lt, lf, kt, kf)                                             \
	SAME(offsetof(lt, lf), offsetof(kt, kf));                              \
	SAME(sizeof(((lt *)0)->lf), sizeof(((kt *)0)->kf))

SAME(LUO_ABI_IOCTL_TYPE, LIVEUPDATE_IOCTL_TYPE);
SAME(LUO_ABI_NAME_LEN, LIVEUPDATE_SESSION_NAME_LENGTH);
SAME(LUO_ABI_IOCTL_CREATE_SESSION, LIVEUPDATE_IOCTL_CREATE_SESSION);
SAME(LUO_ABI_IOCTL_RETRIEVE_SESSION, LIVEUPDATE_IOCTL_RETRIEVE_SESSION);
SAME(LUO_ABI_IOCTL_PRESERVE_FD, LIVEUPDATE_SESSION_PRESERVE_FD);
SAME(LUO_ABI_IOCTL_RETRIEVE_FD, LIVEUPDATE_SESSION_RETRIEVE_FD);
SAME(LUO_ABI_IOCTL_FINISH, LIVEUPDATE_SESSION_FINISH);
SAME(LUO_ABI_IOCTL_GET_NAME, LIVEUPDATE_SESSION_GET_NAME);

#define SAME_BY_NAME(kt)                                                       \
	SAME(sizeof(struct luo_abi_session_by_name), sizeof(kt));              \
	SAME_FIELD(struct luo_abi_session_by_name, size, kt, size);            \
	SAME_FIELD(struct luo_abi_session_by_name, fd, kt, fd);                \
	SAME_FIELD(struct luo_abi_session_by_name, name, kt, name)
SAME_BY_NAME(struct liveupdate_ioctl_create_session);
SAME_BY_NAME(struct liveupdate_ioctl_retrieve_session);

#define SAME_FD_TOKEN(kt)                                                      \
	SAME(sizeof(struct luo_abi_fd_token), sizeof(kt));                     \
	SAME(_Alignof(struct luo_abi_fd_token), _Alignof(kt));                 \
	SAME_FIELD(struct luo_abi_fd_token, size, kt, size);                   \
	SAME_FIELD(struct luo_abi_fd_token, fd, kt, fd);                       \
	SAME_FIELD(struct luo_abi_fd_token, token, kt, token)
SAME_FD_TOKEN(struct liveupdate_session_preserve_fd);
SAME_FD_TOKEN(struct liveupdate_session_retrieve_fd);

SAME(sizeof(struct luo_abi_finish), sizeof(struct liveupdate_session_finish));
SAME_FIELD(struct luo_abi_finish, size, struct liveupdate_session_finish, size);
SAME_FIELD(struct luo_abi_finish, reserved, struct liveupdate_session_finish, reserved);

SAME(sizeof(struct luo_abi_get_name), sizeof(struct liveupdate_session_get_name));
SAME_FIELD(struct luo_abi_get_name, size, struct liveupdate_session_get_name, size);
SAME_FIELD(struct luo_abi_get_name, reserved, struct liveupdate_session_get_name, reserved);
SAME_FIELD(struct luo_abi_get_name, name, struct liveupdate_session_get_name, name);

int main(int argc, char **argv)
{
	const char *what = argc > 1 ? argv[1] : "kernel";

	/* The assertions above ran at compile time; report them. */
	printf("KTAP version 1\n1..3\n");
	printf("ok 1 %s: ioctl type, numbers and name length match\n", what);
	printf("ok 2 %s: session-by-name and fd-token structures match\n", what);
	printf("ok 3 %s: finish and get-name structures match\n", what);
	printf("libluo-uapi %s: 3 passed, 0 failed\n", what);
	return 0;
}
