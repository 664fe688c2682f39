// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * luo-inspect: show what a kexec handover carries, from debugfs.
 *
 * Reads kho/out (what this kernel will hand over) and kho/in (what the
 * previous kernel handed over) under debugfs, checks each root FDT with
 * libfdt, and prints its entries and what it can decode of their blobs.
 * See luo-inspect(1) (docs/man/luo-inspect.1) and docs/troubleshooting.md.
 *
 * Exit status: 0 all shown and well formed; 1 something is corrupt,
 * truncated or inconsistent; 2 usage; 3 a view asked for is not available
 * (no debugfs, no KHO, no incoming handover, not root).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "handover.h"

#define DEBUGFS_MAGIC 0x64626720
#define MAX_FILE (16 << 20)
#define MAX_BLOBS 64
#define MAX_SCRATCH 64

struct blob {
	char name[HO_NAME_MAX];
	size_t len;
	int read_ok;
	char err[HO_TEXT_MAX];
	struct ho_blob b;
};

struct view {
	const char *name;		/* "in" or "out" */
	char dir[4096];
	int available;
	char why[HO_TEXT_MAX + 4200];	/* if not available */
	int have_root;			/* the fdt file exists */
	int root_ok;
	char root_err[HO_TEXT_MAX + 64];
	size_t root_len;
	struct ho_root root;
	int nr_blobs, nr_dropped;
	struct blob blobs[MAX_BLOBS];
	int nr_scratch;
	unsigned long long scratch_phys[MAX_SCRATCH], scratch_len[MAX_SCRATCH];
	int bad;			/* something corrupt or inconsistent */
};

static int json;

/* @s for a terminal: control bytes shown as '?' (a few calls per line). */
static const char *vis(const char *s)
{
	static char bufs[4][HO_TEXT_MAX + HO_NAME_MAX];
	static unsigned int next;
	char *b = bufs[next++ % 4];
	size_t i;

	for (i = 0; s[i] && i < sizeof(bufs[0]) - 1; i++)
		b[i] = (s[i] > 0 && s[i] < 0x20) || s[i] == 0x7f ? '?' : s[i];
	b[i] = '\0';
	return b;
}

/* Read a whole file (debugfs files report size 0). */
static void *read_all(const char *path, size_t *len, int *err)
{
	size_t cap = 4096, n = 0;
	char *buf = malloc(cap), *nb;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t r;

	*err = 0;
	if (fd < 0 || !buf) {
		*err = fd < 0 ? errno : ENOMEM;
		goto fail;
	}
	for (;;) {
		if (n == cap) {
			if (cap >= MAX_FILE) {
				*err = EFBIG;
				goto fail;
			}
			nb = realloc(buf, cap * 2);
			if (!nb) {
				*err = ENOMEM;
				goto fail;
			}
			buf = nb;
			cap *= 2;
		}
		r = read(fd, buf + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			*err = errno;
			goto fail;
		}
		if (!r)
			break;
		n += (size_t)r;
	}
	close(fd);
	*len = n;
	return buf;
fail:
	if (fd >= 0)
		close(fd);
	free(buf);
	return NULL;
}

static void read_scratch(struct view *v)
{
	char path[4200];
	FILE *fp, *fl;
	unsigned long long p, l;

	snprintf(path, sizeof(path), "%s/scratch_phys", v->dir);
	fp = fopen(path, "r");
	snprintf(path, sizeof(path), "%s/scratch_len", v->dir);
	fl = fopen(path, "r");
	while (fp && fl && v->nr_scratch < MAX_SCRATCH &&
	       fscanf(fp, "%llx", &p) == 1 && fscanf(fl, "%llx", &l) == 1) {
		v->scratch_phys[v->nr_scratch] = p;
		v->scratch_len[v->nr_scratch++] = l;
	}
	if (fp)
		fclose(fp);
	if (fl)
		fclose(fl);
}

