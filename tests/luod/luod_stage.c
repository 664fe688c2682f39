// SPDX-License-Identifier: GPL-2.0
/*
 * luod across a real kexec: a stage program for scripts/qemu-run.sh, run as
 * "/stage STAGE NSTAGES", KTAP on stdout. /bin/luod and /bin/luoctl are in
 * the initramfs.
 *
 * Stage 1 starts luod; 64 clients in 4 uids (16 each, the same 16 session
 * names in every uid) create a session each through luod and preserve 16
 * memfds in it, then exit: luod holds the sessions. It checks the device is
 * luod's, the names are per owner, a client cannot touch another uid's
 * session, and malformed, oversized and replayed messages get an error and
 * leave luod serving. Stage 2 starts luod again, which reads its record
 * from the previous kernel; every client gets back exactly its own 16
 * files, byte for byte, and nobody else's.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "internal.h"
#include "libluo.h"
#include "luod_proto.h"
#include "../common/stage.h"
#include "../common/luod_start.h"

#define NUIDS 4
#define PER_UID 16
#define NFILES 16
#define FILE_SIZE (16u << 10)
#define UID0 1000u
#define STAGE1_TESTS 25
#define STAGE2_TESTS 13

static unsigned char pat(uint32_t uid, int k, int f, size_t off)
{
	uint64_t x = ((uint64_t)uid << 40) ^ ((uint64_t)k << 24) ^ ((uint64_t)f << 16) ^ off;

	x *= 0x9e3779b97f4a7c15ull;
	return (unsigned char)(x >> 56);
}

/* A wait status as a shell gives it: the exit code, or 128 + the signal. */
static int exit_code(int status)
{
	if (status < 0)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* Become UID in a child; run FN; its exit status is the number of errors. */
static int as_uid(uint32_t uid, int (*fn)(uint32_t uid, int k), int k)
{
	int st;
	pid_t pid = fork();

	if (pid == 0) {
		if (setgroups(0, NULL) || setresgid(uid, uid, uid) || setresuid(uid, uid, uid))
			_exit(100);
		_exit(fn(uid, k));
	}
	if (pid < 0 || waitpid(pid, &st, 0) < 0 || !WIFEXITED(st))
		return 101;
	return WEXITSTATUS(st);
}

/* A client's session "vmK" through luod, created or retrieved. */
static int client_session(int k, int create)
{
	char name[16];
	int conn = luo_connect(NULL);

	snprintf(name, sizeof(name), "vm%d", k);
	if (conn < 0)
		return conn;
	return create ? luo_session_create(conn, name) : luo_session_retrieve(conn, name);
}

/* A client: session "vmK" of its uid, 16 memfds in it. Exit code: errors. */
static int client_create(uint32_t uid, int k)
{
	LUO_OPTS(luo_memfd_opts, mo, .size = FILE_SIZE);
	int sess = client_session(k, 1), fd, f, errs = 0;
	unsigned char *p;
	size_t i;

	if (sess < 0)
		return 50;
	for (f = 0; f < NFILES; f++) {
		fd = luo_memfd_create("luod-client", &mo);
		p = fd < 0 ? MAP_FAILED :
			mmap(NULL, FILE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		if (p == MAP_FAILED) {
			errs++;
			continue;
		}
		for (i = 0; i < FILE_SIZE; i++)
			p[i] = pat(uid, k, f, i);
		munmap(p, FILE_SIZE);
		if (luo_session_preserve_fd(sess, fd, (uint64_t)f))
			errs++;
		close(fd);
	}
	return errs; /* the session goes on in luod */
}

/* A client: gets its session "vmK" back and checks every byte. */
static int client_retrieve(uint32_t uid, int k)
{
	int sess = client_session(k, 0), fd, f, errs = 0;
	unsigned char *p;
	size_t i;

	if (sess < 0)
		return 50;
	for (f = 0; f < NFILES; f++) {
		fd = luo_session_retrieve_fd(sess, (uint64_t)f);
		p = fd < 0 ? MAP_FAILED : mmap(NULL, FILE_SIZE, PROT_READ, MAP_SHARED, fd, 0);
		if (p == MAP_FAILED) {
			errs++;
			continue;
		}
		for (i = 0; i < FILE_SIZE; i++)
			if (p[i] != pat(uid, k, f, i)) {
				errs++;
				break;
			}
		munmap(p, FILE_SIZE);
		close(fd);
	}
	if (luo_session_finish(sess))
		errs++;
	return errs;
}

/* uid+1 asks for uid's session: EPERM for create and retrieve, ENOENT for none. */
static int client_trespass(uint32_t uid, int k)
{
	char ref[32];
	int conn = luo_connect(NULL), errs = 0, ret;

	(void)k;
	snprintf(ref, sizeof(ref), "%u/vm0", uid - 1);
	ret = luo_session_create(conn, ref);
	errs += ret != -EPERM;
	ret = luo_session_retrieve(conn, ref);
	errs += ret != -EPERM;
	return errs;
}

static int client_trespass_retrieve(uint32_t uid, int k)
{
	char ref[32];
	int conn = luo_connect(NULL), errs = 0;

	(void)k;
	snprintf(ref, sizeof(ref), "%u/vm0", uid - 1);
	errs += luo_session_retrieve(conn, ref) != -EPERM;
	errs += luo_session_retrieve(conn, "vm99") != -ENOENT;
	return errs;
}

/* Sessions luod lists to this caller: count, and how many are UID's in STATE. */
/* LIST or STATUS (TYPE) on a fresh connection into E: the count or an error. */
static int fetch(uint16_t type, struct luod_entry *e, uint32_t max)
{
	static unsigned char payload[LUOD_MAX_REPLY];
	size_t plen = sizeof(payload);
	int conn = luo_connect(NULL), n;

	if (conn < 0)
		return conn;
	n = luo__broker_request(conn, type, NULL, NULL, payload, &plen);
	if (!n)
		n = type == LUOD_STATUS ? luod_decode_status(payload, plen, e, max) :
					  luod_decode_list(payload, plen, e, max);
	close(conn);
	return n;
}

#define MAX_LISTED (NUIDS * PER_UID + 16)
static struct luod_entry listing[MAX_LISTED];

static int list(int *mine, uint32_t uid, uint8_t state)
{
	int n = fetch(LUOD_LIST, listing, MAX_LISTED), i;

	*mine = 0;
	for (i = 0; i < n; i++)
		*mine += listing[i].uid == uid && listing[i].state == state;
	return n;
}

static int client_list(uint32_t uid, int k)
{
	int mine, n = list(&mine, uid, (uint8_t)k);

	return n == PER_UID && mine == PER_UID ? 0 : 1;
}

/* Raw messages on a fresh connection: what luod answers. */
static int raw(const void *msg, size_t len, uint32_t *seq_out, int32_t *status)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX, .sun_path = SOCK };
	unsigned char buf[LUOD_MAX_MSG];
	struct luod_hdr h;
	int s = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	ssize_t n;

	if (s < 0 || connect(s, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    send(s, msg, len, 0) != (ssize_t)len)
		return -1;
	n = recv(s, buf, sizeof(buf), 0);
	close(s);
	if (n < LUOD_HDR_SIZE + 4)
		return -1;
	memcpy(&h, buf, sizeof(h));
	memcpy(status, buf + LUOD_HDR_SIZE, 4);
	*seq_out = h.seq;
	return h.type;
}

/* The pid of the other process called luod than LUOD: its keeper, or -1. */
static int keeper_of(pid_t luod)
{
	char path[64], cmd[64];
	int pid, best = -1, fd;
	ssize_t n;

	for (pid = 2; pid < 32768; pid++) {
		if (pid == luod)
			continue;
		snprintf(path, sizeof(path), "/proc/%d/cmdline", pid);
		fd = open(path, O_RDONLY);
		if (fd < 0)
			continue;
		n = read(fd, cmd, sizeof(cmd) - 1);
		close(fd);
		if (n > 0 && !strcmp(cmd, "luod"))
			best = pid;
	}
	return best;
}

/* Whether root's LIST has a session NAME. */
static int listed(const char *name)
{
	int n = fetch(LUOD_LIST, listing, MAX_LISTED), i, found = 0;

	for (i = 0; i < n; i++)
		found |= listing[i].uid == 0 && !strcmp(listing[i].name, name);
	return found;
}

/*
 * STATUS: how many sessions of uids UID0.. show FILES files of BYTES bytes
 * in all (LUOD_*_UNKNOWN for "cannot tell"); *TOTAL gets all sessions.
 */
static int status_count(uint32_t files, uint64_t bytes, int *total)
{
	int n = fetch(LUOD_STATUS, listing, MAX_LISTED), i, match = 0;

	*total = n;
	for (i = 0; i < n; i++)
		match += listing[i].uid >= UID0 && listing[i].files == files &&
			 listing[i].bytes == bytes;
	return match;
}

/* STATUS of root's session NAME: 0 with its files and bytes, or -ENOENT. */
static int status_of(const char *name, uint32_t *files, uint64_t *bytes)
{
	int n = fetch(LUOD_STATUS, listing, MAX_LISTED), i;

	for (i = 0; i < n; i++)
		if (listing[i].uid == 0 && !strcmp(listing[i].name, name)) {
			*files = listing[i].files;
			*bytes = listing[i].bytes;
			return 0;
		}
	return n < 0 ? n : -ENOENT;
}

/*
 * RELEASE: a session nobody else holds is gone and its name free again; one
 * its client still holds stays in luod's record (it goes to the next kernel
 * all the same, and must not be orphaned there): rel-b, kept open here.
 */
static void release(int conn)
{
	LUO_OPTS(luo_memfd_opts, mo, .size = 4096);
	int a, b, ret, fd;

	a = conn < 0 ? conn : luo_session_create(conn, "rel-a");
	if (a >= 0)
		close(a);
	ret = conn < 0 ? conn : luo__broker_request(conn, LUOD_RELEASE, "rel-a", NULL, NULL, NULL);
	b = conn < 0 ? conn : luo_session_create(conn, "rel-a");
	result(a >= 0 && ret == 0 && b >= 0,
	       "RELEASE of a session nobody holds frees its name (%d, %d, %d)", a, ret, b);
	/*
	 * Released while this client holds it: listed; then the client lets
	 * go: gone from the very next LIST (not only after the next CREATE).
	 */
	ret = conn < 0 ? conn : luo_release(conn, "rel-a");
	a = listed("rel-a");
	if (b >= 0)
		close(b);
	result(ret == 0 && a && !listed("rel-a"),
	       "a released session is listed while its client holds it, not once it let go (%d)",
	       ret);

	b = conn < 0 ? conn : luo_session_create(conn, "rel-b");
	fd = luo_memfd_create("rel-b", &mo);
	ret = b >= 0 && fd >= 0 && pwrite(fd, "rel-b", 5, 0) == 5 ?
		      luo_session_preserve_fd(b, fd, 1) : -EIO;
	if (!ret)
		ret = luo__broker_request(conn, LUOD_RELEASE, "rel-b", NULL, NULL, NULL);
	result(ret == 0 && listed("rel-b") && !listed("rel-a"),
	       "RELEASE of a session its client holds keeps it in the record (%d)", ret);
	if (fd >= 0)
		close(fd);
	/* b stays open: hold_sessions() keeps it across the kexec. */
}

/* A watcher as uid UID: answers every PREPARE if ANSWER, else never. */
static pid_t watcher(uint32_t uid, int answer)
{
	int p[2], w, id;
	pid_t pid;
	char c = 0;

	if (pipe(p))
		return -1;
	pid = fork();
	if (pid == 0) {
		close(p[0]);
		if (setgroups(0, NULL) || setresgid(uid, uid, uid) || setresuid(uid, uid, uid))
			_exit(1);
		w = luo_watch(NULL);
		c = w >= 0 ? 'y' : 'n';
		if (write(p[1], &c, 1) != 1)
			_exit(1);
		close(p[1]);
		for (;;) {
			id = luo_watch_read(w);
			if (id < 0)
				_exit(0);
			if (answer)
				luo_watch_ready(w, id);
		}
	}
	close(p[1]);
	if (read(p[0], &c, 1) != 1 || c != 'y')
		pid = -1;
	close(p[0]);
	return pid;
}

/* Run luoctl with ARGS: its exit status, its output (both streams) in OUT. */
static int luoctl(const char *args, char *out, size_t size)
{
	char cmd[256];
	FILE *f;
	size_t n;

	snprintf(cmd, sizeof(cmd), "/bin/luoctl %s 2>&1", args);
	f = popen(cmd, "r");
	if (!f)
		return -1;
	n = fread(out, 1, size - 1, f);
	out[n] = '\0';
	return exit_code(pclose(f));
}

static int kexec_loaded(void)
{
	char c = '?';
	int fd = open("/sys/kernel/kexec_loaded", O_RDONLY);

	if (fd >= 0) {
		if (read(fd, &c, 1) != 1)
			c = '?';
		close(fd);
	}
	return c == '1';
}

/*
 * luoctl kexec: a watcher that does not answer aborts it (and the kernel is
 * unloaded), --force goes on, and with only answering watchers it is ready.
 * --no-reboot: the runner does the real kexec afterwards.
 */
static void kexec_orchestration(void)
{
	char out[2048], want[64];
	pid_t a = watcher(UID0, 1), b = watcher(UID0 + 1, 0);
	int ret;

	ret = luoctl("kexec --kernel /next/bzImage --no-reboot --timeout 2", out, sizeof(out));
	snprintf(want, sizeof(want), "client pid %d did not say it is ready", (int)b);
	result(a > 0 && b > 0 && ret == 1 && strstr(out, want) && strstr(out, "kexec aborted"),
	       "luoctl kexec with a watcher that does not answer aborts, naming it (exit %d)", ret);
	if (ret != 1 || !strstr(out, want))
		diag("luoctl said: %s", out);
	result(!kexec_loaded(), "...and unloads the kernel it loaded");
	ret = luoctl("kexec --kernel /next/bzImage --no-reboot --timeout 2 --force", out,
		     sizeof(out));
	/* 1 of 2 on a good hour; the answering watcher may miss 2 s on a slow one. */
	result(ret == 0 && (strstr(out, "1 of 2 watching client(s) ready") ||
			    strstr(out, "0 of 2 watching client(s) ready")),
	       "luoctl kexec --force goes on (exit %d)", ret);
	if (b > 0) {
		kill(b, SIGKILL);
		waitpid(b, NULL, 0);
	}
	usleep(200 * 1000);
	/* It returns once every watcher has answered: the limit only catches a hang. */
	ret = luoctl("kexec --kernel /next/bzImage --no-reboot --timeout 300", out, sizeof(out));
	result(ret == 0 && strstr(out, "1 of 1 watching client(s) ready") && kexec_loaded(),
	       "with every watcher answering luoctl kexec is ready, kernel loaded (exit %d)", ret);
	if (ret != 0)
		diag("luoctl said: %s", out);
}

static int stage1(void)
{
	unsigned char msg[LUOD_MAX_MSG + 4096];
	int u, k, errs, bad, ret, mine, conn, len, a, b, fdinfo;
	pid_t luod;
	uint32_t seq;
	int32_t st;
	static char out[32768];
	const char *want;
	FILE *f;

	printf("KTAP version 1\n1..%d\n", STAGE1_TESTS);
	fflush(stdout);
	fdinfo = cmdline_has("luod.expect_fdinfo=1");
	luod = start_luod();
	ret = luo_device_open(NULL);
	result(ret == -EBUSY, "luod holds /dev/liveupdate (luo_device_open: %d)", ret);

	bad = 0;
	for (u = 0; u < NUIDS; u++)
		for (k = 0; k < PER_UID; k++) {
			errs = as_uid(UID0 + (uint32_t)u, client_create, k);
			if (errs) {
				diag("uid %u vm%d: %d error(s)", UID0 + u, k, errs);
				bad++;
			}
		}
	result(bad == 0, "%d clients in %d uids each created a session through luod and preserved %d memfds",
	       NUIDS * PER_UID, NUIDS, NFILES);

	/*
	 * The clients are gone: luod (and its keeper) hold the only references.
	 * Kill luod outright and start it again: it must take everything back.
	 */
	ret = kill(luod, SIGKILL);
	waitpid(luod, NULL, 0);
	result(ret == 0 && luo_device_open(NULL) == -EBUSY,
	       "with luod killed (SIGKILL) its keeper still holds the device");
	luod = start_luod();
	ret = list(&mine, UID0, LUOD_OUTGOING);
	result(ret == NUIDS * PER_UID && mine == PER_UID,
	       "luod started again took back all %d sessions (%d, %d of uid %u)", NUIDS * PER_UID,
	       ret, mine, UID0);

	/* A kernel with the series tells a session's files (fdinfo); stock cannot. */
	if (fdinfo)
		ret = status_count(NFILES, (uint64_t)NFILES * FILE_SIZE, &a);
	else
		ret = status_count(LUOD_FILES_UNKNOWN, LUOD_BYTES_UNKNOWN, &a);
	result(ret == NUIDS * PER_UID,
	       "STATUS: %d client sessions show %s (%d of %d)", NUIDS * PER_UID,
	       fdinfo ? "16 files of 16 KiB, 262144 bytes" : "files and bytes unknown (stock)",
	       ret, a);

	ret = as_uid(UID0 + 1, client_trespass, 0);
	result(ret == 0, "uid %u creating or retrieving %u/vm0 gets EPERM", UID0 + 1, UID0);
	errs = 0;
	for (u = 0; u < NUIDS; u++)
		errs += as_uid(UID0 + (uint32_t)u, client_list, LUOD_OUTGOING);
	result(errs == 0, "each uid lists exactly its own %d outgoing sessions", PER_UID);
	ret = list(&mine, UID0, LUOD_OUTGOING);
	result(ret == NUIDS * PER_UID, "root lists all %d sessions (%d)", NUIDS * PER_UID, ret);

	conn = luo_connect(NULL);
	ret = conn < 0 ? conn : luo_session_create(conn, "1000/vm3");
	result(ret == -EEXIST, "a second 1000/vm3 gets EEXIST (%d)", ret);
	ret = conn < 0 ? conn : luo_session_create(conn, "bad name");
	result(ret == -EINVAL, "a name outside A-Za-z0-9._- gets EINVAL (%d)", ret);

	/* Malformed, oversized, replayed: an error reply, and luod goes on. */
	memset(msg, 0xa5, sizeof(msg));
	ret = raw(msg, 40, &seq, &st);
	result(ret == LUOD_REPLY && st == -EPROTO, "garbage gets an EPROTO reply (type 0x%x, %d)",
	       (unsigned int)ret, st);
	len = luod_encode_req(msg, LUOD_LIST, 1, NULL);
	memset(msg + len, 0, sizeof(msg) - (size_t)len);
	ret = raw(msg, sizeof(msg), &seq, &st);
	result(ret == LUOD_REPLY && st == -EMSGSIZE, "an oversized message gets EMSGSIZE (%d)", st);
	len = luod_encode_req(msg, LUOD_CREATE, 5, "replay");
	memcpy(msg + len, msg, (size_t)len); /* the same request twice in a row */
	{
		struct sockaddr_un sa = { .sun_family = AF_UNIX, .sun_path = SOCK };
		unsigned char r1[64], r2[64];
		int s = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);

		a = b = -1;
		if (s >= 0 && connect(s, (struct sockaddr *)&sa, sizeof(sa)) == 0 &&
		    send(s, msg, (size_t)len, 0) == len && recv(s, r1, sizeof(r1), 0) >= 20 &&
		    send(s, msg, (size_t)len, 0) == len && recv(s, r2, sizeof(r2), 0) >= 20) {
			memcpy(&a, r1 + 16, 4);
			memcpy(&b, r2 + 16, 4);
		}
		if (s >= 0)
			close(s); /* the descriptor of the first reply went with r1's cmsg */
		result(a == 0 && b == -EPROTO, "a replayed request gets EPROTO (first %d, second %d)",
		       a, b);
	}
	ret = conn < 0 ? conn : luo_session_create(conn, "after-abuse");
	result(ret >= 0, "luod still serves after all that (%d)", ret);
	if (ret >= 0)
		close(ret);
	release(conn);
	if (conn >= 0)
		close(conn);
	/* Once more: a released session its client holds survives a restart too. */
	kill(luod, SIGKILL);
	waitpid(luod, NULL, 0);
	luod = start_luod();
	result(listed("rel-b"), "after another restart luod still knows rel-b's owner");

	/* The keeper killed: luod starts another and gives it everything. */
	ret = keeper_of(luod);
	if (ret > 0)
		kill(ret, SIGKILL);
	/*
	 * Wait for luod's new keeper (up to 300 s: a hang detector, not a
	 * time limit), then one request: luod gives the new keeper everything
	 * before it answers the next one. A fixed 500 ms here was a race on a
	 * slow host.
	 */
	for (k = 0; ret > 0 && k < 600; k++) {
		b = keeper_of(luod);
		if (b > 0 && b != ret)
			break;
		if (k && !(k % 20))
			diag("waiting for luod's new keeper (%d s)", k / 2);
		usleep(500 * 1000);
	}
	list(&mine, UID0, LUOD_OUTGOING);
	kill(luod, SIGKILL);
	waitpid(luod, NULL, 0);
	luod = start_luod();
	a = list(&mine, UID0, LUOD_OUTGOING);
	result(ret > 0 && a == NUIDS * PER_UID + 3 && listed("rel-b"),
	       "keeper %d killed, then luod: the new keeper had everything (%d sessions)", ret, a);

	kexec_orchestration();

	f = popen("/bin/luoctl status --json", "r");
	len = f ? (int)fread(out, 1, sizeof(out) - 1, f) : -1;
	if (f)
		pclose(f);
	out[len > 0 ? len : 0] = '\0';
	for (a = 0, b = 0; (size_t)b < strlen(out); b++)
		a += !strncmp(out + b, "\"outgoing\"", 10);
	/* 64 clients', replay's, after-abuse's and rel-b's sessions. */
	result(a == NUIDS * PER_UID + 3, "luoctl status --json shows %d outgoing sessions (%d)",
	       NUIDS * PER_UID + 3, a);
	want = fdinfo ? "\"files\":16,\"bytes\":262144}" : "\"files\":null,\"bytes\":null}";
	for (a = 0, b = 0; (size_t)b < strlen(out); b++)
		a += !strncmp(out + b, want, strlen(want));
	/* On stock every session's are unknown, root's 3 too. */
	b = fdinfo ? NUIDS * PER_UID : NUIDS * PER_UID + 3;
	result(a == b, "luoctl status --json gives %d sessions' files and bytes as %s (%d)", b,
	       want, a);
	diag("stage 1: %d failure(s); luod holds the sessions across the kexec", failures);
	fflush(stdout);
	hold_sessions(); /* rel-b's only holder now: this process */
	return failures ? 1 : 0;
}

