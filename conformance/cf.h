/* SPDX-License-Identifier: GPL-2.0 */
/*
 * LUO file-handler conformance suite, end-to-end layer: shared definitions.
 *
 * A handler family (e.g. memfd) provides, in conformance/variants_FAMILY.c,
 * one struct cf_family: its handlers (one per preservable kind of file, with
 * capability flags and the four callbacks below) and a table of variants
 * (handler x size x seals x position). conformance/cases.c crosses every
 * variant with every generic case; conformance/main.c is the stage program.
 */
#ifndef CF_H
#define CF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CF_NAME_MAX 24 /* variant and handler names: short, they end up in session names */

/* struct cf_handler::caps */
#define CF_CAP_SPARSE (1u << 0)     /* holes are not preserved: they come back as holes */

struct cf_variant;

/* How much memory of the handler's kind is free now, in bytes. */
typedef int (*cf_free_fn)(uint64_t *bytes);

/*
 * One property of a file that must survive the update. The suite prints one
 * result per check per variant ("VARIANT: TITLE"), and calls
 * cf_handler::check() with WHAT to compare it.
 */
struct cf_check {
	const char *what;   /* passed to check(): "size", "counter", ... */
	const char *title;  /* "size survives" */
	bool selfcheck;     /* also run by the stage-1 self-check (cheap enough) */
};

/*
 * A field of the handler's serialized state (the block its serialized data
 * points at) and a value the next kernel must refuse there, for the corrupt
 * cases: a 0-byte file of the handler is preserved, the field is set at
 * freeze (the luo kernel's liveupdate_corrupt knob), and the next kernel's
 * retrieve must fail and leave nothing reserved.
 */
struct cf_field {
	const char *name;
	uint32_t offset, size; /* bytes; size 1, 2, 4 or 8 */
	uint64_t bad;
};

struct cf_handler {
	const char *name;       /* "shmem", "hugetlb-2M": used by --handler and require= */
	const char *compatible; /* the kernel handler's compatible string (documentation) */
	unsigned int caps;      /* CF_CAP_* */
	/*
	 * Allocation granule: sizes round up to it. 1 for a handler whose
	 * files hold no memory of their own (an eventfd).
	 */
	uint64_t page_size;
	const struct cf_check *checks; /* what survives; ends with { NULL } */
	/*
	 * Make a file of variant V whose contents derive from TOKEN (see
	 * cf_fill()), with the variant's position and seals. size_override,
	 * if not UINT64_MAX, replaces the variant's size (0 for the cheap
	 * throwaway files of the probe, duplicate-token and scale cases).
	 * Returns a descriptor or a negative errno.
	 */
	int (*create)(const struct cf_handler *h, const struct cf_variant *v, uint64_t token,
		      uint64_t size_override, int64_t pos);
	/*
	 * Check a retrieved file against what create() made: writes a reason
	 * into why and returns false on the first difference. what is the
	 * what of one of the handler's checks. It may use the file (read it,
	 * change and restore its flags) but must leave it as it found it:
	 * later stages preserve it again.
	 */
	bool (*check)(const struct cf_handler *h, const struct cf_variant *v, int fd,
		      uint64_t token, const char *what, char *why, size_t why_len);
	/*
	 * Free memory of this kind (MemFree, free huge pages), or NULL if the
	 * handler's files hold no memory worth counting: the memory cases then
	 * check only that finish and close succeed, and say so.
	 */
	cf_free_fn free_bytes;
	const struct cf_field *fields; /* corrupt cases; ends with { NULL }; NULL: none */
};

#define CF_V_BIG (1u << 0) /* needs luo_conformance.big=1 and a big guest: survive/release only */
/* Only the even pages (of the handler's page size) are written, the odd ones
 * are holes: create() and check() honour it, the "holes" check counts the
 * file's allocated bytes (needs CF_CAP_SPARSE). */
#define CF_V_SPARSE (1u << 1)

/* Bytes of a variant's file that hold data: the size rounded up to the page,
 * or for a sparse variant its even pages. */
static inline uint64_t cf_data_bytes(uint64_t page, uint64_t size, unsigned int flags)
{
	uint64_t pages = (size + page - 1) / page;

	return (flags & CF_V_SPARSE ? (pages + 1) / 2 : pages) * page;
}

struct cf_variant {
	const char *name;  /* unique across the suite, at most CF_NAME_MAX - 1 bytes */
	const struct cf_handler *handler;
	uint64_t size;     /* bytes; a handler without sizes gives it its own meaning */
	unsigned int seals;
	int64_t pos;       /* may lie beyond EOF */
	unsigned int flags; /* CF_V_* */
	uint64_t arg;      /* handler-specific (eventfd: its EFD_* flags) */
};

struct cf_family {
	const char *name;
	const struct cf_handler *const *handlers; /* NULL-terminated */
	const struct cf_variant *variants;
	size_t nr_variants;
};

/* ------------------------------------------------------------ helpers */

