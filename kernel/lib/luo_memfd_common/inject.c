// SPDX-License-Identifier: GPL-2.0
/*
 * luo_memfd_common: fault injection for the KUnit suite. Every fallible step
 * of the library asks lmc_inject() first; the suite makes step N fail.
 */
#include <linux/compiler.h>
#include <linux/export.h>

#include "internal.h"

#ifdef CONFIG_LUO_MEMFD_COMMON_KUNIT_TEST
struct luo_memfd_fault_inject *luo_memfd_inject;
EXPORT_SYMBOL_GPL(luo_memfd_inject);

/**
 * lmc_inject - Count a fallible step and tell whether to fail it.
 *
 * Return: true if the test asked for this step to fail.
 */
bool lmc_inject(void)
{
	struct luo_memfd_fault_inject *fi = READ_ONCE(luo_memfd_inject);

	if (!fi || !fi->fail_at)
		return false;
	return ++fi->steps == fi->fail_at;
}
#endif
