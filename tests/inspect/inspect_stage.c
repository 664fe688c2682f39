// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * luo-inspect across a real kexec (stage program for scripts/qemu-run.sh,
 * with /bin/luo-inspect in the initramfs). KTAP output.
 *
 *   stage 1 (a cold boot): --in says there is no incoming handover (exit
 *            3); a memfd is preserved; --out shows LUO's entry and blob
 *            (exit 0: the root FDT is whole); what it showed is written
 *            to a second preserved memfd; as an ordinary user it says
 *            permission denied (exit 3);
 *   stage 2: --in shows every entry stage 1 saw, at the same address and
 *            size, LUO's live update number the one stage 1 saw and the
 *            outgoing one higher by one; the memfd's data came through.
 * Booted with kho=off (one stage): luo-inspect says KHO is off (exit 3).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <grp.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../common/session.h"
#include "../common/stage.h"

#define INSPECT "/bin/luo-inspect"
#define MAX_E 32
#define DATA_SIZE (4 * 4096)

struct seen {
	int n;
	struct { char name[64]; unsigned long long size, phys; } e[MAX_E];
	unsigned long long luo_number;	/* 0: not shown */
};

static char out[65536];

/*
 * Run luo-inspect with the one argument @arg, as root or as uid/gid 65534;
 * its output (stdout and stderr) in out[]; its exit status.
 */
