// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/* Copyright (c) 2026 The luo-memfd authors */
/*
 * Is live update available, and did this boot come from one?
 *
 * Only what the kernel exposes is used: the device node, KHO's debugfs
 * directory and the kernel command line. Every path is taken relative to a
 * caller-given root so that tests and chroots can substitute their own tree.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

#define LUO_ROOT_MAX (PATH_MAX - 64)
#define LUO_CMDLINE_MAX 4096 /* COMMAND_LINE_SIZE is at most this */

static const char luo_path_dev[] = "/dev/liveupdate";
static const char luo_path_kho[] = "/sys/kernel/debug/kho";
static const char luo_path_kho_in[] = "/sys/kernel/debug/kho/in";
static const char luo_path_kho_luo[] = "/sys/kernel/debug/kho/in/sub_fdts/LUO";
static const char luo_path_cmdline[] = "/proc/cmdline";

static bool luo_is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' ||
	       c == '\r';
}

/* The kernel's kstrtobool(): 1 true, 0 false, -1 not a boolean. */
static int luo_strtobool(const char *s)
{
	if (!s)
		return -1;
	switch (s[0]) {
	case 'e': case 'E': case 'y': case 'Y': case 't': case 'T': case '1':
		return 1;
	case 'd': case 'D': case 'n': case 'N': case 'f': case 'F': case '0':
		return 0;
	case 'o': case 'O':
		if (s[1] == 'n' || s[1] == 'N')
			return 1;
		if (s[1] == 'f' || s[1] == 'F')
			return 0;
		return -1;
	default:
		return -1;
	}
}

/*
 * Split the next parameter off S the way the kernel's next_arg() does:
 * quotes group spaces, a leading quote of the value is dropped along with
 * the closing one. Returns the rest of the string.
 */
static char *luo_next_param(char *s, char **param, char **val)
{
	size_t i, equals = 0;
	bool in_quote = false, quoted = false;

	if (*s == '"') {
		s++;
		in_quote = quoted = true;
	}
	for (i = 0; s[i]; i++) {
		if (luo_is_space(s[i]) && !in_quote)
			break;
		if (!equals && s[i] == '=')
			equals = i;
		if (s[i] == '"')
			in_quote = !in_quote;
	}
	*param = s;
	*val = NULL;
	if (equals) {
		s[equals] = '\0';
		*val = s + equals + 1;
		if (**val == '"') {
			(*val)++;
			if (s[i - 1] == '"')
				s[i - 1] = '\0';
		}
	}
	if (quoted && i > 0 && s[i - 1] == '"')
		s[i - 1] = '\0';
	if (s[i]) {
		s[i] = '\0';
		s += i + 1;
	} else {
		s += i;
	}
	while (luo_is_space(*s))
		s++;
	return s;
}

uint64_t luo__parse_cmdline(char *cmdline)
{
	char *s = cmdline, *param, *val;
	int lu = -1, kho = -1, b;
	uint64_t flags = 0;

	while (luo_is_space(*s))
		s++;
	while (*s) {
		s = luo_next_param(s, &param, &val);
		if (!val && !strcmp(param, "--"))
			break; /* the rest belongs to init */
		b = luo_strtobool(val);
		if (b < 0)
			continue; /* the kernel ignores it too */
		if (!strcmp(param, "liveupdate"))
			lu = b;
		else if (!strcmp(param, "kho"))
			kho = b;
	}
	if (lu == 1)
		flags |= LUO_PROBE_CMDLINE_LIVEUPDATE_ON;
	else if (lu == 0)
		flags |= LUO_PROBE_CMDLINE_LIVEUPDATE_OFF;
	if (kho == 1)
		flags |= LUO_PROBE_CMDLINE_KHO_ON;
	else if (kho == 0)
		flags |= LUO_PROBE_CMDLINE_KHO_OFF;
	return flags;
}

/* ROOT + PATH into BUF (PATH_MAX bytes). */
static void luo_join(char *buf, const char *root, const char *path)
{
	size_t rl = strlen(root);

	/* "/" or "dir/" as root must not double the slash. */
	while (rl && root[rl - 1] == '/')
		rl--;
	memcpy(buf, root, rl);
	memcpy(buf + rl, path, strlen(path) + 1);
}

/*
 * stat() PATH: 1 if it exists (and, if MODE is non-zero, has that file
 * type), 0 if it does not exist or has another type, negative errno on
 * other failures.
 */
static int luo_exists(const char *root, const char *path, mode_t mode)
{
	char buf[PATH_MAX];
	struct stat st;

	luo_join(buf, root, path);
	if (stat(buf, &st) < 0) {
		if (errno == ENOENT || errno == ENOTDIR)
			return 0;
		return luo__neg_errno();
	}
	return !mode || (st.st_mode & S_IFMT) == mode;
}

