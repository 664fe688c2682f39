// SPDX-License-Identifier: GPL-2.0
/*
 * luo_memfd_common: test-only deliberate leak, so that a test runner can
 * prove it sees kmemleak reports (a runner whose leak check never fires
 * looks the same as one that finds no leak).
 *
 * Each write to /sys/kernel/debug/luo_memfd_common/leak allocates eight
 * objects of four pages, fills them with "luo-leak-test", and drops every
 * pointer to them. kmemleak reports them on a scan at least five seconds
 * later, after the scan that first sees them. Any stale copy of a pointer
 * makes kmemleak count that object as referenced, so: larger than the
 * biggest kmalloc cache (a slab's per-CPU sheaf keeps the pointers it
 * handed out), and eight, because each pointer overwrites the last one's
 * stack slots.
 */
#define pr_fmt(fmt) "luo_memfd_common: " fmt

#include <linux/fs.h>
#include <linux/init.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "internal.h"

#define LMC_LEAK_SIZE (4 * PAGE_SIZE)
#define LMC_LEAK_COUNT 8

static ssize_t lmc_leak_write(struct file *file, const char __user *ubuf,
			      size_t len, loff_t *ppos)
{
	int i;

	for (i = 0; i < LMC_LEAK_COUNT; i++) {
		char *p = kmalloc(LMC_LEAK_SIZE, GFP_KERNEL);

		if (!p)
			return -ENOMEM;
		strscpy_pad(p, "luo-leak-test", LMC_LEAK_SIZE);
	}
	pr_info("leaked %d objects of %lu bytes on request (test only)\n",
		LMC_LEAK_COUNT, LMC_LEAK_SIZE);
	return len;
}

static const struct file_operations lmc_leak_fops = {
	.owner = THIS_MODULE,
	.write = lmc_leak_write,
	.llseek = noop_llseek,
};

static int __init lmc_leak_init(void)
{
	lmc_test_debugfs_file("leak", 0200, &lmc_leak_fops);
	return 0;
}
late_initcall(lmc_leak_init);
