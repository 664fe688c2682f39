// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/* Copyright (c) 2026 The luo-memfd authors */
/*
 * luod: holds /dev/liveupdate for every process of the host and gives each
 * client the sessions of its own uid (docs/luod.md).
 *
 * usage: luod [--socket PATH] [--device PATH] [--state NAME]
 * With systemd socket activation (LISTEN_FDS=1) it serves the socket it is
 * given. It logs to stderr, one line per refused request, naming the client
 * and the request.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "fdinfo.h"
#include "fdmsg.h"
#include "keeper.h"
#include "libluo.h"
#include "luod_proto.h"
#include "registry.h"

#define LUOD_MAX_CLIENTS 256
#define LUOD_MAX_SESSIONS LUOD_REG_MAX
/* What one uid other than root may take, so that no user locks out others. */
#define LUOD_UID_CLIENTS 32
#define LUOD_UID_SESSIONS 128
#ifndef SO_PASSRIGHTS
#define SO_PASSRIGHTS 83 /* Linux 6.16: refuse SCM_RIGHTS on this socket */
#endif

struct session {
	uint32_t uid;
	char name[LUOD_NAME_MAX + 1];
	uint8_t state; /* enum luod_state */
	int fd;        /* luod's own reference; -1 while LUOD_WAITING or released */
};

struct client {
	int fd;
	pid_t pid;
	uint32_t uid;
	uint32_t last_seq;
	int has_seq;
	int watching; /* told before a kexec (WATCH) */
	uint32_t cid; /* this connection, for PREPARE's answers */
};

/* A PREPARE in progress: every watcher asked, waiting for their READY. */
static struct {
	int active;
	uint32_t id, next_id;
	uint32_t requester;     /* the asking connection's cid, 0 once gone */
	uint32_t requester_seq;
	uint64_t deadline_ms;
	unsigned int n;
	uint32_t cid[LUOD_MAX_CLIENTS]; /* the watchers asked */
	pid_t pid[LUOD_MAX_CLIENTS];
	uint8_t ready[LUOD_MAX_CLIENTS];
} prep;

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static struct {
	int dev;
	int listen;
	int reg_fd;     /* the owner record of outgoing sessions (preserved) */
	void *reg_map;
	int state_fd;   /* luod's own session, which preserves the record */
	int keeper;     /* channel to the keeper of every descriptor, or -1 */
	pid_t keeper_pid;
	int respawn;    /* start a keeper from the main loop */
	char keeper_path[108];
	int recovered;
	const char *state_name;
	struct session s[LUOD_MAX_SESSIONS];
	unsigned int nsess;
	struct client c[LUOD_MAX_CLIENTS];
	unsigned int nclients;
} d = { .dev = -1, .listen = -1, .reg_fd = -1, .state_fd = -1, .keeper = -1,
	.state_name = "luod-state" };

static const char *const luod_type_names[] = {
	[LUOD_HELLO] = "HELLO", [LUOD_CREATE] = "CREATE", [LUOD_RETRIEVE] = "RETRIEVE",
	[LUOD_LIST] = "LIST", [LUOD_RELEASE] = "RELEASE", [LUOD_WATCH] = "WATCH",
	[LUOD_READY] = "READY", [LUOD_PREPARE] = "PREPARE", [LUOD_STATUS] = "STATUS",
};

static const char *type_name(uint16_t t)
{
	return t < sizeof(luod_type_names) / sizeof(luod_type_names[0]) && luod_type_names[t]
		       ? luod_type_names[t]
		       : "?";
}

/* One line on stderr, in one write (stderr may be /dev/kmsg). */
static void __attribute__((format(printf, 1, 2))) say(const char *fmt, ...)
{
	char line[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line + 6, sizeof(line) - 7, fmt, ap);
	va_end(ap);
	memcpy(line, "luod: ", 6);
	n = n < 0 ? 6 : 6 + (n < (int)sizeof(line) - 7 ? n : (int)sizeof(line) - 8);
	line[n++] = '\n';
	if (write(2, line, (size_t)n) < 0)
		return;
}

/*
 * The keeper's tag of a session: STATE:UID:NAME, STATE o (outgoing), x
 * (outgoing, released: only in the record), w (waiting), r (retrieved).
 */
static void session_tag(char tag[KEEPER_TAG_MAX], const struct session *s)
{
	char st = s->state == LUOD_WAITING ? 'w' : s->state == LUOD_RETRIEVED ? 'r' :
		  s->fd >= 0 ? 'o' : 'x';

	snprintf(tag, KEEPER_TAG_MAX, "%c:%u:%s", st, s->uid, s->name);
}

