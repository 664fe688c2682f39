// SPDX-License-Identifier: GPL-2.0
/*
 * LUO conformance suite, end-to-end layer: the stage program.
 *
 * Run by the QEMU runner as "/stage STAGE NSTAGES" in each kernel of a
 * chain; prints KTAP on stdout, its plan first (planned_results()), and
 * exits 1 if any case failed.
 *   stage 1          probe the handlers, set every case up, hold the sessions
 *   stages 2..N-1    verify what the previous kernel preserved, then set up
 *                    again (main files re-preserved as retrieved) for the next
 *   stage N          verify, release
 *
 * Kernel command line (read from /proc/cmdline):
 *   luo_conformance.handlers=shmem,hugetlb-2M   only these handlers (default all)
 *   luo_conformance.require=hugetlb-2M,...      a missing handler fails instead of skipping
 *   luo_conformance.big=1                       run the CF_V_BIG (1 GiB) variants
 *   luo_conformance.holes_filled=1              the previous kernel fills holes at
 *                                               preserve (stock 7.3): "holes" skips
 *   luo_conformance.corrupt=1                   run the corrupt cases (every kernel
 *                                               of the chain needs the
 *                                               liveupdate_corrupt knob)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cf.h"
#include "libluo.h"

/* ---- step 3 of docs/conformance.md: every family of the suite ---- */
static const struct cf_family *const families[] = {
	&cf_family_memfd,
	&cf_family_eventfd,
	NULL,
};

struct cf_ctx cf;

/* ---------------------------------------------------------------- KTAP */

static int ktap_n, ktap_failed;
static bool skip_is_failure;

void ktap_result(bool ok, const char *directive, const char *fmt, ...)
{
	va_list ap;

	if (directive && skip_is_failure)
		ok = false;
	if (!ok)
		ktap_failed++;
	printf("%sok %d ", ok ? "" : "not ", ++ktap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	if (directive)
		printf(skip_is_failure ? " # required, but: %s" : " # SKIP %s", directive);
	putchar('\n');
	fflush(stdout);
}

void ktap_diag(const char *fmt, ...)
{
	va_list ap;

	fputs("# ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

/* ---------------------------------------------------------------- helpers */

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void cf_alive_start(struct cf_alive *a, const char *verb, uint64_t total)
{
	a->verb = verb;
	a->total = total;
	a->last_ms = now_ms();
}

void cf_alive(struct cf_alive *a, uint64_t done)
{
	int64_t t = now_ms();

	if (t - a->last_ms < CF_ALIVE_SECS * 1000)
		return;
	a->last_ms = t;
	ktap_diag("%s: %" PRIu64 " of %" PRIu64 " MiB", a->verb, done >> 20, a->total >> 20);
}

void cf_fill(unsigned char *p, uint64_t size, uint64_t token)
{
	struct cf_alive alive;
	uint64_t off = 0, end, w;

	cf_alive_start(&alive, "filling", size);
	while (off + 8 <= size) {
		cf_alive(&alive, off);
		end = size - off > CF_ALIVE_STRIDE ? off + CF_ALIVE_STRIDE : size;
		for (; off + 8 <= end; off += 8) {
			w = cf_word(token, off);
			memcpy(p + off, &w, 8);
		}
	}
	if (off < size) {
		w = cf_word(token, off);
		memcpy(p + off, &w, size - off);
	}
}

int cf_fill_fd(int fd, uint64_t size, uint64_t token)
{
	static uint64_t buf[(2 << 20) / 8];
	uint64_t off, len, i;
	struct cf_alive alive;
	ssize_t n;

	cf_alive_start(&alive, "filling", size);
	for (off = 0; off < size; off += len) {
		len = size - off < sizeof(buf) ? size - off : sizeof(buf);
		if (!(off % CF_ALIVE_STRIDE))
			cf_alive(&alive, off);
		for (i = 0; i < len; i += 8)
			buf[i / 8] = cf_word(token, off + i);
		n = pwrite(fd, buf, len, off);
		if (n < 0)
			return -errno;
		if ((uint64_t)n != len)
			return -EIO;
	}
	return 0;
}

uint64_t cf_verify(const unsigned char *p, uint64_t size, uint64_t token)
{
	struct cf_alive alive;
	uint64_t off = 0, end, w, i;

	cf_alive_start(&alive, "checking", size);
	while (off + 8 <= size) {
		cf_alive(&alive, off);
		end = size - off > CF_ALIVE_STRIDE ? off + CF_ALIVE_STRIDE : size;
		for (; off + 8 <= end; off += 8) {
			memcpy(&w, p + off, 8);
			if (w != cf_word(token, off))
				goto differs;
		}
	}
differs:
	if (off >= size)
		return size;
	w = cf_word(token, off);
	for (i = off; i < size && i < off + 8; i++)
		if (p[i] != ((const unsigned char *)&w)[i - off])
			return i;
	return i < size ? i : size;
}

static ssize_t slurp(const char *path, char *buf, size_t len)
{
	ssize_t n, total = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	while ((size_t)total < len - 1) {
		n = read(fd, buf + total, len - 1 - total);
		if (n <= 0)
			break;
		total += n;
	}
	close(fd);
	buf[total] = 0;
	return total;
}

int cf_meminfo(const char *key, uint64_t *bytes)
{
	char buf[8192], *p;
	unsigned long long kib;

	if (slurp("/proc/meminfo", buf, sizeof(buf)) < 0)
		return -EIO;
	p = strstr(buf, key);
	if (!p || sscanf(p + strlen(key), " %llu", &kib) != 1)
		return -ENOENT;
	*bytes = (uint64_t)kib << 10;
	return 0;
}

int cf_read_u64(const char *path, uint64_t *v)
{
	char buf[64];
	ssize_t n = slurp(path, buf, sizeof(buf));

	if (n < 0)
		return (int)n;
	*v = strtoull(buf, NULL, 10);
	return 0;
}

static int write_sysctl(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC), err = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, val, strlen(val)) != (ssize_t)strlen(val))
		err = -errno;
	close(fd);
	return err;
}