static int blob_cmp(const void *a, const void *b)
{
	return strcmp(((const struct blob *)a)->name, ((const struct blob *)b)->name);
}

static void read_blobs(struct view *v)
{
	char path[4400];
	struct dirent *d;
	DIR *dir;

	snprintf(path, sizeof(path), "%s/sub_fdts", v->dir);
	dir = opendir(path);
	if (!dir)
		return;
	while ((d = readdir(dir))) {
		struct blob *bl;
		void *buf;
		int err;

		if (d->d_name[0] == '.')
			continue;
		if (v->nr_blobs == MAX_BLOBS) {
			v->nr_dropped++;
			v->bad = 1;
			continue;
		}
		bl = &v->blobs[v->nr_blobs++];
		memcpy(bl->name, d->d_name, strnlen(d->d_name, sizeof(bl->name) - 1));
		snprintf(path, sizeof(path), "%s/sub_fdts/%s", v->dir, d->d_name);
		buf = read_all(path, &bl->len, &err);
		if (!buf) {
			snprintf(bl->err, sizeof(bl->err), "cannot read: %s", strerror(err));
			v->bad = 1;
			continue;
		}
		bl->read_ok = 1;
		ho_decode_blob(bl->name, buf, bl->len, &bl->b);
		if (bl->b.kind == HO_BAD)
			v->bad = 1;
		free(buf);
	}
	closedir(dir);
	qsort(v->blobs, (size_t)v->nr_blobs, sizeof(v->blobs[0]), blob_cmp);
}

static struct blob *find_blob(struct view *v, const char *name)
{
	int i;

	for (i = 0; i < v->nr_blobs; i++)
		if (!strcmp(v->blobs[i].name, name))
			return &v->blobs[i];
	return NULL;
}

static void load_view(struct view *v, const char *debugfs)
{
	char path[4200];
	struct stat st;
	void *buf;
	int err;

	snprintf(v->dir, sizeof(v->dir), "%s/kho/%s", debugfs, v->name);
	if (stat(v->dir, &st)) {
		if (errno == EACCES)
			snprintf(v->why, sizeof(v->why),
				 "permission denied reading %s: run as root", v->dir);
		else if (!strcmp(v->name, "in"))
			snprintf(v->why, sizeof(v->why),
				 "no incoming handover: this kernel was not started by a kexec with KHO (a cold boot)");
		else
			snprintf(v->why, sizeof(v->why), "%s: %s", v->dir, strerror(errno));
		return;
	}
	v->available = 1;
	snprintf(path, sizeof(path), "%s/fdt", v->dir);
	buf = read_all(path, &v->root_len, &err);
	if (buf) {
		v->have_root = 1;
		v->root_ok = !ho_parse_root(buf, v->root_len, &v->root, v->root_err,
					    sizeof(v->root_err));
		free(buf);
		if (!v->root_ok || v->root.problem[0])
			v->bad = 1;
	} else if (err == EACCES || err == EPERM) {
		v->available = 0;
		snprintf(v->why, sizeof(v->why),
			 "permission denied reading %s/fdt: run as root", v->dir);
		return;
	} else if (err != ENOENT) {
		v->have_root = 1;
		snprintf(v->root_err, sizeof(v->root_err), "cannot read fdt: %s",
			 strerror(err));
		v->bad = 1;
	}
	read_blobs(v);
	if (!strcmp(v->name, "out"))
		read_scratch(v);
	if (v->root_ok) {
		int i;

		for (i = 0; i < v->root.nr_entries; i++) {
			struct ho_entry *e = &v->root.entries[i];
			struct blob *bl = find_blob(v, e->name);

			if (e->problem[0] || (bl && bl->read_ok && e->have_size &&
					      bl->len != e->size))
				v->bad = 1;
		}
		if (v->root.nr_dropped)
			v->bad = 1;
	}
}

/* ---- human output ------------------------------------------------------ */