/*
 * The keeper did not answer or is gone: make sure it is gone (an old one
 * left alive would hold stale copies, and a restarted luod would take its
 * stale list), and have the main loop start a new one.
 */
static void keeper_lost(void)
{
	say("the keeper is gone or did not answer: starting another");
	if (d.keeper_pid > 0)
		kill(d.keeper_pid, SIGKILL);
	close(d.keeper);
	d.keeper = -1;
	d.keeper_pid = 0;
	d.respawn = 1;
}

/*
 * Tell the keeper. A DROP waits (at most 2 s) until the keeper has closed
 * its copy, so that whether a session still lives is known right after.
 */
static void keep(int op, const char *tag, int fd)
{
	char atag[KEEPER_TAG_MAX];
	struct pollfd p;
	int aop, afd = -1;

	if (d.keeper < 0)
		return;
	if (keeper_send(d.keeper, op, tag, fd) < 0) {
		keeper_lost();
		return;
	}
	if (op != KEEPER_DROP)
		return;
	p = (struct pollfd){ .fd = d.keeper, .events = POLLIN };
	if (poll(&p, 1, 2000) != 1 || keeper_recv(d.keeper, &aop, atag, &afd) < 0 ||
	    aop != KEEPER_END) {
		if (afd >= 0)
			close(afd);
		keeper_lost();
	}
}

static void keep_session(const struct session *s, int op)
{
	char tag[KEEPER_TAG_MAX];

	session_tag(tag, s);
	keep(op, tag, op == KEEPER_ADD ? s->fd : -1);
}

/*
 * S changed state: give the keeper the new tag first, then drop OLD (the
 * tag before the change), so that at no moment the keeper holds neither.
 */
static void retag(const struct session *s, const char *old)
{
	keep_session(s, KEEPER_ADD);
	keep(KEEPER_DROP, old, -1);
}

/* Give a new keeper everything luod holds. */
static void keep_all(void)
{
	unsigned int i;

	keep(KEEPER_ADD, "dev", d.dev);
	keep(KEEPER_ADD, "reg", d.reg_fd);
	keep(KEEPER_ADD, "state", d.state_fd);
	if (d.recovered)
		keep(KEEPER_ADD, "recovered", -1);
	for (i = 0; i < d.nsess; i++)
		keep_session(&d.s[i], KEEPER_ADD);
}

/* A session from a keeper's tag; its descriptor FD (or -1 while waiting). */
static int adopt_session(const char *tag, int fd)
{
	struct session *s = &d.s[d.nsess];
	char *end;
	unsigned long uid;
	const char *name;

	if (d.nsess == LUOD_MAX_SESSIONS || strlen(tag) < 5 || tag[1] != ':')
		return -EPROTO;
	s->state = tag[0] == 'o' || tag[0] == 'x' ? LUOD_OUTGOING : tag[0] == 'w' ? LUOD_WAITING :
		   tag[0] == 'r' ? LUOD_RETRIEVED : 0;
	errno = 0;
	uid = strtoul(tag + 2, &end, 10);
	name = end + 1;
	if (!s->state || errno || *end != ':' || uid > UINT32_MAX ||
	    !luod_name_valid(name, strlen(name)) ||
	    (tag[0] == 'w' || tag[0] == 'x') != (fd < 0))
		return -EPROTO;
	s->uid = (uint32_t)uid;
	memcpy(s->name, name, strlen(name) + 1);
	s->fd = fd;
	d.nsess++;
	return 0;
}

/*
 * A keeper is running: luod was restarted before the kexec. Take back the
 * device, the record, luod's own session and every client session from it.
 */