/* Value of KEY= on the kernel command line, copied into BUF, or NULL. */
static const char *cmdline_get(const char *key, char *buf, size_t len)
{
	char cmd[4096], *p, *end;
	size_t klen = strlen(key);

	if (slurp("/proc/cmdline", cmd, sizeof(cmd)) < 0)
		return NULL;
	for (p = cmd; (p = strstr(p, key)) != NULL; p += klen) {
		if ((p == cmd || p[-1] == ' ') && p[klen] == '=') {
			p += klen + 1;
			end = p + strcspn(p, " \n");
			snprintf(buf, len, "%.*s", (int)(end - p), p);
			return buf;
		}
	}
	return NULL;
}

static bool list_has(const char *list, const char *word)
{
	size_t n = strlen(word);
	const char *p;

	if (!strcmp(list, "all"))
		return true;
	for (p = list; *p;) {
		if (!strncmp(p, word, n) && (p[n] == ',' || !p[n]))
			return true;
		p = strchr(p, ',');
		if (!p)
			break;
		p++;
	}
	return false;
}

/* ---------------------------------------------------------------- state */

#define MAX_HANDLERS 32
#define MAX_HELD 512

static struct {
	const struct cf_handler *h;
	enum cf_avail a;
} avail[MAX_HANDLERS];
static int navail;

static struct {
	char name[LUO_SESSION_NAME_MAX];
	int fd;
} held[MAX_HELD];
static int nheld;

static char prev_sessions[MAX_HELD][LUO_SESSION_NAME_MAX];
static int nprev;

static const char *const avail_names[] = { "unknown", "available", "missing", "unselected",
					   "nopool" };

enum cf_avail cf_handler_avail(const struct cf_handler *h)
{
	int i;

	for (i = 0; i < navail; i++)
		if (avail[i].h == h)
			return avail[i].a;
	return CF_UNKNOWN;
}

void cf_set_avail(const struct cf_handler *h, enum cf_avail a)
{
	int i;

	for (i = 0; i < navail; i++)
		if (avail[i].h == h) {
			avail[i].a = a;
			return;
		}
	if (navail < MAX_HANDLERS) {
		avail[navail].h = h;
		avail[navail++].a = a;
	}
}

bool cf_required(const struct cf_handler *h)
{
	return list_has(cf.require, h->name);
}

/*
 * Whether the handler's cases are part of this stage (one line each, even if
 * only to skip). Decided by this stage's command line alone, so that the plan
 * can be counted before anything runs.
 */
static bool selected(const struct cf_handler *h)
{
	return list_has(cf.handlers, h->name);
}

void cf_hold_session(const char *name, int fd)
{
	if (nheld >= MAX_HELD) {
		ktap_diag("too many sessions to hold; %s closed", name);
		close(fd);
		return;
	}
	snprintf(held[nheld].name, sizeof(held[nheld].name), "%s", name);
	held[nheld++].fd = fd;
}

