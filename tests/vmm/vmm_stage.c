// SPDX-License-Identifier: GPL-2.0
/*
 * A real VMM across the update: Debian's unmodified qemu-system-x86_64
 * runs inside the test guest (TCG inside TCG), its guest RAM in a memfd of
 * ours; a stage program for scripts/qemu-run.sh, "/stage STAGE NSTAGES",
 * KTAP on stdout. Kernel command line: vmm.backing=shmem|hugetlb-2M.
 *
 * Stage 1 creates the RAM memfd, starts QEMU on it (memory-backend-file
 * on /proc/PID/fd/N, share=on) with tests/vmm/guest.c, lets the guest fill
 * its RAM and count, then over QMP: stop, x-ignore-shared, migrate the
 * device state (not the RAM) into a second memfd, quit. It preserves both
 * memfds, and a third with the last counter and RAM sum the guest printed,
 * in a session of luod's. Stage 2 retrieves them, starts a new QEMU on the
 * same RAM with -incoming from the state memfd, and "cont": the guest must
 * go on counting from where it stopped, without booting again, with the
 * same RAM sum and every last write in place.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <x86intrin.h>

#include "libluo.h"
#include "../common/stage.h"
#include "../common/luod_start.h"

static unsigned long long ram_size = 256ull << 20; /* vmm.ram_mib=N */
#define SESSION "vm0"
#define DYING "vm-dying"
#define DYING_RAM (64ull << 20)
#define QMP_SOCK "/tmp/qmp.sock"
#define SERIAL "/tmp/guest-serial.log"
#define QEMU_LOG "/tmp/qemu.log"
#define STAGE1_TESTS 9
#define STAGE2_TESTS 8
#define HANG_S 600 /* waits end early on success; only a hang takes this long */

enum { TOK_RAM = 1, TOK_STATE = 2, TOK_META = 3 };

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Print up to MAX lines of PATH as diagnostics, each after TAG. */
static void show_file(const char *path, const char *tag, int max)
{
	char line[256];
	FILE *f = fopen(path, "r");

	while (f && max-- > 0 && fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		diag("%s: %s", tag, line);
	}
	if (f)
		fclose(f);
}

static pid_t start_qemu(int ram_fd, int incoming, unsigned long long size)
{
	char backend[160], mem[32];
	char *argv[] = { "qemu-system-x86_64", "-L", "/vmm/fw", "-M", "pc", "-m", mem,
			 "-accel", "tcg,tb-size=64", "-nodefaults", "-no-user-config",
			 "-vga", "none", "-display", "none", "-object", backend,
			 "-machine", "memory-backend=ram", "-kernel", "/vmm/guest.elf",
			 "-serial", "file:" SERIAL, "-qmp", "unix:" QMP_SOCK ",server=on,wait=off",
			 "-incoming", "defer", NULL };
	pid_t pid;
	int fd;

	if (!incoming)
		argv[sizeof(argv) / sizeof(argv[0]) - 3] = NULL; /* no -incoming */
	snprintf(mem, sizeof(mem), "%lluM", size >> 20);
	snprintf(backend, sizeof(backend),
		 "memory-backend-file,id=ram,size=%llu,mem-path=/proc/%d/fd/%d,share=on",
		 size, (int)getpid(), ram_fd);
	unlink(QMP_SOCK);
	unlink(SERIAL);
	pid = fork();
	if (pid != 0)
		return pid;
	fd = open(QEMU_LOG, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd >= 0) {
		dup2(fd, 1);
		dup2(fd, 2);
	}
	execv("/usr/bin/qemu-system-x86_64", argv);
	_exit(127);
}

/*
 * A wait prints a line every 10 s while it lasts: QEMU under TCG inside a
 * guest on a loaded host can take minutes, and the runner takes 600 s of
 * silence for a hang.
 */
static void waiting(const char *what, double start, double *next)
{
	double t = now_s();

	if (t < *next)
		return;
	*next = t + 10;
	if (t - start >= 10)
		diag("%s: waiting (%.0f s)", what, t - start);
}

