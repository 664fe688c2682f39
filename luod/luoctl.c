// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/* Copyright (c) 2026 The luo-memfd authors */
/*
 * luoctl: ask luod what it holds, and orchestrate a kexec.
 *
 * usage: luoctl [--socket PATH] status [--json]
 *        luoctl [--socket PATH] kexec --kernel K [--initrd I] [--append ARGS]
 *               [--timeout SECONDS] [--force] [--no-reboot]
 *
 * kexec loads K (kexec_file_load), has luod ask every watching client to get
 * ready and waits for their answers (default 30 s); if one does not answer it
 * unloads K and fails, unless --force. Then it reboots into K, unless
 * --no-reboot. Exit: 0, 1 on failure (the reason on stderr), 2 for usage.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/reboot.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "internal.h"
#include "luod_proto.h"

#define KEXEC_FILE_UNLOAD_ 0x00000001
#define KEXEC_FILE_NO_INITRAMFS_ 0x00000004

static const char *state_name(uint8_t st)
{
	switch (st) {
	case LUOD_OUTGOING:
		return "outgoing";
	case LUOD_WAITING:
		return "waiting";
	case LUOD_RETRIEVED:
		return "reclaimed";
	}
	return "?";
}

static int usage(void)
{
	fprintf(stderr, "usage: luoctl [--socket PATH] status [--json]\n"
			"       luoctl [--socket PATH] kexec --kernel K [--initrd I] [--append ARGS]\n"
			"              [--timeout SECONDS] [--force] [--no-reboot]\n");
	return 2;
}

/* "-" for what luod cannot tell (a stock kernel, a session not retrieved). */
static void print_count(char *out, size_t size, uint64_t v, uint64_t unknown, int json)
{
	if (v == unknown)
		snprintf(out, size, "%s", json ? "null" : "-");
	else
		snprintf(out, size, "%llu", (unsigned long long)v);
}

static int status(int conn, int json)
{
	static struct luod_entry e[LUOD_MAX_REPLY / 6];
	static unsigned char payload[LUOD_MAX_REPLY];
	size_t plen = sizeof(payload);
	char files[24], bytes[24];
	int i, n;

	n = luo__broker_request(conn, LUOD_STATUS, NULL, NULL, payload, &plen);
	if (!n) {
		n = luod_decode_status(payload, plen, e, sizeof(e) / sizeof(e[0]));
	} else if (n == -EPROTO) { /* a luod from before STATUS */
		plen = sizeof(payload);
		n = luo__broker_request(conn, LUOD_LIST, NULL, NULL, payload, &plen);
		if (!n)
			n = luod_decode_list(payload, plen, e, sizeof(e) / sizeof(e[0]));
	}
	if (n < 0) {
		fprintf(stderr, "luoctl: list sessions: %s\n", luo_strerror_call(LUO_CALL_ANY, n));
		return 1;
	}
	if (json)
		printf("{\"sessions\":[");
	else
		printf("%-10s %-40s %-9s %6s %14s\n", "UID", "SESSION", "STATE", "FILES", "BYTES");
	for (i = 0; i < n; i++) {
		print_count(files, sizeof(files), e[i].files, LUOD_FILES_UNKNOWN, json);
		print_count(bytes, sizeof(bytes), e[i].bytes, LUOD_BYTES_UNKNOWN, json);
		if (json)
			printf("%s{\"uid\":%u,\"name\":\"%s\",\"state\":\"%s\",\"files\":%s,\"bytes\":%s}",
			       i ? "," : "", e[i].uid, e[i].name, state_name(e[i].state), files,
			       bytes);
		else
			printf("%-10u %-40s %-9s %6s %14s\n", e[i].uid, e[i].name,
			       state_name(e[i].state), files, bytes);
	}
	if (json)
		printf("]}\n");
	return 0;
}

static int kexec_load(const char *kernel, const char *initrd, const char *append)
{
	int kfd, ifd = -1, ret;
	unsigned long flags = 0;

	kfd = open(kernel, O_RDONLY | O_CLOEXEC);
	if (kfd < 0) {
		fprintf(stderr, "luoctl: open %s: %s\n", kernel, strerror(errno));
		return -1;
	}
	if (initrd) {
		ifd = open(initrd, O_RDONLY | O_CLOEXEC);
		if (ifd < 0) {
			fprintf(stderr, "luoctl: open %s: %s\n", initrd, strerror(errno));
			close(kfd);
			return -1;
		}
	} else {
		flags |= KEXEC_FILE_NO_INITRAMFS_;
	}
	ret = (int)syscall(SYS_kexec_file_load, kfd, ifd, strlen(append) + 1, append, flags);
	if (ret < 0)
		fprintf(stderr, "luoctl: load %s (kexec_file_load): %s\n", kernel, strerror(errno));
	close(kfd);
	if (ifd >= 0)
		close(ifd);
	return ret;
}

