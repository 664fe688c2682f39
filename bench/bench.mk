# SPDX-License-Identifier: GPL-2.0
# `make bench`: preserve / retrieve / finish cost, stock vs ours (bench/run.sh).
BENCH_OUT := $(REPO)/build/bench

$(BENCH_OUT)/bench: $(REPO)/bench/bench.c $(LIBLUO_STATIC_LIB) $(LIBLUO_HEADER)
	@mkdir -p $(BENCH_OUT)
	$(CC) -std=gnu11 -static -O2 -Wall -Wextra -Werror -I$(LIBLUO_INCLUDE) \
		-isystem $(KHDR) $< $(LIBLUO_STATIC_LIB) -o $@

.PHONY: bench bench-bin bench-smoke
bench-bin: $(BENCH_OUT)/bench

bench: deps
	@bench/run.sh

bench-smoke: deps
	@bench/run.sh --smoke