/* QMP: connect and negotiate; the socket or -1. */
static int qmp_open(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX, .sun_path = QMP_SOCK };
	double start = now_s(), end = start + HANG_S, next = start + 10;
	int s = -1;

	while (now_s() < end) {
		waiting("QMP socket", start, &next);
		s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (s >= 0 && connect(s, (struct sockaddr *)&sa, sizeof(sa)) == 0)
			break;
		if (s >= 0)
			close(s);
		s = -1;
		usleep(100 * 1000);
	}
	return s;
}

/*
 * Send one QMP command (a JSON object) and read up to its answer, skipping
 * events: 0 with the answer in OUT, or -1 for an error answer or EOF.
 */
static int qmp(int s, const char *cmd, char *out, size_t size)
{
	size_t len = 0;
	ssize_t n;
	char *nl;

	if (cmd && (write(s, cmd, strlen(cmd)) < 0 || write(s, "\n", 1) != 1))
		return -1;
	for (;;) {
		n = read(s, out + len, size - 1 - len);
		if (n <= 0)
			return -1;
		len += (size_t)n;
		out[len] = '\0';
		while ((nl = strchr(out, '\n'))) {
			*nl = '\0';
			if (strstr(out, "\"return\""))
				return 0;
			if (strstr(out, "\"error\"")) {
				diag("QMP %s: %s", cmd ? cmd : "greeting", out);
				return -1;
			}
			if (!cmd && strstr(out, "\"QMP\""))
				return 0; /* the greeting */
			len -= (size_t)(nl + 1 - out);
			memmove(out, nl + 1, len + 1);
		}
		if (len == size - 1)
			len = 0; /* a line too long to matter */
	}
}

static int qmp_connect(void)
{
	char buf[4096];
	int s = qmp_open();

	if (s < 0 || qmp(s, NULL, buf, sizeof(buf)) ||
	    qmp(s, "{\"execute\":\"qmp_capabilities\"}", buf, sizeof(buf))) {
		if (s >= 0)
			close(s);
		return -1;
	}
	return s;
}

/* Repeat COMMAND until its answer contains WANT (or FAIL, or a hang). */
static int qmp_wait(int s, const char *command, const char *want, const char *fail,
		    char *out, size_t size)
{
	double start = now_s(), end = start + HANG_S, next = start + 10;

	while (now_s() < end) {
		waiting(want, start, &next);
		if (qmp(s, command, out, size))
			return -1;
		if (strstr(out, want))
			return 0;
		if (fail && strstr(out, fail))
			return -1;
		usleep(100 * 1000);
	}
	return -1;
}

struct ticks {
	int boots;          /* "BOOT" lines */
	int filled;         /* "FILLED" seen */
	uint32_t fill_sum;  /* its sum */
	int n;              /* TICK lines */
	uint32_t first, last, sum; /* counters of the first and last, the last's sum */
	int bad;            /* a TICK said BAD, or its sum was not the fill's */
};

static void read_serial(struct ticks *t)
{
	char line[128];
	uint32_t c, sum;
	char verdict[8];
	FILE *f = fopen(SERIAL, "r");

	memset(t, 0, sizeof(*t));
	while (f && fgets(line, sizeof(line), f)) {
		if (!strncmp(line, "BOOT", 4)) {
			t->boots++;
		} else if (sscanf(line, "FILLED SUM %" SCNx32, &t->fill_sum) == 1) {
			t->filled = 1;
		} else if (sscanf(line, "TICK %" SCNu32 " SUM %" SCNx32 " %7s", &c, &sum,
				  verdict) == 3) {
			if (!t->n++)
				t->first = c;
			t->last = c;
			t->sum = sum;
			t->bad |= strcmp(verdict, "OK") != 0;
		}
	}
	if (f)
		fclose(f);
}

/* Wait until the serial log shows at least N ticks; 0, or -1 on a hang. */
static int wait_ticks(int n, struct ticks *t, pid_t qemu)
{
	double start = now_s(), end = start + HANG_S, next = start + 10;

	while (now_s() < end) {
		waiting("the guest's ticks", start, &next);
		read_serial(t);
		if (t->n >= n)
			return 0;
		if (waitpid(qemu, NULL, WNOHANG) == qemu) {
			diag("QEMU exited");
			return -1;
		}
		usleep(200 * 1000);
	}
	return -1;
}

