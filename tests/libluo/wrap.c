// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/* Syscall wrappers for the libluo unit tests; see wrap.h. */
#include "wrap.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

unsigned int wrap_mocked;
char wrap_log[1024];
const char *wrap_fake_chrdev;

int __real_open(const char *path, int flags, ...);
int __real_close(int fd);
ssize_t __real_read(int fd, void *buf, size_t len);
int __real_ioctl(int fd, unsigned long req, ...);
int __real_memfd_create(const char *name, unsigned int flags);
int __real_ftruncate(int fd, off_t len);
int __real_fallocate(int fd, int mode, off_t off, off_t len);
void *__real_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off);
int __real_munmap(void *addr, size_t len);
int __real_madvise(void *addr, size_t len, int advice);
int __real_fcntl(int fd, int cmd, ...);
int __real_fstat(int fd, struct stat *st);
int __real_fstatfs(int fd, struct statfs *st);
off_t __real_lseek(int fd, off_t off, int whence);
int __real_stat(const char *path, struct stat *st);
ssize_t __real_sendmsg(int fd, const struct msghdr *msg, int flags);
ssize_t __real_recvmsg(int fd, struct msghdr *msg, int flags);
ssize_t __real_recv(int fd, void *buf, size_t len, int flags);
int __real_getsockopt(int fd, int level, int name, void *val, socklen_t *len);

int wrap_reset(void **state)
{
	(void)state;
	wrap_mocked = 0;
	wrap_log[0] = '\0';
	wrap_fake_chrdev = NULL;
	return 0;
}

static void wrap_note(const char *name)
{
	size_t used = strlen(wrap_log);

	snprintf(wrap_log + used, sizeof(wrap_log) - used, "%s%s", used ? " " : "",
		 name);
}

/* Turn a mocked result into a libc-style one. */
static long wrap_result(long ret)
{
	if (ret < 0) {
		errno = (int)-ret;
		return -1;
	}
	return ret;
}

int count_open_fds(void)
{
	struct dirent *de;
	int n = 0;
	DIR *d;

	d = opendir("/proc/self/fd");
	assert_non_null(d);
	while ((de = readdir(d)))
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return n - 1; /* the directory's own descriptor */
}

int __wrap_open(const char *path, int flags, ...)
{
	mode_t mode = 0;
	va_list ap;

	if (flags & (O_CREAT | O_TMPFILE)) {
		va_start(ap, flags);
		mode = va_arg(ap, mode_t);
		va_end(ap);
	}
	if (!(wrap_mocked & W_OPEN))
		return __real_open(path, flags, mode);
	wrap_note("open");
	check_expected(path);
	check_expected(flags);
	return (int)wrap_result(mock_type(int));
}

int __wrap_close(int fd)
{
	if (!(wrap_mocked & W_CLOSE))
		return __real_close(fd);
	wrap_note("close");
	check_expected(fd);
	return 0;
}

ssize_t __wrap_read(int fd, void *buf, size_t len)
{
	const char *data;
	ssize_t ret;

	if (!(wrap_mocked & W_READ))
		return __real_read(fd, buf, len);
	wrap_note("read");
	check_expected(fd);
	ret = mock_type(ssize_t);
	if (ret > 0) {
		data = mock_ptr_type(const char *);
		assert_true((size_t)ret <= len);
		memcpy(buf, data, (size_t)ret);
	}
	return wrap_result(ret);
}

int __wrap_ioctl(int fd, unsigned long req, ...)
{
	wrap_ioctl_fn fn;
	void *arg;
	va_list ap;

	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);
	if (!(wrap_mocked & W_IOCTL))
		return __real_ioctl(fd, req, arg);
	wrap_note("ioctl");
	fn = mock_ptr_type(wrap_ioctl_fn);
	return fn(fd, req, arg);
}

int __wrap_memfd_create(const char *name, unsigned int flags)
{
	if (!(wrap_mocked & W_MEMFD))
		return __real_memfd_create(name, flags);
	wrap_note("memfd_create");
	check_expected(name);
	check_expected(flags);
	return (int)wrap_result(mock_type(int));
}

int __wrap_ftruncate(int fd, off_t len)
{
	if (!(wrap_mocked & W_FTRUNCATE))
		return __real_ftruncate(fd, len);
	wrap_note("ftruncate");
	check_expected(fd);
	check_expected(len);
	return (int)wrap_result(mock_type(int));
}

int __wrap_fallocate(int fd, int mode, off_t off, off_t len)
{
	if (!(wrap_mocked & W_FALLOCATE))
		return __real_fallocate(fd, mode, off, len);
	wrap_note("fallocate");
	check_expected(fd);
	check_expected(mode);
	check_expected(off);
	check_expected(len);
	return (int)wrap_result(mock_type(int));
}

