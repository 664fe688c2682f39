// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * luo_probe(), luo_is_available(), luo_is_live_update_boot() against a fake
 * root directory laid out like the kernel's: dev/liveupdate,
 * sys/kernel/debug/kho/in/sub_fdts/LUO, proc/cmdline.
 */
#define _XOPEN_SOURCE 700
#include "wrap.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "libluo.h"

static char root[64];

static int probe_setup(void **state)
{
	wrap_reset(state);
	strcpy(root, "/tmp/libluo-probe-XXXXXX");
	return mkdtemp(root) ? 0 : -1;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int probe_teardown(void **state)
{
	(void)state;
	wrap_reset(state);
	return nftw(root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* root + rel in one of 8 rotating static buffers (expect_string() keeps
 * the pointer until the call is checked). */
static const char *at(const char *rel)
{
	static char bufs[8][PATH_MAX];
	static unsigned int next;
	char *buf = bufs[next++ % 8];

	snprintf(buf, PATH_MAX, "%s%s", root, rel);
	return buf;
}

static void mkdirs(const char *rel)
{
	char path[PATH_MAX], *p;

	snprintf(path, sizeof(path), "%s%s", root, rel);
	for (p = path + strlen(root) + 1; *p; p++) {
		if (*p == '/') {
			*p = '\0';
			mkdir(path, 0755);
			*p = '/';
		}
	}
	assert_true(mkdir(path, 0755) == 0 || errno == EEXIST);
}

static void write_file(const char *rel, const char *text)
{
	FILE *f = fopen(at(rel), "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

/* dev/liveupdate as a (faked) character device. */
static void make_device(void)
{
	static char dev[PATH_MAX];

	mkdirs("/dev");
	write_file("/dev/liveupdate", "");
	snprintf(dev, sizeof(dev), "%s/dev/liveupdate", root);
	wrap_fake_chrdev = dev;
}

static void make_cmdline(const char *text)
{
	mkdirs("/proc");
	write_file("/proc/cmdline", text);
}

static int probe(uint64_t flags, struct luo_probe_result *r)
{
	LUO_OPTS(luo_probe_opts, o, .root = root, .flags = flags);

	memset(r, 0x3c, sizeof(*r));
	r->sz = sizeof(*r);
	return luo_probe(&o, r);
}

static int available(uint64_t flags)
{
	LUO_OPTS(luo_probe_opts, o, .root = root, .flags = flags);

	return luo_is_available(&o);
}

static int lu_boot(uint64_t flags)
{
	LUO_OPTS(luo_probe_opts, o, .root = root, .flags = flags);

	return luo_is_live_update_boot(&o);
}

static void expect_open(const char *path, int flags, int ret)
{
	wrap_mocked |= W_OPEN;
	expect_string(__wrap_open, path, path);
	expect_value(__wrap_open, flags, flags);
	will_return(__wrap_open, ret);
}

/* ---- device ---- */

static void empty_root(void **state)
{
	struct luo_probe_result r;

	(void)state;
	assert_int_equal(probe(0, &r), 0);
	assert_int_equal(r.sz, sizeof(r));
	assert_int_equal(r.flags, 0);
	assert_int_equal(r.dev_err, 0);
	assert_int_equal(r.open_err, 0);
	assert_int_equal(r.kho_err, 0);
	assert_int_equal(r.cmdline_err, 0);
	assert_int_equal(available(0), 0);
	assert_int_equal(lu_boot(0), -ENODATA);
}

static void device_regular_file_is_not_device(void **state)
{
	struct luo_probe_result r;

	(void)state;
	mkdirs("/dev");
	write_file("/dev/liveupdate", "");
	assert_int_equal(probe(0, &r), 0);
	assert_int_equal(r.flags, 0);
	assert_int_equal(available(0), 0);
}

static void device_present(void **state)
{
	struct luo_probe_result r;

	(void)state;
	make_device();
	assert_int_equal(probe(0, &r), 0);
	assert_int_equal(r.flags, LUO_PROBE_DEVICE_NODE);
	assert_int_equal(available(0), 1);
}

static void device_trial_open_succeeds(void **state)
{
	struct luo_probe_result r;
	char dev[PATH_MAX];

	(void)state;
	make_device();
	snprintf(dev, sizeof(dev), "%s/dev/liveupdate", root);
	expect_open(dev, O_RDWR | O_CLOEXEC, 77);
	wrap_mocked |= W_CLOSE;
	expect_value(__wrap_close, fd, 77);
	expect_open(at("/proc/cmdline"), O_RDONLY | O_CLOEXEC, -ENOENT);
	assert_int_equal(probe(LUO_PROBE_TRY_OPEN, &r), 0);
	assert_int_equal(r.flags, LUO_PROBE_DEVICE_NODE | LUO_PROBE_DEVICE_OPENED);
	assert_int_equal(r.open_err, 0);
}

static void device_trial_open_busy(void **state)
{
	struct luo_probe_result r;
	char dev[PATH_MAX];

	(void)state;
	make_device();
	snprintf(dev, sizeof(dev), "%s/dev/liveupdate", root);
	expect_open(dev, O_RDWR | O_CLOEXEC, -EBUSY);
	expect_open(at("/proc/cmdline"), O_RDONLY | O_CLOEXEC, -ENOENT);
	assert_int_equal(probe(LUO_PROBE_TRY_OPEN, &r), 0);
	assert_int_equal(r.flags, LUO_PROBE_DEVICE_NODE | LUO_PROBE_DEVICE_BUSY);
	assert_int_equal(r.open_err, -EBUSY);
	expect_open(dev, O_RDWR | O_CLOEXEC, -EBUSY);
	expect_open(at("/proc/cmdline"), O_RDONLY | O_CLOEXEC, -ENOENT);
	assert_int_equal(available(LUO_PROBE_TRY_OPEN), 1);
}

static void available_trial_open_results(void **state)
{
	static const struct {
		int err;
		int want;
	} cases[] = {
		{ 0, 1 },           { -ENOENT, 0 }, { -ENXIO, 0 },  { -ENODEV, 0 },
		{ -EACCES, -EACCES }, { -EIO, -EIO }, { -EPERM, -EPERM },
	};
	char dev[PATH_MAX];
	size_t i;

	(void)state;
	make_device();
	snprintf(dev, sizeof(dev), "%s/dev/liveupdate", root);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		expect_open(dev, O_RDWR | O_CLOEXEC, cases[i].err ? cases[i].err : 50);
		if (!cases[i].err) {
			wrap_mocked |= W_CLOSE;
			expect_value(__wrap_close, fd, 50);
		}
		expect_open(at("/proc/cmdline"), O_RDONLY | O_CLOEXEC, -ENOENT);
		assert_int_equal(available(LUO_PROBE_TRY_OPEN), cases[i].want);
	}
}

static void no_trial_open_without_node(void **state)
{
	struct luo_probe_result r;

	(void)state;
	/* Only the command line may be opened. */
	expect_open(at("/proc/cmdline"), O_RDONLY | O_CLOEXEC, -ENOENT);
	assert_int_equal(probe(LUO_PROBE_TRY_OPEN, &r), 0);
	assert_int_equal(r.flags, 0);
	assert_int_equal(r.open_err, 0);
}

static void device_stat_error(void **state)
{
	struct luo_probe_result r;
	struct stat dir;

	(void)state;
	memset(&dir, 0, sizeof(dir));
	dir.st_mode = S_IFDIR | 0755;
	wrap_mocked |= W_STAT;
	expect_string(__wrap_stat, path, at("/dev/liveupdate"));
	will_return(__wrap_stat, -EACCES);
	expect_string(__wrap_stat, path, at("/sys/kernel/debug/kho"));
	will_return(__wrap_stat, -ENOENT);
	assert_int_equal(probe(0, &r), 0);
	assert_int_equal(r.dev_err, -EACCES);
	assert_int_equal(r.flags, 0);

	expect_string(__wrap_stat, path, at("/dev/liveupdate"));
	will_return(__wrap_stat, -ELOOP);
	expect_string(__wrap_stat, path, at("/sys/kernel/debug/kho"));
	will_return(__wrap_stat, -ENOENT);
	assert_int_equal(available(0), -ELOOP);
}

/* ---- KHO debugfs ---- */

static void kho_debugfs_without_in(void **state)
{
	struct luo_probe_result r;

	(void)state;
	mkdirs("/sys/kernel/debug/kho/out");
	assert_int_equal(probe(0, &r), 0);
	assert_int_equal(r.flags, LUO_PROBE_KHO_DEBUGFS);
	assert_int_equal(lu_boot(0), 0);
}

static void kho_in_without_luo(void **state)
{
	struct luo_probe_result r;

	(void)state;
	mkdirs("/sys/kernel/debug/kho/in/sub_fdts");
	assert_int_equal(probe(0, &r), 0);
	assert_int_equal(r.flags, LUO_PROBE_KHO_DEBUGFS | LUO_PROBE_KHO_IN);
	assert_int_equal(lu_boot(0), 0);
}

static void kho_in_with_luo(void **state)
{
	struct luo_probe_result r;

	(void)state;
	mkdirs("/sys/kernel/debug/kho/in/sub_fdts");
	write_file("/sys/kernel/debug/kho/in/sub_fdts/LUO", "blob");
	assert_int_equal(probe(0, &r), 0);
	assert_int_equal(r.flags,
			 LUO_PROBE_KHO_DEBUGFS | LUO_PROBE_KHO_IN | LUO_PROBE_KHO_IN_LUO);
	assert_int_equal(lu_boot(0), 1);
}

static void kho_as_file_is_not_debugfs(void **state)
{
	struct luo_probe_result r;

	(void)state;
	mkdirs("/sys/kernel/debug");
	write_file("/sys/kernel/debug/kho", "");
	assert_int_equal(probe(0, &r), 0);
	assert_int_equal(r.flags, 0);
	assert_int_equal(lu_boot(0), -ENODATA);
}

static void kho_stat_errors(void **state)
{
	struct luo_probe_result r;
	struct stat dir;

	(void)state;
	memset(&dir, 0, sizeof(dir));
	dir.st_mode = S_IFDIR | 0700;
	wrap_mocked |= W_STAT;
	/* debugfs is root-only: stat of anything below it fails EACCES. */
	expect_string(__wrap_stat, path, at("/dev/liveupdate"));
	will_return(__wrap_stat, -ENOENT);
	expect_string(__wrap_stat, path, at("/sys/kernel/debug/kho"));
	will_return(__wrap_stat, -EACCES);
	assert_int_equal(probe(0, &r), 0);
	assert_int_equal(r.kho_err, -EACCES);
	assert_int_equal(r.flags, 0);

	expect_string(__wrap_stat, path, at("/dev/liveupdate"));
	will_return(__wrap_stat, -ENOENT);
	expect_string(__wrap_stat, path, at("/sys/kernel/debug/kho"));
	will_return(__wrap_stat, 0);
	will_return(__wrap_stat, &dir);
	expect_string(__wrap_stat, path, at("/sys/kernel/debug/kho/in"));
	will_return(__wrap_stat, 0);
	will_return(__wrap_stat, &dir);
	expect_string(__wrap_stat, path, at("/sys/kernel/debug/kho/in/sub_fdts/LUO"));
	will_return(__wrap_stat, -EIO);
	assert_int_equal(lu_boot(0), -EIO);
}

static void live_update_boot_never_opens_device(void **state)
{
	(void)state;
	make_device();
	mkdirs("/sys/kernel/debug/kho/in/sub_fdts");
	write_file("/sys/kernel/debug/kho/in/sub_fdts/LUO", "");
	/* Only the command line is opened, even with LUO_PROBE_TRY_OPEN. */
	expect_open(at("/proc/cmdline"), O_RDONLY | O_CLOEXEC, -ENOENT);
	assert_int_equal(lu_boot(LUO_PROBE_TRY_OPEN), 1);
}

/* ---- command line ---- */

static uint64_t cmdline_flags(const char *text)
{
	struct luo_probe_result r;

	make_cmdline(text);
	assert_int_equal(probe(0, &r), 0);
	assert_int_equal(r.cmdline_err, 0);
	assert_true(r.flags & LUO_PROBE_CMDLINE);
	return r.flags & ~LUO_PROBE_CMDLINE;
}

#define LU_ON LUO_PROBE_CMDLINE_LIVEUPDATE_ON
#define LU_OFF LUO_PROBE_CMDLINE_LIVEUPDATE_OFF
#define KHO_ON LUO_PROBE_CMDLINE_KHO_ON
#define KHO_OFF LUO_PROBE_CMDLINE_KHO_OFF

static void cmdline_on(void **state)
{
	(void)state;
	assert_int_equal(cmdline_flags("console=ttyS0 liveupdate=on kho=on\n"),
			 LU_ON | KHO_ON);
}

static void cmdline_absent(void **state)
{
	(void)state;
	assert_int_equal(cmdline_flags("console=ttyS0 quiet\n"), 0);
	assert_int_equal(cmdline_flags(""), 0);
}

/* kstrtobool(): y/Y/t/T/1/e/E true, n/N/f/F/0/d/D false, on/off. */
static void cmdline_boolean_spellings(void **state)
{
	static const char *yes[] = { "1", "y", "Y", "yes", "t", "true", "T", "e",
				     "enable", "E", "on", "ON", "oN" };
	static const char *no[] = { "0", "n", "N", "no", "f", "false", "F", "d",
				    "disable", "D", "off", "OFF", "of" };
	static const char *neither[] = { "", "2", "x", "o", "ox", "-1", "maybe" };
	char line[64];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		snprintf(line, sizeof(line), "liveupdate=%s\n", yes[i]);
		assert_int_equal(cmdline_flags(line), LU_ON);
	}
	for (i = 0; i < sizeof(no) / sizeof(no[0]); i++) {
		snprintf(line, sizeof(line), "kho=%s\n", no[i]);
		assert_int_equal(cmdline_flags(line), KHO_OFF);
	}
	for (i = 0; i < sizeof(neither) / sizeof(neither[0]); i++) {
		snprintf(line, sizeof(line), "liveupdate=%s kho=%s\n", neither[i],
			 neither[i]);
		assert_int_equal(cmdline_flags(line), 0);
	}
}

static void cmdline_last_one_wins(void **state)
{
	(void)state;
	assert_int_equal(cmdline_flags("liveupdate=1 kho=0 liveupdate=off kho=on"),
			 LU_OFF | KHO_ON);
	/* An invalid later value leaves the earlier one in force. */
	assert_int_equal(cmdline_flags("liveupdate=on liveupdate=bogus"), LU_ON);
}

static void cmdline_without_value(void **state)
{
	(void)state;
	assert_int_equal(cmdline_flags("liveupdate kho"), 0);
	assert_int_equal(cmdline_flags("liveupdate= kho="), 0);
}

static void cmdline_stops_at_double_dash(void **state)
{
	(void)state;
	assert_int_equal(cmdline_flags("kho=on -- liveupdate=on"), KHO_ON);
	assert_int_equal(cmdline_flags("--liveupdate=on"), 0);
}

static void cmdline_quotes(void **state)
{
	(void)state;
	assert_int_equal(cmdline_flags("\"liveupdate=on\""), LU_ON);
	assert_int_equal(cmdline_flags("liveupdate=\"yes\""), LU_ON);
	/* Inside another parameter's quoted value: not a parameter. */
	assert_int_equal(cmdline_flags("foo=\"a liveupdate=on b\" kho=n"), KHO_OFF);
}

static void cmdline_exact_names_and_whitespace(void **state)
{
	(void)state;
	assert_int_equal(cmdline_flags("xliveupdate=on liveupdate_x=on kho_scratch=1 khoo=1"),
			 0);
	assert_int_equal(cmdline_flags("  \tliveupdate=on\t\tkho=y \n"), LU_ON | KHO_ON);
	assert_int_equal(cmdline_flags("a\nliveupdate=on\rkho=1\v"), LU_ON | KHO_ON);
}

static void cmdline_unterminated_quotes(void **state)
{
	(void)state;
	/* The kernel keeps the text after an unclosed quote as it is. */
	assert_int_equal(cmdline_flags("liveupdate=\"on"), LU_ON);
	assert_int_equal(cmdline_flags("\"kho=off"), KHO_OFF);
	assert_int_equal(cmdline_flags("\"kho=off liveupdate=on"), KHO_OFF);
	assert_int_equal(cmdline_flags("\fkho=1\f"), KHO_ON);
}

static void cmdline_longer_than_buffer(void **state)
{
	static char line[6000];

	(void)state;
	/* Only the first 4096 bytes are read; a parameter past them is not. */
	strcpy(line, "kho=1 ");
	memset(line + 6, 'x', 4200);
	strcpy(line + 4206, " liveupdate=on\n");
	assert_int_equal(cmdline_flags(line), KHO_ON);
}

static void paths_below_a_file(void **state)
{
	struct luo_probe_result r;

	(void)state;
	/* dev, sys and proc are files: stat() and open() fail ENOTDIR, which
	 * means "absent", not an error. */
	write_file("/dev", "");
	write_file("/sys", "");
	write_file("/proc", "");
	assert_int_equal(probe(0, &r), 0);
	assert_int_equal(r.flags, 0);
	assert_int_equal(r.dev_err, 0);
	assert_int_equal(r.kho_err, 0);
	assert_int_equal(r.cmdline_err, 0);
}

static void older_smaller_opts(void **state)
{
	struct luo_probe_opts o;
	struct luo_probe_result r = { .sz = sizeof(r) };

	(void)state;
	/* sz covers root only: flags (garbage) must read as zero, so the
	 * device is not opened (W_OPEN mocked: only the command line is). */
	memset(&o, 0xff, sizeof(o));
	o.sz = sizeof(size_t) + sizeof(const char *);
	o.root = root;
	make_device();
	expect_open(at("/proc/cmdline"), O_RDONLY | O_CLOEXEC, -ENOENT);
	assert_int_equal(luo_probe(&o, &r), 0);
	assert_int_equal(r.flags, LUO_PROBE_DEVICE_NODE);
	expect_open(at("/proc/cmdline"), O_RDONLY | O_CLOEXEC, -ENOENT);
	assert_int_equal(luo_is_live_update_boot(&o), -ENODATA);
}

static void cmdline_long_line(void **state)
{
	char line[4200];

	(void)state;
	/* 4000 bytes of other parameters before ours (COMMAND_LINE_SIZE is
	 * 2048 on x86, 4096 on some architectures). */
	memset(line, 'x', 4000);
	line[0] = 'a';
	line[1] = '=';
	strcpy(line + 4000, " liveupdate=on\n");
	assert_int_equal(cmdline_flags(line), LU_ON);
}

static void cmdline_open_error(void **state)
{
	struct luo_probe_result r;

	(void)state;
	expect_open(at("/proc/cmdline"), O_RDONLY | O_CLOEXEC, -EACCES);
	assert_int_equal(probe(0, &r), 0);
	assert_int_equal(r.cmdline_err, -EACCES);
	assert_false(r.flags & LUO_PROBE_CMDLINE);
}

static void cmdline_read_error_closes(void **state)
{
	struct luo_probe_result r;

	(void)state;
	expect_open(at("/proc/cmdline"), O_RDONLY | O_CLOEXEC, 33);
	wrap_mocked |= W_READ | W_CLOSE;
	expect_value(__wrap_read, fd, 33);
	will_return(__wrap_read, (ssize_t)-EIO);
	expect_value(__wrap_close, fd, 33);
	assert_int_equal(probe(0, &r), 0);
	assert_int_equal(r.cmdline_err, -EIO);
	assert_false(r.flags & LUO_PROBE_CMDLINE);
	assert_string_equal(wrap_log, "open read close");
}

static void cmdline_read_in_pieces_and_eintr(void **state)
{
	struct luo_probe_result r;

	(void)state;
	expect_open(at("/proc/cmdline"), O_RDONLY | O_CLOEXEC, 33);
	wrap_mocked |= W_READ | W_CLOSE;
	expect_value(__wrap_read, fd, 33);
	will_return(__wrap_read, (ssize_t)7);
	will_return(__wrap_read, "liveupd");
	expect_value(__wrap_read, fd, 33);
	will_return(__wrap_read, (ssize_t)-EINTR);
	expect_value(__wrap_read, fd, 33);
	will_return(__wrap_read, (ssize_t)10);
	will_return(__wrap_read, "ate=on kho");
	expect_value(__wrap_read, fd, 33);
	will_return(__wrap_read, (ssize_t)3);
	will_return(__wrap_read, "=0\n");
	expect_value(__wrap_read, fd, 33);
	will_return(__wrap_read, (ssize_t)0);
	expect_value(__wrap_close, fd, 33);
	assert_int_equal(probe(0, &r), 0);
	assert_int_equal(r.cmdline_err, 0);
	assert_int_equal(r.flags, LUO_PROBE_CMDLINE | LU_ON | KHO_OFF);
}

/* ---- structures and arguments ---- */

static void default_root_is_slash(void **state)
{
	struct luo_probe_result r = { .sz = sizeof(r) };

	(void)state;
	wrap_mocked |= W_STAT;
	expect_string(__wrap_stat, path, "/dev/liveupdate");
	will_return(__wrap_stat, -ENOENT);
	expect_string(__wrap_stat, path, "/sys/kernel/debug/kho");
	will_return(__wrap_stat, -ENOENT);
	expect_open("/proc/cmdline", O_RDONLY | O_CLOEXEC, -ENOENT);
	assert_int_equal(luo_probe(NULL, &r), 0);
	assert_int_equal(r.flags, 0);
}

static void root_trailing_slashes(void **state)
{
	LUO_OPTS(luo_probe_opts, o);
	struct luo_probe_result r = { .sz = sizeof(r) };
	char slashed[80];

	(void)state;
	snprintf(slashed, sizeof(slashed), "%s//", root);
	o.root = slashed;
	mkdirs("/sys/kernel/debug/kho");
	assert_int_equal(luo_probe(&o, &r), 0);
	assert_int_equal(r.flags, LUO_PROBE_KHO_DEBUGFS);
	/* "/" as root is the plain path. */
	o.root = "/";
	wrap_mocked |= W_STAT | W_OPEN;
	expect_string(__wrap_stat, path, "/dev/liveupdate");
	will_return(__wrap_stat, -ENOENT);
	expect_string(__wrap_stat, path, "/sys/kernel/debug/kho");
	will_return(__wrap_stat, -ENOENT);
	expect_open("/proc/cmdline", O_RDONLY | O_CLOEXEC, -ENOENT);
	assert_int_equal(luo_probe(&o, &r), 0);
}

static void root_too_long(void **state)
{
	LUO_OPTS(luo_probe_opts, o);
	struct luo_probe_result r = { .sz = sizeof(r) };
	static char longroot[PATH_MAX];

	(void)state;
	memset(longroot, 'r', sizeof(longroot) - 1);
	o.root = longroot;
	wrap_mocked |= W_STAT | W_OPEN;
	assert_int_equal(luo_probe(&o, &r), -ENAMETOOLONG);
	assert_int_equal(luo_is_available(&o), -ENAMETOOLONG);
	assert_int_equal(luo_is_live_update_boot(&o), -ENAMETOOLONG);
	/* PATH_MAX - 64 bytes is still accepted. */
	longroot[PATH_MAX - 64] = '\0';
	wrap_mocked = 0;
	assert_int_equal(luo_probe(&o, &r), 0);
	assert_int_equal(r.flags, 0);
}

static void bad_arguments(void **state)
{
	LUO_OPTS(luo_probe_opts, o, .flags = 2);
	struct luo_probe_result r = { .sz = sizeof(r) };
	struct {
		struct luo_probe_opts o;
		uint32_t future;
	} n;

	(void)state;
	wrap_mocked |= W_STAT | W_OPEN;
	assert_int_equal(luo_probe(&o, &r), -EINVAL);
	assert_int_equal(luo_is_available(&o), -EINVAL);
	assert_int_equal(luo_is_live_update_boot(&o), -EINVAL);
	assert_int_equal(luo_probe(NULL, NULL), -EINVAL);
	r.sz = 0;
	assert_int_equal(luo_probe(NULL, &r), -EINVAL);
	r.sz = 4097;
	assert_int_equal(luo_probe(NULL, &r), -E2BIG);
	memset(&n, 0, sizeof(n));
	n.o.sz = sizeof(n);
	n.future = 9;
	r.sz = sizeof(r);
	assert_int_equal(luo_probe(&n.o, &r), -E2BIG);
	assert_int_equal(luo_is_available(&n.o), -E2BIG);
	assert_int_equal(luo_is_live_update_boot(&n.o), -E2BIG);
	n.o.sz = 3;
	assert_int_equal(luo_is_live_update_boot(&n.o), -EINVAL);
}

static void result_smaller_struct(void **state)
{
	LUO_OPTS(luo_probe_opts, o, .root = root);
	struct luo_probe_result r;
	size_t known = sizeof(size_t) + sizeof(uint64_t); /* sz, flags */

	(void)state;
	mkdirs("/sys/kernel/debug/kho");
	memset(&r, 0x4d, sizeof(r));
	r.sz = known;
	assert_int_equal(luo_probe(&o, &r), 0);
	assert_int_equal(r.flags, LUO_PROBE_KHO_DEBUGFS);
	assert_int_equal((uint32_t)r.dev_err, 0x4d4d4d4dU);
	assert_int_equal((uint32_t)r.cmdline_err, 0x4d4d4d4dU);
}

static void result_larger_struct(void **state)
{
	LUO_OPTS(luo_probe_opts, o, .root = root);
	struct {
		struct luo_probe_result r;
		unsigned char future[16];
	} n;
	unsigned char zero[16] = { 0 };

	(void)state;
	memset(&n, 0x4d, sizeof(n));
	n.r.sz = sizeof(n);
	assert_int_equal(luo_probe(&o, &n.r), 0);
	assert_int_equal(n.r.flags, 0);
	assert_int_equal(n.r.kho_err, 0);
	assert_memory_equal(n.future, zero, sizeof(zero));
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, probe_setup, probe_teardown)

DEFINE_TESTS(probe,
	T(empty_root),
	T(device_regular_file_is_not_device),
	T(device_present),
	T(device_trial_open_succeeds),
	T(device_trial_open_busy),
	T(available_trial_open_results),
	T(no_trial_open_without_node),
	T(device_stat_error),
	T(kho_debugfs_without_in),
	T(kho_in_without_luo),
	T(kho_in_with_luo),
	T(kho_as_file_is_not_debugfs),
	T(kho_stat_errors),
	T(live_update_boot_never_opens_device),
	T(cmdline_on),
	T(cmdline_absent),
	T(cmdline_boolean_spellings),
	T(cmdline_last_one_wins),
	T(cmdline_without_value),
	T(cmdline_stops_at_double_dash),
	T(cmdline_quotes),
	T(cmdline_exact_names_and_whitespace),
	T(cmdline_long_line),
	T(cmdline_unterminated_quotes),
	T(cmdline_longer_than_buffer),
	T(paths_below_a_file),
	T(older_smaller_opts),
	T(cmdline_open_error),
	T(cmdline_read_error_closes),
	T(cmdline_read_in_pieces_and_eintr),
	T(default_root_is_slash),
	T(root_trailing_slashes),
	T(root_too_long),
	T(bad_arguments),
	T(result_smaller_struct),
	T(result_larger_struct));
