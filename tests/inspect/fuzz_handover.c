// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * libFuzzer target for luo-inspect's decoder. The first byte picks what
 * the rest is: a root FDT (ho_parse_root(), then every string it kept
 * through ho_json_string()), or the blob of one of the entry names the
 * decoder knows (ho_decode_blob()).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../inspect/handover.h"

static const char *const names[] = {
	"LUO", "LUO-file-memory", "kexec-metadata", "memblock",
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ho_root root;
	char err[HO_TEXT_MAX], js[4 * HO_NAME_MAX + 8];
	struct ho_blob blob;
	void *copy;
	int i;

	if (!size)
		return 0;
	/*
	 * An exact-size copy: ASan sees every overread in our code. Debian's
	 * libfdt is not instrumented: reads inside it are not checked.
	 */
	copy = malloc(size - 1 ? size - 1 : 1);
	if (!copy)
		return 0;
	memcpy(copy, data + 1, size - 1);
	if (data[0] < 0x80) {
		if (!ho_parse_root(copy, size - 1, &root, err, sizeof(err))) {
			ho_json_string(js, sizeof(js), root.compatible);
			for (i = 0; i < root.nr_entries; i++) {
				ho_json_string(js, sizeof(js), root.entries[i].name);
				ho_json_string(js, sizeof(js), root.entries[i].problem);
			}
		} else {
			ho_json_string(js, sizeof(js), err);
		}
	} else {
		ho_decode_blob(names[data[0] % 4], copy, size - 1, &blob);
		ho_json_string(js, sizeof(js), blob.compatible);
		ho_json_string(js, sizeof(js), blob.problem);
	}
	free(copy);
	return 0;
}