bool cf_prev_had_session(const char *name)
{
	int i;

	for (i = 0; i < nprev; i++)
		if (!strcmp(prev_sessions[i], name))
			return true;
	return false;
}

static const struct cf_handler *handler_by_name(const char *name)
{
	const struct cf_family *const *f;
	const struct cf_handler *const *h;

	for (f = families; *f; f++)
		for (h = (*f)->handlers; *h; h++)
			if (!strcmp((*h)->name, name))
				return *h;
	return NULL;
}

static int write_state(void)
{
	LUO_OPTS(luo_memfd_opts, mo);
	char name[LUO_SESSION_NAME_MAX];
	size_t cap = 64 + (size_t)(navail + nheld) * 96, len = 0;
	char *buf = malloc(cap);
	int fd, sess, err, i;

	if (!buf)
		return -ENOMEM;
	len += snprintf(buf + len, cap - len, "luo-conformance-v1 stage=%d\n", cf.stage);
	for (i = 0; i < navail; i++)
		len += snprintf(buf + len, cap - len, "avail %s %s\n", avail[i].h->name,
				avail_names[avail[i].a]);
	for (i = 0; i < nheld; i++)
		len += snprintf(buf + len, cap - len, "session %s\n", held[i].name);
	mo.size = len;
	fd = luo_memfd_create("cf-state", &mo);
	if (fd < 0) {
		free(buf);
		return fd;
	}
	err = pwrite(fd, buf, len, 0) == (ssize_t)len ? 0 : -EIO;
	free(buf);
	snprintf(name, sizeof(name), "cf%d.state", cf.stage);
	sess = err ? err : luo_session_create(cf.dev, name);
	err = sess < 0 ? sess : luo_session_preserve_fd(sess, fd, 0);
	close(fd);
	if (err) {
		if (sess >= 0)
			close(sess);
		return err;
	}
	cf_hold_session(name, sess);
	return 0;
}

static int read_state(void)
{
	char name[LUO_SESSION_NAME_MAX], *buf, *line, *save = NULL, w1[32], w2[LUO_SESSION_NAME_MAX], w3[32];
	const struct cf_handler *h;
	struct stat st;
	int sess, fd, err = 0, i;
	ssize_t n;

	snprintf(name, sizeof(name), "cf%d.state", cf.stage - 1);
	sess = luo_session_retrieve(cf.dev, name);
	if (sess < 0)
		return sess;
	fd = luo_session_retrieve_fd(sess, 0);
	if (fd < 0 || fstat(fd, &st)) {
		close(sess);
		return fd < 0 ? fd : -errno;
	}
	buf = calloc(1, (size_t)st.st_size + 1);
	n = buf ? pread(fd, buf, (size_t)st.st_size, 0) : -1;
	close(fd);
	if (n != st.st_size)
		err = -EIO;
	for (line = err ? NULL : strtok_r(buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		if (sscanf(line, "avail %31s %31s", w1, w3) == 2 && (h = handler_by_name(w1))) {
			for (i = 0; i < 5; i++)
				if (!strcmp(w3, avail_names[i]))
					cf_set_avail(h, (enum cf_avail)i);
		} else if (sscanf(line, "session %63s", w2) == 1 && nprev < MAX_HELD) {
			snprintf(prev_sessions[nprev++], LUO_SESSION_NAME_MAX, "%s", w2);
		}
	}
	free(buf);
	i = luo_session_finish(sess);
	close(sess);
	return err ? err : i;
}

/* Keep the outgoing sessions open in a detached child until the kexec. */
static int hold_until_kexec(void)
{
	pid_t pid;
	int null, i;

	fflush(stdout);
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		setsid();
		null = open("/dev/null", O_RDWR);
		dup2(null, 0);
		dup2(null, 1);
		dup2(null, 2);
		if (null > 2)
			close(null);
		for (;;)
			pause();
	}
	for (i = 0; i < nheld; i++)
		close(held[i].fd);
	return 0;
}

/* ---------------------------------------------------------------- probe */

static enum cf_avail probe(const struct cf_handler *h)
{
	struct cf_variant v = { .name = "cf-probe", .handler = h };
	char name[LUO_SESSION_NAME_MAX];
	int fd, sess, r;