static int adopt(void)
{
	char tag[KEEPER_TAG_MAX];
	int ch, op, fd, err;

	struct ucred cred;
	socklen_t clen = sizeof(cred);

	ch = keeper_connect(d.keeper_path);
	if (ch < 0)
		return ch;
	/* Take descriptors from root's keeper only. */
	if (getsockopt(ch, SOL_SOCKET, SO_PEERCRED, &cred, &clen) < 0 || cred.uid != 0) {
		say("%s is not root's: not taking anything from it", d.keeper_path);
		close(ch);
		return -EPERM;
	}
	for (;;) {
		err = keeper_recv(ch, &op, tag, &fd);
		if (err)
			break;
		if (op == KEEPER_END)
			break;
		if (!strcmp(tag, "dev"))
			d.dev = fd;
		else if (!strcmp(tag, "reg"))
			d.reg_fd = fd;
		else if (!strcmp(tag, "state"))
			d.state_fd = fd;
		else if (!strcmp(tag, "recovered"))
			d.recovered = 1;
		else if (!strncmp(tag, "keeper-pid:", 11))
			d.keeper_pid = (pid_t)atoi(tag + 11);
		else if (adopt_session(tag, fd) < 0) {
			say("the keeper holds something unknown: %s", tag);
			if (fd >= 0)
				close(fd);
		}
	}
	if (err || d.dev < 0 || d.reg_fd < 0 || d.state_fd < 0) {
		say("the keeper's list is incomplete (%s)", err ? strerror(-err) : "no device or record");
		close(ch);
		return -EPROTO;
	}
	d.reg_map = mmap(NULL, LUOD_REG_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, d.reg_fd, 0);
	if (d.reg_map == MAP_FAILED) {
		close(ch);
		return -errno;
	}
	d.keeper = ch;
	return 0;
}

/* Write the owners of every outgoing session into the preserved record. */
static int save_registry(void)
{
	static struct luod_owner o[LUOD_REG_MAX];
	uint32_t n = 0;
	unsigned int i;

	for (i = 0; i < d.nsess; i++) {
		if (d.s[i].state != LUOD_OUTGOING)
			continue;
		o[n].uid = d.s[i].uid;
		memcpy(o[n].name, d.s[i].name, sizeof(o[n].name));
		n++;
	}
	return luod_reg_encode(d.reg_map, o, n);
}

/*
 * Read the previous kernel's record, if it handed one over, and list its
 * sessions as waiting for their owners. Then make this kernel's record:
 * a fixed-size memfd preserved in a session of luod's own, rewritten in
 * place (a preserved memfd keeps its size) whenever an outgoing session
 * comes or goes.
 */
static int setup_registry(void)
{
	static struct luod_owner o[LUOD_REG_MAX];
	LUO_OPTS(luo_memfd_opts, mo, .size = LUOD_REG_SIZE, .prefault = LUO_PREFAULT_TOUCH);
	int sess, fd, n, i, err;
	struct stat st;
	void *map;

	sess = luo_session_retrieve(d.dev, d.state_name);
	if (sess >= 0) {
		fd = luo_session_retrieve_fd(sess, 0);
		/* Map only a record of the size this luod writes (no SIGBUS). */
		map = fd < 0 || fstat(fd, &st) || st.st_size != LUOD_REG_SIZE ? MAP_FAILED :
			mmap(NULL, LUOD_REG_SIZE, PROT_READ, MAP_SHARED, fd, 0);
		n = map == MAP_FAILED ? -EIO : luod_reg_decode(map, LUOD_REG_SIZE, o);
		if (n < 0) {
			say("the previous kernel's record is unreadable (%s): its sessions stay in the kernel until they are finished",
			     strerror(-n));
		}
		for (i = 0; i < n; i++) {
			d.s[d.nsess].uid = o[i].uid;
			memcpy(d.s[d.nsess].name, o[i].name, sizeof(o[i].name));
			d.s[d.nsess].state = LUOD_WAITING;
			d.s[d.nsess].fd = -1;
			d.nsess++;
		}
		if (map != MAP_FAILED)
			munmap(map, LUOD_REG_SIZE);
		if (fd >= 0)
			close(fd);
		luo_session_finish(sess);
		close(sess);
		d.recovered = n >= 0;
		say("recovered %d session(s) of the previous kernel", n < 0 ? 0 : n);
	} else if (sess != -ENOENT) {
		say("retrieve %s: %s", d.state_name,
		     luo_strerror_call(LUO_CALL_SESSION_RETRIEVE, sess));
	}

	d.reg_fd = luo_memfd_create("luod-registry", &mo);
	if (d.reg_fd < 0)
		return d.reg_fd;
	d.reg_map = mmap(NULL, LUOD_REG_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, d.reg_fd, 0);
	if (d.reg_map == MAP_FAILED)
		return -errno;
	err = save_registry();
	if (err)
		return err;
	d.state_fd = luo_session_create(d.dev, d.state_name);
	if (d.state_fd < 0)
		return d.state_fd;
	/* luod holds the session (and so the record) until the kexec. */
	return luo_session_preserve_fd(d.state_fd, d.reg_fd, 0);
}