static void kexec_unload(void)
{
	if (syscall(SYS_kexec_file_load, -1, -1, 0UL, NULL, (unsigned long)KEXEC_FILE_UNLOAD_) < 0)
		fprintf(stderr, "luoctl: unload the kernel: %s\n", strerror(errno));
}

/* Interrupted while clients get ready: leave no kernel loaded behind. */
static void on_signal(int sig)
{
	static const char msg[] = "luoctl: interrupted: kernel unloaded\n";

	(void)sig;
	syscall(SYS_kexec_file_load, -1, -1, 0UL, NULL, (unsigned long)KEXEC_FILE_UNLOAD_);
	if (write(2, msg, sizeof(msg) - 1) < 0)
		_exit(1);
	_exit(1);
}

static int kexec(int conn, const char *kernel, const char *initrd, const char *append,
		 unsigned int timeout_s, int force, int no_reboot)
{
	unsigned char payload[8 + 4 * 64];
	size_t plen = sizeof(payload);
	uint32_t asked = 0, ready = 0, pid;
	size_t i;
	int err;

	if (kexec_load(kernel, initrd, append) < 0)
		return 1;
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGHUP, on_signal);
	err = luo__broker_request_u32(conn, LUOD_PREPARE, timeout_s * 1000, payload, &plen);
	if ((err == 0 || err == -ETIMEDOUT) && plen >= 8) {
		memcpy(&asked, payload, 4);
		memcpy(&ready, payload + 4, 4);
		for (i = 8; i + 4 <= plen; i += 4) {
			memcpy(&pid, payload + i, 4);
			fprintf(stderr, "luoctl: client pid %u did not say it is ready\n", pid);
		}
	}
	if (err && err != -ETIMEDOUT) {
		fprintf(stderr, "luoctl: ask luod to prepare: %s\n",
			luo_strerror_call(LUO_CALL_ANY, err));
		kexec_unload();
		return 1;
	}
	printf("luoctl: %u of %u watching client(s) ready\n", ready, asked);
	if (err && !force) {
		fprintf(stderr, "luoctl: not every client is ready: kexec aborted, kernel unloaded (--force to go on)\n");
		kexec_unload();
		return 1;
	}
	if (no_reboot) {
		printf("luoctl: %s loaded; not rebooting (--no-reboot)\n", kernel);
		return 0;
	}
	sync();
	reboot(RB_KEXEC);
	fprintf(stderr, "luoctl: reboot into %s: %s (kernel unloaded)\n", kernel, strerror(errno));
	kexec_unload();
	return 1;
}

int main(int argc, char **argv)
{
	LUO_OPTS(luo_connect_opts, co);
	const char *cmd = NULL, *kernel = NULL, *initrd = NULL, *append = "";
	unsigned int timeout_s = 30;
	int i, json = 0, force = 0, no_reboot = 0, conn, ret;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--socket") && i + 1 < argc)
			co.path = argv[++i];
		else if (!strcmp(argv[i], "--kernel") && i + 1 < argc)
			kernel = argv[++i];
		else if (!strcmp(argv[i], "--initrd") && i + 1 < argc)
			initrd = argv[++i];
		else if (!strcmp(argv[i], "--append") && i + 1 < argc)
			append = argv[++i];
		else if (!strcmp(argv[i], "--timeout") && i + 1 < argc)
			timeout_s = (unsigned int)strtoul(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--json"))
			json = 1;
		else if (!strcmp(argv[i], "--force"))
			force = 1;
		else if (!strcmp(argv[i], "--no-reboot"))
			no_reboot = 1;
		else if (!cmd && (!strcmp(argv[i], "status") || !strcmp(argv[i], "kexec")))
			cmd = argv[i];
		else
			return usage();
	}
	if (!cmd || (!strcmp(cmd, "kexec") && (!kernel || json)) ||
	    (!strcmp(cmd, "status") && (kernel || initrd || force || no_reboot)) ||
	    timeout_s == 0 || timeout_s > 600)
		return usage();
	conn = luo_connect(&co);
	if (conn < 0) {
		fprintf(stderr, "luoctl: connect to %s: %s\n", co.path ? co.path : LUOD_SOCKET_PATH,
			luo_strerror_call(LUO_CALL_ANY, conn));
		return 1;
	}
	ret = !strcmp(cmd, "status") ? status(conn, json)
				     : kexec(conn, kernel, initrd, append, timeout_s, force, no_reboot);
	close(conn);
	return ret;
}
