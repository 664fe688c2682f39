/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Live update ABI of HugeTLB-backed memfds (MFD_HUGETLB).
 */
#ifndef _LINUX_KHO_ABI_HUGETLB_MEMFD_H
#define _LINUX_KHO_ABI_HUGETLB_MEMFD_H

#include <linux/types.h>
#include <linux/kho/abi/kexec_handover.h>

/**
 * DOC: HugeTLB memfd live update ABI
 *
 * Two objects cross the kexec, both little-endian and packed:
 *
 * - one ``struct hugetlb_memfd_luo_ser`` per preserved file (the file
 *   handler's serialized data, compatible ``HUGETLB_MEMFD_LUO_FH_COMPATIBLE``),
 *   pointing to an array of ``struct memfd_luo_folio_ser`` entries (16 bytes
 *   per huge page, the entry layout of ``memfd-v2``) preserved with
 *   kho_preserve_vmalloc(). Each entry names one huge page: its pfn, its page
 *   cache index in base pages, and flags (none defined: must be 0). The
 *   huge page itself is preserved with kho_preserve_folio(), so its order is
 *   also recorded by KHO and checked against @order on restore;
 *
 * - one ``struct hugetlb_pool_luo_ser`` for the whole system (a LUO
 *   File-Lifecycle-Bound object, compatible
 *   ``HUGETLB_POOL_LUO_FLB_COMPATIBLE``): how many huge pages of each size
 *   the preserved files hold. The next kernel reads it in early boot, before
 *   LUO is up, and allocates that many fewer huge pages for its boot-time
 *   pool (``hugepages=``), so the pool has the size the command line asks
 *   for once the preserved pages are back.
 *
 * This is a contract between kernels: any change to a layout or to the
 * meaning of a field needs a new compatible string.
 */

/* Compatible string of the file handler. */
#define HUGETLB_MEMFD_LUO_FH_COMPATIBLE		"hugetlb-memfd-v1"

/* Compatible string of the per-hstate accounting FLB. */
#define HUGETLB_POOL_LUO_FLB_COMPATIBLE		"hugetlb-pool-v1"

/* Per-entry folio flags understood by this version: none. */
#define HUGETLB_MEMFD_LUO_FOLIO_FLAGS		0

/* Number of huge page sizes the accounting FLB can describe. */
#define HUGETLB_POOL_LUO_MAX_HSTATES		4

/**
 * struct hugetlb_memfd_luo_ser - Serialized state of one HugeTLB memfd.
 * @pos:       File position (f_pos) at the time of the kexec, in bytes.
 *             At most MAX_LFS_FILESIZE.
 * @size:      File size (i_size) in bytes, exactly; at most MAX_LFS_FILESIZE.
 *             Need not be a multiple of the huge page size (fallocate() sets
 *             i_size to offset + len): the last huge page may extend past it.
 * @seals:     memfd seals (F_SEAL_*, uAPI values) at the time of the kexec.
 *             Only the seals in MEMFD_LUO_ALL_SEALS may be set. The file
 *             mode is not recorded: the next kernel creates a file with
 *             F_SEAL_EXEC non-executable (as MFD_NOEXEC_SEAL does).
 * @flags:     File flags. None are defined; must be 0.
 * @order:     Order of the file's huge pages relative to the base page
 *             (9 for 2 MiB, 18 for 1 GiB pages on x86_64). Selects the hstate
 *             of the file in the next kernel; every folio of the array must
 *             have exactly this order.
 * @reserved:  Must be 0.
 * @nr_folios: Number of entries in @folios. One per huge page of the file
 *             (holes are filled at preserve time), so at most
 *             DIV_ROUND_UP(@size, PAGE_SIZE << @order); no entry's index
 *             may be at or past @size.
 * @folios:    KHO vmalloc descriptor of the array of
 *             ``struct memfd_luo_folio_ser`` entries, in strictly increasing
 *             index order. Empty (all zero) when @nr_folios is 0.
 */
struct hugetlb_memfd_luo_ser {
	u64 pos;
	u64 size;
	u32 seals;
	u32 flags;
	u32 order;
	u32 reserved;
	u64 nr_folios;
	struct kho_vmalloc folios;
} __packed;

/**
 * struct hugetlb_pool_luo_count - Preserved huge pages of one size.
 * @order:    Huge page order (see &struct hugetlb_memfd_luo_ser.order);
 *            non-zero and unique within the FLB for used entries.
 * @reserved: Must be 0.
 * @nr_pages: Number of huge pages of @order held by preserved files. Bounded
 *            by the number of such pages memory can hold.
 */
struct hugetlb_pool_luo_count {
	u32 order;
	u32 reserved;
	u64 nr_pages;
} __packed;

/**
 * struct hugetlb_pool_luo_ser - Per-hstate accounting FLB payload.
 * @nr_counts: Number of used entries at the start of @counts
 *             (0..HUGETLB_POOL_LUO_MAX_HSTATES).
 * @reserved:  Must be 0.
 * @counts:    One entry per huge page size with preserved pages; entries
 *             past @nr_counts are zero.
 *
 * Preserved with kho_alloc_preserve(); its physical address is the FLB's
 * data handle. The next kernel frees it when the last file that was
 * preserved with it is finished.
 */
struct hugetlb_pool_luo_ser {
	u32 nr_counts;
	u32 reserved;
	struct hugetlb_pool_luo_count counts[HUGETLB_POOL_LUO_MAX_HSTATES];
} __packed;

#endif /* _LINUX_KHO_ABI_HUGETLB_MEMFD_H */
