// SPDX-License-Identifier: GPL-2.0
/*
 * Generic end-to-end cases of the LUO conformance suite, crossed with every
 * variant of every handler family. See docs/conformance.md for what each
 * case checks and why.
 *
 * Session names: "cf<STAGE>.<variant>.<kind>" with kind
 *   m  the variant's main file (token T), kept across the kexec and verified
 *   u  a second file of the variant (token T+1), never retrieved: finished
 *   c  a third file (token T+2) whose session is closed before the kexec
 * and "cf<STAGE>.<handler>.s<NN>" for the scale case. STAGE is the stage
 * that created the session, so each hop of a chain uses fresh names.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cf.h"
#include "libluo.h"

#define SCALE_SESSIONS 64
#define SCALE_FILES 16 /* per session: 1024 files in all */
#define UNKNOWN_TOKEN UINT64_C(0xdeadbeefcafe)

/* Main files retrieved in a middle stage, re-preserved by its setup phase. */
#define MAX_KEEP 64
static struct {
	const struct cf_variant *v;
	int fd;
} keep[MAX_KEEP];
static int nkeep;

/* ---------------------------------------------------------------- utils */

static uint64_t variant_token(const struct cf_variant *v)
{
	uint64_t h = UINT64_C(0xcbf29ce484222325);
	const char *p;

	for (p = v->name; *p; p++)
		h = (h ^ (unsigned char)*p) * UINT64_C(0x100000001b3);
	return (h & UINT64_C(0xffffffffff00)) | 0x10; /* leaves room for T+1, T+2 */
}

static void sname(char *buf, size_t len, int stage, const char *what, const char *kind)
{
	snprintf(buf, len, "cf%d.%s.%s", stage, what, kind);
}

static uint64_t round_up(uint64_t x, uint64_t a)
{
	return (x + a - 1) / a * a;
}

/* Tolerance of a memory measurement, derived from the file size: pool
 * handlers (huge pages) count whole pages, exactly; buddy memory (MemFree)
 * moves by slab, page tables and what is left on the per-CPU page lists
 * (main.c shrinks them at start): 2 MiB + 1/32 of the file. A measurement is meaningful only if the file is bigger than twice
 * the tolerance. */
static uint64_t mem_tolerance(const struct cf_handler *h, uint64_t size)
{
	if (h->page_size > 4096)
		return 0;
	return (UINT64_C(2) << 20) + size / 32;
}

/* Why the memory of a file of @size cannot be counted, or NULL if it can. */
static const char *mem_skip(const struct cf_handler *h, uint64_t size)
{
	if (!h->free_bytes)
		return "the handler's files hold no memory of their own to count (no free_bytes)";
	if (!size || round_up(size, h->page_size) <= 2 * mem_tolerance(h, size))
		return "file below the measurement tolerance";
	return NULL;
}

/*
 * Whether a record of this kernel's log holds both @pat and @needle (1, and
 * the message of the first such record goes to @why), or not (0), or the
 * log cannot be read (-errno).
 */
static int kmsg_has(const char *pat, const char *needle, char *why, size_t len)
{
	static char rec[8192]; /* a record is at most about 1 KiB of text */
	char *msg;
	int found = 0, err;
	ssize_t n;
	int fd;

	fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	for (;;) {
		n = read(fd, rec, sizeof(rec) - 1);
		err = n < 0 ? errno : 0;
		if (n < 0 && (err == EPIPE || err == EINVAL))
			continue; /* overwritten while we read, or too long: next one */
		if (n < 0 && err != EAGAIN) {
			found = -err;
			break;
		}
		if (n <= 0)
			break;
		rec[n] = 0;
		if (strstr(rec, pat) && strstr(rec, needle)) {
			rec[strcspn(rec, "\n")] = 0;
			msg = strchr(rec, ';') ? strchr(rec, ';') + 1 : rec;
			if (len) {
				strncpy(why, msg, len - 1);
				why[len - 1] = 0;
			}
			found = 1;
			break;
		}
	}
	close(fd);
	return found;
}

/*
 * Whether this kernel's log says LUO gave back pages of the file with
 * @token that its handler did not restore ("file with token T ('C'): gave
 * back N preserved pages its handler did not restore", patch 0059): the
 * handler left them behind and only LUO's backstop freed them. Works for
 * every handler, memory or not. 1 yes, 0 no, -errno: the log cannot be read.
 */
static int kmsg_backstop(uint64_t token, char *why, size_t len)
{
	char pat[64];

	snprintf(pat, sizeof(pat), "file with token %" PRIu64 " (", token);
	return kmsg_has(pat, "did not restore", why, len);
}

