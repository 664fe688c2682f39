// SPDX-License-Identifier: GPL-2.0
/*
 * Test-only corruption of a preserved file's serialized state, for any file
 * handler, so that the next kernel's validation of untrusted input can be
 * exercised across a real kexec (the conformance suite's corrupted-state
 * cases).
 *
 * Each write of "TOKEN OFFSET SIZE VALUE" to
 * /sys/kernel/debug/liveupdate_corrupt adds a rule: at the freeze of an
 * outgoing file with token TOKEN, the SIZE bytes (1, 2, 4 or 8) at byte
 * OFFSET of the block its serialized data points at are replaced by VALUE
 * (hexadecimal, stored little-endian). Nothing is written unless those bytes
 * lie in one page of memory preserved for the next kernel. An unfreeze (the
 * kexec did not happen) puts the old bytes back before the handler's own
 * unfreeze runs. Writing "clear" drops the rules not applied; reading lists
 * the rules and whether each was applied.
 */
#define pr_fmt(fmt) "luo corrupt test: " fmt

#include <linux/debugfs.h>
#include <linux/init.h>
#include <linux/io.h>
#include <linux/kexec_handover.h>
#include <linux/kstrtox.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/seq_file.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "luo_internal.h"

#define LUO_CORRUPT_MAX_RULES	64

struct luo_corrupt_rule {
	u64 token;
	u32 offset;
	u32 size;
	u64 value;
	bool applied;
	void *at;		/* where it was applied, until undone */
	__le64 old;		/* the bytes it replaced */
};

static struct luo_corrupt_rule luo_corrupt_rules[LUO_CORRUPT_MAX_RULES];
static unsigned int luo_corrupt_nr;
static DEFINE_MUTEX(luo_corrupt_lock);

/* Whether [@pa, @pa + @size) lies in one page of preserved memory. */
static bool luo_corrupt_target_ok(phys_addr_t pa, u32 size)
{
	unsigned int order;

	if (offset_in_page(pa) + size > PAGE_SIZE)
		return false;
	for (order = 0; order <= MAX_PAGE_ORDER; order++)
		if (kho_is_preserved(ALIGN_DOWN(pa, PAGE_SIZE << order), order))
			return true;
	return false;
}

void luo_corrupt_test_freeze(u64 token, u64 data)
{
	unsigned int i;

	guard(mutex)(&luo_corrupt_lock);
	for (i = 0; i < luo_corrupt_nr; i++) {
		struct luo_corrupt_rule *r = &luo_corrupt_rules[i];
		phys_addr_t pa = data + r->offset;
		__le64 v = cpu_to_le64(r->value);

		if (r->applied || r->token != token)
			continue;
		if (!data || !luo_corrupt_target_ok(pa, r->size)) {
			pr_warn("token %llu: offset %u of its serialized data %#llx is not preserved memory: not corrupted\n",
				token, r->offset, data);
			continue;
		}
		r->at = phys_to_virt(pa);
		r->old = 0;
		memcpy(&r->old, r->at, r->size);
		memcpy(r->at, &v, r->size);
		r->applied = true;
		pr_info("token %llu: %u bytes at offset %u of its serialized data set to %#llx (were %#llx)\n",
			token, r->size, r->offset, r->value, le64_to_cpu(r->old));
	}
}

void luo_corrupt_test_unfreeze(u64 token)
{
	unsigned int i;

	guard(mutex)(&luo_corrupt_lock);
	/* Last applied first: two rules may overlap. */
	for (i = luo_corrupt_nr; i-- > 0;) {
		struct luo_corrupt_rule *r = &luo_corrupt_rules[i];

		if (!r->applied || r->token != token)
			continue;
		memcpy(r->at, &r->old, r->size);
		r->applied = false;
		r->at = NULL;
	}
}

static int luo_corrupt_show(struct seq_file *m, void *v)
{
	unsigned int i;

	guard(mutex)(&luo_corrupt_lock);
	for (i = 0; i < luo_corrupt_nr; i++) {
		const struct luo_corrupt_rule *r = &luo_corrupt_rules[i];

		seq_printf(m, "%llu %u %u %llx %s\n", r->token, r->offset,
			   r->size, r->value, r->applied ? "applied" : "pending");
	}
	return 0;
}

static int luo_corrupt_open(struct inode *inode, struct file *file)
{
	return single_open(file, luo_corrupt_show, NULL);
}

static int luo_corrupt_clear(void)
{
	unsigned int i, n = 0;

	for (i = 0; i < luo_corrupt_nr; i++)
		if (luo_corrupt_rules[i].applied)
			luo_corrupt_rules[n++] = luo_corrupt_rules[i];
	luo_corrupt_nr = n;
	return 0;
}

static ssize_t luo_corrupt_write(struct file *file, const char __user *ubuf,
				 size_t len, loff_t *ppos)
{
	struct luo_corrupt_rule r = {};
	char buf[96];
	int err;

	if (len >= sizeof(buf))
		return -EINVAL;
	if (copy_from_user(buf, ubuf, len))
		return -EFAULT;
	buf[len] = '\0';
	strim(buf);

	guard(mutex)(&luo_corrupt_lock);
	if (!strcmp(buf, "clear")) {
		err = luo_corrupt_clear();
		return err ?: len;
	}
	if (sscanf(buf, "%llu %u %u %llx", &r.token, &r.offset, &r.size,
		   &r.value) != 4)
		return -EINVAL;
	if (r.size != 1 && r.size != 2 && r.size != 4 && r.size != 8)
		return -EINVAL;
	if (r.offset >= PAGE_SIZE)
		return -EINVAL;
	if (luo_corrupt_nr == LUO_CORRUPT_MAX_RULES)
		return -ENOSPC;
	luo_corrupt_rules[luo_corrupt_nr++] = r;
	return len;
}

static const struct file_operations luo_corrupt_fops = {
	.owner = THIS_MODULE,
	.open = luo_corrupt_open,
	.read = seq_read,
	.llseek = seq_lseek,
	.release = single_release,
	.write = luo_corrupt_write,
};

static int __init luo_corrupt_test_init(void)
{
	debugfs_create_file("liveupdate_corrupt", 0600, NULL, NULL,
			    &luo_corrupt_fops);
	return 0;
}
late_initcall(luo_corrupt_test_init);
