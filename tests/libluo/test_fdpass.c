// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * luo_send_fds() / luo_recv_fds() over real Unix sockets, and with mocked
 * sendmsg/recvmsg where the kernel cannot be made to misbehave on demand.
 *
 * The wire format is the one documented in libluo.h and fdpass.c: an 8-byte
 * header, "LUOF" (bytes 'L' 'U' 'O' 'F') then the count as a little-endian
 * u32, carrying the descriptors as one SCM_RIGHTS message.
 */
#include "wrap.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "libluo.h"

static int sp[2];

static int pair_setup(int type)
{
	return socketpair(AF_UNIX, type, 0, sp);
}

static int stream_setup(void **state)
{
	wrap_reset(state);
	return pair_setup(SOCK_STREAM);
}

static int seqpacket_setup(void **state)
{
	wrap_reset(state);
	return pair_setup(SOCK_SEQPACKET);
}

static int dgram_setup(void **state)
{
	wrap_reset(state);
	return pair_setup(SOCK_DGRAM);
}

static int pair_teardown(void **state)
{
	wrap_reset(state);
	close(sp[0]);
	close(sp[1]);
	return 0;
}

static void same_file(int a, int b)
{
	struct stat sa, sb;

	assert_int_equal(fstat(a, &sa), 0);
	assert_int_equal(fstat(b, &sb), 0);
	assert_int_equal(sa.st_dev, sb.st_dev);
	assert_int_equal(sa.st_ino, sb.st_ino);
}

/* Send a raw message: LEN bytes of DATA with NFDS descriptors attached. */
static void raw_send(int sock, const void *data, size_t len, const int *fds, size_t nfds)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * 8)];
		struct cmsghdr align;
	} c;
	struct iovec iov = { .iov_base = (void *)data, .iov_len = len };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *cm;

	memset(&c, 0, sizeof(c));
	if (nfds) {
		msg.msg_control = c.buf;
		msg.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
		cm = CMSG_FIRSTHDR(&msg);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
		memcpy(CMSG_DATA(cm), fds, sizeof(int) * nfds);
	}
	assert_int_equal(sendmsg(sock, &msg, 0), (ssize_t)len);
}

static void header(unsigned char h[8], uint32_t count)
{
	memcpy(h, "LUOF", 4);
	h[4] = (unsigned char)count;
	h[5] = (unsigned char)(count >> 8);
	h[6] = (unsigned char)(count >> 16);
	h[7] = (unsigned char)(count >> 24);
}

/* ---- round trips ---- */

static void roundtrip(unsigned int n)
{
	int sent[8] = { 0 }, got[8];
	unsigned int i;

	for (i = 0; i < n; i++) {
		sent[i] = memfd_create("pass", 0);
		assert_true(sent[i] >= 0);
	}
	assert_int_equal(luo_send_fds(sp[0], sent, n), 0);
	memset(got, -1, sizeof(got));
	assert_int_equal(luo_recv_fds(sp[1], got, 8), (int)n);
	for (i = 0; i < n; i++) {
		same_file(sent[i], got[i]);
		assert_true(fcntl(got[i], F_GETFD) & FD_CLOEXEC);
		close(sent[i]);
		close(got[i]);
	}
	assert_int_equal(got[n], -1); /* nothing written past the count */
}

static void roundtrip_one(void **state)
{
	(void)state;
	roundtrip(1);
}

static void roundtrip_three(void **state)
{
	(void)state;
	roundtrip(3);
}

static void wire_format(void **state)
{
	unsigned char want[8], buf[16];
	int fd = memfd_create("wire", 0), extra[2] = { fd, fd };

	(void)state;
	assert_int_equal(luo_send_fds(sp[0], extra, 2), 0);
	assert_int_equal(recv(sp[1], buf, sizeof(buf), 0), 8);
	header(want, 2);
	assert_memory_equal(buf, want, 8);
	close(fd);
}