static int stage2(void)
{
	uint32_t files = 0;
	uint64_t bytes = 0;
	int sess;
	char buf[8];
	int u, k, errs, bad, ret, mine, fd;
	unsigned char hello[12];
	size_t hlen = sizeof(hello);
	uint32_t flags;
	int conn;

	printf("KTAP version 1\n1..%d\n", STAGE2_TESTS);
	fflush(stdout);
	start_luod_as(1);
	conn = luo_connect(NULL);
	ret = conn < 0 ? conn : luo__broker_request(conn, LUOD_HELLO, NULL, NULL, hello, &hlen);
	memcpy(&flags, hello + 8, 4);
	result(ret == 0 && hlen == 12 && (flags & LUOD_HELLO_RECOVERED),
	       "luod read the previous kernel's record (HELLO flags 0x%x)", flags);
	result(ret == 0 && access(UNUSED_SOCK, F_OK) && errno == ENOENT,
	       "socket activation: luod serves the socket it was given as fd 3 (LISTEN_FDS) and binds nothing");
	ret = list(&mine, UID0, LUOD_WAITING);
	result(ret == NUIDS * PER_UID + 3 && mine == PER_UID,
	       "root lists %d sessions waiting, %d of uid %u (%d, %d)", NUIDS * PER_UID + 3,
	       PER_UID, UID0, ret, mine);
	ret = status_count(LUOD_FILES_UNKNOWN, LUOD_BYTES_UNKNOWN, &mine);
	result(ret == NUIDS * PER_UID, "STATUS: the %d waiting client sessions' files are unknown until retrieved (%d)",
	       NUIDS * PER_UID, ret);
	ret = as_uid(UID0 + 1, client_trespass_retrieve, 0);
	result(ret == 0, "uid %u retrieving %u/vm0 gets EPERM, an unknown name ENOENT", UID0 + 1,
	       UID0);

	bad = 0;
	for (u = 0; u < NUIDS; u++)
		for (k = 0; k < PER_UID; k++) {
			errs = as_uid(UID0 + (uint32_t)u, client_retrieve, k);
			if (errs) {
				diag("uid %u vm%d: %d error(s)", UID0 + u, k, errs);
				bad++;
			}
		}
	result(bad == 0, "every client got back its own session and %d files, byte for byte",
	       NFILES);
	ret = list(&mine, UID0, LUOD_RETRIEVED);
	result(mine == PER_UID, "uid %u's sessions show as reclaimed (%d)", UID0, mine);
	ret = as_uid(UID0 + 2, client_list, LUOD_RETRIEVED);
	result(ret == 0, "uid %u lists only its own, reclaimed", UID0 + 2);
	ret = conn < 0 ? conn : luo_session_retrieve(conn, "after-abuse");
	result(ret >= 0, "root's own session came through too (%d)", ret);
	sess = conn < 0 ? conn : luo_session_retrieve(conn, "rel-b");
	fd = sess < 0 ? sess : luo_session_retrieve_fd(sess, 1);
	result(fd >= 0 && pread(fd, buf, 5, 0) == 5 && !memcmp(buf, "rel-b", 5),
	       "a session released while its client held it came through, owner and file (%d)",
	       fd);
	{
		/* The kernel's own words, as docs/luod.md gives them. */
		static const char want[] = "luo-session:\tincoming\nluo-files:\t1\n"
					   "luo-file:\t1 memfd-v2 retrieved 4096";
		char text[512], path[64];
		ssize_t n;

		snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", sess);
		n = read_text(path, text, sizeof(text));
		if (cmdline_has("luod.expect_fdinfo=1"))
			result(n > 0 && strstr(text, want) != NULL,
			       "the retrieved session's fdinfo names its one retrieved file and its size");
		else
			result(n > 0 && !strstr(text, "luo-files:"),
			       "stock: the session's fdinfo says nothing of its files");
		if (n <= 0 || (!strstr(text, want) && strstr(text, "luo-files:")))
			diag("fdinfo: %s", text);
	}
	ret = status_of("rel-b", &files, &bytes);
	if (cmdline_has("luod.expect_fdinfo=1"))
		result(ret == 0 && files == 1 && bytes == 4096,
		       "STATUS: rel-b, retrieved, shows its 1 file of 4096 bytes (%d: %u, %llu)",
		       ret, files, (unsigned long long)bytes);
	else
		result(ret == 0 && files == LUOD_FILES_UNKNOWN && bytes == LUOD_BYTES_UNKNOWN,
		       "STATUS: rel-b, retrieved, files and bytes unknown on stock (%d)", ret);
	ret = luo_device_open(NULL);
	result(ret == -EBUSY, "luod holds the device in the new kernel (%d)", ret);
	diag("stage 2: %d failure(s)", failures);
	return failures ? 1 : 0;
}

