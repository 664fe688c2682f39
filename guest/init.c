// SPDX-License-Identifier: GPL-2.0
/*
 * PID 1 of the QEMU live-update runner's initramfs.
 *
 * Mounts the pseudo file systems, runs "/stage STAGE NSTAGES" with its
 * output on the second serial port (the kernel log stays on the first),
 * then either kexecs into the next kernel of the chain (/next/bzImage with
 * /next/initrd.cpio and the command line in /next/cmdline, plus
 * luo_stage=STAGE+1) or ends the run. Markers "LUO-RUNNER: ..." tell the
 * host what happened.
 *
 * With systemd in the initramfs (qemu-run.sh --systemd), PID 1 is systemd
 * instead: this program mounts what it needs and execs it, and systemd runs
 * it again as "/init --stage-service" (luo-stage.service), which does the
 * same as above from a service.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <x86intrin.h>

#define CMDLINE_MAX 4096

static int out_fd = -1;

static void mark(const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	int n, kfd;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if (n > (int)sizeof(buf) - 2)
		n = sizeof(buf) - 2;
	buf[n++] = '\n';
	/* Both logs carry the markers: the host reads either. */
	if (out_fd >= 0 && write(out_fd, buf, n) < 0)
		out_fd = -1;
	kfd = open("/dev/kmsg", O_WRONLY);
	if (kfd >= 0) {
		ssize_t w = write(kfd, buf, n);

		(void)w;
		close(kfd);
	}
}

static void finish(int ok)
{
	mark("LUO-RUNNER: %s", ok ? "done" : "aborted");
	sync();
	/* QEMU runs with -no-reboot: a restart ends it. */
	reboot(RB_AUTOBOOT);
	for (;;)
		pause();
}

static ssize_t read_file(const char *path, char *buf, size_t len)
{
	ssize_t n, total = 0;
	int fd = open(path, O_RDONLY);

	if (fd < 0)
		return -1;
	while ((size_t)total < len - 1) {
		n = read(fd, buf + total, len - 1 - total);
		if (n <= 0)
			break;
		total += n;
	}
	close(fd);
	buf[total] = '\0';
	while (total > 0 && (buf[total - 1] == '\n' || buf[total - 1] == ' '))
		buf[--total] = '\0';
	return total;
}

static int cmdline_stage(const char *cmdline)
{
	const char *p = cmdline;

	while ((p = strstr(p, "luo_stage=")) != NULL) {
		if (p == cmdline || p[-1] == ' ')
			return atoi(p + strlen("luo_stage="));
		p++;
	}
	return 1;
}

/* The API file systems, which systemd mounts by itself. */
static void mount_api(void)
{
	mkdir("/dev", 0755);
	mkdir("/proc", 0755);
	mkdir("/sys", 0755);
	mount("devtmpfs", "/dev", "devtmpfs", 0, NULL);
	mount("proc", "/proc", "proc", 0, NULL);
	mount("sysfs", "/sys", "sysfs", 0, NULL);
}

/* What stages use beyond those: debugfs, /tmp, hugetlbfs. */
static void mount_extra(void)
{
	mkdir("/tmp", 01777);
	mount("debugfs", "/sys/kernel/debug", "debugfs", 0, NULL);
	mount("tmpfs", "/tmp", "tmpfs", 0, NULL);
	mkdir("/dev/hugepages", 0755);
	mount("hugetlbfs", "/dev/hugepages", "hugetlbfs", 0, NULL);
}

static int run_stage(int stage, int nstages)
{
	char s[16], n[16];
	int status;
	pid_t pid;

	snprintf(s, sizeof(s), "%d", stage);
	snprintf(n, sizeof(n), "%d", nstages);
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		char *argv[] = { "/stage", s, n, NULL };
		char *envp[] = { "PATH=/bin:/sbin", "HOME=/", "TERM=dumb", NULL };

		dup2(out_fd, 1);
		dup2(out_fd, 2);
		execve("/stage", argv, envp);
		dprintf(2, "LUO-RUNNER: exec /stage: %s\n", strerror(errno));
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return 128 + WTERMSIG(status);
}

static int kexec_next(const char *cur_cmdline, int next_stage)
{
	char cmdline[CMDLINE_MAX];
	int kfd, ifd, len;
	long ret;

	if (read_file("/next/cmdline", cmdline, sizeof(cmdline) - 32) < 0)
		snprintf(cmdline, sizeof(cmdline) - 32, "%s", cur_cmdline);
	len = strlen(cmdline);
	snprintf(cmdline + len, sizeof(cmdline) - len, " luo_stage=%d",
		 next_stage);

	kfd = open("/next/bzImage", O_RDONLY);
	ifd = open("/next/initrd.cpio", O_RDONLY);
	if (kfd < 0 || ifd < 0) {
		mark("LUO-RUNNER: cannot open /next images: %s", strerror(errno));
		return -1;
	}
	ret = syscall(SYS_kexec_file_load, kfd, ifd, strlen(cmdline) + 1,
		      cmdline, 0UL);
	close(kfd);
	close(ifd);
	if (ret) {
		mark("LUO-RUNNER: kexec_file_load failed: %s", strerror(errno));
		return -1;
	}
	return 0;
}