static void roundtrip_max(void **state)
{
	static int sent[LUO_SEND_FDS_MAX], got[LUO_SEND_FDS_MAX];
	struct rlimit rl;
	unsigned int i;
	int fd = memfd_create("many", 0);

	(void)state;
	assert_int_equal(LUO_SEND_FDS_MAX, 253); /* SCM_MAX_FD */
	assert_int_equal(getrlimit(RLIMIT_NOFILE, &rl), 0);
	if (rl.rlim_cur < 2 * LUO_SEND_FDS_MAX + 64) {
		rl.rlim_cur = rl.rlim_max < 1024 ? rl.rlim_max : 1024;
		assert_int_equal(setrlimit(RLIMIT_NOFILE, &rl), 0);
	}
	for (i = 0; i < LUO_SEND_FDS_MAX; i++) {
		sent[i] = dup(fd);
		assert_true(sent[i] >= 0);
	}
	assert_int_equal(luo_send_fds(sp[0], sent, LUO_SEND_FDS_MAX), 0);
	assert_int_equal(luo_recv_fds(sp[1], got, LUO_SEND_FDS_MAX), LUO_SEND_FDS_MAX);
	for (i = 0; i < LUO_SEND_FDS_MAX; i++) {
		same_file(fd, got[i]);
		close(got[i]);
		close(sent[i]);
	}
	close(fd);
}

static void roundtrip_with_credentials(void **state)
{
	int on = 1;

	(void)state;
	/* SCM_CREDENTIALS arrives alongside SCM_RIGHTS and must be ignored. */
	assert_int_equal(setsockopt(sp[1], SOL_SOCKET, SO_PASSCRED, &on, sizeof(on)), 0);
	roundtrip(2);
}

/* ---- receive errors: nothing may leak ---- */

static void recv_more_than_room(void **state)
{
	int fd = memfd_create("trunc", 0), sent[5] = { fd, fd, fd, fd, fd }, got[5];
	int before;
	unsigned int room;

	(void)state;
	before = count_open_fds();
	/* 2 into 1 is the CMSG_SPACE() rounding case (no MSG_CTRUNC), 5 into
	 * 2 truncates for real. */
	for (room = 1; room <= 2; room++) {
		assert_int_equal(luo_send_fds(sp[0], sent, room == 1 ? 2 : 5), 0);
		memset(got, -1, sizeof(got));
		assert_int_equal(luo_recv_fds(sp[1], got, room), -EMSGSIZE);
		assert_int_equal(got[0], -1);
		assert_int_equal(count_open_fds(), before);
	}
	close(fd);
}

static void recv_bad_magic(void **state)
{
	unsigned char h[8];
	int fd = memfd_create("magic", 0), got[2], before;

	(void)state;
	header(h, 1);
	h[0] = 'X';
	before = count_open_fds();
	raw_send(sp[0], h, 8, &fd, 1);
	assert_int_equal(luo_recv_fds(sp[1], got, 2), -EPROTO);
	assert_int_equal(count_open_fds(), before);
	close(fd);
}

static void recv_count_mismatch(void **state)
{
	unsigned char h[8];
	int fd = memfd_create("count", 0), got[4], before;

	(void)state;
	before = count_open_fds();
	header(h, 2);
	raw_send(sp[0], h, 8, &fd, 1);
	assert_int_equal(luo_recv_fds(sp[1], got, 4), -EPROTO);
	header(h, 1);
	raw_send(sp[0], h, 8, NULL, 0);
	assert_int_equal(luo_recv_fds(sp[1], got, 4), -EPROTO);
	header(h, 0);
	raw_send(sp[0], h, 8, NULL, 0);
	assert_int_equal(luo_recv_fds(sp[1], got, 4), -EPROTO);
	assert_int_equal(count_open_fds(), before);
	close(fd);
}

static void recv_peer_closed(void **state)
{
	int got[1];

	(void)state;
	close(sp[0]);
	sp[0] = -1;
	assert_int_equal(luo_recv_fds(sp[1], got, 1), -ECONNRESET);
}

static void recv_nonblocking_empty(void **state)
{
	int got[1];

	(void)state;
	assert_int_equal(fcntl(sp[1], F_SETFL, O_NONBLOCK), 0);
	assert_int_equal(luo_recv_fds(sp[1], got, 1), -EAGAIN);
}

static void dgram_roundtrip(void **state)
{
	(void)state;
	roundtrip(2);
}

static void dgram_too_long(void **state)
{
	unsigned char h[16];
	int fd = memfd_create("long", 0), got[2], before;

	(void)state;
	header(h, 1);
	memset(h + 8, 0, 8);
	before = count_open_fds();
	raw_send(sp[0], h, 16, &fd, 1);
	assert_int_equal(luo_recv_fds(sp[1], got, 2), -EMSGSIZE); /* MSG_TRUNC */
	assert_int_equal(count_open_fds(), before);
	close(fd);
}