	if (!selected(h))
		return CF_UNSELECTED;
	fd = h->create(h, &v, 1, 0, 0);
	if (fd < 0) {
		ktap_diag("probe %s: cannot create a file: %d (%s)", h->name, fd, luo_strerror(fd));
		return CF_NOPOOL;
	}
	snprintf(name, sizeof(name), "cf%d.probe.%s", cf.stage, h->name);
	sess = luo_session_create(cf.dev, name);
	r = sess < 0 ? sess : luo_session_preserve_fd(sess, fd, 1);
	close(fd);
	if (sess >= 0)
		close(sess);
	if (r == 0)
		return CF_AVAILABLE;
	if (r != -ENOENT)
		ktap_diag("probe %s: preserve: %d (%s)", h->name, r, luo_strerror(r));
	return CF_MISSING;
}

static const char *skip_reason(enum cf_avail a)
{
	switch (a) {
	case CF_MISSING:
		return "handler not available";
	case CF_UNSELECTED:
		return "handler not selected (luo_conformance.handlers)";
	case CF_NOPOOL:
		return "no HugeTLB pages of this size in this guest";
	default:
		return "handler state unknown (no state from the previous stage)";
	}
}

/* ---------------------------------------------------------------- main */

/*
 * The number of results main() prints once the device is open, from the same
 * tables and conditions as its loops. Every case prints exactly one line
 * whatever the kernel does (pass, fail or SKIP), so the count does not depend
 * on handler availability or on the state handed over.
 */
static int planned_results(bool verify, bool setup)
{
	const struct cf_family *const *f;
	const struct cf_handler *const *hp;
	size_t i;
	int n = 1; /* open the device */

	if (verify)
		n++; /* state of the previous stage handed over */
	n += cf_cases_global_count(verify, setup);
	for (f = families; *f; f++) {
		for (hp = (*f)->handlers; *hp; hp++) {
			if (!selected(*hp))
				continue;
			if (!verify)
				n++; /* probe */
			n += cf_cases_scale_count(verify, setup);
			n += cf_cases_corrupt_count(*hp, verify, setup);
		}
		for (i = 0; i < (*f)->nr_variants; i++) {
			const struct cf_variant *v = &(*f)->variants[i];

			if (!selected(v->handler))
				continue;
			if (cf.stage == 1)
				n += cf_cases_selfcheck_count();
			n += cf_cases_variant_count(v, verify, setup);
		}
	}
	if (setup)
		n += 2; /* state for the next stage preserved, sessions held */
	return n;
}

