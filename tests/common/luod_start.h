/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Start /bin/luod from a stage program (tests/luod, tests/vmm, tests/libluo):
 * its log on the kernel's, in a session of its own, and return once it
 * answers. Needs diag() (tests/common/stage.h) and libluo.h first.
 */
#ifndef LUO_TESTS_LUOD_START_H
#define LUO_TESTS_LUOD_START_H

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#define SOCK "/run/luod/liveupdate.sock"

/*
 * Start luod. With ACTIVATED, the way systemd's socket activation does: this
 * process binds SOCK and hands it over as fd 3 with LISTEN_FDS=1, and luod
 * is told another path, which it must then leave alone.
 */
#define UNUSED_SOCK "/run/luod/unused.sock"
static __attribute__((unused)) pid_t start_luod_as(int activated)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX, .sun_path = SOCK };
	int i, fd, lis = -1;
	char pid_s[16];
	pid_t pid;

	if (activated) {
		mkdir("/run", 0755);
		mkdir("/run/luod", 0755);
		unlink(SOCK);
		lis = socket(AF_UNIX, SOCK_SEQPACKET, 0);
		if (lis < 0 || bind(lis, (struct sockaddr *)&sa, sizeof(sa)) ||
		    chmod(SOCK, 0666) || listen(lis, 64))
			diag("cannot make the activated socket: %s", strerror(errno));
	}
	pid = fork();
	if (pid == 0) {
		fd = open("/dev/kmsg", O_WRONLY);
		if (fd >= 0) {
			dup2(fd, 2);
			close(fd);
		}
		setsid();
		if (activated) {
			dup2(lis, 3);
			snprintf(pid_s, sizeof(pid_s), "%d", (int)getpid());
			setenv("LISTEN_PID", pid_s, 1);
			setenv("LISTEN_FDS", "1", 1);
		}
		execl("/bin/luod", "luod", "--socket", activated ? UNUSED_SOCK : SOCK, (char *)NULL);
		_exit(127);
	}
	if (lis >= 0)
		close(lis);
	/*
	 * Ready when it answers (a restarted luod rebinds the socket). Up to
	 * 300 s, a hang detector only: a slow host must not turn into a
	 * failure. luod exiting ends the wait at once.
	 */
	for (i = 0; i < 6000; i++) {
		fd = luo_connect(NULL);
		if (fd >= 0) {
			close(fd);
			break;
		}
		if (pid > 0 && waitpid(pid, NULL, WNOHANG) == pid) {
			diag("luod exited before it answered");
			break;
		}
		if (i && !(i % 200))
			diag("waiting for luod to answer (%d s)", i / 20);
		usleep(50 * 1000);
	}
	return pid;
}

static __attribute__((unused)) pid_t start_luod(void)
{
	return start_luod_as(0);
}

#endif /* LUO_TESTS_LUOD_START_H */