/* The expected 8-byte word at byte offset OFF (a multiple of 8) of the file
 * made for TOKEN. Cheap enough for 1 GiB under TCG, distinct per token and
 * per offset (a page at the wrong index or a zero page is caught). */
static inline uint64_t cf_word(uint64_t token, uint64_t off)
{
	return ((token + 1) * UINT64_C(0x9e3779b97f4a7c15)) ^ (off * UINT64_C(0xff51afd7ed558ccd)) ^
	       (off >> 12);
}

/*
 * Liveness of a long step. Filling or checking a big file under KASAN on a
 * loaded host can take minutes between two KTAP lines, and the runner takes
 * 600 s of silence for a hang (docs/testing.md). Such a step calls
 * cf_alive() as it goes; it prints "# VERB: N of M MiB" at most every
 * CF_ALIVE_SECS seconds and nothing while the step is quick. Output only:
 * no verdict depends on it.
 */
#define CF_ALIVE_SECS 10
struct cf_alive {
	const char *verb;
	uint64_t total;
	int64_t last_ms;
};
void cf_alive_start(struct cf_alive *a, const char *verb, uint64_t total);
void cf_alive(struct cf_alive *a, uint64_t done);
/* The loops below look at the clock once per this many bytes. */
#define CF_ALIVE_STRIDE (UINT64_C(16) << 20)

void cf_fill(unsigned char *p, uint64_t size, uint64_t token);
/*
 * The same pattern written with pwrite(): for files whose filesystem has a
 * write path (shmem), no page fault per page. Under the debug kernel a
 * write fault costs about twice what pwrite() pays per page (256 MiB under
 * KASAN: 9.2 s through mmap, 4.9 s with pwrite). 0 or -errno.
 */
int cf_fill_fd(int fd, uint64_t size, uint64_t token);
/* Offset of the first byte that differs from the pattern, or size. */
uint64_t cf_verify(const unsigned char *p, uint64_t size, uint64_t token);

int cf_meminfo(const char *key, uint64_t *bytes);
int cf_read_u64(const char *path, uint64_t *v);

/* ------------------------------------------------------------ KTAP */

void ktap_result(bool ok, const char *directive, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void ktap_diag(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
#define ktap_ok(cond, ...) ktap_result((cond), NULL, __VA_ARGS__)
#define ktap_skip(reason, ...) ktap_result(true, (reason), __VA_ARGS__)

/* ------------------------------------------------------------ driver */

struct cf_ctx {
	int stage, nstages;
	int dev;                /* /dev/liveupdate */
	bool big;               /* luo_conformance.big=1 */
	bool holes_filled;      /* luo_conformance.holes_filled=1: the kernel that
				 * preserved the files filled their holes (stock 7.3) */
	bool corrupt;           /* luo_conformance.corrupt=1: run the corrupt cases */
	const char *handlers;   /* luo_conformance.handlers=... or "all" */
	const char *require;    /* luo_conformance.require=... or "" */
};

extern struct cf_ctx cf;

/* Availability of a handler in this run, decided in stage 1 and carried on. */
enum cf_avail { CF_UNKNOWN, CF_AVAILABLE, CF_MISSING, CF_UNSELECTED, CF_NOPOOL };

enum cf_avail cf_handler_avail(const struct cf_handler *h);
void cf_set_avail(const struct cf_handler *h, enum cf_avail a);
bool cf_required(const struct cf_handler *h);
/* Record an outgoing session for the next stage; holds its descriptor. */
void cf_hold_session(const char *name, int fd);
/* Whether the previous stage recorded this session. */
bool cf_prev_had_session(const char *name);

/* cases.c */
void cf_cases_global_setup(void);
void cf_cases_global_verify(void);
void cf_cases_variant(const struct cf_variant *v, bool verify, bool setup);
void cf_cases_selfcheck(const struct cf_variant *v);
void cf_cases_scale(const struct cf_handler *h, bool verify, bool setup);
/* Emit one SKIP line per case this variant would have had. */
void cf_cases_variant_skip(const struct cf_variant *v, bool verify, bool setup,
			   const char *reason);
void cf_cases_scale_skip(const struct cf_handler *h, bool verify, bool setup,
			 const char *reason);
/*
 * Number of KTAP results each of the functions above prints, whatever the
 * outcome: the stage program adds them up to print its plan first. A case
 * added to one of them must be counted here too.
 */
int cf_cases_global_count(bool verify, bool setup);     /* global_verify + global_setup */
int cf_cases_variant_count(const struct cf_variant *v, bool verify, bool setup);
int cf_cases_selfcheck_count(void);
int cf_cases_scale_count(bool verify, bool setup);
void cf_cases_corrupt(const struct cf_handler *h, bool verify, bool setup);
void cf_cases_corrupt_skip(const struct cf_handler *h, bool verify, bool setup,
			   const char *reason);
int cf_cases_corrupt_count(const struct cf_handler *h, bool verify, bool setup);

extern const struct cf_family cf_family_memfd;
extern const struct cf_family cf_family_eventfd;

#endif /* CF_H */
