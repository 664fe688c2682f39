// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * Decoding of a kexec handover's root FDT and blobs (see handover.h). The
 * layouts decoded here are the ABI of Linux 7.3 (include/linux/kho/abi/):
 * KHO's root FDT ("kho-v4"), LUO's struct luo_ser ("luo-v5"), the record of
 * each file's memory ("luo-file-memory-v1", this project's patch 0059) and
 * KHO's struct kho_kexec_metadata (version 1). Values inside properties and
 * blobs are little-endian (the kernel writes them in CPU order; both
 * architectures this project runs on are little-endian).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <libfdt.h>

#include "handover.h"

#define KHO_COMPAT "kho-v4"
#define KHO_MEM_MAP_PROP "preserved-memory-map"
#define KHO_DATA_PROP "preserved-data"
#define KHO_SIZE_PROP "blob-size"

#define LUO_NAME "LUO"
#define LUO_COMPAT "luo-v5"
#define LUO_SIZE 32		/* compatible[8], number, sessions_pa, flbs_pa */

#define FILE_MEM_NAME "LUO-file-memory"
#define FILE_MEM_COMPAT "luo-file-memory-v1"
#define FILE_MEM_HDR 32		/* compatible[24], count */
#define FILE_MEM_ENTRY 16	/* file_ser_pa, tracker_pa */

#define META_NAME "kexec-metadata"
#define META_VERSION 1
#define META_SIZE 73		/* version, release[65], kexec_count */

static uint64_t le64(const void *p)
{
	const unsigned char *b = p;
	uint64_t v = 0;
	int i;

	for (i = 7; i >= 0; i--)
		v = v << 8 | b[i];
	return v;
}

static uint32_t le32(const void *p)
{
	const unsigned char *b = p;

	return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 |
	       (uint32_t)b[3] << 24;
}

/* Copy a string that must end within @len bytes of @p; 0 if it does not. */
static int copy_cstr(char *dst, size_t cap, const void *p, size_t len)
{
	const char *end = memchr(p, '\0', len);

	if (!end)
		return 0;
	snprintf(dst, cap, "%s", (const char *)p);
	return 1;
}

/*
 * Whether @buf holds a whole, valid FDT within @len bytes; if not, why.
 * Versions below 16 are refused before libfdt looks further: KHO writes
 * version 17, and libfdt 1.6.1's fdt_check_full() dereferences NULL on a
 * version 15 tree (fixed in libfdt 1.7.0).
 */
static const char *fdt_invalid(const void *buf, size_t len, char *why,
			       size_t cap)
{
	int rc;

	if (len < sizeof(struct fdt_header)) {
		snprintf(why, cap, "%zu bytes: shorter than an FDT header (%zu)",
			 len, sizeof(struct fdt_header));
		return why;
	}
	if (fdt_magic(buf) != FDT_MAGIC) {
		snprintf(why, cap, "not an FDT (magic 0x%08x, want 0x%08x)",
			 fdt_magic(buf), FDT_MAGIC);
		return why;
	}
	if (fdt_totalsize(buf) > len) {
		snprintf(why, cap, "truncated: the header says %u bytes, %zu read",
			 fdt_totalsize(buf), len);
		return why;
	}
	if (fdt_version(buf) < 16 || fdt_last_comp_version(buf) > 17) {
		snprintf(why, cap, "FDT version %u (last compatible %u): not 16 or 17",
			 fdt_version(buf), fdt_last_comp_version(buf));
		return why;
	}
	rc = fdt_check_full(buf, len);
	if (rc) {
		snprintf(why, cap, "corrupt FDT: %s", fdt_strerror(rc));
		return why;
	}
	return NULL;
}

/* Printable ASCII, not empty: what a compatible string looks like. */
static int plausible(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if (*s < 0x20 || *s > 0x7e)
			return 0;
	return 1;
}

/* A u64 property of @node, little-endian; 1 if present and 8 bytes. */
static int prop_u64(const void *fdt, int node, const char *name,
		    uint64_t *v, char *problem, size_t cap)
{
	int len = 0;
	const void *p = fdt_getprop(fdt, node, name, &len);

	if (!p) {
		snprintf(problem, cap, "no %s property", name);
		return 0;
	}
	if (len != 8) {
		snprintf(problem, cap, "%s is %d bytes, not 8", name, len);
		return 0;
	}
	*v = le64(p);
	return 1;
}

