/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Live update ABI of eventfds.
 */
#ifndef _LINUX_KHO_ABI_EVENTFD_H
#define _LINUX_KHO_ABI_EVENTFD_H

#include <linux/bits.h>
#include <linux/types.h>

/**
 * DOC: eventfd live update ABI
 *
 * One ``struct eventfd_luo_ser`` crosses the kexec per preserved eventfd:
 * the file handler's serialized data (compatible
 * ``EVENTFD_LUO_FH_COMPATIBLE``) is the physical address of that struct,
 * preserved with kho_alloc_preserve(). It is little-endian and packed.
 *
 * The flags are this ABI's own bits, not ``EFD_*`` or ``O_*`` values:
 * ``O_NONBLOCK`` differs between architectures, the ABI must not.
 *
 * This is a contract between kernels: any change to the layout or to the
 * meaning of a field needs a new compatible string.
 */

/* Compatible string of the file handler. */
#define EVENTFD_LUO_FH_COMPATIBLE	"eventfd-v1"

/* Reads return 1 and decrement the counter (EFD_SEMAPHORE). */
#define EVENTFD_LUO_SEMAPHORE		BIT(0)
/* The file is non-blocking (O_NONBLOCK, as fcntl(F_SETFL) last left it). */
#define EVENTFD_LUO_NONBLOCK		BIT(1)
/* Every flag this version defines; others make the file invalid. */
#define EVENTFD_LUO_ALL_FLAGS		(EVENTFD_LUO_SEMAPHORE | \
					 EVENTFD_LUO_NONBLOCK)

/**
 * struct eventfd_luo_ser - Serialized state of one eventfd.
 * @count:    The counter at the time of the kexec (taken at freeze). Any
 *            value: ULLONG_MAX is the overflow state eventfd_signal() can
 *            leave, which poll() reports as EPOLLERR.
 * @flags:    EVENTFD_LUO_* flags.
 * @reserved: Must be 0.
 */
struct eventfd_luo_ser {
	__aligned_u64 count;
	__u32 flags;
	__u32 reserved;
} __packed;

#endif /* _LINUX_KHO_ABI_EVENTFD_H */