static void stop_qemu(int s, pid_t pid)
{
	char buf[1024];

	if (s >= 0) {
		qmp(s, "{\"execute\":\"quit\"}", buf, sizeof(buf));
		close(s);
	}
	waitpid(pid, NULL, 0);
}

static uint64_t field_u64(const char *json, const char *key)
{
	const char *p = strstr(json, key);

	return p ? strtoull(p + strlen(key), NULL, 10) : 0;
}

/* vmm.backing=shmem|hugetlb-2M|hugetlb-1G and vmm.ram_mib=N (default 256). */
static const char *setup_backing(struct luo_memfd_opts *o)
{
	char cmdline[4096], *p;

	read_cmdline(cmdline, sizeof(cmdline));
	p = strstr(cmdline, "vmm.ram_mib=");
	if (p)
		ram_size = strtoull(p + strlen("vmm.ram_mib="), NULL, 10) << 20;
	o->size = ram_size;
	if (strstr(cmdline, "vmm.backing=hugetlb-2M")) {
		o->hugetlb_page_shift = 21;
		return "hugetlb-2M";
	}
	if (strstr(cmdline, "vmm.backing=hugetlb-1G")) {
		o->hugetlb_page_shift = 30;
		return "hugetlb-1G";
	}
	return "shmem";
}

static const char *migrate_caps(int ignore_shared)
{
#define CAPS(on) "{\"execute\":\"migrate-set-capabilities\",\"arguments\":{\"capabilities\":" \
		 "[{\"capability\":\"x-ignore-shared\",\"state\":" on "}]}}"
	return ignore_shared ? CAPS("true") : CAPS("false");
#undef CAPS
}

/*
 * VERB ("migrate" or "migrate-incoming") to or from this process's file
 * descriptor FD through cat (REDIR "> " or ""), and wait for "completed":
 * 0 with query-migrate's answer in BUF, or -1.
 */
static int migrate(int s, const char *verb, const char *redir, int fd, char *buf, size_t size)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd),
		 "{\"execute\":\"%s\",\"arguments\":{\"uri\":\"exec:cat %s/proc/%d/fd/%d\"}}",
		 verb, redir, (int)getpid(), fd);
	if (qmp(s, cmd, buf, size))
		return -1;
	return qmp_wait(s, "{\"execute\":\"query-migrate\"}", "\"completed\"", "\"failed\"",
			buf, size);
}

/*
 * Stop the guest and migrate to the file descriptor FD of this process
 * (the device state only with IGNORE_SHARED), then quit QEMU. 0 with the
 * RAM module's bytes sent in *RAM_BYTES, or -1.
 */
static int save_vm(int s, pid_t qemu, int fd, int ignore_shared, uint64_t *ram_bytes)
{
	char buf[8192];
	const char *ram;
	int ret;

	ret = qmp(s, "{\"execute\":\"stop\"}", buf, sizeof(buf));
	ret = ret ? ret : qmp(s, migrate_caps(ignore_shared), buf, sizeof(buf));
	ret = ret ? ret : migrate(s, "migrate", "> ", fd, buf, sizeof(buf));
	ram = ret ? NULL : strstr(buf, "\"ram\"");
	*ram_bytes = ram ? field_u64(ram, "\"transferred\": ") : 0;
	stop_qemu(s, qemu);
	return ret;
}

/*
 * Start QEMU on RAM_FD, load the state from FD (-incoming), "cont": the
 * QMP socket, or -1.
 */
static int load_vm(int ram_fd, int fd, int ignore_shared, pid_t *qemu)
{
	char buf[8192];
	int s, ret;

	*qemu = start_qemu(ram_fd, 1, ram_size);
	s = qmp_connect();
	if (s < 0)
		return -1;
	ret = qmp(s, migrate_caps(ignore_shared), buf, sizeof(buf));
	ret = ret ? ret : migrate(s, "migrate-incoming", "", fd, buf, sizeof(buf));
	ret = ret ? ret : qmp(s, "{\"execute\":\"cont\"}", buf, sizeof(buf));
	if (ret) {
		close(s);
		return -1;
	}
	return s;
}