static struct session *find(uint32_t uid, const char *name, int incoming)
{
	unsigned int i;

	for (i = 0; i < d.nsess; i++)
		if (d.s[i].uid == uid && !strcmp(d.s[i].name, name) &&
		    (d.s[i].state != LUOD_OUTGOING) == incoming)
			return &d.s[i];
	return NULL;
}

static void forget(struct session *s)
{
	keep_session(s, KEEPER_DROP);
	if (s->fd >= 0)
		close(s->fd);
	*s = d.s[--d.nsess];
}

/* Send a reply, with FD if >= 0. A client that does not read is dropped. */
static int reply(struct client *c, uint16_t type, uint32_t seq, int32_t status, int fd,
		 const void *payload, size_t plen)
{
	static unsigned char buf[LUOD_MAX_REPLY];
	int len = luod_encode_reply(buf, type, seq, status, payload, plen);

	if (len < 0)
		len = luod_encode_reply(buf, type, seq, len, NULL, 0);
	if (send_with_fd(c->fd, buf, (size_t)len, status == 0 ? fd : -1, MSG_DONTWAIT) != len)
		return -1;
	return 0;
}

/* Whose session REQ names: 0 with *OWNER, or -EPERM. */
static int owner_of(const struct client *c, const struct luod_req *req, uint32_t *owner)
{
	*owner = req->has_uid ? req->uid : c->uid;
	return *owner == c->uid || c->uid == 0 ? 0 : -EPERM;
}

/*
 * Whether the kernel still has OWNER's outgoing session NAME after luod
 * let go of it (a client may hold it): creating it again says EEXIST if so;
 * if not, the new one is closed at once, which destroys it.
 */
static int still_alive(uint32_t owner, const char *name)
{
	char kname[64];
	int fd;

	luod_kernel_name(kname, owner, name);
	fd = luo_session_create(d.dev, kname);
	if (fd >= 0) {
		close(fd);
		return 0;
	}
	/* EEXIST, or no answer (EMFILE, ENOMEM): assume it lives. */
	return 1;
}

/*
 * Released sessions whose last holder has gone since: drop them from the
 * record, so that they neither fill their owner's quota nor show in the
 * next kernel. Done before a CREATE, a LIST or STATUS, and a PREPARE (the
 * last request before a kexec).
 */
static void prune_released(void)
{
	unsigned int i;

	for (i = d.nsess; i-- > 0;)
		if (d.s[i].state == LUOD_OUTGOING && d.s[i].fd < 0 &&
		    !still_alive(d.s[i].uid, d.s[i].name))
			forget(&d.s[i]);
}

static unsigned int count_sessions(uint32_t owner)
{
	unsigned int i, n = 0;

	for (i = 0; i < d.nsess; i++)
		n += d.s[i].uid == owner && d.s[i].state == LUOD_OUTGOING && d.s[i].fd >= 0;
	return n;
}

static int do_create(uint32_t owner, const char *name, int *fd)
{
	char kname[64];
	struct session *s;
	int err;

	prune_released();
	s = find(owner, name, 0);
	if (s && s->fd >= 0)
		return -EEXIST;
	if (s) {
		/* Released earlier: the same name is free once the kernel's is. */
		if (still_alive(owner, name))
			return -EEXIST;
		forget(s);
	}
	if (owner != 0 && count_sessions(owner) >= LUOD_UID_SESSIONS)
		return -ENOSPC;
	if (d.nsess == LUOD_MAX_SESSIONS)
		return -ENOSPC;
	luod_kernel_name(kname, owner, name);
	*fd = luo_session_create(d.dev, kname);
	if (*fd < 0)
		return *fd;
	s = &d.s[d.nsess++];
	s->uid = owner;
	memcpy(s->name, name, strlen(name) + 1);
	s->state = LUOD_OUTGOING;
	s->fd = *fd;
	err = save_registry();
	if (err) {
		forget(s);
		return err;
	}
	keep_session(s, KEEPER_ADD);
	return 0;
}

static int do_retrieve(uint32_t owner, const char *name, int *fd)
{
	struct session *s = find(owner, name, 1);
	char kname[64], old[KEEPER_TAG_MAX];
	int sess;

	if (!s)
		return -ENOENT;
	if (s->state == LUOD_WAITING) {
		luod_kernel_name(kname, owner, name);
		sess = luo_session_retrieve(d.dev, kname);
		if (sess < 0)
			return sess;
		session_tag(old, s);
		s->fd = sess;
		s->state = LUOD_RETRIEVED;
		retag(s, old);
	}
	*fd = s->fd;
	return 0;
}

