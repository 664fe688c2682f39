/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * Decoding of a kexec handover (KHO) as Linux 7.3 shows it in debugfs: the
 * root FDT (kho/{in,out}/fdt) and the blobs its entries point to
 * (kho/{in,out}/sub_fdts/NAME). Pure functions over buffers, so that the
 * parser can be fuzzed and unit-tested without a kernel; every length,
 * string and count in the input is checked before use.
 */
#ifndef LUO_INSPECT_HANDOVER_H
#define LUO_INSPECT_HANDOVER_H

#include <stddef.h>
#include <stdint.h>

/* Entries of the root FDT kept; more are counted in ho_root.nr_dropped. */
#define HO_MAX_ENTRIES 64
#define HO_NAME_MAX 256	/* NAME_MAX + 1: also a debugfs file name */
#define HO_TEXT_MAX 160

/* One subnode of the root FDT: a subsystem's preserved blob. */
struct ho_entry {
	char name[HO_NAME_MAX];
	uint64_t phys;		/* "preserved-data" */
	uint64_t size;		/* "blob-size" */
	int have_phys, have_size;
	char problem[HO_TEXT_MAX];	/* "" when both are well formed */
};

/* The root FDT. */
struct ho_root {
	uint32_t totalsize;
	char compatible[HO_NAME_MAX];	/* "" if absent */
	uint64_t mem_map;		/* "preserved-memory-map" */
	int have_mem_map;
	char problem[HO_TEXT_MAX];	/* "" when compatible and map are fine */
	int nr_entries;
	int nr_dropped;
	struct ho_entry entries[HO_MAX_ENTRIES];
};

enum ho_kind {
	HO_UNKNOWN,	/* not one we decode, not an FDT */
	HO_BAD,		/* one we decode, malformed (or an FDT that is not
			 * valid): see problem */
	HO_LUO,		/* "LUO": struct luo_ser */
	HO_FILE_MEM,	/* "LUO-file-memory": struct luo_file_mem_ser */
	HO_METADATA,	/* "kexec-metadata": struct kho_kexec_metadata */
	HO_FDT,		/* any other blob that is a valid FDT */
};

struct ho_blob {
	enum ho_kind kind;
	char problem[HO_TEXT_MAX];
	char compatible[HO_NAME_MAX];	/* LUO, FILE_MEM, FDT (root's, or "") */
	union {
		struct {
			uint64_t number;	/* live update number */
			uint64_t sessions_pa;
			uint64_t flbs_pa;
		} luo;
		struct {
			uint64_t count;		/* files with a record */
		} file_mem;
		struct {
			uint32_t version;
			uint32_t kexec_count;
			char release[65];	/* previous kernel's uname -r */
		} meta;
		struct {
			uint32_t totalsize;
			int nodes;		/* every node, the root too */
		} fdt;
	} u;
};

/**
 * ho_parse_root() - Check and decode a KHO root FDT.
 * @buf: the bytes read from kho/{in,out}/fdt.
 * @len: their number.
 * @out: filled on success (and zeroed first in any case).
 * @err: a message naming what is wrong, on failure.
 * @errlen: size of @err.
 *
 * The FDT must be version 16 or 17 and pass libfdt's fdt_check_full()
 * within @len bytes. A root whose compatible is not "kho-v4" or that has no
 * preserved-memory-map, and an entry whose properties are missing or of the
 * wrong size, are kept with a problem, not an error: the rest of the
 * handover is still shown.
 *
 * Return: 0, or -EINVAL if @buf is not a valid FDT.
 */
int ho_parse_root(const void *buf, size_t len, struct ho_root *out,
		  char *err, size_t errlen);

/**
 * ho_decode_blob() - Decode the blob of one root entry.
 * @name: the entry's name (which says how to decode it).
 * @buf: the blob's bytes.
 * @len: their number.
 * @out: result; kind HO_BAD with a problem if a blob we know is malformed.
 */
void ho_decode_blob(const char *name, const void *buf, size_t len,
		    struct ho_blob *out);

/**
 * ho_json_string() - Write @s as a JSON string literal (with quotes).
 * @dst: destination.
 * @cap: its size; the output is truncated to fit, always terminated.
 * @s: a NUL-terminated string, any bytes.
 *
 * Return: the length written (without the NUL).
 */
size_t ho_json_string(char *dst, size_t cap, const char *s);

#endif /* LUO_INSPECT_HANDOVER_H */