/* What stage 1 leaves to stage 2 beside the RAM and the state (TOK_META). */
struct meta {
	uint32_t last, sum;       /* the guest's last tick before the stop */
	double tsc_hz;
	uint64_t tsc_stop;        /* at "stop" */
	uint64_t tsc_end;         /* stage 1 done, before the kexec */
	double save_ms, preserve_ms;
	long long state_bytes;    /* the migration stream */
};

static double tsc_hz(void)
{
	double t0 = now_s();
	uint64_t c0 = __rdtsc();

	usleep(200 * 1000);
	return (double)(__rdtsc() - c0) / (now_s() - t0);
}

static long free_2m_pages(void)
{
	char buf[32];

	return read_text("/sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages", buf,
			 sizeof(buf)) > 0 ? strtol(buf, NULL, 10) : -1;
}

/*
 * A VMM that dies before the kexec: it made its session through luod and
 * released luod's reference (luo_release()), so the session lives as long
 * as the VMM. Its VM (64 MiB of HugeTLB RAM) runs; then VMM and QEMU are
 * killed. The session closes and the huge pages come back: nothing of the
 * dead VM is preserved (stage 2 checks it is not handed over either).
 */
static void dying_vmm(void)
{
	long before = free_2m_pages(), running = -1, after;
	int ready[2], ok = 0;
	double end, t0, next;
	char c = 0;
	pid_t vmm;

	if (pipe2(ready, O_CLOEXEC)) /* not QEMU's: its end must close with the VMM */
		ready[0] = ready[1] = -1;
	vmm = fork();
	if (vmm == 0) {
		LUO_OPTS(luo_memfd_opts, o, .size = DYING_RAM, .hugetlb_page_shift = 21);
		int conn = luo_connect(NULL), sess, ram;
		struct ticks t;
		pid_t qemu;

		setpgid(0, 0); /* one group with its QEMU, killed together */
		sess = conn < 0 ? conn : luo_session_create(conn, DYING);
		ram = luo_memfd_create("dying-ram", &o);
		if (sess < 0 || ram < 0 || luo_session_preserve_fd(sess, ram, TOK_RAM) ||
		    luo_release(conn, DYING))
			_exit(1);
		qemu = start_qemu(ram, 0, DYING_RAM);
		if (qmp_connect() < 0 || wait_ticks(1, &t, qemu))
			kill(0, SIGKILL); /* with its QEMU */
		if (write(ready[1], "r", 1) != 1)
			_exit(1);
		for (;;)
			pause();
	}
	close(ready[1]);
	if (vmm > 0 && read(ready[0], &c, 1) == 1) {
		running = free_2m_pages();
		ok = 1;
	}
	result(ok && before - running == (long)(DYING_RAM >> 21),
	       "a second VMM's VM runs on %llu MiB of HugeTLB RAM in a session it released from luod (%ld pages free, then %ld)",
	       DYING_RAM >> 20, before, running);
	if (vmm > 0) {
		kill(-vmm, SIGKILL);
		kill(vmm, SIGKILL);
		waitpid(vmm, NULL, 0);
	}
	close(ready[0]);
	/* The pages come back once QEMU's exit is done. */
	t0 = now_s();
	end = t0 + HANG_S;
	next = t0 + 10;
	while ((after = free_2m_pages()) != before && now_s() < end) {
		waiting("free huge pages", t0, &next);
		usleep(100 * 1000);
	}
	result(after == before,
	       "the VMM and its QEMU killed before the kexec: the session closed, every huge page is back (%ld of %ld)",
	       after, before);
}