static void luo_probe_cmdline(const char *root, struct luo_probe_result *r)
{
	char path[PATH_MAX], buf[LUO_CMDLINE_MAX + 1];
	size_t len = 0;
	ssize_t n;
	int fd;

	luo_join(path, root, luo_path_cmdline);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno != ENOENT && errno != ENOTDIR)
			r->cmdline_err = luo__neg_errno();
		return;
	}
	while (len < LUO_CMDLINE_MAX) {
		n = read(fd, buf + len, LUO_CMDLINE_MAX - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r->cmdline_err = luo__neg_errno();
			close(fd);
			return;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	buf[len] = '\0';
	r->flags |= LUO_PROBE_CMDLINE | luo__parse_cmdline(buf);
}

/* Where each member of struct luo_probe_result after sz ends. */
static const size_t luo_probe_result_ends[] = {
	luo_offsetofend(struct luo_probe_result, flags),
	luo_offsetofend(struct luo_probe_result, dev_err),
	luo_offsetofend(struct luo_probe_result, open_err),
	luo_offsetofend(struct luo_probe_result, kho_err),
	luo_offsetofend(struct luo_probe_result, cmdline_err),
};

int luo_probe(const struct luo_probe_opts *opts, struct luo_probe_result *res)
{
	struct luo_probe_result r;
	char path[PATH_MAX];
	const char *root;
	uint64_t flags;
	int err, fd;

	err = luo__opts_check(opts, sizeof(*opts));
	if (err)
		return err;
	err = luo__out_check(res);
	if (err)
		return err;
	root = LUO_OPT(opts, root, NULL);
	flags = LUO_OPT(opts, flags, 0);
	if (flags & ~LUO_PROBE_TRY_OPEN)
		return -EINVAL;
	if (!root)
		root = "";
	if (strnlen(root, LUO_ROOT_MAX + 1) > LUO_ROOT_MAX)
		return -ENAMETOOLONG;

	memset(&r, 0, sizeof(r));

	err = luo_exists(root, luo_path_dev, S_IFCHR);
	if (err < 0)
		r.dev_err = err;
	else if (err)
		r.flags |= LUO_PROBE_DEVICE_NODE;
	if ((r.flags & LUO_PROBE_DEVICE_NODE) && (flags & LUO_PROBE_TRY_OPEN)) {
		luo_join(path, root, luo_path_dev);
		fd = open(path, O_RDWR | O_CLOEXEC);
		if (fd >= 0) {
			r.flags |= LUO_PROBE_DEVICE_OPENED;
			close(fd);
		} else {
			r.open_err = luo__neg_errno();
			if (r.open_err == -EBUSY)
				r.flags |= LUO_PROBE_DEVICE_BUSY;
		}
	}

	err = luo_exists(root, luo_path_kho, S_IFDIR);
	if (err > 0) {
		r.flags |= LUO_PROBE_KHO_DEBUGFS;
		err = luo_exists(root, luo_path_kho_in, S_IFDIR);
		if (err > 0) {
			r.flags |= LUO_PROBE_KHO_IN;
			err = luo_exists(root, luo_path_kho_luo, 0);
			if (err > 0)
				r.flags |= LUO_PROBE_KHO_IN_LUO;
		}
	}
	if (err < 0)
		r.kho_err = err;

	luo_probe_cmdline(root, &r);

	luo__out_copy(res, &r, sizeof(r), luo_probe_result_ends,
		      LUO_ARRAY_SIZE(luo_probe_result_ends));
	return 0;
}

int luo_is_available(const struct luo_probe_opts *opts)
{
	struct luo_probe_result r = { .sz = sizeof(r) };
	int err;

	err = luo_probe(opts, &r);
	if (err)
		return err;
	if (r.dev_err)
		return r.dev_err;
	if (!(r.flags & LUO_PROBE_DEVICE_NODE))
		return 0;
	if (r.flags & (LUO_PROBE_DEVICE_OPENED | LUO_PROBE_DEVICE_BUSY))
		return 1;
	switch (r.open_err) {
	case 0:
		return 1; /* no trial open asked for */
	case -ENOENT:
	case -ENXIO:
	case -ENODEV:
		return 0;
	default:
		return r.open_err;
	}
}

int luo_is_live_update_boot(const struct luo_probe_opts *opts)
{
	struct luo_probe_result r = { .sz = sizeof(r) };
	struct luo_probe_opts o = { .sz = sizeof(o) };
	int err;

	/* Never open the device just to answer this. */
	err = luo__opts_check(opts, sizeof(*opts));
	if (err)
		return err;
	if (LUO_OPT(opts, flags, 0) & ~LUO_PROBE_TRY_OPEN)
		return -EINVAL;
	o.root = LUO_OPT(opts, root, NULL);
	err = luo_probe(&o, &r);
	if (err)
		return err;
	if (r.kho_err)
		return r.kho_err;
	if (!(r.flags & LUO_PROBE_KHO_DEBUGFS))
		return -ENODATA;
	return !!(r.flags & LUO_PROBE_KHO_IN_LUO);
}