/*
 * Under systemd (the luod-systemd suite: qemu-run.sh --systemd, and
 * luod.systemd=1 on the command line): luod is the installed unit, started
 * by socket activation, restarted by systemd after a crash and on
 * "systemctl restart", and no session is lost on the way.
 */
#define SYSTEMCTL "/usr/bin/systemctl"
#define SD_STAGE1_TESTS 8
#define SD_STAGE2_TESTS 5

/* Run CMD; its first line of output into OUT; its exit status. */
static int sh_line(const char *cmd, char *out, size_t size)
{
	FILE *f = popen(cmd, "r");
	size_t n;

	out[0] = '\0';
	if (!f)
		return -1;
	n = fread(out, 1, size - 1, f);
	out[n] = '\0';
	out[strcspn(out, "\n")] = '\0';
	return exit_code(pclose(f));
}

static int unit_state_is(const char *unit, const char *want)
{
	char cmd[128], out[64];

	snprintf(cmd, sizeof(cmd), SYSTEMCTL " is-active %s", unit);
	sh_line(cmd, out, sizeof(out));
	return !strcmp(out, want);
}

static pid_t luod_main_pid(void)
{
	char out[64];

	sh_line(SYSTEMCTL " show -p MainPID --value luod.service", out, sizeof(out));
	return (pid_t)atoi(out);
}

