// SPDX-License-Identifier: GPL-2.0
/*
 * luo_memfd_common: fault injection for the KUnit suites. Every fallible step
 * of the library and of the memfd handlers asks luo_memfd_inject_step()
 * first; a suite makes step N fail.
 */
#include <linux/compiler.h>
#include <linux/export.h>

#include "internal.h"

#ifdef CONFIG_LUO_MEMFD_COMMON_INJECT
struct luo_memfd_fault_inject *luo_memfd_inject;
EXPORT_SYMBOL_GPL(luo_memfd_inject);

/**
 * __luo_memfd_inject_step - Slow path of luo_memfd_inject_step().
 *
 * Return: true if the test asked for this step to fail.
 */
bool __luo_memfd_inject_step(void)
{
	struct luo_memfd_fault_inject *fi = READ_ONCE(luo_memfd_inject);

	if (!fi || !fi->fail_at)
		return false;
	return ++fi->steps == fi->fail_at;
}
EXPORT_SYMBOL_GPL(__luo_memfd_inject_step);
#endif