void *__wrap_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	void *ret;

	if (!(wrap_mocked & W_MMAP))
		return __real_mmap(addr, len, prot, flags, fd, off);
	wrap_note("mmap");
	check_expected(addr);
	check_expected(len);
	check_expected(prot);
	check_expected(flags);
	check_expected(fd);
	check_expected(off);
	ret = mock_ptr_type(void *);
	if (ret == MAP_FAILED)
		errno = mock_type(int);
	return ret;
}

int __wrap_munmap(void *addr, size_t len)
{
	if (!(wrap_mocked & W_MUNMAP))
		return __real_munmap(addr, len);
	wrap_note("munmap");
	check_expected(addr);
	check_expected(len);
	return 0;
}

int __wrap_madvise(void *addr, size_t len, int advice)
{
	if (!(wrap_mocked & W_MADVISE))
		return __real_madvise(addr, len, advice);
	wrap_note("madvise");
	check_expected(addr);
	check_expected(len);
	check_expected(advice);
	return (int)wrap_result(mock_type(int));
}

int __wrap_fcntl(int fd, int cmd, ...)
{
	long arg;
	va_list ap;

	va_start(ap, cmd);
	arg = va_arg(ap, long);
	va_end(ap);
	if (!(wrap_mocked & W_FCNTL))
		return __real_fcntl(fd, cmd, arg);
	wrap_note("fcntl");
	check_expected(fd);
	check_expected(cmd);
	if (cmd == F_ADD_SEALS)
		check_expected(arg);
	return (int)wrap_result(mock_type(int));
}

int __wrap_fstat(int fd, struct stat *st)
{
	int ret;

	if (!(wrap_mocked & W_FSTAT))
		return __real_fstat(fd, st);
	wrap_note("fstat");
	check_expected(fd);
	ret = mock_type(int);
	if (ret == 0)
		memcpy(st, mock_ptr_type(const struct stat *), sizeof(*st));
	return (int)wrap_result(ret);
}

int __wrap_fstatfs(int fd, struct statfs *st)
{
	int ret;

	if (!(wrap_mocked & W_FSTATFS))
		return __real_fstatfs(fd, st);
	wrap_note("fstatfs");
	check_expected(fd);
	ret = mock_type(int);
	if (ret == 0)
		memcpy(st, mock_ptr_type(const struct statfs *), sizeof(*st));
	return (int)wrap_result(ret);
}

off_t __wrap_lseek(int fd, off_t off, int whence)
{
	if (!(wrap_mocked & W_LSEEK))
		return __real_lseek(fd, off, whence);
	wrap_note("lseek");
	check_expected(fd);
	check_expected(off);
	check_expected(whence);
	return (off_t)wrap_result(mock_type(off_t));
}

int __wrap_stat(const char *path, struct stat *st)
{
	int ret;

	if (!(wrap_mocked & W_STAT)) {
		ret = __real_stat(path, st);
		if (ret == 0 && wrap_fake_chrdev && !strcmp(path, wrap_fake_chrdev))
			st->st_mode = S_IFCHR | 0600;
		return ret;
	}
	wrap_note("stat");
	check_expected(path);
	ret = mock_type(int);
	if (ret == 0)
		memcpy(st, mock_ptr_type(const struct stat *), sizeof(*st));
	return (int)wrap_result(ret);
}

ssize_t __wrap_sendmsg(int fd, const struct msghdr *msg, int flags)
{
	if (!(wrap_mocked & W_SENDMSG))
		return __real_sendmsg(fd, msg, flags);
	wrap_note("sendmsg");
	return mock_ptr_type(wrap_sendmsg_fn)(fd, msg, flags);
}

ssize_t __wrap_recvmsg(int fd, struct msghdr *msg, int flags)
{
	if (!(wrap_mocked & W_RECVMSG))
		return __real_recvmsg(fd, msg, flags);
	wrap_note("recvmsg");
	return mock_ptr_type(wrap_recvmsg_fn)(fd, msg, flags);
}

ssize_t __wrap_recv(int fd, void *buf, size_t len, int flags)
{
	if (!(wrap_mocked & W_RECV))
		return __real_recv(fd, buf, len, flags);
	wrap_note("recv");
	return mock_ptr_type(wrap_recv_fn)(fd, buf, len, flags);
}

int __wrap_getsockopt(int fd, int level, int name, void *val, socklen_t *len)
{
	int ret;

	if (!(wrap_mocked & W_GETSOCKOPT))
		return __real_getsockopt(fd, level, name, val, len);
	wrap_note("getsockopt");
	check_expected(fd);
	check_expected(level);
	check_expected(name);
	ret = mock_type(int);
	if (ret == 0) {
		int v = mock_type(int);

		assert_true(*len >= sizeof(v));
		memcpy(val, &v, sizeof(v));
		*len = sizeof(v);
	}
	return (int)wrap_result(ret);
}