int ho_parse_root(const void *buf, size_t len, struct ho_root *out,
		  char *err, size_t errlen)
{
	const void *compat;
	char unused[HO_TEXT_MAX];
	int node, plen = 0;

	memset(out, 0, sizeof(*out));
	if (fdt_invalid(buf, len, err, errlen))
		return -EINVAL;
	out->totalsize = fdt_totalsize(buf);

	compat = fdt_getprop(buf, 0, "compatible", &plen);
	if (compat && plen > 0)
		copy_cstr(out->compatible, sizeof(out->compatible), compat,
			  (size_t)plen);
	out->have_mem_map = prop_u64(buf, 0, KHO_MEM_MAP_PROP, &out->mem_map,
				     out->problem, sizeof(out->problem));
	if (strcmp(out->compatible, KHO_COMPAT))
		snprintf(out->problem, sizeof(out->problem),
			 "compatible \"%.64s\" is not \"%s\", the KHO ABI this tool decodes",
			 out->compatible, KHO_COMPAT);

	fdt_for_each_subnode(node, buf, 0) {
		struct ho_entry *e;
		const char *name;
		int nlen = 0;

		if (out->nr_entries == HO_MAX_ENTRIES) {
			out->nr_dropped++;
			continue;
		}
		e = &out->entries[out->nr_entries++];
		name = fdt_get_name(buf, node, &nlen);
		if (name && nlen >= 0)
			snprintf(e->name, sizeof(e->name), "%.*s", nlen, name);
		e->have_phys = prop_u64(buf, node, KHO_DATA_PROP, &e->phys,
					e->problem, sizeof(e->problem));
		e->have_size = prop_u64(buf, node, KHO_SIZE_PROP, &e->size,
					e->have_phys ? e->problem : unused,
					e->have_phys ? sizeof(e->problem) :
						       sizeof(unused));
	}
	/* fdt_for_each_subnode() ends on -FDT_ERR_NOTFOUND, or an error. */
	if (node != -FDT_ERR_NOTFOUND) {
		snprintf(err, errlen, "corrupt FDT: %s", fdt_strerror(node));
		return -EINVAL;
	}
	return 0;
}

/*
 * The compatible string a blob starts with is @want: 1. Otherwise 0, with
 * the blob corrupt (empty or not text) or unknown (another version).
 */
static int compat_is(struct ho_blob *b, const char *want)
{
	if (!plausible(b->compatible)) {
		b->kind = HO_BAD;
		snprintf(b->problem, sizeof(b->problem),
			 "the compatible field is empty or not text");
		return 0;
	}
	if (strcmp(b->compatible, want)) {
		b->kind = HO_UNKNOWN;
		snprintf(b->problem, sizeof(b->problem),
			 "\"%.64s\" is not the ABI this tool decodes (%s)",
			 b->compatible, want);
		return 0;
	}
	return 1;
}

static void decode_luo(const unsigned char *p, size_t len, struct ho_blob *b)
{
	if (!copy_cstr(b->compatible, sizeof(b->compatible), p,
		       len < 8 ? len : 8)) {
		b->kind = HO_BAD;
		snprintf(b->problem, sizeof(b->problem),
			 "no compatible string in the first 8 bytes (%zu bytes)", len);
		return;
	}
	if (!compat_is(b, LUO_COMPAT))
		return;
	if (len != LUO_SIZE) {
		b->kind = HO_BAD;
		snprintf(b->problem, sizeof(b->problem),
			 "%zu bytes, %s has %d", len, LUO_COMPAT, LUO_SIZE);
		return;
	}
	b->kind = HO_LUO;
	b->u.luo.number = le64(p + 8);
	b->u.luo.sessions_pa = le64(p + 16);
	b->u.luo.flbs_pa = le64(p + 24);
}

static void decode_file_mem(const unsigned char *p, size_t len,
			    struct ho_blob *b)
{
	uint64_t count;