static void dgram_short(void **state)
{
	unsigned char h[8];
	int fd = memfd_create("short", 0), got[2], before;

	(void)state;
	header(h, 1);
	before = count_open_fds();
	raw_send(sp[0], h, 5, &fd, 1);
	assert_int_equal(luo_recv_fds(sp[1], got, 2), -EPROTO);
	assert_int_equal(count_open_fds(), before);
	close(fd);
}

static void seqpacket_roundtrip(void **state)
{
	(void)state;
	roundtrip(3);
}

/* ---- mocked receive paths ---- */

static int mock_fd_in_msg = 40;
static size_t mock_first_len = 3;

static ssize_t recvmsg_partial(int fd, struct msghdr *msg, int flags)
{
	unsigned char h[8];
	struct cmsghdr *cm;

	assert_int_equal(fd, 9);
	assert_int_equal(flags, MSG_CMSG_CLOEXEC);
	header(h, 1);
	memcpy(msg->msg_iov[0].iov_base, h, mock_first_len);
	cm = CMSG_FIRSTHDR(msg);
	assert_non_null(cm);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &mock_fd_in_msg, sizeof(int));
	msg->msg_controllen = CMSG_SPACE(sizeof(int));
	msg->msg_flags = 0;
	return (ssize_t)mock_first_len;
}

static ssize_t recvmsg_eintr(int fd, struct msghdr *msg, int flags)
{
	(void)fd;
	(void)msg;
	(void)flags;
	errno = EINTR;
	return -1;
}

static ssize_t recv_rest(int fd, void *buf, size_t len, int flags)
{
	unsigned char h[8];

	assert_int_equal(fd, 9);
	assert_int_equal(flags, 0);
	assert_int_equal(len, 8 - mock_first_len);
	header(h, 1);
	memcpy(buf, h + mock_first_len, len);
	return (ssize_t)len;
}

static ssize_t recv_one_byte(int fd, void *buf, size_t len, int flags)
{
	unsigned char h[8];

	(void)fd;
	(void)flags;
	header(h, 1);
	memcpy(buf, h + 8 - len, 1);
	return 1;
}

static ssize_t recv_eintr(int fd, void *buf, size_t len, int flags)
{
	(void)fd;
	(void)buf;
	(void)len;
	(void)flags;
	errno = EINTR;
	return -1;
}

static ssize_t recv_eof(int fd, void *buf, size_t len, int flags)
{
	(void)fd;
	(void)buf;
	(void)len;
	(void)flags;
	return 0;
}

static ssize_t recv_reset(int fd, void *buf, size_t len, int flags)
{
	(void)fd;
	(void)buf;
	(void)len;
	(void)flags;
	errno = ECONNRESET;
	return -1;
}

static void expect_sotype(int ret, int type)
{
	wrap_mocked |= W_GETSOCKOPT;
	expect_value(__wrap_getsockopt, fd, 9);
	expect_value(__wrap_getsockopt, level, SOL_SOCKET);
	expect_value(__wrap_getsockopt, name, SO_TYPE);
	will_return(__wrap_getsockopt, ret);
	if (ret == 0)
		will_return(__wrap_getsockopt, type);
}

static void stream_header_in_pieces(void **state)
{
	int got[2] = { -1, -1 };

	(void)state;
	wrap_mocked |= W_RECVMSG | W_RECV;
	mock_first_len = 3;
	will_return(__wrap_recvmsg, recvmsg_eintr);
	will_return(__wrap_recvmsg, recvmsg_partial);
	expect_sotype(0, SOCK_STREAM);
	will_return(__wrap_recv, recv_eintr);
	will_return(__wrap_recv, recv_rest);
	assert_int_equal(luo_recv_fds(9, got, 2), 1);
	assert_int_equal(got[0], 40);
	assert_int_equal(got[1], -1);
}

static void stream_header_byte_by_byte(void **state)
{
	int got[1];

	(void)state;
	wrap_mocked |= W_RECVMSG | W_RECV;
	mock_first_len = 1;
	will_return(__wrap_recvmsg, recvmsg_partial);
	expect_sotype(0, SOCK_STREAM);
	will_return_count(__wrap_recv, recv_one_byte, 7);
	assert_int_equal(luo_recv_fds(9, got, 1), 1);
	assert_int_equal(got[0], 40);
}