int main(int argc, char **argv)
{
	static char handlers_buf[256], require_buf[256], big_buf[16], holes_buf[16], corrupt_buf[16];
	const struct cf_family *const *f;
	const struct cf_handler *const *hp;
	const struct cf_handler *h;
	bool verify, setup;
	enum cf_avail a;
	size_t i;
	int err, k, s, planned;

	if (argc < 3) {
		fprintf(stderr, "usage: %s STAGE NSTAGES (run by scripts/qemu-run.sh)\n", argv[0]);
		return 2;
	}
	cf.stage = atoi(argv[1]);
	cf.nstages = atoi(argv[2]);
	cf.handlers = cmdline_get("luo_conformance.handlers", handlers_buf, sizeof(handlers_buf));
	if (!cf.handlers)
		cf.handlers = "all";
	cf.require = cmdline_get("luo_conformance.require", require_buf, sizeof(require_buf));
	if (!cf.require)
		cf.require = "";
	cf.big = cmdline_get("luo_conformance.big", big_buf, sizeof(big_buf)) &&
		 !strcmp(big_buf, "1");
	cf.holes_filled = cmdline_get("luo_conformance.holes_filled", holes_buf,
				      sizeof(holes_buf)) && !strcmp(holes_buf, "1");
	cf.corrupt = cmdline_get("luo_conformance.corrupt", corrupt_buf, sizeof(corrupt_buf)) &&
		     !strcmp(corrupt_buf, "1");
	verify = cf.stage > 1;
	setup = cf.stage < cf.nstages;

	printf("KTAP version 1\n");
	printf("# luo-conformance stage %d of %d: handlers=%s require=%s big=%d\n", cf.stage,
	       cf.nstages, cf.handlers, cf.require[0] ? cf.require : "-", cf.big);
	fflush(stdout);

	/*
	 * Freed pages go to per-CPU lists first, which are not counted in
	 * MemFree and, auto-tuned, can hold up to 1/8 of a zone per CPU: the
	 * memory cases would then see freed memory as missing. Keep the lists
	 * tiny so that MemFree is exact to within a few pages.
	 */
	err = write_sysctl("/proc/sys/vm/percpu_pagelist_high_fraction", "100000");
	if (err)
		ktap_diag("cannot shrink the per-CPU page lists (%d): memory cases may fail", err);

	cf.dev = luo_device_open(NULL);
	if (cf.dev < 0) {
		/* Nothing else can run: this line is the whole plan. */
		printf("1..1\n");
		ktap_ok(false, "open %s", LUO_DEVICE_PATH);
		ktap_diag("%s", luo_strerror(cf.dev));
		return 1;
	}
	planned = planned_results(verify, setup);
	printf("1..%d\n", planned);
	ktap_ok(true, "open %s", LUO_DEVICE_PATH);

	if (verify) {
		err = read_state();
		ktap_ok(err == 0, "state of stage %d handed over", cf.stage - 1);
		if (err)
			ktap_diag("read state: %d (%s)", err, luo_strerror(err));
		cf_cases_global_verify();
	} else {
		for (f = families; *f; f++)
			for (hp = (*f)->handlers; *hp; hp++) {
				h = *hp;
				a = probe(h);
				cf_set_avail(h, a);
				if (!selected(h))
					continue; /* not part of this run: no line at all */
				if (a == CF_AVAILABLE) {
					ktap_ok(true, "probe %s: handler available", h->name);
				} else {
					skip_is_failure = cf_required(h) && a != CF_UNSELECTED;
					ktap_skip(skip_reason(a), "probe %s: handler available",
						  h->name);
					skip_is_failure = false;
				}
			}
	}
	if (setup)
		cf_cases_global_setup();

	for (f = families; *f; f++) {
		for (i = 0; i < (*f)->nr_variants; i++) {
			const struct cf_variant *v = &(*f)->variants[i];

			if (!selected(v->handler))
				continue;
			a = cf_handler_avail(v->handler);
			if (cf.stage == 1) {
				if ((v->flags & CF_V_BIG) && !cf.big)
					ktap_skip("big variant (luo_conformance.big=1)",
						  "%s: descriptor self-check (create, then check, "
						  "without LUO)", v->name);
				else if (a == CF_NOPOOL)
					ktap_skip(skip_reason(a), "%s: descriptor self-check (create, "
						  "then check, without LUO)", v->name);
				else
					cf_cases_selfcheck(v);
			}
			if (a != CF_AVAILABLE) {
				skip_is_failure = cf_required(v->handler) && a != CF_UNSELECTED;
				cf_cases_variant_skip(v, verify, setup, skip_reason(a));
				skip_is_failure = false;
			} else if ((v->flags & CF_V_BIG) && !cf.big) {
				cf_cases_variant_skip(v, verify, setup,
						      "big variant (luo_conformance.big=1)");
			} else {
				cf_cases_variant(v, verify, setup);
			}
		}
		for (hp = (*f)->handlers; *hp; hp++) {
			if (!selected(*hp))
				continue;
			a = cf_handler_avail(*hp);
			if (a != CF_AVAILABLE) {
				skip_is_failure = cf_required(*hp) && a != CF_UNSELECTED;
				cf_cases_scale_skip(*hp, verify, setup, skip_reason(a));
				cf_cases_corrupt_skip(*hp, verify, setup, skip_reason(a));
				skip_is_failure = false;
			} else {
				cf_cases_scale(*hp, verify, setup);
				if (cf.corrupt)
					cf_cases_corrupt(*hp, verify, setup);
				else
					cf_cases_corrupt_skip(*hp, verify, setup,
							      "not asked (luo_conformance.corrupt=1)");
			}
		}
	}

	/* Leave no incoming session of ours unfinished. */
	for (k = 0; k < nprev; k++) {
		s = luo_session_retrieve(cf.dev, prev_sessions[k]);
		if (s >= 0) {
			ktap_diag("finishing leftover session %s", prev_sessions[k]);
			luo_session_finish(s);
			close(s);
		}
	}

	if (setup) {
		err = write_state();
		ktap_ok(err == 0, "state for stage %d preserved", cf.stage + 1);
		if (err)
			ktap_diag("write state: %d (%s)", err, luo_strerror(err));
		close(cf.dev);
		err = hold_until_kexec();
		ktap_ok(err == 0, "outgoing sessions held until the kexec");
		if (err)
			ktap_diag("hold sessions: %d (%s)", err, luo_strerror(err));
	} else {
		close(cf.dev);
	}
	if (ktap_n != planned)
		ktap_diag("BUG: %d results for a plan of %d: a cf_cases_*_count() is wrong",
			  ktap_n, planned);
	printf("# luo-conformance stage %d: %d failed of %d\n", cf.stage, ktap_failed, ktap_n);
	fflush(stdout);
	return ktap_failed || ktap_n != planned ? 1 : 0;
}
