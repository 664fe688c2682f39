/* SPDX-License-Identifier: GPL-2.0 */
/* luo_memfd_common: helpers shared by the library's files. */
#ifndef _LUO_MEMFD_COMMON_INTERNAL_H
#define _LUO_MEMFD_COMMON_INTERNAL_H

#include <linux/luo_memfd_common.h>

/* Every fallible step of the library asks this first (test builds only). */
static inline bool lmc_inject(void)
{
	return luo_memfd_inject_step();
}

#ifdef CONFIG_LUO_MEMFD_COMMON_CORRUPT_TEST
void lmc_test_corrupt(struct luo_memfd_out *out);
void lmc_test_uncorrupt(struct luo_memfd_out *out);
#else
static inline void lmc_test_corrupt(struct luo_memfd_out *out)
{
}

static inline void lmc_test_uncorrupt(struct luo_memfd_out *out)
{
}
#endif

#if IS_ENABLED(CONFIG_LUO_MEMFD_COMMON_CORRUPT_TEST) || \
	IS_ENABLED(CONFIG_LUO_MEMFD_COMMON_LEAK_TEST)
#include <linux/debugfs.h>

/*
 * Add a test knob to debugfs luo_memfd_common/, which the first knob's
 * initcall makes (the knobs are separate options, in any link order).
 */
static inline void lmc_test_debugfs_file(const char *name, umode_t mode,
					 const struct file_operations *fops)
{
	struct dentry *dir = debugfs_lookup("luo_memfd_common", NULL);

	if (dir) {
		debugfs_create_file(name, mode, dir, NULL, fops);
		dput(dir);
		return;
	}
	dir = debugfs_create_dir("luo_memfd_common", NULL);
	debugfs_create_file(name, mode, dir, NULL, fops);
}
#endif

unsigned long lmc_file_pages(struct file *file);
int lmc_pin_present(struct file *file, const struct luo_memfd_out *skip,
		    struct folio ***folios, unsigned long *nr);
int lmc_preserve_folios(struct folio **folios, u64 nr,
			const struct luo_memfd_preserve_ops *ops, void *arg,
			void *ser);
void lmc_fill_limits(const struct luo_memfd_in *in, u64 buf_len,
		     struct luo_memfd_limits *lim);
void lmc_report(const struct luo_memfd_in *in,
		const struct luo_memfd_verdict *v);
struct folio *lmc_restore_one(const struct luo_memfd_in *in, u64 pfn);
void lmc_give_back(const struct luo_memfd_in *in, struct folio *folio);
void *lmc_map_array(const struct kho_vmalloc *desc);

#endif /* _LUO_MEMFD_COMMON_INTERNAL_H */
