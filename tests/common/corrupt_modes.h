/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The corruption modes of luo_memfd_common's test knob
 * (kernel/lib/luo_memfd_common/corrupt.c), and what the next kernel must do
 * with each, for the stage programs that try them (tests/shmem/corrupt.c,
 * tests/hugetlb/hugetlb_stage.c). A stage writes "ENTRIES MODE" to the knob
 * for each file it preserves; ENTRIES selects the file.
 */
#ifndef LUO_TESTS_CORRUPT_MODES_H
#define LUO_TESTS_CORRUPT_MODES_H

#include <errno.h>

#define CORRUPT_KNOB "/sys/kernel/debug/luo_memfd_common/corrupt"
#define NR_CORRUPT_MODES 16

/*
 * Modes 1-8 corrupt the folio array: a duplicate pfn, unsorted indices,
 * an unknown folio flag, an index past EOF, a stale pfn, the first chunk
 * beyond RAM, a chunk list that loops, the array's first page named twice.
 * Modes 9-14 corrupt the file's header: a position past MAX_LFS_FILESIZE,
 * a size of one page for all the folios, an unknown file flag or seal, a
 * folio count one short (the last folio would silently be left out), a
 * folio count of 2^40. Modes 15 and 16 corrupt where the header is (the
 * file's serialized_data): beyond RAM, or in memory nobody preserved.
 * The fault message each mode must produce in the next kernel's log:
 */
static const char *const corrupt_msg[NR_CORRUPT_MODES + 1] = {
	[1] = "is not a preserved folio head",
	[2] = "not above the previous entry",
	[3] = "unknown folio flags",
	[4] = "index beyond end of file",
	[5] = "is not a preserved folio head",
	[6] = "could not map the folio array",
	[7] = "could not map the folio array",
	[8] = "could not map the folio array",
	[9] = "file position",
	[10] = "entry count too large for the file size",
	[11] = "unknown file flags",
	[12] = "unsupported seals",
	[13] = "entry past the array's count",
	[14] = "entry count too large for the file size",
	[15] = "is not preserved memory",
	[16] = "is not preserved memory",
};

/*
 * Not a file mode: HugeTLB's accounting FLB gets 2^50 pages added to its
 * first count at the freeze of the file it is asked for.
 */
#define CORRUPT_HSTATES 17

/*
 * Every mode is refused with EINVAL, except an unknown file flag or seal:
 * EOPNOTSUPP (not corrupt, maybe newer, but not for this kernel).
 */
static inline int corrupt_errno(int mode)
{
	return mode == 11 || mode == 12 ? EOPNOTSUPP : EINVAL;
}

static inline const char *corrupt_errno_name(int mode)
{
	return corrupt_errno(mode) == EINVAL ? "EINVAL" : "EOPNOTSUPP";
}

/*
 * Folios mode @mode leaves out of the handler's reach in a file of @entries
 * folios, named by no entry any more. The handler cannot give them back;
 * LUO does, after the file's finish, from the sender's record of what the
 * handler preserved (patch 0059): to the page allocator, so a HugeTLB
 * page that went that way is not back in its pool. A duplicate or stale pfn
 * (modes 1, 5) hides the folio it replaced. Mode 6 points the array's first
 * chunk beyond RAM: no folio can be found, and the next kernel must refuse
 * it without reading or freeing what it does not own. Mode 7 makes the
 * chunk list loop: it cannot be mapped, but walked chunk by chunk it still
 * names every folio, and all come back. Mode 8 names the array's first page
 * twice, in place of its second: the @per_page entries of the second page
 * are lost, all others come back. Header modes lose nothing: a count one
 * short still leaves the last entry in the array, where it is found.
 * Without its header (modes 15, 16) nothing of the file can be found.
 */
static inline long corrupt_lost(int mode, long entries, long per_page)
{
	switch (mode) {
	case 1: case 5:
		return 1;
	case 6: case 15: case 16:
		return entries;
	case 8:
		return per_page;
	default:
		return 0;
	}
}

#endif /* LUO_TESTS_CORRUPT_MODES_H */
