// SPDX-License-Identifier: GPL-2.0
/*
 * xas_find() in a sparse node that runs out at its limit stops just past the
 * limit, as the slot-by-slot walk of stock 7.3 does, and a find with a
 * larger limit goes on from there. Patch 0009 skips runs of empty slots in
 * one loop; this fails if the skip ignores the limit. Built and run in
 * userspace with the kernel's own XArray test harness
 * (tools/testing/radix-tree) by tests/xarray/run.sh.
 */
#include "xarray-shared.h"
#include "test.h"

static int n, failed;

static void check(int ok, const char *what)
{
	printf("%sok %d %s\n", ok ? "" : "not ", ++n, what);
	failed += !ok;
}

int main(void)
{
	DEFINE_XARRAY(xa);
	XA_STATE(xas, &xa, 0);
	const unsigned long c = XA_CHUNK_SIZE;
	unsigned long i;

	rcu_register_thread();
	radix_tree_init();
	printf("1..8\n");
	/* Entries at 0, c-1, 2(c-1), 3(c-1): one or two per node. */
	for (i = 0; i < 3 * c; i += c - 1)
		xa_store(&xa, i, xa_mk_value(i), GFP_KERNEL);

	rcu_read_lock();
	check(xas_find(&xas, c - 3) == xa_mk_value(0), "first entry");
	check(!xas_find(&xas, c - 3), "none up to the limit in the first node");
	check(xas.xa_index == c - 2, "stops just past the limit");
	check(xas_find(&xas, ULONG_MAX) == xa_mk_value(c - 1),
	      "a larger limit goes on to the next entry");
	check(!xas_find(&xas, c), "none up to a limit in the second node");
	check(xas.xa_index == c + 1, "stops just past that limit");
	check(xas_find(&xas, ULONG_MAX) == xa_mk_value(2 * (c - 1)) &&
	      xas_find(&xas, ULONG_MAX) == xa_mk_value(3 * (c - 1)),
	      "the entries after it in order");
	check(!xas_find(&xas, ULONG_MAX), "none after the last");
	rcu_read_unlock();

	xa_destroy(&xa);
	radix_tree_cpu_dead(1);
	rcu_barrier();
	rcu_unregister_thread();
	return failed ? 1 : 0;
}