static void short_header_errors_close(void **state)
{
	int got[1];

	(void)state;
	wrap_mocked |= W_RECVMSG | W_RECV | W_CLOSE;
	mock_first_len = 3;

	/* Not a stream: the message was just short. */
	will_return(__wrap_recvmsg, recvmsg_partial);
	expect_sotype(0, SOCK_SEQPACKET);
	expect_value(__wrap_close, fd, 40);
	assert_int_equal(luo_recv_fds(9, got, 1), -EPROTO);

	will_return(__wrap_recvmsg, recvmsg_partial);
	expect_sotype(-ENOTSOCK, 0);
	expect_value(__wrap_close, fd, 40);
	assert_int_equal(luo_recv_fds(9, got, 1), -ENOTSOCK);

	will_return(__wrap_recvmsg, recvmsg_partial);
	expect_sotype(0, SOCK_STREAM);
	will_return(__wrap_recv, recv_eof);
	expect_value(__wrap_close, fd, 40);
	assert_int_equal(luo_recv_fds(9, got, 1), -ECONNRESET);

	will_return(__wrap_recvmsg, recvmsg_partial);
	expect_sotype(0, SOCK_STREAM);
	will_return(__wrap_recv, recv_reset);
	expect_value(__wrap_close, fd, 40);
	assert_int_equal(luo_recv_fds(9, got, 1), -ECONNRESET);
	assert_string_equal(wrap_log,
			    "recvmsg getsockopt close recvmsg getsockopt close "
			    "recvmsg getsockopt recv close recvmsg getsockopt recv close");
}

/* Build a received message in MSG: header(count) and cmsgs of given types. */
static int cm_count;
static int cm_types[3];
static int cm_nfds[3];
static int cm_first[3];

static ssize_t recvmsg_crafted(int fd, struct msghdr *msg, int flags)
{
	struct cmsghdr *cm = CMSG_FIRSTHDR(msg);
	size_t used = 0;
	unsigned char h[8];
	int i, j, v;

	(void)fd;
	(void)flags;
	header(h, (uint32_t)cm_count);
	memcpy(msg->msg_iov[0].iov_base, h, 8);
	for (i = 0; i < 3 && cm_nfds[i]; i++) {
		assert_non_null(cm);
		/* Type -1 stands for a message of another protocol level. */
		cm->cmsg_level = cm_types[i] < 0 ? IPPROTO_IP : SOL_SOCKET;
		cm->cmsg_type = cm_types[i] < 0 ? SCM_RIGHTS : cm_types[i];
		cm->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)cm_nfds[i]);
		for (j = 0; j < cm_nfds[i]; j++) {
			v = cm_first[i] + j;
			memcpy(CMSG_DATA(cm) + sizeof(int) * (size_t)j, &v, sizeof(int));
		}
		used += CMSG_SPACE(sizeof(int) * (size_t)cm_nfds[i]);
		assert_true(used <= msg->msg_controllen);
		cm = (struct cmsghdr *)((char *)msg->msg_control + used);
	}
	msg->msg_controllen = used;
	msg->msg_flags = 0;
	return 8;
}

static void crafted(int count, int t0, int n0, int f0, int t1, int n1, int f1)
{
	memset(cm_nfds, 0, sizeof(cm_nfds));
	cm_count = count;
	cm_types[0] = t0;
	cm_nfds[0] = n0;
	cm_first[0] = f0;
	cm_types[1] = t1;
	cm_nfds[1] = n1;
	cm_first[1] = f1;
	wrap_mocked |= W_RECVMSG | W_CLOSE;
	will_return(__wrap_recvmsg, recvmsg_crafted);
}

static void recv_two_rights_messages(void **state)
{
	int got[4] = { -1, -1, -1, -1 };

	(void)state;
	crafted(3, SCM_RIGHTS, 2, 41, SCM_RIGHTS, 1, 60);
	assert_int_equal(luo_recv_fds(9, got, 4), 3);
	assert_int_equal(got[0], 41);
	assert_int_equal(got[1], 42);
	assert_int_equal(got[2], 60);
	assert_int_equal(got[3], -1);
}

