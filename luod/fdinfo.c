// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/* Copyright (c) 2026 The luo-memfd authors */
/* A session's files and bytes from its fdinfo (fdinfo.h). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fdinfo.h"
#include "luod_proto.h"

/* A decimal u64 of the whole of [S, S+LEN), no sign, no leading junk. */
static int parse_u64(const char *s, size_t len, uint64_t *out)
{
	uint64_t v = 0;
	size_t i;

	if (!len || len > 20)
		return -EBADMSG;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9' || v > (UINT64_MAX - (uint64_t)(s[i] - '0')) / 10)
			return -EBADMSG;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	*out = v;
	return 0;
}

int luod_fdinfo_parse(const char *text, size_t len, uint32_t *files, uint64_t *bytes)
{
	static const char k_files[] = "luo-files:\t", k_file[] = "luo-file:\t";
	const char *line = text, *end = text + len, *nl, *sp;
	uint64_t count = 0, sum = 0, v;
	int have_count = 0, unknown = 0;
	uint32_t seen = 0;

	for (; line < end; line = nl + 1) {
		nl = memchr(line, '\n', (size_t)(end - line));
		if (!nl)
			nl = end;
		if ((size_t)(nl - line) > sizeof(k_files) - 1 &&
		    !memcmp(line, k_files, sizeof(k_files) - 1)) {
			line += sizeof(k_files) - 1;
			if (have_count || parse_u64(line, (size_t)(nl - line), &count) ||
			    count > UINT32_MAX - 1)
				return -EBADMSG;
			have_count = 1;
		} else if ((size_t)(nl - line) > sizeof(k_file) - 1 &&
			   !memcmp(line, k_file, sizeof(k_file) - 1)) {
			/* The size is the last field. */
			for (sp = nl; sp > line && sp[-1] != ' '; sp--)
				;
			if (sp == line || seen == UINT32_MAX - 1)
				return -EBADMSG;
			seen++;
			if (nl - sp == 2 && !memcmp(sp, "-1", 2))
				unknown = 1;
			else if (parse_u64(sp, (size_t)(nl - sp), &v) || v > UINT64_MAX - 1 - sum)
				return -EBADMSG;
			else
				sum += v;
		}
	}
	if (!have_count)
		return seen ? -EBADMSG : -ENODATA;
	if (seen != count)
		return -EBADMSG;
	*files = (uint32_t)count;
	*bytes = unknown ? LUOD_BYTES_UNKNOWN : sum;
	return 0;
}

int luod_fdinfo_read(int fd, uint32_t *files, uint64_t *bytes)
{
	size_t size = 1 << 16, len = 0;
	char path[64], *buf;
	ssize_t n;
	int in, ret;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	in = open(path, O_RDONLY | O_CLOEXEC);
	if (in < 0)
		return -errno;
	buf = malloc(size);
	for (n = 1; buf && n > 0;) {
		if (len == size) {
			char *bigger = size < (64u << 20) ? realloc(buf, size * 2) : NULL;

			if (!bigger) {
				free(buf);
				buf = NULL;
				break;
			}
			buf = bigger;
			size *= 2;
		}
		n = read(in, buf + len, size - len);
		if (n > 0)
			len += (size_t)n;
	}
	ret = !buf ? -ENOMEM : n < 0 ? -errno : luod_fdinfo_parse(buf, len, files, bytes);
	free(buf);
	close(in);
	return ret;
}
