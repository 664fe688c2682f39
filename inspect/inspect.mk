# SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
# luo-inspect: what a kexec handover carries (docs/troubleshooting.md).
# Include from the repository's top-level Makefile:
#   luo-inspect           build/inspect/luo-inspect (libfdt, dynamic)
#   luo-inspect-static    build/inspect/luo-inspect-static (for the guest)
#   inspect-unit          cmocka tests of the decoder under ASan/UBSan
#   inspect-cli           the command line against fake debugfs trees
#   inspect-fuzz-smoke    libFuzzer on the decoder, bounded (30 s), from the
#                         committed seeds in tests/inspect/corpus (mkseeds.c)
#   inspect-fuzz          the same, longer (INSPECT_FUZZ_TIME, default 600 s)

INSPECT_OUT   := build/inspect
INSPECT_SRC   := inspect/luo-inspect.c inspect/handover.c
INSPECT_DEPS  := $(INSPECT_SRC) inspect/handover.h
INSPECT_T     := tests/inspect
INSPECT_CFLAGS ?= -O2 -g
INSPECT_WARN  := -std=c11 -Wall -Wextra -Werror
INSPECT_SAN   := -std=c11 -g -O1 -Wall -Wextra -Werror -fsanitize=address,undefined \
		 -fno-sanitize-recover=all -fno-omit-frame-pointer
INSPECT_FUZZ_SMOKE_TIME ?= 30
INSPECT_FUZZ_TIME ?= 600

.PHONY: luo-inspect luo-inspect-static inspect-unit inspect-cli \
	inspect-fuzz-smoke inspect-fuzz

$(INSPECT_OUT)/luo-inspect: $(INSPECT_DEPS)
	@mkdir -p $(@D)
	$(CC) $(INSPECT_CFLAGS) $(CFLAGS) $(INSPECT_WARN) -o $@ $(INSPECT_SRC) -lfdt

$(INSPECT_OUT)/luo-inspect-static: $(INSPECT_DEPS)
	@mkdir -p $(@D)
	gcc -static -O2 $(INSPECT_WARN) -o $@ $(INSPECT_SRC) -lfdt

$(INSPECT_OUT)/test_handover: $(INSPECT_T)/test_handover.c $(INSPECT_T)/mkhandover.h $(INSPECT_DEPS)
	@mkdir -p $(@D)
	clang $(INSPECT_SAN) -o $@ $< inspect/handover.c -lfdt -lcmocka

$(INSPECT_OUT)/mktree: $(INSPECT_T)/mktree.c $(INSPECT_T)/mkhandover.h
	@mkdir -p $(@D)
	clang $(INSPECT_SAN) -o $@ $< -lfdt

$(INSPECT_OUT)/luo-inspect-san: $(INSPECT_DEPS)
	@mkdir -p $(@D)
	clang $(INSPECT_SAN) -o $@ $(INSPECT_SRC) -lfdt

$(INSPECT_OUT)/fuzz_handover: $(INSPECT_T)/fuzz_handover.c $(INSPECT_DEPS)
	@mkdir -p $(@D)
	clang $(INSPECT_SAN) -fsanitize=fuzzer -o $@ $< inspect/handover.c -lfdt

luo-inspect: $(INSPECT_OUT)/luo-inspect
luo-inspect-static: $(INSPECT_OUT)/luo-inspect-static

inspect-unit: $(INSPECT_OUT)/test_handover
	ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 $<

# The CLI test runs the sanitized build; it copies it to the name it runs.
inspect-cli: $(INSPECT_OUT)/luo-inspect-san $(INSPECT_OUT)/mktree
	@mkdir -p $(INSPECT_OUT)/cli
	cp $(INSPECT_OUT)/luo-inspect-san $(INSPECT_OUT)/cli/luo-inspect
	cp $(INSPECT_OUT)/mktree $(INSPECT_OUT)/cli/mktree
	ASAN_OPTIONS=detect_leaks=1 $(INSPECT_T)/cli_test.sh $(INSPECT_OUT)/cli

inspect-fuzz-smoke: $(INSPECT_OUT)/fuzz_handover
	scripts/fuzz-run.sh $< $(INSPECT_OUT) $(INSPECT_FUZZ_SMOKE_TIME) 4096 $(INSPECT_T)/corpus fuzz-smoke

inspect-fuzz: $(INSPECT_OUT)/fuzz_handover
	scripts/fuzz-run.sh $< $(INSPECT_OUT) $(INSPECT_FUZZ_TIME) 65536 $(INSPECT_T)/corpus fuzz