static void print_blob(const struct blob *bl, const char *indent)
{
	const struct ho_blob *b = &bl->b;

	if (!bl->read_ok) {
		printf("%s%s\n", indent, bl->err);
		return;
	}
	switch (b->kind) {
	case HO_LUO:
		printf("%sLUO ABI \"%s\", live update %llu, sessions at 0x%llx, FLBs at 0x%llx\n",
		       indent, vis(b->compatible), (unsigned long long)b->u.luo.number,
		       (unsigned long long)b->u.luo.sessions_pa,
		       (unsigned long long)b->u.luo.flbs_pa);
		break;
	case HO_FILE_MEM:
		printf("%s\"%s\": memory records of %llu files\n", indent,
		       vis(b->compatible), (unsigned long long)b->u.file_mem.count);
		break;
	case HO_METADATA:
		printf("%skexec metadata v%u: previous kernel %s, kexec count %u\n",
		       indent, b->u.meta.version, vis(b->u.meta.release),
		       b->u.meta.kexec_count);
		break;
	case HO_FDT:
		printf("%sFDT of %u bytes, %d nodes, compatible \"%s\"\n", indent,
		       b->u.fdt.totalsize, b->u.fdt.nodes, vis(b->compatible));
		break;
	case HO_BAD:
		printf("%sCORRUPT: %s\n", indent, vis(b->problem));
		break;
	case HO_UNKNOWN:
		printf("%snot decoded%s%s\n", indent, b->problem[0] ? ": " : "",
		       vis(b->problem));
		break;
	}
}

static void print_view(struct view *v)
{
	int i;

	if (!v->available) {
		printf("%s: %s\n", v->name, v->why);
		return;
	}
	printf("%s: %s\n", v->name, v->dir);
	if (!v->have_root)
		printf("  root FDT: not shown by this kernel\n");
	else if (!v->root_ok)
		printf("  root FDT: CORRUPT: %s\n", v->root_err);
	else
		printf("  root FDT: %u bytes, compatible \"%s\", preserved-memory-map %s0x%llx\n",
		       v->root.totalsize, vis(v->root.compatible),
		       v->root.have_mem_map ? "" : "(none) ",
		       (unsigned long long)v->root.mem_map);
	if (v->root_ok && v->root.problem[0])
		printf("    CORRUPT: %s\n", vis(v->root.problem));
	for (i = 0; i < v->nr_scratch; i++)
		printf("  scratch: 0x%llx, 0x%llx bytes\n", v->scratch_phys[i],
		       v->scratch_len[i]);
	for (i = 0; v->root_ok && i < v->root.nr_entries; i++) {
		const struct ho_entry *e = &v->root.entries[i];
		struct blob *bl = find_blob(v, e->name);

		if (e->problem[0]) {
			printf("  entry %s: CORRUPT: %s\n", vis(e->name), vis(e->problem));
			continue;
		}
		printf("  entry %s: %llu bytes at 0x%llx\n", vis(e->name),
		       (unsigned long long)e->size, (unsigned long long)e->phys);
		if (!bl)
			printf("    blob: not shown by this kernel\n");
		else if (bl->read_ok && bl->len != e->size)
			printf("    MISMATCH: debugfs shows %zu bytes\n", bl->len);
		else
			print_blob(bl, "    ");
	}
	if (v->root_ok && v->root.nr_dropped)
		printf("  ... and %d more entries (not shown)\n", v->root.nr_dropped);
	for (i = 0; i < v->nr_blobs; i++) {
		const struct blob *bl = &v->blobs[i];
		int j, listed = 0;

		for (j = 0; v->root_ok && j < v->root.nr_entries; j++)
			listed |= !strcmp(v->root.entries[j].name, bl->name);
		if (listed)
			continue;
		printf("  blob %s: %zu bytes%s\n", vis(bl->name), bl->len,
		       v->root_ok ? " (no entry in the root FDT)" : "");
		print_blob(bl, "    ");
	}
}