/*
 * RELEASE: luod lets go of OWNER's session NAME, the outgoing one if there
 * is one, else the one handed over. An outgoing session a client still
 * holds goes to the next kernel all the same, so its owner stays in the
 * record until the kernel no longer has it: it is never orphaned. A
 * handed-over session not yet retrieved is retrieved and finished, which
 * discards it.
 */
static int do_release(uint32_t owner, const char *name)
{
	struct session *s = find(owner, name, 0);
	char old[KEEPER_TAG_MAX];
	int fd;

	if (s) {
		if (s->fd < 0)
			return -ENOENT; /* released already */
		/* The released tag (a restarted luod keeps the owner), then the
		 * keeper's copy of the session goes, then luod's. */
		session_tag(old, s);
		fd = s->fd;
		s->fd = -1;
		retag(s, old);
		close(fd);
		if (!still_alive(owner, name))
			forget(s);
		return save_registry();
	}
	s = find(owner, name, 1);
	if (!s)
		return -ENOENT;
	if (s->state == LUOD_WAITING && do_retrieve(owner, name, &fd) == 0)
		luo_session_finish(fd);
	forget(s);
	return 0;
}

/*
 * LIST, and with STATUS each session's files and bytes as the kernel tells
 * them in the fdinfo of luod's own descriptor (unknown without one).
 */
static int do_list(const struct client *c, void *buf, size_t size, int status)
{
	static struct luod_entry e[LUOD_MAX_SESSIONS];
	uint32_t n = 0;
	unsigned int i;

	for (i = 0; i < d.nsess; i++) {
		if (c->uid != 0 && d.s[i].uid != c->uid)
			continue;
		e[n].uid = d.s[i].uid;
		e[n].state = d.s[i].state;
		memcpy(e[n].name, d.s[i].name, sizeof(e[n].name));
		if (!status || d.s[i].fd < 0 ||
		    luod_fdinfo_read(d.s[i].fd, &e[n].files, &e[n].bytes)) {
			e[n].files = LUOD_FILES_UNKNOWN;
			e[n].bytes = LUOD_BYTES_UNKNOWN;
		}
		n++;
	}
	return status ? luod_encode_status(buf, size, e, n) : luod_encode_list(buf, size, e, n);
}

/* Answer the PREPARE in progress: who was asked, who answered, who did not. */
static void finish_prepare(void)
{
	unsigned char payload[8 + 4 * 64];
	uint32_t ready = 0, late = 0;
	unsigned int i;

	for (i = 0; i < prep.n; i++) {
		if (prep.ready[i]) {
			ready++;
		} else if (late < 64) {
			memcpy(payload + 8 + 4 * late, &prep.pid[i], 4);
			late++;
		}
	}
	memcpy(payload, &prep.n, 4);
	memcpy(payload + 4, &ready, 4);
	prep.active = 0;
	for (i = 0; prep.requester && i < d.nclients; i++) {
		if (d.c[i].cid != prep.requester)
			continue;
		reply(&d.c[i], LUOD_PREPARE, prep.requester_seq, ready == prep.n ? 0 : -ETIMEDOUT,
		      -1, payload, 8 + 4 * (size_t)late);
		break;
	}
	if (ready != prep.n)
		say("PREPARE %u: %u of %u watcher(s) did not answer in time", prep.id,
		    prep.n - ready, prep.n);
}

/* Ask every watcher to get ready for a kexec; the answer comes later. */
static int start_prepare(const struct client *c, uint32_t seq, uint32_t timeout_ms)
{
	unsigned char ev[LUOD_HDR_SIZE];
	unsigned int i;

	if (c->uid != 0)
		return -EPERM;
	if (prep.active)
		return -EBUSY;
	prune_released();
	if (timeout_ms > 600000)
		timeout_ms = 600000;
	prep.active = 1;
	prep.id = ++prep.next_id;
	prep.requester = c->cid;
	prep.requester_seq = seq;
	prep.deadline_ms = now_ms() + timeout_ms;
	prep.n = 0;
	luod_encode_req(ev, LUOD_EVENT_PREPARE, prep.id, NULL);
	for (i = 0; i < d.nclients; i++) {
		if (!d.c[i].watching)
			continue;
		prep.cid[prep.n] = d.c[i].cid;
		prep.pid[prep.n] = d.c[i].pid;
		/* A watcher that cannot take the event counts as not ready. */
		prep.ready[prep.n] = 0;
		if (send(d.c[i].fd, ev, sizeof(ev), MSG_DONTWAIT | MSG_NOSIGNAL) != sizeof(ev))
			say("PREPARE %u: cannot tell watcher pid %d", prep.id, (int)d.c[i].pid);
		prep.n++;
	}
	say("PREPARE %u: asked %u watcher(s), %u ms to answer", prep.id, prep.n, timeout_ms);
	return 0;
}