static void recv_pidfd_is_closed(void **state)
{
	int got[2] = { -1, -1 };

	(void)state;
	/* SCM_PIDFD is 0x04 in the Linux uAPI. */
	crafted(1, 0x04, 1, 43, SCM_RIGHTS, 1, 41);
	expect_value(__wrap_close, fd, 43);
	assert_int_equal(luo_recv_fds(9, got, 2), 1);
	assert_int_equal(got[0], 41);
}

static void recv_other_level_ignored(void **state)
{
	int got[2] = { -1, -1 };

	(void)state;
	crafted(1, -1, 1, 44, SCM_RIGHTS, 1, 41);
	assert_int_equal(luo_recv_fds(9, got, 2), 1);
	assert_int_equal(got[0], 41);
	assert_int_equal(got[1], -1);
}

static void recv_more_than_scm_max(void **state)
{
	static int got[LUO_SEND_FDS_MAX];
	int i;

	(void)state;
	/* 254 descriptors cannot come from a real kernel (SCM_MAX_FD is 253);
	 * every one of them must still be closed. */
	crafted(254, SCM_RIGHTS, 200, 1000, SCM_RIGHTS, 54, 1200);
	expect_value(__wrap_close, fd, 1253); /* the one beyond 253, at once */
	for (i = 0; i < 200; i++)
		expect_value(__wrap_close, fd, 1000 + i);
	for (i = 0; i < 53; i++)
		expect_value(__wrap_close, fd, 1200 + i);
	assert_int_equal(luo_recv_fds(9, got, LUO_SEND_FDS_MAX), -EMSGSIZE);
}

static void real_pidfd_does_not_leak(void **state)
{
	int on = 1, before;

	(void)state;
	/* SO_PASSPIDFD (76, Linux 6.5+) adds a pidfd to every message. */
	if (setsockopt(sp[1], SOL_SOCKET, 76, &on, sizeof(on)) < 0) {
		assert_int_equal(errno, ENOPROTOOPT);
		skip();
	}
	before = count_open_fds();
	roundtrip(2);
	assert_int_equal(count_open_fds(), before);
}

static void recv_bad_args(void **state)
{
	int got[1];

	(void)state;
	wrap_mocked |= W_RECVMSG;
	assert_int_equal(luo_recv_fds(-1, got, 1), -EBADF);
	assert_int_equal(luo_recv_fds(9, NULL, 1), -EINVAL);
	assert_int_equal(luo_recv_fds(9, got, 0), -EINVAL);
	assert_int_equal(luo_recv_fds(9, got, 254), -E2BIG);
}

static void recv_closed_socket(void **state)
{
	int got[1], fd = dup(0);

	(void)state;
	close(fd);
	assert_int_equal(luo_recv_fds(fd, got, 1), -EBADF);
}

/* ---- send ---- */

static void send_bad_args(void **state)
{
	static int many[254];
	int fds[3] = { 0, -1, 1 };

	(void)state;
	wrap_mocked |= W_SENDMSG;
	assert_int_equal(luo_send_fds(-1, fds, 1), -EBADF);
	assert_int_equal(luo_send_fds(3, NULL, 1), -EINVAL);
	assert_int_equal(luo_send_fds(3, fds, 0), -EINVAL);
	assert_int_equal(luo_send_fds(3, many, 254), -E2BIG);
	assert_int_equal(luo_send_fds(3, fds, 3), -EBADF);
}

static void send_to_closed_peer_no_sigpipe(void **state)
{
	int fd = memfd_create("pipe", 0);

	(void)state;
	close(sp[1]);
	sp[1] = -1;
	/* SIGPIPE would kill the test process; MSG_NOSIGNAL prevents it. */
	assert_int_equal(luo_send_fds(sp[0], &fd, 1), -EPIPE);
	close(fd);
}

static void send_on_non_socket(void **state)
{
	int p[2];

	(void)state;
	assert_int_equal(pipe(p), 0);
	assert_int_equal(luo_send_fds(p[1], &p[0], 1), -ENOTSOCK);
	close(p[0]);
	close(p[1]);
}

static void send_closed_fd(void **state)
{
	int fd = dup(0);

	(void)state;
	close(fd);
	assert_int_equal(luo_send_fds(sp[0], &fd, 1), -EBADF);
}

static int send_calls;

