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
	@mkdir -p $(LMC_OUT)/corpus $(LMC_OUT)/artifacts
	$< -max_total_time=$(LMC_FUZZ_SMOKE_TIME) -max_len=4096 -timeout=10 \
		-artifact_prefix=$(LMC_OUT)/artifacts/ -print_final_stats=1 \
		$(LMC_OUT)/corpus $(LMC_SEEDS) 2>$(LMC_OUT)/fuzz-smoke.log || \
		{ tail -40 $(LMC_OUT)/fuzz-smoke.log; exit 1; }
	@grep -E 'stat::number_of_executed_units|Done' $(LMC_OUT)/fuzz-smoke.log | tail -2

lmc-fuzz: $(LMC_OUT)/lmc_fuzz
	@mkdir -p $(LMC_OUT)/corpus $(LMC_OUT)/artifacts
	$< -max_total_time=$(LMC_FUZZ_TIME) -max_len=65536 -timeout=10 \
		-artifact_prefix=$(LMC_OUT)/artifacts/ -print_final_stats=1 \
		$(LMC_OUT)/corpus $(LMC_SEEDS) 2>$(LMC_OUT)/fuzz.log || \
		{ tail -40 $(LMC_OUT)/fuzz.log; exit 1; }
	@grep -E 'stat::number_of_executed_units|Done' $(LMC_OUT)/fuzz.log | tail -2
