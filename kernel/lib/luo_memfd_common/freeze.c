// SPDX-License-Identifier: GPL-2.0
/*
 * luo_memfd_common: last call before kexec.
 */
#include <linux/export.h>

#include "internal.h"

/**
 * luo_memfd_freeze - Called from the handler's freeze(), just before kexec.
 * @out: Outgoing state of a preserved folio array.
 *
 * The array is complete at preserve time, so there is nothing to serialize
 * here today. This is the hook for state that must be final at kexec (the
 * per-hstate counts planned for HugeTLB) and, on test kernels with
 * CONFIG_LUO_MEMFD_COMMON_CORRUPT_TEST, where a requested corruption is
 * applied to the outgoing array.
 *
 * Context: Process context (LUO reboot path).
 */
void luo_memfd_freeze(struct luo_memfd_out *out)
{
	lmc_test_corrupt(out);
}
EXPORT_SYMBOL_GPL(luo_memfd_freeze);