static ssize_t sendmsg_check(int fd, const struct msghdr *msg, int flags)
{
	unsigned char h[8];
	const struct cmsghdr *cm;
	int fds[2];

	assert_int_equal(fd, 9);
	assert_int_equal(flags, MSG_NOSIGNAL);
	assert_int_equal(msg->msg_iovlen, 1);
	header(h, 2);
	send_calls++;
	if (send_calls == 1) {
		/* First call: the whole header and both descriptors. */
		assert_int_equal(msg->msg_iov[0].iov_len, 8);
		assert_memory_equal(msg->msg_iov[0].iov_base, h, 8);
		cm = CMSG_FIRSTHDR((struct msghdr *)msg);
		assert_non_null(cm);
		assert_int_equal(cm->cmsg_level, SOL_SOCKET);
		assert_int_equal(cm->cmsg_type, SCM_RIGHTS);
		assert_int_equal(cm->cmsg_len, CMSG_LEN(2 * sizeof(int)));
		memcpy(fds, CMSG_DATA(cm), sizeof(fds));
		assert_int_equal(fds[0], 5);
		assert_int_equal(fds[1], 6);
		return 3;
	}
	/* Later calls: the rest of the header, without descriptors. */
	assert_int_equal(msg->msg_controllen, 0);
	assert_int_equal(msg->msg_iov[0].iov_len, 5);
	assert_memory_equal(msg->msg_iov[0].iov_base, h + 3, 5);
	return 5;
}

static ssize_t sendmsg_eintr(int fd, const struct msghdr *msg, int flags)
{
	(void)fd;
	(void)msg;
	(void)flags;
	errno = EINTR;
	return -1;
}

static ssize_t sendmsg_fail(int fd, const struct msghdr *msg, int flags)
{
	(void)fd;
	(void)msg;
	(void)flags;
	errno = ETOOMANYREFS;
	return -1;
}

static void send_eintr_and_partial(void **state)
{
	int fds[2] = { 5, 6 };

	(void)state;
	wrap_mocked |= W_SENDMSG;
	send_calls = 0;
	will_return(__wrap_sendmsg, sendmsg_eintr);
	will_return(__wrap_sendmsg, sendmsg_check);
	will_return(__wrap_sendmsg, sendmsg_check);
	assert_int_equal(luo_send_fds(9, fds, 2), 0);
	assert_int_equal(send_calls, 2);
}

static void send_error(void **state)
{
	int fds[2] = { 5, 6 };

	(void)state;
	wrap_mocked |= W_SENDMSG;
	will_return(__wrap_sendmsg, sendmsg_fail);
	assert_int_equal(luo_send_fds(9, fds, 2), -ETOOMANYREFS);
}

#define S(fn) cmocka_unit_test_setup_teardown(fn, stream_setup, pair_teardown)
#define Q(fn) cmocka_unit_test_setup_teardown(fn, seqpacket_setup, pair_teardown)
#define D(fn) cmocka_unit_test_setup_teardown(fn, dgram_setup, pair_teardown)

DEFINE_TESTS(fdpass,
	S(roundtrip_one),
	S(roundtrip_three),
	S(wire_format),
	S(roundtrip_max),
	S(roundtrip_with_credentials),
	S(recv_more_than_room),
	S(recv_bad_magic),
	S(recv_count_mismatch),
	S(recv_peer_closed),
	S(recv_nonblocking_empty),
	D(dgram_roundtrip),
	D(dgram_too_long),
	D(dgram_short),
	Q(seqpacket_roundtrip),
	cmocka_unit_test(stream_header_in_pieces),
	cmocka_unit_test(stream_header_byte_by_byte),
	cmocka_unit_test(short_header_errors_close),
	cmocka_unit_test(recv_two_rights_messages),
	cmocka_unit_test(recv_pidfd_is_closed),
	cmocka_unit_test(recv_other_level_ignored),
	cmocka_unit_test(recv_more_than_scm_max),
	S(real_pidfd_does_not_leak),
	cmocka_unit_test(recv_bad_args),
	cmocka_unit_test(recv_closed_socket),
	cmocka_unit_test(send_bad_args),
	S(send_to_closed_peer_no_sigpipe),
	cmocka_unit_test(send_on_non_socket),
	S(send_closed_fd),
	cmocka_unit_test(send_eintr_and_partial),
	cmocka_unit_test(send_error));