static void ready_from(const struct client *c, uint32_t id)
{
	unsigned int i;

	if (!prep.active || id != prep.id || !c->watching)
		return;
	for (i = 0; i < prep.n; i++)
		if (prep.cid[i] == c->cid)
			prep.ready[i] = 1;
}

static int prepare_done(void)
{
	unsigned int i;

	for (i = 0; i < prep.n; i++)
		if (!prep.ready[i])
			return now_ms() >= prep.deadline_ms;
	return 1;
}

/* Read and answer one message of client C: -1 when C is to be dropped. */
static int serve(struct client *c)
{
	static unsigned char payload[LUOD_MAX_REPLY];
	unsigned char buf[LUOD_MAX_MSG + 1];
	union {
		struct cmsghdr h;
		char space[CMSG_SPACE(sizeof(int) * 8)];
	} ctl;
	struct iovec iov = { .iov_base = buf, .iov_len = sizeof(buf) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.space,
			     .msg_controllen = sizeof(ctl.space) };
	struct luod_req req;
	struct cmsghdr *cm;
	uint32_t owner = 0;
	ssize_t n;
	int err, fd = -1, plen = 0, i, nfds;

	n = recvmsg(c->fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
	if (n < 0)
		return errno == EAGAIN || errno == EINTR ? 0 : -1;
	if (n == 0)
		return -1;
	/* luod takes no descriptor from a client: close what came. */
	for (cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm)) {
		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		nfds = (int)((cm->cmsg_len - CMSG_LEN(0)) / sizeof(int));
		for (i = 0; i < nfds; i++) {
			memcpy(&fd, CMSG_DATA(cm) + i * sizeof(int), sizeof(int));
			close(fd);
		}
		fd = -1;
	}
	memset(&req, 0, sizeof(req));
	if ((size_t)n > LUOD_MAX_MSG || (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)))
		err = -EMSGSIZE;
	else
		err = luod_decode_req(buf, (size_t)n, &req);
	if (!err && c->has_seq && (int32_t)(req.hdr.seq - c->last_seq) <= 0)
		err = -EPROTO; /* replayed or out of order */
	if (err) {
		say("client pid %d uid %u: malformed message of %zd bytes: %s", (int)c->pid,
		     c->uid, n, strerror(-err));
		/* Echo the seq when there was a header, so the client can match. */
		return reply(c, 0, err != -EMSGSIZE && (size_t)n >= LUOD_HDR_SIZE ? req.hdr.seq : 0,
			     err, -1, NULL, 0);
	}
	c->has_seq = 1;
	c->last_seq = req.hdr.seq;
	/* A watching connection carries events and READY, nothing else. */
	if (c->watching && req.hdr.type != LUOD_READY) {
		say("client pid %d uid %u: %s on a watching connection", (int)c->pid, c->uid,
		    type_name(req.hdr.type));
		return reply(c, req.hdr.type, req.hdr.seq, -EPROTO, -1, NULL, 0);
	}

	switch (req.hdr.type) {
	case LUOD_WATCH:
		c->watching = 1;
		break;
	case LUOD_READY:
		ready_from(c, req.arg);
		return 0; /* an answer, not a request: no reply */
	case LUOD_PREPARE:
		err = start_prepare(c, req.hdr.seq, req.arg);
		if (!err)
			return 0; /* answered when the watchers have */
		break;
	case LUOD_HELLO: {
		uint16_t v[2] = { LUOD_VERSION, 0 };
		uint32_t f = d.recovered ? LUOD_HELLO_RECOVERED : 0;

		memcpy(payload, v, 4);
		memcpy(payload + 4, &c->uid, 4);
		memcpy(payload + 8, &f, 4);
		plen = 12;
		break;
	}
	case LUOD_CREATE:
		err = owner_of(c, &req, &owner);
		if (!err)
			err = do_create(owner, req.name, &fd);
		break;
	case LUOD_RETRIEVE:
		err = owner_of(c, &req, &owner);
		if (!err)
			err = do_retrieve(owner, req.name, &fd);
		break;
	case LUOD_RELEASE:
		err = owner_of(c, &req, &owner);
		if (!err)
			err = do_release(owner, req.name);
		break;
	case LUOD_LIST:
	case LUOD_STATUS:
		prune_released();
		plen = do_list(c, payload, LUOD_MAX_REPLY - LUOD_HDR_SIZE - 4,
			       req.hdr.type == LUOD_STATUS);
		if (plen < 0)
			err = plen;
		break;
	}
	if (err) {
		if (req.has_uid)
			say("client pid %d uid %u: %s %u/%s: %s", (int)c->pid, c->uid,
			    type_name(req.hdr.type), req.uid, req.name, strerror(-err));
		else
			say("client pid %d uid %u: %s %s: %s", (int)c->pid, c->uid,
			    type_name(req.hdr.type), req.name, strerror(-err));
		plen = 0;
	}
	return reply(c, req.hdr.type, req.hdr.seq, err, fd, payload, err ? 0 : (size_t)plen);
}

