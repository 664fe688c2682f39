// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * luo-memfd-demo: preserve a memfd across a kexec live update with libluo,
 * then retrieve and verify it in the next kernel.
 *
 *   luo-memfd-demo preserve [--hugetlb 2M|1G] [--size BYTES] [--session NAME]
 *                           [--token N] [--seals] [--pos N] [--eventfd COUNT]
 *   luo-memfd-demo retrieve [same options: they override the recorded state]
 *
 * preserve: creates the memfd, fills it with a pattern derived from (token,
 * offset), sets the file position and (with --seals) the seals, preserves it
 * in session NAME under TOKEN and times the PRESERVE_FD ioctl. With
 * --eventfd, an eventfd whose counter is COUNT is kept beside it, in session
 * "NAME.events" under token TOKEN + 1000: the event channel a VMM shares
 * with a helper process. A session of its own, so that a rollback to a
 * kernel without an eventfd handler can drop it alone (docs/eventfd.md).
 * The facts of
 * the run (size, backing, position, seals, preserve_ms) go into a small state
 * memfd preserved in a second session, "NAME.state", token 0, so that the
 * next kernel knows what to expect and can report preserve_ms. A session
 * lives only as long as its descriptor, so a child process (setsid, stdio on
 * /dev/null) keeps both session descriptors open and sleeps until the kexec;
 * the parent exits 0. The device itself is closed so that others can use it.
 *
 * retrieve: retrieves both sessions, times RETRIEVE_FD, checks size,
 * position, seals, backing and every byte (and the eventfd's counter, read
 * with read(2)), finishes the sessions and prints
 *   RESULT name=NAME token=N backing=shmem|hugetlb-2M|hugetlb-1G size=BYTES
 *          pos=P seals=0xS eventfd=COUNT|- preserve_ms=X retrieve_ms=Y
 *          verified=yes|no
 * (one line; preserve_ms=NA when no state was recorded). Exit status: 0 verified, 1 mismatch or failure, 2 usage.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "libluo.h"

#define DEFAULT_SESSION "luo-memfd-demo"
#define DEFAULT_SIZE (UINT64_C(4) << 20)
#define STATE_SUFFIX ".state"
#define EVENTS_SUFFIX ".events"
#define STATE_TOKEN 0
#define DEMO_SEALS (F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL)
/* The eventfd of --eventfd goes under the memfd's token plus this. */
#define EVENTFD_TOKEN_OFFSET 1000
#define NO_EVENTFD UINT64_MAX

struct demo {
	bool preserve;
	const char *session;
	char state_session[LUO_SESSION_NAME_MAX];
	char events_session[LUO_SESSION_NAME_MAX];
	uint64_t token;
	uint64_t size;
	uint64_t hugetlb;
	int64_t pos;
	bool seals;
	uint64_t eventfd;	/* counter of the eventfd beside the memfd, or NO_EVENTFD */
	/* which of the above were given on the command line */
	bool has_token, has_size, has_hugetlb, has_pos, has_seals, has_eventfd;
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: luo-memfd-demo preserve|retrieve [--hugetlb 2M|1G] [--size BYTES]\n"
		"                      [--session NAME] [--token N] [--seals] [--pos N]\n"
		"                      [--eventfd COUNT]\n"
		"  BYTES may end in K, M or G (powers of 1024). Defaults: --size 4M\n"
		"  (1G with --hugetlb 1G), --session " DEFAULT_SESSION ", --token 1, --pos 0.\n");
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static const char *backing_name(uint64_t hugetlb)
{
	switch (hugetlb) {
	case 0:
		return "shmem";
	case LUO_HUGETLB_2M:
		return "hugetlb-2M";
	case LUO_HUGETLB_1G:
		return "hugetlb-1G";
	default:
		return "unknown";
	}
}

static int parse_backing(const char *s, uint64_t *hugetlb)
{
	if (!strcmp(s, "shmem"))
		*hugetlb = 0;
	else if (!strcmp(s, "hugetlb-2M"))
		*hugetlb = LUO_HUGETLB_2M;
	else if (!strcmp(s, "hugetlb-1G"))
		*hugetlb = LUO_HUGETLB_1G;
	else
		return -1;
	return 0;
}