	if (len < FILE_MEM_HDR ||
	    !copy_cstr(b->compatible, sizeof(b->compatible), p, 24)) {
		b->kind = HO_BAD;
		snprintf(b->problem, sizeof(b->problem),
			 "%zu bytes: no header of %d bytes with a compatible string",
			 len, FILE_MEM_HDR);
		return;
	}
	if (!compat_is(b, FILE_MEM_COMPAT))
		return;
	count = le64(p + 24);
	if (count > (len - FILE_MEM_HDR) / FILE_MEM_ENTRY ||
	    len != FILE_MEM_HDR + count * FILE_MEM_ENTRY) {
		b->kind = HO_BAD;
		snprintf(b->problem, sizeof(b->problem),
			 "%zu bytes do not hold a header and %llu entries of %d bytes",
			 len, (unsigned long long)count, FILE_MEM_ENTRY);
		return;
	}
	b->kind = HO_FILE_MEM;
	b->u.file_mem.count = count;
}

static void decode_meta(const unsigned char *p, size_t len, struct ho_blob *b)
{
	if (len < 4) {
		b->kind = HO_BAD;
		snprintf(b->problem, sizeof(b->problem), "%zu bytes", len);
		return;
	}
	b->u.meta.version = le32(p);
	if (!b->u.meta.version) {
		b->kind = HO_BAD;
		snprintf(b->problem, sizeof(b->problem), "version 0");
		return;
	}
	if (b->u.meta.version != META_VERSION) {
		b->kind = HO_UNKNOWN;
		snprintf(b->problem, sizeof(b->problem),
			 "metadata version %u is not one this tool decodes (%d)",
			 b->u.meta.version, META_VERSION);
		return;
	}
	if (len != META_SIZE ||
	    !copy_cstr(b->u.meta.release, sizeof(b->u.meta.release), p + 4, 65)) {
		b->kind = HO_BAD;
		snprintf(b->problem, sizeof(b->problem),
			 "%zu bytes (version 1 has %d) or no release string",
			 len, META_SIZE);
		return;
	}
	b->kind = HO_METADATA;
	b->u.meta.kexec_count = le32(p + 69);
}

static void decode_fdt(const void *p, size_t len, struct ho_blob *b)
{
	const void *compat;
	int node = 0, depth = 0, plen = 0;

	if (len < sizeof(struct fdt_header) || fdt_magic(p) != FDT_MAGIC)
		return;	/* HO_UNKNOWN: not ours, not an FDT */
	if (fdt_invalid(p, len, b->problem, sizeof(b->problem))) {
		b->kind = HO_BAD;	/* it says it is an FDT, and is not one */
		return;
	}
	b->kind = HO_FDT;
	b->u.fdt.totalsize = fdt_totalsize(p);
	compat = fdt_getprop(p, 0, "compatible", &plen);
	if (compat && plen > 0)
		copy_cstr(b->compatible, sizeof(b->compatible), compat,
			  (size_t)plen);
	/* fdt_next_node() leaves the root with depth -1, not an error. */
	while (node >= 0 && depth >= 0) {
		b->u.fdt.nodes++;
		node = fdt_next_node(p, node, &depth);
	}
}

void ho_decode_blob(const char *name, const void *buf, size_t len,
		    struct ho_blob *out)
{
	memset(out, 0, sizeof(*out));
	out->kind = HO_UNKNOWN;
	if (!strcmp(name, LUO_NAME))
		decode_luo(buf, len, out);
	else if (!strcmp(name, FILE_MEM_NAME))
		decode_file_mem(buf, len, out);
	else if (!strcmp(name, META_NAME))
		decode_meta(buf, len, out);
	else
		decode_fdt(buf, len, out);
}

size_t ho_json_string(char *dst, size_t cap, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	size_t n = 0;

	if (!cap)
		return 0;
#define PUT(c) do { if (n + 1 < cap) dst[n++] = (c); } while (0)
	PUT('"');
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		/* Leave room for the longest escape and the closing quote. */
		if (n + 8 >= cap)
			break;
		if (c == '"' || c == '\\') {
			PUT('\\');
			PUT((char)c);
		} else if (c < 0x20 || c >= 0x7f) {
			/* Control bytes, and bytes that may not be UTF-8. */
			PUT('\\');
			PUT('u');
			PUT('0');
			PUT('0');
			PUT(hex[c >> 4]);
			PUT(hex[c & 15]);
		} else {
			PUT((char)c);
		}
	}
	PUT('"');
#undef PUT
	dst[n] = '\0';
	return n;
}
