// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/* Copyright (c) 2026 The luo-memfd authors */
/*
 * luoctl: ask luod what it holds.
 * usage: luoctl [--socket PATH] status [--json]
 * Exit: 0, 1 when luod could not be asked, 2 for usage.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"
#include "luod_proto.h"

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

int main(int argc, char **argv)
{
	static struct luod_entry e[LUOD_MAX_PAYLOAD / 6];
	unsigned char payload[LUOD_MAX_PAYLOAD];
	LUO_OPTS(luo_connect_opts, co);
	size_t plen = sizeof(payload);
	int i, n, json = 0, conn, err, status = 0;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--socket") && i + 1 < argc)
			co.path = argv[++i];
		else if (!strcmp(argv[i], "status"))
			status = 1;
		else if (!strcmp(argv[i], "--json"))
			json = 1;
		else
			status = -1;
	}
	if (status != 1) {
		fprintf(stderr, "usage: luoctl [--socket PATH] status [--json]\n");
		return 2;
	}
	conn = luo_connect(&co);
	if (conn < 0) {
		fprintf(stderr, "luoctl: connect to %s: %s\n", co.path ? co.path : LUOD_SOCKET_PATH,
			luo_strerror_call(LUO_CALL_ANY, conn));
		return 1;
	}
	err = luo__broker_request(conn, LUOD_LIST, NULL, NULL, payload, &plen);
	n = err ? err : luod_decode_list(payload, plen, e, sizeof(e) / sizeof(e[0]));
	close(conn);
	if (n < 0) {
		fprintf(stderr, "luoctl: list sessions: %s\n", luo_strerror_call(LUO_CALL_ANY, n));
		return 1;
	}
	if (json) {
		printf("{\"sessions\":[");
		for (i = 0; i < n; i++)
			printf("%s{\"uid\":%u,\"name\":\"%s\",\"state\":\"%s\"}", i ? "," : "",
			       e[i].uid, e[i].name, state_name(e[i].state));
		printf("]}\n");
		return 0;
	}
	printf("%-10s %-40s %s\n", "UID", "SESSION", "STATE");
	for (i = 0; i < n; i++)
		printf("%-10u %-40s %s\n", e[i].uid, e[i].name, state_name(e[i].state));
	return 0;
}
