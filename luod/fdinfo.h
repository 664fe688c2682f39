/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/* Copyright (c) 2026 The luo-memfd authors */
/*
 * What a session descriptor's fdinfo says of the session's files. A kernel
 * with the luo-memfd series writes "luo-files:\tN" and one line per file,
 * "luo-file:\tTOKEN COMPATIBLE STATE SIZE", SIZE being -1 while the file is
 * not open in this kernel (handed over, not retrieved yet). Stock 7.3 writes
 * none of it: the uAPI has no other way to list a session's files.
 */
#ifndef LUOD_FDINFO_H
#define LUOD_FDINFO_H

#include <stddef.h>
#include <stdint.h>

/*
 * Parse LEN bytes of fdinfo TEXT: 0 with the number of files in *FILES and
 * their sizes added up in *BYTES (LUOD_BYTES_UNKNOWN if one size is not
 * known yet), -ENODATA when the text says nothing of files (stock kernel),
 * -EBADMSG when it does not parse or the lines do not match the count.
 */
int luod_fdinfo_parse(const char *text, size_t len, uint32_t *files, uint64_t *bytes);

/* The same for this process's descriptor FD (/proc/self/fdinfo/FD). */
int luod_fdinfo_read(int fd, uint32_t *files, uint64_t *bytes);

#endif /* LUOD_FDINFO_H */
