// SPDX-License-Identifier: GPL-2.0
/*
 * luo_memfd_common: exact undo of a preservation, before kexec.
 */
#include <linux/export.h>
#include <linux/kexec_handover.h>
#include <linux/kho/abi/memfd.h>
#include <linux/mm.h>
#include <linux/string.h>
#include <linux/vmalloc.h>

#include "internal.h"

/**
 * luo_memfd_unpreserve - Undo luo_memfd_preserve_file()/_pinned().
 * @out: Outgoing state filled by a successful preservation.
 *
 * Unpreserves the array and every folio with KHO, releases the pins and frees
 * the array. Afterwards the folios have exactly the references they had
 * before preservation and KHO tracks nothing of this file. Linear in the
 * number of folios. @out is cleared.
 *
 * Context: Process context, may sleep.
 */
void luo_memfd_unpreserve(struct luo_memfd_out *out)
{
	const struct luo_memfd_preserve_ops *ops = out->ops;
	u64 i;

	if (out->nr) {
		lmc_test_uncorrupt(out);
		kho_unpreserve_vmalloc(out->desc);
		for (i = 0; i < out->nr; i++) {
			struct luo_memfd_entry e;
			struct folio *folio;

			luo_memfd_decode_entry(out->ser, i, &e);
			folio = pfn_folio(e.pfn);

			kho_unpreserve_folio(folio);
			if (ops && ops->unpin_folio)
				ops->unpin_folio(folio, out->arg);
			else
				unpin_folio(folio);
			cond_resched();
		}
		vfree(out->ser);
		memset(out->desc, 0, sizeof(*out->desc));
	}
	memset(out, 0, sizeof(*out));
}
EXPORT_SYMBOL_GPL(luo_memfd_unpreserve);
