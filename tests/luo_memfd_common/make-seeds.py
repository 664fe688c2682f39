#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Write the seed corpus of lmc_fuzz.c (tests/luo_memfd_common/corpus).

Each seed is the fuzzer's 64-byte header followed by a folio array (or an
hstate table), built here from first principles: what a shmem file of base
pages, a HugeTLB file of 2 MiB or 1 GiB pages, and the accounting FLB look
like on the wire. usage: make-seeds.py [DIR]
"""
import os
import struct
import sys

PAGE_SHIFT = 12


def header(nr, size, max_pfn, min_order, max_order, *, allowed=3,
           order_seed=0x80, total_pages=1, desc_order=0, nr_mod=False,
           hstates=0, pos=0, seals=0, fflags=0):
    """The fuzzer's header: see LLVMFuzzerTestOneInput() in lmc_fuzz.c."""
    return struct.pack("<QQQIBBBBQIBBBBQII", nr, size, max_pfn, allowed,
                       min_order, max_order, PAGE_SHIFT - 9, order_seed,
                       total_pages, desc_order, 1 if nr_mod else 0, hstates,
                       0, 0, pos, seals, fflags)


def entries(folios, flags=0):
    """memfd_luo_folio_ser entries: (pfn | flags << 52, index), little-endian."""
    return b"".join(struct.pack("<QQ", pfn | flags << 52, index)
                    for pfn, index in folios)


def pages_for(nbytes):
    return max(1, -(-nbytes // (1 << PAGE_SHIFT)))


def array_seed(order, count, max_pfn, **kw):
    folios = [((k + 1) << order, k << order) for k in range(count)]
    arr = entries(folios)
    size = count << (order + PAGE_SHIFT)
    return header(count, size, max_pfn, order, order,
                  total_pages=pages_for(len(arr)), **kw) + arr


def seeds():
    # shmem: eight base pages, a position inside and every known seal
    yield "shmem-order0", array_seed(0, 8, 1 << 20, pos=100, seals=0x1f)
    # HugeTLB 2 MiB: four pages of order 9
    yield "hugetlb-2m", array_seed(9, 4, 1 << 20, seals=0x10)
    # HugeTLB 1 GiB: two pages of order 18
    yield "hugetlb-1g", array_seed(18, 2, 1 << 22)
    # shmem with a hole (pfn 0) and a last page past a short i_size
    arr = entries([(0x1000, 0), (0, 1), (0x1002, 2)])
    yield "shmem-hole", header(3, 2 * 4096 + 1, 1 << 20, 0, 9,
                               total_pages=1, pos=8193) + arr
    # accounting FLB: 16 pages of 2 MiB and 2 of 1 GiB
    table = struct.pack("<IIQIIQ", 9, 0, 16, 18, 0, 2)
    yield "hstates", header(0, 0, 1 << 22, 0, 0, hstates=2) + table
    # a header at its limits: position 2^63 - 1, count reduced mod 4096
    yield "limits", header(1 << 40, 1 << 62, 1 << 40, 0, 0, nr_mod=True,
                           pos=(1 << 63) - 1, seals=0x7f) + entries([(1, 0)])


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "corpus")
    os.makedirs(out, exist_ok=True)
    for name, data in seeds():
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)
        print(f"{name}: {len(data)} bytes")


if __name__ == "__main__":
    main()