/*
 * No client may hand luod a descriptor: closing one could block luod (a
 * FUSE file, a lingering socket). Connections inherit this from the
 * listener (Linux 6.16+); on older kernels what arrives is closed.
 */
static void refuse_rights(int fd)
{
	int off = 0;

	setsockopt(fd, SOL_SOCKET, SO_PASSRIGHTS, &off, sizeof(off));
}

/* Make the directories above PATH (/run may not exist yet). */
static void make_dirs(const char *path)
{
	char dir[108], *slash;

	if (strlen(path) >= sizeof(dir))
		return;
	memcpy(dir, path, strlen(path) + 1);
	for (slash = strchr(dir + 1, '/'); slash; slash = strchr(slash + 1, '/')) {
		*slash = '\0';
		mkdir(dir, 0755);
		*slash = '/';
	}
}

static int listen_on(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	const char *lfds = getenv("LISTEN_FDS"), *lpid = getenv("LISTEN_PID");
	int fd;

	if (lfds && lpid && atoi(lpid) == getpid() && atoi(lfds) == 1) {
		fcntl(3, F_SETFD, FD_CLOEXEC);
		fcntl(3, F_SETFL, fcntl(3, F_GETFL) | O_NONBLOCK);
		refuse_rights(3);
		return 3; /* socket activation: systemd's socket */
	}
	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	unlink(path);
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || chmod(path, 0666) < 0 ||
	    listen(fd, 64) < 0) {
		close(fd);
		return -errno;
	}
	refuse_rights(fd);
	return fd;
}

/* A descriptor kept free so that a connection can be refused at EMFILE. */
static int spare_fd = -1;

static unsigned int count_clients(uint32_t uid)
{
	unsigned int i, n = 0;

	for (i = 0; i < d.nclients; i++)
		n += d.c[i].uid == uid;
	return n;
}

static void accept_one(void)
{
	static uint32_t next_cid;
	struct ucred cred = { .uid = (uid_t)-1 };
	socklen_t len = sizeof(cred);
	const char *why = NULL;
	int fd = accept4(d.listen, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);

	if (fd < 0) {
		/* Out of descriptors: accept and drop it, or poll() spins. */
		if ((errno == EMFILE || errno == ENFILE) && spare_fd >= 0) {
			close(spare_fd);
			fd = accept4(d.listen, NULL, NULL, SOCK_CLOEXEC);
			if (fd >= 0)
				close(fd);
			spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
			say("refusing a connection: out of descriptors");
		}
		return;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0)
		why = strerror(errno);
	else if (d.nclients == LUOD_MAX_CLIENTS)
		why = "too many clients";
	/* The last slots are root's, and no other uid takes more than its share. */
	else if (cred.uid != 0 && (d.nclients >= LUOD_MAX_CLIENTS - 8 ||
				   count_clients(cred.uid) >= LUOD_UID_CLIENTS))
		why = "too many connections of this uid";
	if (why) {
		say("refusing a connection of uid %d: %s", (int)cred.uid, why);
		close(fd);
		return;
	}
	if (++next_cid == 0)
		next_cid = 1;
	d.c[d.nclients++] = (struct client){ .fd = fd, .pid = cred.pid, .uid = cred.uid,
					     .cid = next_cid };
}

