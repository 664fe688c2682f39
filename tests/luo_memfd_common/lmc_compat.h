/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Userspace stand-ins for the few kernel definitions that
 * lib/luo_memfd_common/layout.c uses, so it builds unchanged for the cmocka
 * tests and the fuzz target.
 */
#ifndef LMC_COMPAT_H
#define LMC_COMPAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef uint8_t u8;
typedef uint32_t u32;
typedef uint64_t u64;

#define EXPORT_SYMBOL_GPL(sym)

#include <linux/luo_memfd_layout.h>

#endif /* LMC_COMPAT_H */
