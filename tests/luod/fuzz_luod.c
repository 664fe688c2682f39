// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/* Copyright (c) 2026 The luo-memfd authors */
/*
 * libFuzzer target: every decoder luod and libluo run on bytes from
 * another process or the previous kernel. The first byte picks the decoder.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "fdinfo.h"
#include "luod_proto.h"
#include "registry.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct luod_owner owners[LUOD_REG_MAX];
	static struct luod_entry e[64];
	static unsigned char reg[LUOD_REG_SIZE];
	struct luod_req req;
	const void *p;
	size_t plen;

	if (size < 1)
		return 0;
	switch (data[0] % 6) {
	case 0:
		luod_decode_req(data + 1, size - 1, &req);
		break;
	case 1:
		luod_decode_reply(data + 1, size - 1, LUOD_CREATE, 1, &p, &plen);
		break;
	case 2:
		luod_decode_list(data + 1, size - 1, e, 64);
		break;
	case 3:
		/* The record is a fixed-size memfd: the input is its head. */
		memset(reg, 0, sizeof(reg));
		memcpy(reg, data + 1, size - 1 < sizeof(reg) ? size - 1 : sizeof(reg));
		luod_reg_decode(reg, sizeof(reg), owners);
		break;
	case 4:
		luod_decode_status(data + 1, size - 1, e, 64);
		break;
	case 5: {
		uint32_t files;
		uint64_t bytes;

		luod_fdinfo_parse((const char *)data + 1, size - 1, &files, &bytes);
		break;
	}
	}
	return 0;
}