/* ---- JSON output ------------------------------------------------------- */

static void jstr(const char *s)
{
	char buf[6 * 4400];

	ho_json_string(buf, sizeof(buf), s);
	fputs(buf, stdout);
}

static void jblob(const struct blob *bl)
{
	static const char *const kinds[] = {
		[HO_UNKNOWN] = "unknown", [HO_BAD] = "corrupt", [HO_LUO] = "luo",
		[HO_FILE_MEM] = "luo-file-memory", [HO_METADATA] = "kexec-metadata",
		[HO_FDT] = "fdt",
	};
	const struct ho_blob *b = &bl->b;

	printf("{\"name\":");
	jstr(bl->name);
	if (!bl->read_ok) {
		printf(",\"error\":");
		jstr(bl->err);
		printf("}");
		return;
	}
	printf(",\"bytes\":%zu,\"kind\":\"%s\"", bl->len, kinds[b->kind]);
	if (b->compatible[0]) {
		printf(",\"compatible\":");
		jstr(b->compatible);
	}
	if (b->problem[0]) {
		printf(",\"problem\":");
		jstr(b->problem);
	}
	switch (b->kind) {
	case HO_LUO:
		printf(",\"live_update\":%llu,\"sessions_pa\":\"0x%llx\",\"flbs_pa\":\"0x%llx\"",
		       (unsigned long long)b->u.luo.number,
		       (unsigned long long)b->u.luo.sessions_pa,
		       (unsigned long long)b->u.luo.flbs_pa);
		break;
	case HO_FILE_MEM:
		printf(",\"files\":%llu", (unsigned long long)b->u.file_mem.count);
		break;
	case HO_METADATA:
		printf(",\"version\":%u,\"previous_release\":", b->u.meta.version);
		jstr(b->u.meta.release);
		printf(",\"kexec_count\":%u", b->u.meta.kexec_count);
		break;
	case HO_FDT:
		printf(",\"fdt_bytes\":%u,\"nodes\":%d", b->u.fdt.totalsize,
		       b->u.fdt.nodes);
		break;
	default:
		break;
	}
	printf("}");
}