/* One kmemleak scan of @total; 0 if it ran. A scan that fails is marked. */
static int kmemleak_scan(int pass, int total)
{
	int fd = open("/sys/kernel/debug/kmemleak", O_WRONLY);
	int ok;

	if (fd < 0)
		return -1;
	/* A scan can take a minute under TCG: say so (the host watches output). */
	mark("LUO-RUNNER: kmemleak scan %d of %d", pass, total);
	ok = write(fd, "scan", 4) == 4;
	if (!ok)
		mark("LUO-RUNNER: kmemleak scan failed: %s", strerror(errno));
	close(fd);
	mark("LUO-RUNNER: kmemleak scan %d done", pass);
	return ok ? 0 : -1;
}

/*
 * On kernels with kmemleak, scan once the stage is done and copy any report
 * to the kernel log, where the host looks for "unreferenced object".
 * kmemleak records an object's checksum at the first scan that sees it
 * unreferenced and reports it from a later scan if it is unchanged, still
 * unreferenced, at least 5 s old (MSECS_MIN_AGE) when that scan began, and
 * so for min_unref_scans scans (1 unless kmemleak is verbose): so 1 +
 * min_unref_scans scans, the second starting at least 6 s after the stage
 * ended. The first scan's own time counts: on a loaded host it takes that
 * long by itself, and nothing is slept. (One scan 6 s after the stage
 * reported nothing: runner-debug's leak went unseen.)
 */
static void kmemleak_check(void)
{
	static char report[16384];
	struct timespec end, now;
	char buf[16];
	int total = 2, pass;
	long left_ms;
	ssize_t n;

	if (access("/sys/kernel/debug/kmemleak", W_OK))
		return;
	clock_gettime(CLOCK_MONOTONIC, &end);
	if (read_file("/sys/module/kmemleak/parameters/min_unref_scans", buf,
		      sizeof(buf)) > 0 && atoi(buf) > 0)
		total = 1 + atoi(buf);
	for (pass = 1; pass <= total; pass++) {
		if (pass == 2) {
			clock_gettime(CLOCK_MONOTONIC, &now);
			left_ms = 6000 - ((now.tv_sec - end.tv_sec) * 1000 +
					  (now.tv_nsec - end.tv_nsec) / 1000000);
			if (left_ms > 0) {
				struct timespec ts = { left_ms / 1000,
						       (left_ms % 1000) * 1000000L };

				nanosleep(&ts, NULL);
			}
		}
		if (kmemleak_scan(pass, total))
			return;
	}
	n = read_file("/sys/kernel/debug/kmemleak", report, sizeof(report));
	if (n > 0) {
		char *line, *save = NULL;

		for (line = strtok_r(report, "\n", &save); line;
		     line = strtok_r(NULL, "\n", &save))
			mark("kmemleak-report: %s", line);
	}
}

int main(int argc, char **argv)
{
	char cmdline[CMDLINE_MAX], buf[32];
	struct timespec ts;
	int stage, nstages, rc;

	if (getpid() == 1) {
		mount_api();
		if (access("/lib/systemd/systemd", X_OK) == 0) {
			char *sd_argv[] = { "/lib/systemd/systemd", NULL };

			execv(sd_argv[0], sd_argv);
			out_fd = open("/dev/console", O_WRONLY | O_NOCTTY);
			mark("LUO-RUNNER: exec systemd: %s", strerror(errno));
			finish(0);
		}
	} else if (argc != 2 || strcmp(argv[1], "--stage-service")) {
		dprintf(2, "usage: /init (as PID 1) | /init --stage-service\n");
		return 2;
	}
	mount_extra();
	out_fd = open("/dev/ttyS1", O_WRONLY | O_NOCTTY);
	if (out_fd < 0)
		out_fd = open("/dev/console", O_WRONLY | O_NOCTTY);

	if (read_file("/proc/cmdline", cmdline, sizeof(cmdline)) < 0)
		cmdline[0] = '\0';
	stage = cmdline_stage(cmdline);
	nstages = read_file("/nstages", buf, sizeof(buf)) > 0 ? atoi(buf) : 1;
	clock_gettime(CLOCK_BOOTTIME, &ts);
	mark("LUO-RUNNER: stage %d of %d starting (boottime %ld.%03ld s)",
	     stage, nstages, (long)ts.tv_sec, ts.tv_nsec / 1000000);

	rc = run_stage(stage, nstages);
	kmemleak_check();
	mark("LUO-RUNNER: stage %d exit %d", stage, rc);
	if (rc != 0)
		finish(0);

	if (access("/next/bzImage", F_OK) != 0)
		finish(1);
	if (kexec_next(cmdline, stage + 1))
		finish(0);
	sync();
	/*
	 * The TSC is not reset by a kexec inside one VM: the host subtracts
	 * this value from a stage program's TSC reading after the kexec.
	 */
	mark("LUO-RUNNER: kexec to stage %d tsc=%llu", stage + 1,
	     (unsigned long long)__rdtsc());
	reboot(RB_KEXEC);
	mark("LUO-RUNNER: reboot(RB_KEXEC) failed: %s", strerror(errno));
	finish(0);
	return 1;
}