static int stage1(void)
{
	LUO_OPTS(luo_memfd_opts, ro);
	LUO_OPTS(luo_memfd_opts, so);
	const char *backing = setup_backing(&ro);
	int ram, state, mfd, s, conn, sess, ret;
	struct meta m = { .tsc_hz = tsc_hz() };
	uint64_t ram_bytes = 0;
	struct ticks t;
	struct stat st;
	double t0;
	pid_t qemu;

	printf("KTAP version 1\n1..%d\n", STAGE1_TESTS);
	start_luod();
	dying_vmm();
	ram = luo_memfd_create("vm-ram", &ro);
	state = luo_memfd_create("vm-state", &so);
	mfd = luo_memfd_create("vm-meta", &so);
	result(ram >= 0 && state >= 0 && mfd >= 0, "guest RAM: a %s memfd of %llu MiB (%d)",
	       backing, ram_size >> 20, ram);
	if (ram < 0 || state < 0 || mfd < 0)
		return 1;

	t0 = now_s();
	qemu = start_qemu(ram, 0, ram_size);
	s = qmp_connect();
	ret = s < 0 ? -1 : wait_ticks(3, &t, qemu);
	result(ret == 0 && t.boots == 1 && t.filled && !t.bad && t.sum == t.fill_sum,
	       "QEMU runs the guest on the memfd: it filled its RAM (sum %08x) and counts (%u after %.1f s)",
	       t.fill_sum, t.last, now_s() - t0);
	if (ret) {
		show_file(QEMU_LOG, "qemu", 50);
		return 1;
	}

	/* Stop the guest where it is; its state, not its RAM, into a memfd. */
	m.tsc_stop = __rdtsc();
	t0 = now_s();
	ret = save_vm(s, qemu, state, 1, &ram_bytes);
	m.save_ms = (now_s() - t0) * 1e3;
	ret = ret ? ret : fstat(state, &st);
	result(ret == 0 && st.st_size > 0 && st.st_size < (8 << 20) && ram_bytes < (1 << 20),
	       "stop, x-ignore-shared, migrate: %lld bytes of state in %.0f ms; the RAM module sent %" PRIu64
	       " bytes (firmware, not the %llu MiB of guest RAM)",
	       ret ? -1LL : (long long)st.st_size, m.save_ms, ram_bytes, ram_size >> 20);
	m.state_bytes = ret ? -1 : (long long)st.st_size;
	read_serial(&t); /* the last tick before the stop */
	show_file(SERIAL, "guest", 12);
	m.last = t.last;
	m.sum = t.sum;
	diag("vmm: guest stopped at counter %u, RAM sum %08x", t.last, t.sum);

	t0 = now_s();
	conn = luo_connect(NULL);
	sess = conn < 0 ? conn : luo_session_create(conn, SESSION);
	result(sess >= 0, "luod gave a session for the VM (%d)", sess);
	ret = sess < 0 ? sess : luo_session_preserve_fd(sess, ram, TOK_RAM);
	result(ret == 0, "the guest RAM memfd is preserved (%d)", ret);
	ret = sess < 0 ? sess : luo_session_preserve_fd(sess, state, TOK_STATE);
	m.preserve_ms = (now_s() - t0) * 1e3;
	m.tsc_end = __rdtsc();
	if (!ret && pwrite(mfd, &m, sizeof(m), 0) != (ssize_t)sizeof(m))
		ret = -EIO;
	ret = ret ? ret : luo_session_preserve_fd(sess, mfd, TOK_META);
	result(ret == 0, "the device state and stage 1's figures are preserved (%d)", ret);
	result(t.n > 0 && !t.bad, "the guest's last tick before the stop was sound (%u)", t.last);
	diag("stage 1: %d failure(s); luod holds the VM's session across the kexec", failures);
	return failures ? 1 : 0;
}