static int inspect(const char *arg, int as_nobody)
{
	int pfd[2], st = 0;
	size_t n = 0;
	ssize_t r;
	pid_t pid;

	if (pipe(pfd))
		return -1;
	pid = fork();
	if (pid == 0) {
		dup2(pfd[1], 1);
		dup2(pfd[1], 2);
		close(pfd[0]);
		if (as_nobody && (setgroups(0, NULL) || setresgid(65534, 65534, 65534) ||
				  setresuid(65534, 65534, 65534)))
			_exit(99);
		execl(INSPECT, INSPECT, arg, (char *)NULL);
		_exit(98);
	}
	close(pfd[1]);
	while (n < sizeof(out) - 1 &&
	       (r = read(pfd[0], out + n, sizeof(out) - 1 - n)) > 0)
		n += (size_t)r;
	out[n] = '\0';
	close(pfd[0]);
	if (pid < 0 || waitpid(pid, &st, 0) != pid)
		return -1;
	printf("# luo-inspect %s%s: exit %d\n", arg, as_nobody ? " (uid 65534)" : "",
	       WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* The entries and LUO's number in the view @view ("in" or "out") of out[]. */
static void parse(const char *view, struct seen *s)
{
	char *save = NULL, *line, *buf = strdup(out);
	int in_view = 0, in_luo = 0;

	memset(s, 0, sizeof(*s));
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		unsigned long long a, b;
		char name[64];

		if (line[0] != ' ') {
			in_view = !strncmp(line, view, strlen(view)) &&
				  line[strlen(view)] == ':';
			continue;
		}
		if (!in_view)
			continue;
		if (sscanf(line, "  entry %63[^:]: %llu bytes at 0x%llx", name, &a, &b) == 3) {
			in_luo = !strcmp(name, "LUO");
			if (s->n < MAX_E) {
				snprintf(s->e[s->n].name, sizeof(s->e[0].name), "%s", name);
				s->e[s->n].size = a;
				s->e[s->n++].phys = b;
			}
		} else if (in_luo && sscanf(line, "    LUO ABI \"luo-v5\", live update %llu", &a) == 1) {
			s->luo_number = a;
		}
	}
	free(buf);
}

static void print_out(void)
{
	char *save = NULL, *line, *buf = strdup(out);

	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		printf("#   %s\n", line);
	free(buf);
}

static uint8_t pattern(long i)
{
	return (uint8_t)(i * 11 + 3);
}

static void stage1(int lu)
{
	int rc, s, fd, mfd, i, ok;
	uint8_t data[DATA_SIZE];
	char manifest[4096];
	size_t m = 0;
	struct seen seen;

	rc = inspect("--in", 0);
	result(rc == 3 && strstr(out, "no incoming handover"),
	       "cold boot: --in says there is no incoming handover (exit %d)", rc);

	s = lu_session(lu, LIVEUPDATE_IOCTL_CREATE_SESSION, "inspect");
	fd = memfd_create("inspect-data", 0);
	for (i = 0; i < DATA_SIZE; i++)
		data[i] = pattern(i);
	ok = s >= 0 && fd >= 0 && write(fd, data, DATA_SIZE) == DATA_SIZE &&
	     !lu_preserve(s, fd, 1);
	result(ok, "preserve a memfd in session inspect (%s)", ok ? "ok" : strerror(errno));

	rc = inspect("--out", 0);
	print_out();
	parse("out", &seen);
	for (i = 0, ok = 0; i < seen.n; i++)
		ok |= !strcmp(seen.e[i].name, "LUO") && seen.e[i].size == 32;
	result(rc == 0 && ok && seen.luo_number > 0,
	       "--out: exit %d, LUO's entry of 32 bytes, live update number %llu",
	       rc, seen.luo_number);

	for (i = 0; i < seen.n; i++)
		m += (size_t)snprintf(manifest + m, sizeof(manifest) - m, "%s %llu %llx\n",
				      seen.e[i].name, seen.e[i].size, seen.e[i].phys);
	m += (size_t)snprintf(manifest + m, sizeof(manifest) - m, "number %llu\n",
			      seen.luo_number);
	mfd = memfd_create("inspect-manifest", 0);
	ok = mfd >= 0 && write(mfd, manifest, m) == (ssize_t)m && s >= 0 &&
	     !lu_preserve(s, mfd, 2);
	result(ok, "preserve what --out showed (%d entries)", seen.n);

	rc = inspect("--out", 1);
	result(rc == 3 && strstr(out, "permission denied"),
	       "as an ordinary user: permission denied (exit %d)", rc);
	hold_sessions();
}

static void stage2(int lu)
{
	int s = lu_session(lu, LIVEUPDATE_IOCTL_RETRIEVE_SESSION, "inspect");
	int fd = s >= 0 ? lu_retrieve(s, 1) : -1, mfd = s >= 0 ? lu_retrieve(s, 2) : -1;
	char manifest[4096] = "", *save = NULL, *line;
	unsigned long long number = 0;
	int rc, i, missing = 0, want = 0, bad = -1;
	struct seen in, now;
	uint8_t data[DATA_SIZE];
	ssize_t n;

	n = mfd >= 0 ? pread(mfd, manifest, sizeof(manifest) - 1, 0) : -1;
	result(n > 0, "retrieve what stage 1 saw (%zd bytes)", n);

	rc = inspect("--in", 0);
	print_out();
	parse("in", &in);
	result(rc == 0, "--in: exit %d (every entry and blob well formed)", rc);
	for (line = strtok_r(manifest, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		unsigned long long size, phys;
		char name[64];
		int found = 0;

		if (sscanf(line, "number %llu", &number) == 1)
			continue;
		if (sscanf(line, "%63s %llu %llx", name, &size, &phys) != 3)
			continue;
		want++;
		for (i = 0; i < in.n; i++)
			found |= !strcmp(in.e[i].name, name) && in.e[i].size == size &&
				 in.e[i].phys == phys;
		if (!found) {
			printf("# stage 1's entry %s (%llu bytes at 0x%llx) is not in --in\n",
			       name, size, phys);
			missing++;
		}
	}
	result(want > 0 && !missing,
	       "--in: all %d entries stage 1 saw, same size and address (%d missing)",
	       want, missing);
	result(number > 0 && in.luo_number == number,
	       "--in: LUO's live update number is the one stage 1 saw (%llu, want %llu)",
	       in.luo_number, number);
	rc = inspect("--out", 0);
	parse("out", &now);
	result(rc == 0 && number > 0 && now.luo_number == number + 1,
	       "--out: exit %d, the next live update number is one higher (%llu, want %llu)",
	       rc, now.luo_number, number + 1);

	n = fd >= 0 ? pread(fd, data, sizeof(data), 0) : -1;
	for (i = 0; n == DATA_SIZE && i < DATA_SIZE && bad < 0; i++)
		if (data[i] != pattern(i))
			bad = i;
	result(n == DATA_SIZE && bad < 0,
	       "the preserved memfd came through (%zd bytes, first bad byte %d)", n, bad);
	result(s >= 0 && !lu_finish(s), "finish session inspect");
}

/* Booted with kho=off: luo-inspect must say KHO is off. */
static int kho_off(void)
{
	int rc;

	if (!cmdline_has("kho=off"))
		return 0;
	printf("1..1\n");
	rc = inspect("--out", 0);
	print_out();
	result(rc == 3 && strstr(out, "KHO is not in this kernel"),
	       "kho=off: luo-inspect says KHO is off (exit %d)", rc);
	return 1;
}

int main(int argc, char **argv)
{
	int stage = argc > 1 ? atoi(argv[1]) : 0, lu, planned = stage == 1 ? 5 : 7;

	printf("KTAP version 1\n");
	if (kho_off())
		return failures ? 1 : 0;
	lu = open("/dev/liveupdate", O_RDWR);
	if (lu < 0 || stage < 1 || stage > 2) {
		printf("1..1\nnot ok 1 open /dev/liveupdate (%s), stage %d of 2\n",
		       strerror(errno), stage);
		return 1;
	}
	printf("1..%d\n", planned);
	fflush(stdout);
	if (stage == 1)
		stage1(lu);
	else
		stage2(lu);
	if (test_nr != planned) {
		printf("# BUG: %d results for a plan of %d\n", test_nr, planned);
		failures++;
	}
	return failures ? 1 : 0;
}