static pid_t parent_of(pid_t pid)
{
	char path[64], buf[512], *p;
	int ppid = -1;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if (read_text(path, buf, sizeof(buf)) <= 0)
		return -1;
	p = strrchr(buf, ')');
	if (!p || sscanf(p + 1, " %*c %d", &ppid) != 1)
		return -1;
	return (pid_t)ppid;
}

/* Wait for systemd to run a luod other than OLD; its pid, or 0 on a hang. */
static pid_t new_luod(pid_t old)
{
	pid_t pid;
	int i;

	for (i = 0; i < 3000; i++) { /* 300 s: only a hang takes that long */
		pid = luod_main_pid();
		if (pid > 0 && pid != old && unit_state_is("luod.service", "active"))
			return pid;
		usleep(100 * 1000);
	}
	return 0;
}

static int pid1_is_systemd(void)
{
	char comm[32];

	return read_text("/proc/1/comm", comm, sizeof(comm)) > 0 && !strcmp(comm, "systemd");
}

static int sd_stage1(void)
{
	int ret, mine, files_ok;
	pid_t pid, pid2;
	char out[64];

	printf("KTAP version 1\n1..%d\n", SD_STAGE1_TESTS);
	result(pid1_is_systemd(), "PID 1 is systemd");
	result(unit_state_is("luod.socket", "active") && unit_state_is("luod.service", "inactive"),
	       "luod.socket listens, luod.service is not running before a client comes");
	ret = as_uid(UID0, client_create, 0);
	pid = luod_main_pid();
	result(ret == 0 && pid > 0 && parent_of(pid) == 1,
	       "a client's session: socket activation started luod (pid %d) and it preserved %d memfds (%d)",
	       (int)pid, NFILES, ret);

	ret = list(&mine, UID0, LUOD_OUTGOING);
	result(ret == 1 && mine == 1, "luod holds uid %u's session after the client left (%d)", UID0,
	       ret);

	if (pid > 0) /* kill(0) would hit this stage */
		kill(pid, SIGKILL);
	pid2 = pid > 0 ? new_luod(pid) : 0;
	ret = list(&mine, UID0, LUOD_OUTGOING);
	result(pid2 > 0 && ret == 1 && mine == 1,
	       "luod killed (SIGKILL): systemd restarted it (pid %d), the session is still there",
	       (int)pid2);

	ret = sh_line(SYSTEMCTL " restart luod.service", out, sizeof(out));
	pid = pid2 > 0 ? new_luod(pid2) : 0;
	ret = ret == 0 ? list(&mine, UID0, LUOD_OUTGOING) : -1;
	result(pid > 0 && ret == 1 && mine == 1,
	       "systemctl restart luod: a new luod (pid %d) took the session back from the keeper",
	       (int)pid);

	ret = sh_line(SYSTEMCTL " stop luod.service", out, sizeof(out));
	result(ret == 0 && unit_state_is("luod.service", "inactive") &&
	       unit_state_is("luod.socket", "active"),
	       "systemctl stop luod: the service stops, the socket stays");
	/* The next client starts it again, and it has everything. */
	ret = list(&mine, UID0, LUOD_OUTGOING);
	files_ok = status_count(NFILES, (uint64_t)NFILES * FILE_SIZE, &mine);
	result(ret == 1 && files_ok == 1 && luod_main_pid() > 0,
	       "the next client activates luod again: the session and its %d files are there (%d, %d)",
	       NFILES, ret, files_ok);
	diag("stage 1 under systemd: %d failure(s)", failures);
	return failures ? 1 : 0;
}