static int stage2(void)
{
	LUO_OPTS(luo_memfd_opts, plain);
	LUO_OPTS(luo_memfd_opts, plain_file);
	uint64_t tsc_start = __rdtsc(), tsc_cont, ram_bytes = 0;
	int ram, state, mfd, s, conn, sess, ret, file;
	double t0, retrieve_ms, load_ms, plain_save_ms = -1, plain_load_ms = -1, boot_ms;
	struct meta m = { 0 };
	const char *backing;
	struct ticks t;
	pid_t qemu;

	printf("KTAP version 1\n1..%d\n", STAGE2_TESTS);
	backing = setup_backing(&plain);
	start_luod();
	t0 = now_s();
	conn = luo_connect(NULL);
	sess = conn < 0 ? conn : luo_session_retrieve(conn, SESSION);
	ram = sess < 0 ? sess : luo_session_retrieve_fd(sess, TOK_RAM);
	state = sess < 0 ? sess : luo_session_retrieve_fd(sess, TOK_STATE);
	retrieve_ms = (now_s() - t0) * 1e3;
	mfd = sess < 0 ? sess : luo_session_retrieve_fd(sess, TOK_META);
	result(ram >= 0 && state >= 0 && mfd >= 0,
	       "the VM's RAM, state and stage 1's figures came back through luod (%d, %d, %d)",
	       ram, state, mfd);
	if (ram < 0 || state < 0 || mfd < 0)
		return 1;
	ret = conn < 0 ? conn : luo_session_retrieve(conn, DYING);
	result(ret == -ENOENT, "the dead VMM's session was not handed over (%d)", ret);
	ret = (int)pread(mfd, &m, sizeof(m), 0);
	result(ret == (int)sizeof(m) && m.tsc_hz > 0,
	       "stage 1 stopped the guest at counter %u, RAM sum %08x", m.last, m.sum);

	t0 = now_s();
	s = load_vm(ram, state, 1, &qemu);
	tsc_cont = __rdtsc();
	load_ms = (now_s() - t0) * 1e3;
	result(s >= 0, "a new QEMU on the retrieved RAM loaded the device state and runs (%.0f ms)",
	       load_ms);
	ret = s < 0 ? -1 : wait_ticks(2, &t, qemu);
	result(ret == 0 && t.boots == 0 && !t.filled,
	       "the guest continues: no boot, no refill (%d boot lines)", t.boots);
	result(ret == 0 && t.first > m.last,
	       "its counter goes on from where it stopped (%u, then %u)", m.last, t.first);
	result(ret == 0 && t.sum == m.sum, "its RAM sum is unchanged (%08x, was %08x)", t.sum,
	       m.sum);
	result(ret == 0 && !t.bad, "every page holds the last counter written to it before the stop");
	show_file(SERIAL, "guest", 6);
	if (ret || t.bad)
		show_file(QEMU_LOG, "qemu", 50);

	/*
	 * For comparison, what a user without live update gets: the same VM
	 * saved with its RAM into a file (here tmpfs; a disk in real life) and
	 * loaded into fresh memory. The kexec and boot would come on top.
	 */
	file = luo_memfd_create("vm-plain", &plain_file);
	if (s >= 0 && file >= 0) {
		int fresh = luo_memfd_create("vm-ram-plain", &plain);

		t0 = now_s();
		ret = save_vm(s, qemu, file, 0, &ram_bytes);
		plain_save_ms = (now_s() - t0) * 1e3;
		s = -1;
		t0 = now_s();
		s = ret || fresh < 0 ? -1 : load_vm(fresh, file, 0, &qemu);
		plain_load_ms = (now_s() - t0) * 1e3;
		ret = s < 0 ? -1 : wait_ticks(1, &t, qemu);
		if (ret)
			diag("the plain migration did not come back: not compared");
	}
	if (s >= 0)
		stop_qemu(s, qemu);
	if (sess >= 0 && luo_session_finish(sess))
		diag("finish: failed");

	if (m.tsc_hz <= 0)
		m.tsc_hz = 1; /* stage 1's figures did not come: the line is nonsense, not a crash */
	boot_ms = (double)(tsc_start - m.tsc_end) / m.tsc_hz * 1e3;
	/* One line for tests/vmm/run.sh's table (docs/vmm.md). */
	diag("VMM backing=%s ram_mib=%llu state_bytes=%lld save_ms=%.0f preserve_ms=%.1f boot_ms=%.0f retrieve_ms=%.1f load_ms=%.0f blackout_ms=%.0f plain_save_ms=%.0f plain_load_ms=%.0f plain_ram_bytes=%" PRIu64 " plain_blackout_ms=%.0f",
	     backing, ram_size >> 20, m.state_bytes, m.save_ms, m.preserve_ms,
	     boot_ms, retrieve_ms, load_ms, (double)(tsc_cont - m.tsc_stop) / m.tsc_hz * 1e3,
	     plain_save_ms, plain_load_ms, ram_bytes, plain_save_ms + plain_load_ms + boot_ms);
	diag("stage 2: %d failure(s)", failures);
	return failures ? 1 : 0;
}

int main(int argc, char **argv)
{
	int stage = argc > 1 ? atoi(argv[1]) : 1;

	(void)argv;
	setvbuf(stdout, NULL, _IOLBF, 0);
	return stage <= 1 ? stage1() : stage2();
}
