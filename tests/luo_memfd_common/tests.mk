# SPDX-License-Identifier: GPL-2.0
# Userspace tests of the pure part of luo_memfd_common
# (lib/luo_memfd_common/layout.c + include/linux/luo_memfd_layout.h).
# Include from the repository's top-level Makefile (paths are relative to
# the repository root):
#   lmc-unit        cmocka tests under ASan/UBSan
#   lmc-fuzz-smoke  libFuzzer on the incoming-data validators, bounded (30 s),
#                   from the committed seeds in corpus/ (make-seeds.py)
#   lmc-fuzz        the same, longer (LMC_FUZZ_TIME seconds, default 600)
# Outputs under build/tests/luo_memfd_common/.

LMC_SRC   := tests/luo_memfd_common
LMC_OUT   := build/tests/luo_memfd_common
LMC_LIB   := kernel/lib/luo_memfd_common/layout.c
LMC_SEEDS := $(LMC_SRC)/corpus
LMC_DEPS  := $(LMC_LIB) include/linux/luo_memfd_layout.h $(LMC_SRC)/lmc_compat.h
LMC_CC    ?= clang
LMC_FLAGS := -std=gnu11 -g -O1 -Wall -Wextra -Werror -I$(LMC_SRC) -idirafter include \
	     -fsanitize=address,undefined -fno-sanitize-recover=all \
	     -fno-omit-frame-pointer
LMC_FUZZ_SMOKE_TIME ?= 30
LMC_FUZZ_TIME ?= 600

.PHONY: lmc-unit lmc-fuzz-smoke lmc-fuzz

$(LMC_OUT)/lmc_unit: $(LMC_SRC)/lmc_unit.c $(LMC_DEPS)
	@mkdir -p $(@D)
	$(LMC_CC) $(LMC_FLAGS) -o $@ $(LMC_SRC)/lmc_unit.c $(LMC_LIB) -lcmocka

$(LMC_OUT)/lmc_fuzz: $(LMC_SRC)/lmc_fuzz.c $(LMC_DEPS)
	@mkdir -p $(@D)
	clang $(LMC_FLAGS) -fsanitize=fuzzer -o $@ $(LMC_SRC)/lmc_fuzz.c $(LMC_LIB)

lmc-unit: $(LMC_OUT)/lmc_unit
	ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 $<

# -max_total_time bounds the run; new inputs go to the first corpus
# directory, which persists between runs; the seeds are read, never written.
lmc-fuzz-smoke: $(LMC_OUT)/lmc_fuzz
	scripts/fuzz-run.sh $< $(LMC_OUT) $(LMC_FUZZ_SMOKE_TIME) 4096 $(LMC_SEEDS) fuzz-smoke

lmc-fuzz: $(LMC_OUT)/lmc_fuzz
	scripts/fuzz-run.sh $< $(LMC_OUT) $(LMC_FUZZ_TIME) 65536 $(LMC_SEEDS) fuzz