static void json_view(struct view *v)
{
	int i;

	printf("{\"view\":\"%s\",\"available\":%s", v->name,
	       v->available ? "true" : "false");
	if (!v->available) {
		printf(",\"reason\":");
		jstr(v->why);
		printf("}");
		return;
	}
	printf(",\"dir\":");
	jstr(v->dir);
	if (!v->have_root) {
		printf(",\"root\":null");
	} else if (!v->root_ok) {
		printf(",\"root\":{\"error\":");
		jstr(v->root_err);
		printf("}");
	} else {
		printf(",\"root\":{\"bytes\":%u,\"compatible\":", v->root.totalsize);
		jstr(v->root.compatible);
		if (v->root.have_mem_map)
			printf(",\"preserved_memory_map\":\"0x%llx\"",
			       (unsigned long long)v->root.mem_map);
		if (v->root.problem[0]) {
			printf(",\"problem\":");
			jstr(v->root.problem);
		}
		printf(",\"entries_not_shown\":%d,\"entries\":[", v->root.nr_dropped);
		for (i = 0; i < v->root.nr_entries; i++) {
			const struct ho_entry *e = &v->root.entries[i];

			printf("%s{\"name\":", i ? "," : "");
			jstr(e->name);
			if (e->have_phys)
				printf(",\"phys\":\"0x%llx\"", (unsigned long long)e->phys);
			if (e->have_size)
				printf(",\"size\":%llu", (unsigned long long)e->size);
			if (e->problem[0]) {
				printf(",\"problem\":");
				jstr(e->problem);
			}
			printf("}");
		}
		printf("]}");
	}
	printf(",\"scratch\":[");
	for (i = 0; i < v->nr_scratch; i++)
		printf("%s{\"phys\":\"0x%llx\",\"bytes\":%llu}", i ? "," : "",
		       v->scratch_phys[i], v->scratch_len[i]);
	printf("],\"blobs\":[");
	for (i = 0; i < v->nr_blobs; i++) {
		if (i)
			printf(",");
		jblob(&v->blobs[i]);
	}
	printf("],\"blobs_not_shown\":%d,\"ok\":%s}", v->nr_dropped,
	       v->bad ? "false" : "true");
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: luo-inspect [--in | --out] [--json] [--debugfs DIR]\n"
		"Show the kexec handover (KHO) this kernel will pass on (--out) and the one\n"
		"it received (--in); both by default. Needs root and debugfs.\n"
		"  --json          one JSON object on stdout\n"
		"  --debugfs DIR   where debugfs is mounted (default /sys/kernel/debug)\n"
		"Exit: 0 ok, 1 corrupt or inconsistent, 2 usage, 3 not available.\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "in", no_argument, NULL, 'i' },
		{ "out", no_argument, NULL, 'o' },
		{ "json", no_argument, NULL, 'j' },
		{ "debugfs", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static struct view views[2] = { { .name = "out" }, { .name = "in" } };
	const char *debugfs = "/sys/kernel/debug";
	int want_in = 0, want_out = 0, own_debugfs = 0, c, i, rc = 0;
	char kho[4200], why[4300] = "";
	struct statfs sfs;
	struct stat st;

	while ((c = getopt_long(argc, argv, "iojd:h", opts, NULL)) != -1) {
		switch (c) {
		case 'i': want_in = 1; break;
		case 'o': want_out = 1; break;
		case 'j': json = 1; break;
		case 'd': debugfs = optarg; own_debugfs = 1; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc || (want_in && want_out)) {
		usage(stderr);
		return 2;
	}
	if (!want_in && !want_out)
		want_in = want_out = 2;	/* both; a missing "in" is no error */

	snprintf(kho, sizeof(kho), "%s/kho", debugfs);
	if (!own_debugfs && statfs(debugfs, &sfs) == 0 &&
	    (unsigned long)sfs.f_type != DEBUGFS_MAGIC)
		snprintf(why, sizeof(why),
			 "debugfs is not mounted at %s (mount -t debugfs none %s)",
			 debugfs, debugfs);
	else if (stat(kho, &st) && errno == EACCES)
		snprintf(why, sizeof(why),
			 "permission denied reading %s: run as root", kho);
	else if (stat(debugfs, &st))
		snprintf(why, sizeof(why), "%s: %s", debugfs, strerror(errno));
	else if (stat(kho, &st))
		snprintf(why, sizeof(why),
			 "no %s: KHO is not in this kernel (CONFIG_KEXEC_HANDOVER) or off (boot with kho=on)",
			 kho);
	if (why[0]) {
		if (json) {
			printf("{\"luo_inspect\":1,\"available\":false,\"reason\":");
			jstr(why);
			printf("}\n");
		} else {
			fprintf(stderr, "luo-inspect: %s\n", why);
		}
		return 3;
	}

	for (i = 0; i < 2; i++) {
		struct view *v = &views[i];

		if (!(i ? want_in : want_out))
			continue;
		load_view(v, debugfs);
		/* A missing "in" is a cold boot; a missing "out" is not normal. */
		if (!v->available && ((i ? want_in : want_out) == 1 || !i))
			rc = rc ? rc : 3;
		if (v->bad)
			rc = 1;
	}
	if (json)
		printf("{\"luo_inspect\":1,\"views\":[");
	for (i = 0, c = 0; i < 2; i++) {
		if (!(i ? want_in : want_out))
			continue;
		if (json) {
			printf("%s", c++ ? "," : "");
			json_view(&views[i]);
		} else {
			print_view(&views[i]);
		}
	}
	if (json)
		printf("],\"ok\":%s}\n", rc ? "false" : "true");
	return rc;
}