/* Whether the log says memory of the file with @token stays reserved. */
static int kmsg_reserved(uint64_t token, char *why, size_t len)
{
	char pat[64];
	int r;

	snprintf(pat, sizeof(pat), "file with token %" PRIu64 " ", token);
	r = kmsg_has(pat, "stay reserved", why, len);
	return r ? r : kmsg_has(pat, "stays reserved", why, len);
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* Wait for free memory to reach base + want - tol. Frees may be deferred
 * (RCU, per-CPU lists drained lazily), and later on a slow host: up to 60 s,
 * a hang detector only, with a line every 10 s (it returns as soon as the
 * memory is back, so a good hour waits milliseconds). */
static bool mem_came_back(const struct cf_handler *h, uint64_t base, uint64_t want, uint64_t tol,
			  uint64_t *got)
{
	uint64_t now = 0;
	int i;

	for (i = 0; i < 1200; i++) {
		if (h->free_bytes(&now))
			return false;
		if (now + tol >= base + want)
			break;
		if (i && !(i % 200))
			ktap_diag("waiting for the memory to come back (%d s)", i / 20);
		sleep_ms(50);
	}
	*got = now > base ? now - base : 0;
	if (now + tol < base + want) {
		uint64_t shmem = 0, memfree = 0;

		cf_meminfo("Shmem:", &shmem);
		cf_meminfo("MemFree:", &memfree);
		ktap_diag("free before %" PRIu64 " KiB, after %" PRIu64 " KiB (delta %+" PRId64
			  " KiB), wanted +%" PRIu64 " KiB -%" PRIu64 " KiB; Shmem now %" PRIu64
			  " KiB, MemFree %" PRIu64 " KiB",
			  base >> 10, now >> 10, ((int64_t)now - (int64_t)base) / 1024, want >> 10,
			  tol >> 10, shmem >> 10, memfree >> 10);
		return false;
	}
	return true;
}

/*
 * Whether descriptors a and b are one open file: the same inode, and a
 * status flag set through a shows through b (F_SETFL changes the struct
 * file, which works for every kind of file, with or without a position).
 */
static bool same_open_file(int a, int b, char *why, size_t len)
{
	struct stat sa, sb;
	int fa, fb;

	if (fstat(a, &sa) || fstat(b, &sb)) {
		snprintf(why, len, "fstat: %d", -errno);
		return false;
	}
	if (sa.st_dev != sb.st_dev || sa.st_ino != sb.st_ino) {
		snprintf(why, len, "second descriptor is another inode");
		return false;
	}
	fa = fcntl(a, F_GETFL);
	if (fa < 0 || fcntl(a, F_SETFL, fa ^ O_NONBLOCK)) {
		snprintf(why, len, "fcntl: %d", -errno);
		return false;
	}
	fb = fcntl(b, F_GETFL);
	fcntl(a, F_SETFL, fa);
	if (fb < 0 || (fb & O_NONBLOCK) == (fa & O_NONBLOCK)) {
		snprintf(why, len, "same inode but a separate open file (O_NONBLOCK set "
			 "through one descriptor does not show through the other)");
		return false;
	}
	return true;
}

/* ---------------------------------------------------------------- global */

void cf_cases_global_setup(void)
{
	char name[LUO_SESSION_NAME_MAX];
	int a, b;

	sname(name, sizeof(name), cf.stage, "dup", "name");
	a = luo_session_create(cf.dev, name);
	b = a >= 0 ? luo_session_create(cf.dev, name) : a;
	ktap_ok(a >= 0 && b == -EEXIST, "duplicate session name refused with EEXIST");
	if (!(a >= 0 && b == -EEXIST))
		ktap_diag("first create %d, second %d", a, b);
	if (b >= 0)
		close(b);
	if (a >= 0)
		close(a);
	/* The name is free again once the session is closed. */
	a = luo_session_create(cf.dev, name);
	ktap_ok(a >= 0, "session name reusable after close");
	if (a >= 0)
		close(a);
}

void cf_cases_global_verify(void)
{
	int s = luo_session_retrieve(cf.dev, "cf-no-such-session");

	ktap_ok(s == -ENOENT, "unknown session name -> ENOENT");
	if (s >= 0)
		close(s);
}

int cf_cases_global_count(bool verify, bool setup)
{
	return (verify ? 1 : 0) + (setup ? 2 : 0);
}

/* ---------------------------------------------------------------- variant */

#define INJECT_TITLE "retrieve with each fallible step failed in turn (fail-nth): ENOMEM, then retrieved"

/* What one retrieve under fail-nth did (retrieve_nth()). */
enum nth_result { NTH_NONE, NTH_ERROR, NTH_CLEAN, NTH_HIT };

/*
 * Retrieve @token with the @n-th should_fail() of this task failing
 * (/proc/thread-self/fail-nth, the kernel's fault-injection framework), then
 * disarm. *@fd gets the retrieve's result. NTH_NONE: the kernel has no
 * fail-nth (nothing retrieved); NTH_HIT: step @n was reached and
 * failed; NTH_CLEAN: the retrieve reached fewer than @n steps; NTH_ERROR:
 * fail-nth could not be used (the reason in @why).
 */
static enum nth_result retrieve_nth(int sess, uint64_t token, int n, int *fd, char *why,
				    size_t len)
{
	char buf[24];
	int nth;
	ssize_t r;

	nth = open("/proc/thread-self/fail-nth", O_RDWR | O_CLOEXEC);
	if (nth < 0) {
		*fd = -ENOENT;
		return NTH_NONE;
	}
	snprintf(buf, sizeof(buf), "%d", n);
	if (pwrite(nth, buf, strlen(buf), 0) < 0) {
		snprintf(why, len, "writing fail-nth: %d", -errno);
		close(nth);
		*fd = -EIO;
		return NTH_ERROR;
	}
	*fd = luo_session_retrieve_fd(sess, token);
	r = pread(nth, buf, sizeof(buf) - 1, 0);
	buf[r > 0 ? r : 0] = 0;
	if (pwrite(nth, "0", 1, 0) < 0 || r <= 0) {
		snprintf(why, len, "reading or disarming fail-nth: %d", -errno);
		close(nth);
		return NTH_ERROR;
	}
	close(nth);
	return atoi(buf) ? NTH_CLEAN : NTH_HIT;
}

/*
 * Retrieve @token with the fallible steps of the retrieve failed one after
 * the other (retrieve_nth() with n = 1, 2, ...). Each failed try must
 * return ENOMEM, which LUO documents as "the file is still retrievable"; the
 * first try that reaches no injection point runs clean and its result is
 * returned. @steps: how many tries failed (-1: no fail-nth in this kernel);
 * @bad: why the contract was broken, or "".
 */
static int retrieve_each_step(int sess, uint64_t token, int *steps, char *bad, size_t len)
{
	enum nth_result res;
	int n, fd = -ENOENT;

	*steps = 0;
	bad[0] = 0;
	for (n = 1; n <= 64; n++) {
		res = retrieve_nth(sess, token, n, &fd, bad, len);
		if (res == NTH_NONE) {
			*steps = -1;
			return luo_session_retrieve_fd(sess, token);
		}
		if (res != NTH_HIT)
			break; /* an error, or no step n: this try ran clean */
		if (fd >= 0) {
			(*steps)++; /* step n failed and the handler coped */
			break;
		}
		if (fd != -ENOMEM) {
			snprintf(bad, len, "with step %d failed, retrieve returned %d (%s), not ENOMEM: "
				 "the file is not retrievable again", n, fd, luo_strerror(fd));
			break;
		}
		(*steps)++;
	}
	if (fd < 0 && !bad[0] && *steps)
		snprintf(bad, len, "after %d failed steps, the clean retrieve returned %d", *steps, fd);
	return fd;
}

/*
 * One retrieve of @token with its first fallible step failed (fail-nth 1),
 * for a handler whose retrieve has one (the caller knows from
 * retrieve_each_step()): it must fail with ENOMEM, keeping the file. false,
 * with a reason in @why, if the contract was broken (or the file came back).
 */
static bool retrieve_fail_once(int sess, uint64_t token, char *why, size_t len)
{
	enum nth_result res;
	int fd;

	res = retrieve_nth(sess, token, 1, &fd, why, len);
	if (fd >= 0)
		close(fd);
	switch (res) {
	case NTH_NONE:
		return true;
	case NTH_ERROR:
		return false;
	case NTH_CLEAN:
		snprintf(why, len, "retrieve with fail-nth reached no injection point: %d", fd);
		return false;
	case NTH_HIT:
		break;
	}
	if (fd >= 0) {
		snprintf(why, len, "retrieve with its first step failed returned a file");
		return false;
	}
	if (fd != -ENOMEM) {
		snprintf(why, len, "retrieve with its first step failed: %d (%s), not ENOMEM", fd,
			 luo_strerror(fd));
		return false;
	}
	return true;
}

/* Results of variant_verify() after the handler's checks. */
static const char *const verify_names[] = {
	"second retrieve of a token returns the same open file (LUO-documented)",
	"unknown token -> ENOENT", "retrieve after finish -> ENOENT",
};
#define NVERIFY (sizeof(verify_names) / sizeof(verify_names[0]))

static size_t nchecks(const struct cf_handler *h)
{
	size_t n = 0;

	while (h->checks[n].what)
		n++;
	return n;
}

/* Why check @what does not apply to variant @v, or NULL if it does. */
static const char *check_skip(const struct cf_variant *v, const char *what)
{
	if (strcmp(what, "holes"))
		return NULL;
	if (!(v->flags & CF_V_SPARSE))
		return "not a sparse variant";
	if (!(v->handler->caps & CF_CAP_SPARSE))
		return "handler preserves holes as data (no CF_CAP_SPARSE)";
	if (cf.holes_filled)
		return "the kernel that preserved it fills holes (luo_conformance.holes_filled=1)";
	return NULL;
}

void cf_cases_variant_skip(const struct cf_variant *v, bool verify, bool setup,
			   const char *reason)
{
	bool big = v->flags & CF_V_BIG;
	size_t i;

	if (verify) {
		ktap_skip(reason, "%s: %s", v->name, INJECT_TITLE);
		for (i = 0; v->handler->checks[i].what; i++)
			ktap_skip(reason, "%s: %s", v->name, v->handler->checks[i].title);
		for (i = 0; i < NVERIFY; i++)
			ktap_skip(reason, "%s: %s", v->name, verify_names[i]);
		if (!setup)
			ktap_skip(reason, "%s: retrieved file's memory freed on close", v->name);
		if (!big) {
			ktap_skip(reason, "%s: finish without retrieve frees the memory", v->name);
			ktap_skip(reason, "%s: session closed before the kexec is gone", v->name);
		}
	}
	if (setup) {
		ktap_skip(reason, "%s: preserve", v->name);
		ktap_skip(reason, "%s: duplicate token refused with EEXIST", v->name);
		ktap_skip(reason, "%s: same file twice refused with EBUSY", v->name);
		if (!big) {
			ktap_skip(reason, "%s: preserve a file never to be retrieved", v->name);
			ktap_skip(reason, "%s: closing the session before the kexec frees the memory",
				  v->name);
		}
	}
}

/*
 * Results of one variant, the same for cf_cases_variant() and
 * cf_cases_variant_skip(): variant_verify() prints the fault-injection
 * case, one result per check of the handler, the NVERIFY cases, the
 * freed-on-close case in the last stage (keep_for_next false) and, unless
 * the variant is big, the finish-without-retrieve and closed-session cases;
 * variant_setup() prints three cases, two more unless the variant is big.
 * Every one of these lines is printed on every path, failed or skipped.
 */
int cf_cases_variant_count(const struct cf_variant *v, bool verify, bool setup)
{
	bool big = v->flags & CF_V_BIG;
	int n = 0;

	if (verify)
		n += 1 + (int)(nchecks(v->handler) + NVERIFY) + (setup ? 0 : 1) + (big ? 0 : 2);
	if (setup)
		n += 3 + (big ? 0 : 2);
	return n;
}

static void variant_verify(const struct cf_variant *v, bool keep_for_next)
{
	const struct cf_handler *h = v->handler;
	uint64_t token = variant_token(v), base = 0, got = 0, tol;
	char name[LUO_SESSION_NAME_MAX], why[160], bad[160] = "";
	int sess, fd = -1, fd2, r, prev = cf.stage - 1, steps = 0;
	size_t i;
	bool ok;

	sname(name, sizeof(name), prev, v->name, "m");
	sess = luo_session_retrieve(cf.dev, name);
	if (sess >= 0)
		fd = retrieve_each_step(sess, token, &steps, bad, sizeof(bad));
	if (fd < 0)
		ktap_diag("%s: retrieve session %s / token: %d", v->name, name,
			  sess < 0 ? sess : fd);
	if (sess >= 0 && steps > 0 && !bad[0])
		ktap_ok(true, "%s: %s", v->name, INJECT_TITLE);
	else if (sess >= 0 && bad[0])
		ktap_ok(false, "%s: %s", v->name, INJECT_TITLE);
	else
		ktap_skip(sess < 0 ? "session not retrieved" :
			  steps < 0 ? "kernel without CONFIG_FAULT_INJECTION (no fail-nth)" :
			  "the handler's retrieve asks no fault-injection point (should_fail)",
			  "%s: %s", v->name, INJECT_TITLE);
	if (bad[0])
		ktap_diag("%s: %s", v->name, bad);
	else if (steps > 0)
		ktap_diag("%s: %d fallible steps of retrieve failed in turn, each with ENOMEM",
			  v->name, steps);
	for (i = 0; h->checks[i].what; i++) {
		const struct cf_check *c = &h->checks[i];

		if (check_skip(v, c->what)) {
			ktap_skip(check_skip(v, c->what), "%s: %s", v->name, c->title);
			continue;
		}
		why[0] = 0;
		ok = fd >= 0 && h->check(h, v, fd, token, c->what, why, sizeof(why));
		ktap_ok(ok, "%s: %s", v->name, c->title);
		if (!ok && why[0])
			ktap_diag("%s: %s", v->name, why);
	}

	/* LUO documents RETRIEVE_FD as idempotent (luo_retrieve_file()). */
	fd2 = sess >= 0 ? luo_session_retrieve_fd(sess, token) : -EBADF;
	why[0] = 0;
	ok = fd >= 0 && fd2 >= 0 && same_open_file(fd, fd2, why, sizeof(why));
	ktap_ok(ok, "%s: %s", v->name, verify_names[0]);
	if (!ok)
		ktap_diag("%s: second retrieve %d %s", v->name, fd2, why);
	if (fd2 >= 0)
		close(fd2);

	r = sess >= 0 ? luo_session_retrieve_fd(sess, UNKNOWN_TOKEN) : -EBADF;
	ktap_ok(r == -ENOENT, "%s: %s", v->name, verify_names[1]);
	if (r != -ENOENT)
		ktap_diag("%s: got %d", v->name, r);
	if (r >= 0)
		close(r);

	r = sess >= 0 ? luo_session_finish(sess) : -EBADF;
	if (r)
		ktap_diag("%s: finish: %d", v->name, r);
	r = r ? r : luo_session_retrieve_fd(sess, token);
	ktap_ok(r == -ENOENT, "%s: %s", v->name, verify_names[2]);
	if (r != -ENOENT)
		ktap_diag("%s: got %d", v->name, r);
	if (r >= 0)
		close(r);
	if (sess >= 0)
		close(sess);

	if (keep_for_next) {
		if (fd >= 0 && nkeep < MAX_KEEP) {
			keep[nkeep].v = v;
			keep[nkeep++].fd = fd;
		} else if (fd >= 0) {
			close(fd);
		}
	} else {
		/* Last stage: dropping the only reference frees the memory. */
		if (kmsg_backstop(token, why, sizeof(why)) > 0) {
			if (fd >= 0)
				close(fd);
			ktap_ok(false, "%s: retrieved file's memory freed on close", v->name);
			ktap_diag("%s: the handler left memory behind: %s", v->name, why);
		} else if (mem_skip(h, v->size)) {
			if (fd >= 0)
				close(fd);
			ktap_skip(mem_skip(h, v->size),
				  "%s: retrieved file's memory freed on close", v->name);
		} else {
			tol = mem_tolerance(h, v->size);
			ok = fd >= 0 && !h->free_bytes(&base);
			if (fd >= 0)
				close(fd);
			ok = ok && mem_came_back(h, base, cf_data_bytes(h->page_size, v->size, v->flags), tol, &got);
			ktap_ok(ok, "%s: retrieved file's memory freed on close", v->name);
			if (!ok)
				ktap_diag("%s: %" PRIu64 " bytes came back, expected %" PRIu64
					  " - %" PRIu64, v->name, got, v->size, tol);
		}
	}

	if (v->flags & CF_V_BIG)
		return;

	/*
	 * Finish without retrieving: the handler must release the memory.
	 * Where its retrieve can fail a step (fail-nth), one retrieve fails
	 * with ENOMEM first: finish must then give back what that kept.
	 */
	sname(name, sizeof(name), prev, v->name, "u");
	ok = !h->free_bytes || !h->free_bytes(&base);
	sess = luo_session_retrieve(cf.dev, name);
	if (sess >= 0 && steps > 0 && !retrieve_fail_once(sess, token + 1, why, sizeof(why))) {
		ktap_diag("%s: %s", v->name, why);
		ok = false;
	}
	r = sess >= 0 ? luo_session_finish(sess) : sess;
	if (sess >= 0)
		close(sess);
	if (r) {
		ktap_ok(false, "%s: finish without retrieve frees the memory", v->name);
		ktap_diag("%s: session %s: %d", v->name, name, r);
	} else if (!ok) {
		ktap_ok(false, "%s: finish without retrieve frees the memory", v->name);
	} else if ((r = kmsg_backstop(token + 1, why, sizeof(why))) > 0) {
		ktap_ok(false, "%s: finish without retrieve frees the memory", v->name);
		ktap_diag("%s: the handler left memory behind: %s", v->name, why);
	} else if (!h->free_bytes && r < 0) {
		ktap_skip("cannot read the kernel log, and no free_bytes",
			  "%s: finish without retrieve frees the memory", v->name);
	} else if (!h->free_bytes) {
		ktap_ok(true, "%s: finish without retrieve frees the memory", v->name);
	} else if (mem_skip(h, v->size)) {
		ktap_skip(mem_skip(h, v->size), "%s: finish without retrieve frees the memory",
			  v->name);
	} else {
		tol = mem_tolerance(h, v->size);
		ok = ok && mem_came_back(h, base, cf_data_bytes(h->page_size, v->size, v->flags), tol, &got);
		ktap_ok(ok, "%s: finish without retrieve frees the memory", v->name);
		if (!ok)
			ktap_diag("%s: %" PRIu64 " bytes came back, expected %" PRIu64 " - %" PRIu64,
				  v->name, got, v->size, tol);
	}

	/* A session closed before the kexec must not reach this kernel. */
	sname(name, sizeof(name), prev, v->name, "c");
	sess = luo_session_retrieve(cf.dev, name);
	ktap_ok(sess == -ENOENT, "%s: session closed before the kexec is gone", v->name);
	if (sess != -ENOENT)
		ktap_diag("%s: retrieve %s: %d", v->name, name, sess);
	if (sess >= 0) {
		luo_session_finish(sess);
		close(sess);
	}
}

static void variant_setup(const struct cf_variant *v)
{
	const struct cf_handler *h = v->handler;
	uint64_t token = variant_token(v), base = 0, got = 0, tol;
	char name[LUO_SESSION_NAME_MAX];
	int sess, fd = -1, fd2, r, i, s2;
	bool ok;

	/* Main file: fresh in stage 1, the retrieved one in later stages. */
	for (i = 0; i < nkeep; i++)
		if (keep[i].v == v) {
			fd = keep[i].fd;
			keep[i].fd = -1;
		}
	if (cf.stage == 1)
		fd = h->create(h, v, token, UINT64_MAX, v->pos);
	sname(name, sizeof(name), cf.stage, v->name, "m");
	sess = luo_session_create(cf.dev, name);
	r = fd < 0 ? fd : sess < 0 ? sess : luo_session_preserve_fd(sess, fd, token);
	ktap_ok(r == 0, "%s: preserve", v->name);
	if (r)
		ktap_diag("%s: create/preserve: %d (%s)", v->name, r, luo_strerror(r));

	/* Another file of the handler under the same token. */
	fd2 = h->create(h, v, token + 1, 0, 0);
	r = sess < 0 ? sess : fd2 < 0 ? fd2 : luo_session_preserve_fd(sess, fd2, token);
	ktap_ok(r == -EEXIST, "%s: duplicate token refused with EEXIST", v->name);
	if (r != -EEXIST)
		ktap_diag("%s: got %d", v->name, r);
	if (fd2 >= 0)
		close(fd2);

	/* The preserved file again, in another session. */
	sname(name, sizeof(name), cf.stage, v->name, "x");
	s2 = luo_session_create(cf.dev, name);
	r = s2 < 0 ? s2 : fd < 0 ? fd : luo_session_preserve_fd(s2, fd, token + 3);
	ktap_ok(r == -EBUSY, "%s: same file twice refused with EBUSY", v->name);
	if (r != -EBUSY)
		ktap_diag("%s: got %d", v->name, r);
	if (s2 >= 0)
		close(s2);
	if (fd >= 0)
		close(fd);
	if (sess >= 0) {
		sname(name, sizeof(name), cf.stage, v->name, "m");
		cf_hold_session(name, sess);
	}

	if (v->flags & CF_V_BIG)
		return;

	/* A file the next kernel finishes without retrieving. */
	sname(name, sizeof(name), cf.stage, v->name, "u");
	fd = h->create(h, v, token + 1, UINT64_MAX, v->pos);
	sess = luo_session_create(cf.dev, name);
	r = fd < 0 ? fd : sess < 0 ? sess : luo_session_preserve_fd(sess, fd, token + 1);
	ktap_ok(r == 0, "%s: preserve a file never to be retrieved", v->name);
	if (r)
		ktap_diag("%s: %d", v->name, r);
	if (fd >= 0)
		close(fd);
	if (sess >= 0)
		cf_hold_session(name, sess);

	/* Preserve, then close the session: everything must be released. */
	sname(name, sizeof(name), cf.stage, v->name, "c");
	ok = !h->free_bytes || !h->free_bytes(&base);
	fd = h->create(h, v, token + 2, UINT64_MAX, v->pos);
	sess = luo_session_create(cf.dev, name);
	r = fd < 0 ? fd : sess < 0 ? sess : luo_session_preserve_fd(sess, fd, token + 2);
	if (fd >= 0)
		close(fd);
	if (sess >= 0)
		close(sess);
	if (r) {
		ktap_ok(false, "%s: closing the session before the kexec frees the memory",
			v->name);
		ktap_diag("%s: preserve: %d", v->name, r);
	} else if (mem_skip(h, v->size)) {
		ktap_skip(mem_skip(h, v->size),
			  "%s: closing the session before the kexec frees the memory", v->name);
	} else {
		tol = mem_tolerance(h, v->size);
		/* Back to where we were before the file existed. */
		ok = ok && mem_came_back(h, base, 0, tol, &got);
		ktap_ok(ok, "%s: closing the session before the kexec frees the memory", v->name);
		if (!ok)
			ktap_diag("%s: free memory is %" PRIu64 " bytes short (tolerance %" PRIu64 ")",
				  v->name, got, tol);
	}
}

/*
 * Stage 1, every selected variant, whether or not the kernel has the handler:
 * the descriptor's create() and check() must agree on a file that never saw
 * LUO. Catches a wrong descriptor, table row or page pool before a kernel
 * is blamed, and runs the HugeTLB descriptors before their handler exists.
 */
void cf_cases_selfcheck(const struct cf_variant *v)
{
	const struct cf_handler *h = v->handler;
	uint64_t token = variant_token(v) + 5;
	char why[160] = "";
	size_t i;
	bool ok;
	int fd;

	fd = h->create(h, v, token, UINT64_MAX, v->pos);
	ok = fd >= 0;
	if (!ok)
		snprintf(why, sizeof(why), "create: %d (%s)", fd, luo_strerror(fd));
	for (i = 0; ok && h->checks[i].what; i++)
		if (h->checks[i].selfcheck)
			ok = h->check(h, v, fd, token, h->checks[i].what, why, sizeof(why));
	if (fd >= 0)
		close(fd);
	ktap_ok(ok, "%s: descriptor self-check (create, then check, without LUO)", v->name);
	if (!ok)
		ktap_diag("%s: %s", v->name, why);
}

/* One line, also when main.c skips the self-check. */
int cf_cases_selfcheck_count(void)
{
	return 1;
}

void cf_cases_variant(const struct cf_variant *v, bool verify, bool setup)
{
	if (verify)
		variant_verify(v, setup);
	if (setup)
		variant_setup(v);
}

/* ---------------------------------------------------------------- scale */

void cf_cases_scale_skip(const struct cf_handler *h, bool verify, bool setup, const char *reason)
{
	if (verify)
		ktap_skip(reason, "scale %s: %d files in %d sessions retrieved and verified", h->name,
			  SCALE_SESSIONS * SCALE_FILES, SCALE_SESSIONS);
	if (setup)
		ktap_skip(reason, "scale %s: %d files in %d sessions preserved", h->name,
			  SCALE_SESSIONS * SCALE_FILES, SCALE_SESSIONS);
}

int cf_cases_scale_count(bool verify, bool setup)
{
	return (verify ? 1 : 0) + (setup ? 1 : 0);
}

/* Every check of the handler that applies to @v, until one fails. */
static bool check_all(const struct cf_handler *h, const struct cf_variant *v, int fd,
		      uint64_t token, char *why, size_t len)
{
	size_t i;

	for (i = 0; h->checks[i].what; i++)
		if (!check_skip(v, h->checks[i].what) &&
		    !h->check(h, v, fd, token, h->checks[i].what, why, len))
			return false;
	return true;
}

static void scale_variant(const struct cf_handler *h, int s, int f, struct cf_variant *v)
{
	memset(v, 0, sizeof(*v));
	v->name = "scale";
	v->handler = h;
	/* One page of contents where a page is cheap; identity in the position. */
	v->size = h->page_size == 4096 ? 4096 : 0;
	v->pos = 1 + s * 1000 + f * 7;
}

void cf_cases_scale(const struct cf_handler *h, bool verify, bool setup)
{
	char name[LUO_SESSION_NAME_MAX], kind[8], why[160];
	struct cf_variant v;
	int s, f, sess, fd, r, bad = 0;
	uint64_t token;

	if (verify) {
		for (s = 0; s < SCALE_SESSIONS; s++) {
			snprintf(kind, sizeof(kind), "s%02d", s);
			sname(name, sizeof(name), cf.stage - 1, h->name, kind);
			sess = luo_session_retrieve(cf.dev, name);
			if (sess < 0) {
				if (!bad++)
					ktap_diag("scale %s: retrieve %s: %d", h->name, name, sess);
				continue;
			}
			for (f = 0; f < SCALE_FILES; f++) {
				token = 1000 + (uint64_t)s * SCALE_FILES + f;
				scale_variant(h, s, f, &v);
				fd = luo_session_retrieve_fd(sess, token);
				why[0] = 0;
				if (fd < 0 || !check_all(h, &v, fd, token, why, sizeof(why))) {
					if (!bad++)
						ktap_diag("scale %s: %s token %" PRIu64 ": %d %s", h->name,
							  name, token, fd, why);
				}
				if (fd >= 0)
					close(fd);
			}
			r = luo_session_finish(sess);
			if (r && !bad++)
				ktap_diag("scale %s: finish %s: %d", h->name, name, r);
			close(sess);
		}
		ktap_ok(!bad, "scale %s: %d files in %d sessions retrieved and verified", h->name,
			SCALE_SESSIONS * SCALE_FILES, SCALE_SESSIONS);
	}
	if (setup) {
		bad = 0;
		for (s = 0; s < SCALE_SESSIONS; s++) {
			snprintf(kind, sizeof(kind), "s%02d", s);
			sname(name, sizeof(name), cf.stage, h->name, kind);
			sess = luo_session_create(cf.dev, name);
			if (sess < 0) {
				if (!bad++)
					ktap_diag("scale %s: create %s: %d", h->name, name, sess);
				continue;
			}
			for (f = 0; f < SCALE_FILES; f++) {
				token = 1000 + (uint64_t)s * SCALE_FILES + f;
				scale_variant(h, s, f, &v);
				fd = h->create(h, &v, token, UINT64_MAX, v.pos);
				r = fd < 0 ? fd : luo_session_preserve_fd(sess, fd, token);
				if (r && !bad++)
					ktap_diag("scale %s: %s token %" PRIu64 ": %d", h->name, name,
						  token, r);
				if (fd >= 0)
					close(fd);
			}
			cf_hold_session(name, sess);
		}
		ktap_ok(!bad, "scale %s: %d files in %d sessions preserved", h->name,
			SCALE_SESSIONS * SCALE_FILES, SCALE_SESSIONS);
	}
}

/* ---------------------------------------------------------------- corrupt */

#define CORRUPT_KNOB "/sys/kernel/debug/liveupdate_corrupt"

static size_t nfields(const struct cf_handler *h)
{
	size_t n = 0;

	while (h->fields && h->fields[n].name)
		n++;
	return n;
}

static uint64_t corrupt_token(const struct cf_handler *h, size_t i)
{
	struct cf_variant v = { .name = h->name, .handler = h };

	return variant_token(&v) + 0x1000 + i;
}

int cf_cases_corrupt_count(const struct cf_handler *h, bool verify, bool setup)
{
	return (int)nfields(h) * ((verify ? 1 : 0) + (setup ? 1 : 0));
}

void cf_cases_corrupt_skip(const struct cf_handler *h, bool verify, bool setup,
			   const char *reason)
{
	size_t i;

	for (i = 0; i < nfields(h); i++) {
		if (verify)
			ktap_skip(reason, "corrupt %s %s: refused, nothing left reserved", h->name,
				  h->fields[i].name);
		if (setup)
			ktap_skip(reason, "corrupt %s %s: preserved, to be corrupted at freeze",
				  h->name, h->fields[i].name);
	}
}

/* Ask the knob to set field @f of the file with @token at its freeze. */
static int corrupt_rule(uint64_t token, const struct cf_field *f)
{
	char rule[96];
	int fd, n, err = 0;

	fd = open(CORRUPT_KNOB, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = snprintf(rule, sizeof(rule), "%" PRIu64 " %" PRIu32 " %" PRIu32 " %" PRIx64 "\n",
		     token, f->offset, f->size, f->bad);
	if (write(fd, rule, (size_t)n) != n)
		err = -errno;
	close(fd);
	return err;
}

/*
 * Each field of the descriptor's list, in a 0-byte file of its own (a
 * session each): set up in one stage, corrupted at its freeze, refused in
 * the next kernel with an error other than ENOMEM (which would mean "try
 * again"), and finishing the session leaves nothing reserved.
 */
void cf_cases_corrupt(const struct cf_handler *h, bool verify, bool setup)
{
	struct cf_variant v = { .name = "corrupt", .handler = h };
	char name[LUO_SESSION_NAME_MAX], kind[8], why[160];
	uint64_t token;
	int sess, fd, r, fin;
	size_t i;
	bool ok;

	for (i = 0; i < nfields(h); i++) {
		const struct cf_field *f = &h->fields[i];

		token = corrupt_token(h, i);
		snprintf(kind, sizeof(kind), "k%u", (unsigned int)(i % 100));
		if (verify) {
			sname(name, sizeof(name), cf.stage - 1, h->name, kind);
			sess = luo_session_retrieve(cf.dev, name);
			r = sess >= 0 ? luo_session_retrieve_fd(sess, token) : sess;
			fin = sess >= 0 ? luo_session_finish(sess) : sess;
			if (sess >= 0)
				close(sess);
			why[0] = 0;
			ok = sess >= 0 && r < 0 && r != -ENOMEM && fin == 0 &&
			     kmsg_reserved(token, why, sizeof(why)) == 0;
			ktap_ok(ok, "corrupt %s %s: refused, nothing left reserved", h->name,
				f->name);
			if (!ok)
				ktap_diag("corrupt %s %s: session %d, retrieve %d, finish %d %s", h->name,
					  f->name, sess, r, fin, why);
			if (r >= 0)
				close(r);
		}
		if (setup) {
			sname(name, sizeof(name), cf.stage, h->name, kind);
			fd = h->create(h, &v, token, 0, 0);
			sess = luo_session_create(cf.dev, name);
			r = fd < 0 ? fd : sess < 0 ? sess : luo_session_preserve_fd(sess, fd, token);
			r = r ? r : corrupt_rule(token, f);
			if (fd >= 0)
				close(fd);
			ktap_ok(r == 0, "corrupt %s %s: preserved, to be corrupted at freeze", h->name,
				f->name);
			if (r)
				ktap_diag("corrupt %s %s: %d (%s)", h->name, f->name, r, luo_strerror(r));
			if (sess >= 0)
				cf_hold_session(name, sess);
		}
	}
}