/* luod may hold a descriptor per session and per client: lift the soft limit. */
static void raise_fd_limit(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

/* The keeper's socket sits next to the clients' one. */
static int keeper_path_of(const char *sock)
{
	const char *slash = strrchr(sock, '/');
	size_t dir = slash ? (size_t)(slash - sock) + 1 : 0;

	if (dir + sizeof("keeper.sock") > sizeof(d.keeper_path))
		return -ENAMETOOLONG;
	memcpy(d.keeper_path, sock, dir);
	memcpy(d.keeper_path + dir, "keeper.sock", sizeof("keeper.sock"));
	return 0;
}

static void spawn_keeper(void)
{
	d.keeper = keeper_spawn(d.keeper_path, &d.keeper_pid);
	if (d.keeper < 0) {
		say("cannot start the keeper (%s): a restart of luod would lose sessions",
		    strerror(-d.keeper));
		return;
	}
	keep_all();
}

int main(int argc, char **argv)
{
	const char *sock = LUOD_SOCKET_PATH, *dev = NULL;
	struct pollfd pfd[LUOD_MAX_CLIENTS + 2];
	LUO_OPTS(luo_device_opts, dopts);
	unsigned int i, kidx;
	int err;

	for (i = 1; i < (unsigned int)argc; i++) {
		if (!strcmp(argv[i], "--socket") && i + 1 < (unsigned int)argc)
			sock = argv[++i];
		else if (!strcmp(argv[i], "--device") && i + 1 < (unsigned int)argc)
			dev = argv[++i];
		else if (!strcmp(argv[i], "--state") && i + 1 < (unsigned int)argc)
			d.state_name = argv[++i];
		else {
			fprintf(stderr, "usage: luod [--socket PATH] [--device PATH] [--state NAME]\n");
			return 2;
		}
	}
	signal(SIGPIPE, SIG_IGN);
	if (keeper_path_of(sock) < 0) {
		say("socket path too long: %s", sock);
		return 1;
	}
	make_dirs(sock);
	raise_fd_limit();
	spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	err = adopt();
	if (err == 0) {
		say("restarted: took back the device and %u session(s) from the keeper", d.nsess);
	} else if (err != -ENOENT && err != -ECONNREFUSED) {
		/* A keeper holds sessions luod could not take: do not start over. */
		say("cannot take back what the keeper at %s holds (%s): stop it only if its sessions may be lost",
		    d.keeper_path, strerror(-err));
		return 1;
	} else {
		dopts.path = dev;
		d.dev = luo_device_open(&dopts);
		if (d.dev < 0) {
			say("open %s: %s", dev ? dev : LUO_DEVICE_PATH,
			    luo_strerror_call(LUO_CALL_DEVICE_OPEN, d.dev));
			return 1;
		}
		err = setup_registry();
		if (err) {
			say("cannot keep its record of owners: %s", strerror(-err));
			return 1;
		}
		spawn_keeper();
	}
	d.listen = listen_on(sock);
	if (d.listen < 0) {
		say("listen on %s: %s", sock, strerror(-d.listen));
		return 1;
	}
	say("ready on %s", sock);
	for (;;) {
		pfd[0] = (struct pollfd){ .fd = d.listen, .events = POLLIN };
		for (i = 0; i < d.nclients; i++)
			pfd[i + 1] = (struct pollfd){ .fd = d.c[i].fd, .events = POLLIN };
		/* The keeper never writes: any event means it is gone. */
		kidx = d.nclients + 1;
		pfd[kidx] = (struct pollfd){ .fd = d.keeper, .events = POLLIN };
		if (poll(pfd, kidx + 1,
			 prep.active ? (int)(prep.deadline_ms > now_ms() ? prep.deadline_ms - now_ms() : 0) + 1
				     : -1) < 0) {
			if (errno == EINTR)
				continue;
			say("poll: %s", strerror(errno));
			return 1;
		}
		/* Clients first, from the last, so that dropping one is a swap. */
		for (i = d.nclients; i-- > 0;) {
			if (!(pfd[i + 1].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			if (serve(&d.c[i]) < 0) {
				if (prep.requester == d.c[i].cid)
					prep.requester = 0;
				close(d.c[i].fd);
				d.c[i] = d.c[--d.nclients];
			}
		}
		if (d.keeper >= 0 && pfd[kidx].revents)
			keeper_lost();
		if (d.respawn) {
			d.respawn = 0;
			spawn_keeper();
		}
		if (pfd[0].revents & POLLIN)
			accept_one();
		if (prep.active && prepare_done())
			finish_prepare();
	}
}