static int sd_stage2(void)
{
	unsigned char hello[12];
	size_t hlen = sizeof(hello);
	uint32_t flags = 0;
	int ret, conn;
	pid_t pid;

	printf("KTAP version 1\n1..%d\n", SD_STAGE2_TESTS);
	result(pid1_is_systemd(), "PID 1 is systemd");
	result(unit_state_is("luod.socket", "active") && unit_state_is("luod.service", "inactive"),
	       "after the kexec luod.socket listens and luod.service waits for a client");
	ret = as_uid(UID0, client_retrieve, 0);
	result(ret == 0, "the client got its session back through the activated luod: %d files, byte for byte (%d)",
	       NFILES, ret);
	pid = luod_main_pid();
	result(pid > 0 && parent_of(pid) == 1, "luod (pid %d) runs under systemd", (int)pid);
	conn = luo_connect(NULL);
	ret = conn < 0 ? conn : luo__broker_request(conn, LUOD_HELLO, NULL, NULL, hello, &hlen);
	if (!ret && hlen == sizeof(hello))
		memcpy(&flags, hello + 8, 4);
	result(ret == 0 && (flags & LUOD_HELLO_RECOVERED),
	       "luod read the previous kernel's record (HELLO flags 0x%x)", flags);
	diag("stage 2 under systemd: %d failure(s)", failures);
	return failures ? 1 : 0;
}

int main(int argc, char **argv)
{
	int stage = argc > 1 ? atoi(argv[1]) : 1;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (cmdline_has("luod.systemd=1"))
		return stage <= 1 ? sd_stage1() : sd_stage2();
	if (stage <= 1)
		return stage1();
	return stage2();
}