/* A number with an optional K/M/G suffix. */
static int parse_size(const char *s, uint64_t *out)
{
	unsigned long long v;
	char *end;
	int shift = 0;

	if (!*s || *s == '-')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno)
		return -1;
	if (*end == 'K' || *end == 'k')
		shift = 10;
	else if (*end == 'M' || *end == 'm')
		shift = 20;
	else if (*end == 'G' || *end == 'g')
		shift = 30;
	if (shift)
		end++;
	if (*end || (shift && v > (UINT64_MAX >> shift)))
		return -1;
	*out = (uint64_t)v << shift;
	return 0;
}

/* splitmix64: the pattern word for (token, word index). */
static uint64_t mix(uint64_t token, uint64_t index)
{
	uint64_t z = token * UINT64_C(0x9e3779b97f4a7c15) + index + UINT64_C(0x632be59bd9b4e019);

	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

/* Byte at OFFSET of the pattern: byte (OFFSET % 8) of mix(token, OFFSET / 8),
 * little-endian. */
static unsigned char pattern_byte(uint64_t token, uint64_t offset)
{
	return (unsigned char)(mix(token, offset / 8) >> (8 * (offset % 8)));
}

static void fill(unsigned char *p, uint64_t size, uint64_t token)
{
	uint64_t w, i, words = size / 8, v;

	for (w = 0; w < words; w++) {
		v = mix(token, w);
		for (i = 0; i < 8; i++)
			p[w * 8 + i] = (unsigned char)(v >> (8 * i));
	}
	for (i = words * 8; i < size; i++)
		p[i] = pattern_byte(token, i);
}

/* Offset of the first byte that differs from the pattern, or SIZE. */
static uint64_t check(const unsigned char *p, uint64_t size, uint64_t token)
{
	uint64_t w, i, words = size / 8, v;

	for (w = 0; w < words; w++) {
		v = mix(token, w);
		for (i = 0; i < 8; i++)
			if (p[w * 8 + i] != (unsigned char)(v >> (8 * i)))
				return w * 8 + i;
	}
	for (i = words * 8; i < size; i++)
		if (p[i] != pattern_byte(token, i))
			return i;
	return size;
}

static int fail(const char *what, int err)
{
	fprintf(stderr, "luo-memfd-demo: %s: %s (%s)\n", what, strerror(-err),
		luo_strerror(err));
	return 1;
}

static int parse_args(int argc, char **argv, struct demo *d)
{
	static const struct option longopts[] = {
		{ "hugetlb", required_argument, NULL, 'H' },
		{ "size", required_argument, NULL, 's' },
		{ "session", required_argument, NULL, 'n' },
		{ "token", required_argument, NULL, 't' },
		{ "seals", no_argument, NULL, 'S' },
		{ "pos", required_argument, NULL, 'p' },
		{ "eventfd", required_argument, NULL, 'e' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	uint64_t v;
	int c;

	memset(d, 0, sizeof(*d));
	d->session = DEFAULT_SESSION;
	d->token = 1;
	d->size = DEFAULT_SIZE;
	d->eventfd = NO_EVENTFD;
	if (argc < 2) {
		usage(stderr);
		return -1;
	}
	if (!strcmp(argv[1], "preserve")) {
		d->preserve = true;
	} else if (!strcmp(argv[1], "retrieve")) {
		d->preserve = false;
	} else if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		usage(stdout);
		exit(0);
	} else {
		usage(stderr);
		return -1;
	}
	optind = 2;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'H':
			if (!strcmp(optarg, "2M"))
				d->hugetlb = LUO_HUGETLB_2M;
			else if (!strcmp(optarg, "1G"))
				d->hugetlb = LUO_HUGETLB_1G;
			else
				goto bad;
			d->has_hugetlb = true;
			break;
		case 's':
			if (parse_size(optarg, &d->size))
				goto bad;
			d->has_size = true;
			break;
		case 'n':
			d->session = optarg;
			break;
		case 't':
			if (parse_size(optarg, &d->token))
				goto bad;
			d->has_token = true;
			break;
		case 'S':
			d->seals = true;
			d->has_seals = true;
			break;
		case 'p':
			if (parse_size(optarg, &v) || v > (uint64_t)INT64_MAX)
				goto bad;
			d->pos = (int64_t)v;
			d->has_pos = true;
			break;
		case 'e':
			if (parse_size(optarg, &d->eventfd) || d->eventfd == NO_EVENTFD)
				goto bad;
			d->has_eventfd = true;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return -1;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return -1;
	}
	if (d->hugetlb == LUO_HUGETLB_1G && !d->has_size)
		d->size = LUO_HUGETLB_1G;
	if (strlen(d->session) + strlen(EVENTS_SUFFIX) >= LUO_SESSION_NAME_MAX) {
		fprintf(stderr, "luo-memfd-demo: --session: at most %zu bytes\n",
			LUO_SESSION_NAME_MAX - 1 - strlen(EVENTS_SUFFIX));
		return -1;
	}
	snprintf(d->state_session, sizeof(d->state_session), "%s" STATE_SUFFIX, d->session);
	snprintf(d->events_session, sizeof(d->events_session), "%s" EVENTS_SUFFIX, d->session);
	return 0;
bad:
	fprintf(stderr, "luo-memfd-demo: bad value '%s'\n", optarg);
	usage(stderr);
	return -1;
}

/* ---------------------------------------------------------------- preserve */

static int write_state(const struct demo *d, double preserve_ms, int *state_fd)
{
	LUO_OPTS(luo_memfd_opts, mo);
	char buf[256];
	int fd, len;

	len = snprintf(buf, sizeof(buf),
		       "luo-memfd-demo-v1 token=%" PRIu64 " size=%" PRIu64
		       " backing=%s pos=%" PRId64 " seals=%d preserve_ms=%.3f eventfd=%" PRIu64 "\n",
		       d->token, d->size, backing_name(d->hugetlb), d->pos,
		       d->seals ? DEMO_SEALS : 0, preserve_ms, d->eventfd);
	mo.size = (uint64_t)len;
	fd = luo_memfd_create("luo-memfd-demo-state", &mo);
	if (fd < 0)
		return fd;
	if (pwrite(fd, buf, (size_t)len, 0) != len) {
		close(fd);
		return -EIO;
	}
	*state_fd = fd;
	return 0;
}

/* Keep the sessions open in a detached child until the kexec. */
static int hold_sessions(int s1, int s2)
{
	pid_t pid = fork();
	int null;

	if (pid < 0)
		return -errno;
	if (pid > 0)
		return 0;
	setsid();
	null = open("/dev/null", O_RDWR);
	if (null >= 0) {
		dup2(null, 0);
		dup2(null, 1);
		dup2(null, 2);
		if (null > 2)
			close(null);
	} else {
		close(0);
		close(1);
		close(2);
	}
	(void)s1;
	(void)s2;
	for (;;)
		pause();
}

/*
 * The device, or, when luod holds it (EBUSY), a connection to luod: libluo
 * takes either for creating and retrieving sessions.
 */
static int open_luo(void)
{
	int dev = luo_device_open(NULL);

	if (dev == -EBUSY) {
		dev = luo_connect(NULL);
		if (dev >= 0)
			fprintf(stderr, "luo-memfd-demo: the device is luod's: going through luod\n");
	}
	return dev;
}

static int do_preserve(const struct demo *d)
{
	LUO_OPTS(luo_memfd_opts, mo, .size = d->size, .hugetlb_page_size = d->hugetlb);
	struct luo_memfd_info info = { .sz = sizeof(info) };
	int dev = -1, sess = -1, state_sess = -1, ev_sess = -1, mfd = -1, state_fd = -1, efd = -1;
	int err;
	double t0, fill_ms, preserve_ms;
	void *map = MAP_FAILED;

	if (d->pos > (int64_t)d->size) {
		fprintf(stderr, "luo-memfd-demo: --pos beyond --size\n");
		return 2;
	}
	dev = open_luo();
	if (dev < 0)
		return fail("open " LUO_DEVICE_PATH " (or luod)", dev);
	sess = luo_session_create(dev, d->session);
	if (sess < 0) {
		err = fail("create session", sess);
		goto out;
	}
	state_sess = luo_session_create(dev, d->state_session);
	if (state_sess < 0) {
		err = fail("create state session", state_sess);
		goto out;
	}

	mfd = luo_memfd_create("luo-memfd-demo", &mo);
	if (mfd < 0) {
		err = fail("create memfd", mfd);
		goto out;
	}
	t0 = now_ms();
	if (d->size) {
		map = mmap(NULL, d->size, PROT_READ | PROT_WRITE, MAP_SHARED, mfd, 0);
		if (map == MAP_FAILED) {
			err = fail("mmap memfd", -errno);
			goto out;
		}
		fill(map, d->size, d->token);
		munmap(map, d->size);
	}
	fill_ms = now_ms() - t0;
	if (lseek(mfd, d->pos, SEEK_SET) != d->pos) {
		err = fail("lseek", -errno);
		goto out;
	}
	if (d->seals && fcntl(mfd, F_ADD_SEALS, DEMO_SEALS) < 0) {
		err = fail("add seals", -errno);
		goto out;
	}
	err = luo_memfd_info(mfd, &info);
	if (err) {
		err = fail("describe memfd", err);
		goto out;
	}

	t0 = now_ms();
	err = luo_session_preserve_fd(sess, mfd, d->token);
	preserve_ms = now_ms() - t0;
	if (err) {
		if (err == -ENOENT && d->hugetlb)
			fprintf(stderr, "luo-memfd-demo: this kernel cannot preserve HugeTLB "
					"memfds (stock 7.3 has no handler for them)\n");
		err = fail("preserve memfd", err);
		goto out;
	}

	if (d->eventfd != NO_EVENTFD) {
		/* Beside the memory, in a session of its own: its event channel. */
		ev_sess = luo_session_create(dev, d->events_session);
		if (ev_sess < 0) {
			err = fail("create events session", ev_sess);
			goto out;
		}
		efd = eventfd(0, EFD_CLOEXEC);
		if (efd < 0 || (d->eventfd && write(efd, &d->eventfd, 8) != 8)) {
			err = fail("create eventfd", -errno);
			goto out;
		}
		err = luo_session_preserve_fd(ev_sess, efd, d->token + EVENTFD_TOKEN_OFFSET);
		if (err) {
			if (err == -ENOENT)
				fprintf(stderr, "luo-memfd-demo: this kernel cannot preserve "
						"eventfds (stock 7.3 has no handler for them)\n");
			err = fail("preserve eventfd", err);
			goto out;
		}
	}

	err = write_state(d, preserve_ms, &state_fd);
	if (err) {
		err = fail("create state memfd", err);
		goto out;
	}
	err = luo_session_preserve_fd(state_sess, state_fd, STATE_TOKEN);
	if (err) {
		err = fail("preserve state memfd", err);
		goto out;
	}

	/* The kernel holds the files now; the sessions must stay open. */
	close(mfd);
	close(state_fd);
	if (efd >= 0)
		close(efd);
	mfd = state_fd = efd = -1;
	close(dev);
	dev = -1;
	err = hold_sessions(sess, state_sess);
	if (err) {
		err = fail("fork holder", err);
		goto out;
	}
	printf("PRESERVE name=%s token=%" PRIu64 " backing=%s size=%" PRIu64
	       " pos=%" PRId64 " seals=0x%x fill_ms=%.3f preserve_ms=%.3f\n",
	       d->session, d->token, backing_name(d->hugetlb), d->size, d->pos,
	       info.seals, fill_ms, preserve_ms);
	fflush(stdout);
	err = 0;
out:
	if (mfd >= 0)
		close(mfd);
	if (efd >= 0)
		close(efd);
	if (state_fd >= 0)
		close(state_fd);
	if (sess >= 0)
		close(sess);
	if (state_sess >= 0)
		close(state_sess);
	if (ev_sess >= 0)
		close(ev_sess);
	if (dev >= 0)
		close(dev);
	return err;
}

/* ---------------------------------------------------------------- retrieve */

struct state {
	bool found;
	uint64_t token, size, hugetlb;
	int64_t pos;
	int seals;
	double preserve_ms;
	uint64_t eventfd;
};

static int read_state(int dev, const struct demo *d, struct state *st)
{
	char buf[256] = { 0 }, backing[32];
	unsigned long long token, size;
	long long pos;
	int sess, fd, err;
	ssize_t n;

	memset(st, 0, sizeof(*st));
	sess = luo_session_retrieve(dev, d->state_session);
	if (sess == -ENOENT)
		return 0; /* preserved by someone else: nothing recorded */
	if (sess < 0)
		return sess;
	fd = luo_session_retrieve_fd(sess, STATE_TOKEN);
	if (fd < 0) {
		close(sess);
		return fd;
	}
	n = pread(fd, buf, sizeof(buf) - 1, 0);
	close(fd);
	err = luo_session_finish(sess);
	close(sess);
	if (n <= 0)
		return -EIO;
	if (err)
		return err;
	if (sscanf(buf,
		   "luo-memfd-demo-v1 token=%llu size=%llu backing=%31s pos=%lld seals=%d "
		   "preserve_ms=%lf",
		   &token, &size, backing, &pos, &st->seals, &st->preserve_ms) != 6 ||
	    parse_backing(backing, &st->hugetlb))
		return -EPROTO;
	st->token = token;
	st->size = size;
	st->pos = pos;
	st->eventfd = NO_EVENTFD;
	if (strstr(buf, " eventfd="))
		st->eventfd = strtoull(strstr(buf, " eventfd=") + 9, NULL, 10);
	st->found = true;
	return 0;
}

static int do_retrieve(const struct demo *d)
{
	struct luo_memfd_info info = { .sz = sizeof(info) };
	uint64_t token, size, hugetlb, bad, evcount, got = NO_EVENTFD;
	int dev, sess = -1, ev_sess = -1, mfd = -1, efd = -1, seals, err, ret = 1;
	char evs[24] = "-";
	bool ok = true;
	struct state st;
	char pms[32];
	double t0, retrieve_ms = 0;
	int64_t pos;
	void *map;

	memset(&st, 0, sizeof(st));
	dev = open_luo();
	if (dev < 0) {
		fail("open " LUO_DEVICE_PATH " (or luod)", dev);
		printf("RESULT name=%s token=%" PRIu64 " backing=%s size=%" PRIu64
		       " preserve_ms=NA retrieve_ms=NA verified=no\n",
		       d->session, d->token, backing_name(d->hugetlb), d->size);
		return 1;
	}
	err = read_state(dev, d, &st);
	if (err) {
		fail("read state session", err);
		ok = false;
	}
	/* Expected values: the command line, else the recorded state. */
	token = d->has_token || !st.found ? d->token : st.token;
	size = d->has_size || !st.found ? d->size : st.size;
	hugetlb = d->has_hugetlb || !st.found ? d->hugetlb : st.hugetlb;
	pos = d->has_pos || !st.found ? d->pos : st.pos;
	seals = d->has_seals || !st.found ? (d->seals ? DEMO_SEALS : 0) : st.seals;
	evcount = d->has_eventfd || !st.found ? d->eventfd : st.eventfd;
	if (st.found)
		snprintf(pms, sizeof(pms), "%.3f", st.preserve_ms);
	else
		snprintf(pms, sizeof(pms), "NA");

	sess = luo_session_retrieve(dev, d->session);
	if (sess < 0) {
		fail("retrieve session", sess);
		goto report;
	}
	t0 = now_ms();
	mfd = luo_session_retrieve_fd(sess, token);
	retrieve_ms = now_ms() - t0;
	if (mfd < 0) {
		fail("retrieve memfd", mfd);
		goto report;
	}
	err = luo_memfd_info(mfd, &info);
	if (err) {
		fail("describe memfd", err);
		goto report;
	}
	if (info.size != size) {
		fprintf(stderr, "luo-memfd-demo: size %" PRIu64 ", expected %" PRIu64 "\n",
			info.size, size);
		ok = false;
	}
	if (info.pos != pos) {
		fprintf(stderr, "luo-memfd-demo: position %" PRId64 ", expected %" PRId64 "\n",
			info.pos, pos);
		ok = false;
	}
	if ((int)info.seals != seals) {
		fprintf(stderr, "luo-memfd-demo: seals 0x%x, expected 0x%x\n", info.seals,
			(unsigned int)seals);
		ok = false;
	}
	if ((info.hugetlb ? info.page_size : 0) != hugetlb) {
		fprintf(stderr, "luo-memfd-demo: backing %s, expected %s\n",
			backing_name(info.hugetlb ? info.page_size : 0), backing_name(hugetlb));
		ok = false;
	}
	if (ok && info.size) {
		map = mmap(NULL, info.size, PROT_READ, MAP_SHARED, mfd, 0);
		if (map == MAP_FAILED) {
			fail("mmap retrieved memfd", -errno);
			goto report;
		}
		bad = check(map, info.size, token);
		munmap(map, info.size);
		if (bad != info.size) {
			fprintf(stderr, "luo-memfd-demo: byte %" PRIu64 " differs\n", bad);
			ok = false;
		}
	}
	if (evcount != NO_EVENTFD) {
		/* A counter comes back as it was: read(2) takes it all. */
		ev_sess = luo_session_retrieve(dev, d->events_session);
		efd = ev_sess < 0 ? ev_sess :
		      luo_session_retrieve_fd(ev_sess, token + EVENTFD_TOKEN_OFFSET);
		if (efd < 0) {
			fail("retrieve eventfd", efd);
			ok = false;
		} else if (fcntl(efd, F_SETFL, O_NONBLOCK) ||
			   (evcount && read(efd, &got, 8) != 8)) {
			fail("read eventfd", -errno);
			ok = false;
		} else {
			if (!evcount)
				got = 0;
			if (got != evcount) {
				fprintf(stderr, "luo-memfd-demo: eventfd counter %" PRIu64
					", expected %" PRIu64 "\n", got, evcount);
				ok = false;
			}
			snprintf(evs, sizeof(evs), "%" PRIu64, got);
		}
		err = ev_sess < 0 ? 0 : luo_session_finish(ev_sess);
		if (err) {
			fail("finish events session", err);
			ok = false;
		}
	}
	err = luo_session_finish(sess);
	if (err) {
		fail("finish session", err);
		goto report;
	}
	ret = ok ? 0 : 1;
report:
	printf("RESULT name=%s token=%" PRIu64 " backing=%s size=%" PRIu64 " pos=%" PRId64
	       " seals=0x%x eventfd=%s preserve_ms=%s retrieve_ms=%.3f verified=%s\n",
	       d->session, token, backing_name(mfd >= 0 && info.hugetlb ? info.page_size : 0),
	       mfd >= 0 ? info.size : size, mfd >= 0 ? info.pos : pos,
	       mfd >= 0 ? info.seals : (unsigned int)seals, evs, pms, retrieve_ms,
	       ret == 0 ? "yes" : "no");
	fflush(stdout);
	if (efd >= 0)
		close(efd);
	if (ev_sess >= 0)
		close(ev_sess);
	if (mfd >= 0)
		close(mfd);
	if (sess >= 0)
		close(sess);
	close(dev);
	return ret;
}

int main(int argc, char **argv)
{
	struct demo d;

	if (parse_args(argc, argv, &d))
		return 2;
	return d.preserve ? do_preserve(&d) : do_retrieve(&d);
}
