// SPDX-License-Identifier: GPL-2.0
/*
 * Conformance descriptor of the eventfd handler (kernel handler
 * "eventfd-v1"): a handler whose state is not memory.
 *
 * An eventfd has no size, contents, seals or position. A variant's size is
 * the counter its eventfd starts with, its arg the EFD_SEMAPHORE and
 * EFD_NONBLOCK flags it is made with. What must survive: the counter, the
 * mode, and how read(2) and poll() behave with them. Expected values come
 * from the variant table; the counter is read back non-destructively from
 * /proc/self/fdinfo, and the read check writes back what it read.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "cf.h"
#include "libluo.h"

/* The largest counter write(2) can build (ULLONG_MAX is eventfd_signal()'s overflow). */
#define EVENTFD_MAX (UINT64_MAX - 1)

static uint64_t want_count(const struct cf_variant *v, uint64_t size_override)
{
	return size_override != UINT64_MAX ? size_override : v->size;
}

static int eventfd_create_variant(const struct cf_handler *h, const struct cf_variant *v,
				  uint64_t token, uint64_t size_override, int64_t pos)
{
	uint64_t count = want_count(v, size_override);
	int fd, err;

	(void)h;
	(void)token;
	(void)pos;
	fd = eventfd(0, EFD_CLOEXEC | (int)v->arg);
	if (fd < 0)
		return -errno;
	if (count && write(fd, &count, sizeof(count)) != sizeof(count)) {
		err = -errno;
		close(fd);
		return err;
	}
	return fd;
}

/* The counter and semaphore mode of an eventfd, from its fdinfo. */
static int eventfd_info(int fd, uint64_t *count, int *semaphore)
{
	char path[64], line[128];
	bool have_count = false, have_sem = false;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "eventfd-count: %" SCNx64, count) == 1)
			have_count = true;
		else if (sscanf(line, "eventfd-semaphore: %d", semaphore) == 1)
			have_sem = true;
	}
	fclose(f);
	return have_count && have_sem ? 0 : -ENODATA;
}

static bool eventfd_check(const struct cf_handler *h, const struct cf_variant *v, int fd,
			  uint64_t token, const char *what, char *why, size_t why_len)
{
	uint64_t want = v->size, count = 0, got = 0;
	int sem = 0, fl, err;
	struct pollfd p = { .fd = fd, .events = POLLIN | POLLOUT };
	short exp;
	ssize_t n;

	(void)h;
	(void)token;
	err = eventfd_info(fd, &count, &sem);
	if (err) {
		snprintf(why, why_len, "not an eventfd (fdinfo: %d)", err);
		return false;
	}
	if (!strcmp(what, "counter")) {
		if (count != want) {
			snprintf(why, why_len, "counter %" PRIu64 ", expected %" PRIu64, count, want);
			return false;
		}
		return true;
	}
	if (!strcmp(what, "mode")) {
		fl = fcntl(fd, F_GETFL);
		if (fl < 0) {
			snprintf(why, why_len, "F_GETFL: %d", -errno);
			return false;
		}
		if (!sem != !(v->arg & EFD_SEMAPHORE) ||
		    !(fl & O_NONBLOCK) != !(v->arg & EFD_NONBLOCK)) {
			snprintf(why, why_len, "semaphore %d non-blocking %d, expected %d %d", !!sem,
				 !!(fl & O_NONBLOCK), !!(v->arg & EFD_SEMAPHORE),
				 !!(v->arg & EFD_NONBLOCK));
			return false;
		}
		return true;
	}
	if (!strcmp(what, "poll")) {
		exp = (want ? POLLIN : 0) | (want < EVENTFD_MAX ? POLLOUT : 0);
		if (poll(&p, 1, 0) < 0) {
			snprintf(why, why_len, "poll: %d", -errno);
			return false;
		}
		if (p.revents != exp) {
			snprintf(why, why_len, "poll() events 0x%x, expected 0x%x (counter %" PRIu64 ")",
				 p.revents, exp, want);
			return false;
		}
		return true;
	}
	/* read: non-blocking for the check, flags put back after */
	fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK)) {
		snprintf(why, why_len, "fcntl: %d", -errno);
		return false;
	}
	n = read(fd, &got, sizeof(got));
	err = n < 0 ? -errno : 0;
	fcntl(fd, F_SETFL, fl);
	if (!want) {
		if (n >= 0 || err != -EAGAIN) {
			snprintf(why, why_len, "read of a zero counter: %zd (%d), expected EAGAIN", n,
				 err);
			return false;
		}
		return true;
	}
	if (n != sizeof(got)) {
		snprintf(why, why_len, "read: %zd (%d)", n, err);
		return false;
	}
	/* Put back what was taken, so later stages see the same counter. */
	if (write(fd, &got, sizeof(got)) != sizeof(got)) {
		snprintf(why, why_len, "writing back %" PRIu64 ": %d", got, -errno);
		return false;
	}
	if (got != (v->arg & EFD_SEMAPHORE ? 1 : want)) {
		snprintf(why, why_len, "read %" PRIu64 ", expected %" PRIu64, got,
			 v->arg & EFD_SEMAPHORE ? UINT64_C(1) : want);
		return false;
	}
	return true;
}

/* ---- step 1 of docs/conformance.md: the descriptor ---- */

static const struct cf_check eventfd_checks[] = {
	{ "counter", "counter survives", true },
	{ "mode", "EFD_SEMAPHORE and O_NONBLOCK survive", true },
	{ "poll", "poll() reports the counter's state", true },
	{ "read", "read(2) returns the counter (1 in semaphore mode)", true },
	{ NULL, NULL, false },
};

/* struct eventfd_luo_ser (include/linux/kho/abi/eventfd.h); any counter is valid. */
static const struct cf_field eventfd_fields[] = {
	{ "flags", 8, 4, 0x4 },    /* the first flag eventfd-v1 does not define */
	{ "reserved", 12, 4, 1 },
	{ NULL, 0, 0, 0 },
};

static const struct cf_handler eventfd_handler = {
	.name = "eventfd",
	.compatible = "eventfd-v1",
	.caps = 0,
	.page_size = 1,
	.checks = eventfd_checks,
	.create = eventfd_create_variant,
	.check = eventfd_check,
	.free_bytes = NULL, /* an eventfd holds no memory worth counting */
	.fields = eventfd_fields,
};

static const struct cf_handler *const eventfd_handlers[] = { &eventfd_handler, NULL };

/* ---- step 2: the variant table (counter x mode) ---- */

#define V(NAME, COUNT, MODE) { .name = NAME, .handler = &eventfd_handler, .size = COUNT, .arg = MODE }

static const struct cf_variant eventfd_variants[] = {
	/* name        counter               mode */
	V("efd-0",     0,                    0),
	V("efd-sem",   5,                    EFD_SEMAPHORE),
	V("efd-nb",    UINT64_C(123456789012), EFD_NONBLOCK),
	V("efd-sem-nb", 3,                   EFD_SEMAPHORE | EFD_NONBLOCK),
	V("efd-max",   EVENTFD_MAX,          0),
};

/* ---- step 3: the family, listed in main.c and conformance.mk ---- */

const struct cf_family cf_family_eventfd = {
	.name = "eventfd",
	.handlers = eventfd_handlers,
	.variants = eventfd_variants,
	.nr_variants = sizeof(eventfd_variants) / sizeof(eventfd_variants[0]),
};
