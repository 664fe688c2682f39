/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/* Copyright (c) 2026 The luo-memfd authors */
/*
 * The keeper: a small process, started by luod, that holds a copy of every
 * descriptor luod holds (the device, its record, every session), each under
 * a tag. A session lives as long as a descriptor of it is open, so when
 * luod crashes or is restarted before the kexec nothing is lost: the next
 * luod connects to the keeper's socket (root only) and takes everything
 * back. docs/luod.md, "Restarts".
 */
#ifndef LUOD_KEEPER_H
#define LUOD_KEEPER_H

#include <sys/types.h>

#define KEEPER_TAG_MAX 64

enum keeper_op {
	KEEPER_ADD = 1,  /* TAG (with a descriptor, or none) */
	KEEPER_DROP = 2, /* TAG: close it; the keeper answers KEEPER_END once closed */
	KEEPER_END = 3,  /* end of the list the keeper hands over; a DROP's answer */
};

/*
 * Start a keeper listening on PATH: luod's end of its channel, or -errno;
 * the keeper's pid in *PID.
 */
int keeper_spawn(const char *path, pid_t *pid);

/*
 * Connect to a running keeper at PATH: the channel, or -errno (-ENOENT or
 * -ECONNREFUSED: there is none). It then sends "keeper-pid:PID", its whole
 * list, and KEEPER_END, and from then on serves this luod.
 */
int keeper_connect(const char *path);

/* Send OP for TAG on channel CH, with FD if >= 0: 0 or -errno. */
int keeper_send(int ch, int op, const char *tag, int fd);

/* Receive one message: 0 with *OP, TAG and *FD (-1 if none), or -errno. */
int keeper_recv(int ch, int *op, char tag[KEEPER_TAG_MAX], int *fd);

#endif /* LUOD_KEEPER_H */
