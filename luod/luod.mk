# SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
# Copyright (c) 2026 The luo-memfd authors
# luod, the live-update broker, and luoctl (docs/luod.md). Included from the
# top-level Makefile:
#   luod             build/luod/{luod,luoctl}, static (they run in the guest)
#   luod-unit        cmocka tests of the protocol and the owner record, ASan+UBSan
#   luod-fuzz-smoke  libFuzzer on every decoder of untrusted bytes, 30 s
#   luod-fuzz        the same, LUOD_FUZZ_TIME seconds (default 600)
#   luod-install     luod into LIBEXECDIR, luoctl into BINDIR, the systemd units
#                    into SYSTEMDUNITDIR (under DESTDIR); luod-uninstall

LUOD_OUT := $(REPO)/build/luod
LUOD_WARN := -std=c11 -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wvla
LUOD_INC := -I$(REPO)/include -I$(REPO)/libluo -I$(REPO)/luod
LUOD_SAN := -g -O1 -fsanitize=address,undefined -fno-sanitize-recover=all \
	-fno-omit-frame-pointer
LUOD_FUZZ_TIME ?= 600
LUOD_DEPS := $(REPO)/luod/registry.h $(REPO)/luod/fdinfo.h $(REPO)/libluo/luod_proto.h \
	$(LIBLUO_HEADER)
LUOD_PURE := $(REPO)/libluo/luod_proto.c $(REPO)/luod/registry.c $(REPO)/luod/fdinfo.c

LIBEXECDIR ?= $(PREFIX)/libexec
BINDIR ?= $(PREFIX)/bin
SYSTEMDUNITDIR ?= $(PREFIX)/lib/systemd/system

.PHONY: luod luod-unit luod-fuzz-smoke luod-fuzz luod-stage luod-install luod-uninstall

LUOD_SRCS := $(REPO)/luod/luod.c $(REPO)/luod/registry.c $(REPO)/luod/fdinfo.c \
	$(REPO)/luod/keeper.c $(REPO)/luod/fdmsg.c

$(LUOD_OUT)/luod: $(LUOD_SRCS) $(REPO)/luod/keeper.h $(REPO)/luod/fdmsg.h $(LUOD_DEPS) \
		$(LIBLUO_STATIC_LIB)
	@mkdir -p $(@D)
	$(CC) $(LUOD_INC) $(LUOD_WARN) -O2 -g -static -o $@ $(LUOD_SRCS) $(LIBLUO_STATIC_LIB)

$(LUOD_OUT)/luoctl: $(REPO)/luod/luoctl.c $(LUOD_DEPS) $(LIBLUO_STATIC_LIB)
	@mkdir -p $(@D)
	$(CC) $(LUOD_INC) $(LUOD_WARN) -O2 -g -static -o $@ $(REPO)/luod/luoctl.c \
		$(LIBLUO_STATIC_LIB)

luod: $(LUOD_OUT)/luod $(LUOD_OUT)/luoctl

$(LUOD_OUT)/test_luod: $(REPO)/tests/luod/test_luod.c $(LUOD_PURE) $(LUOD_DEPS)
	@mkdir -p $(@D)
	$(CC) $(LUOD_INC) $(LUOD_WARN) $(LUOD_SAN) -o $@ $< $(LUOD_PURE) -lcmocka

luod-unit: $(LUOD_OUT)/test_luod
	ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 $<

$(LUOD_OUT)/fuzz_luod: $(REPO)/tests/luod/fuzz_luod.c $(LUOD_PURE) $(LUOD_DEPS)
	@mkdir -p $(@D)
	clang $(LUOD_INC) $(LUOD_WARN) $(LUOD_SAN) -fsanitize=fuzzer -o $@ $< $(LUOD_PURE)

luod-fuzz-smoke: $(LUOD_OUT)/fuzz_luod
	@mkdir -p $(LUOD_OUT)/corpus
	$< -max_total_time=30 -max_len=8192 $(LUOD_OUT)/corpus

luod-fuzz: $(LUOD_OUT)/fuzz_luod
	@mkdir -p $(LUOD_OUT)/corpus
	$< -max_total_time=$(LUOD_FUZZ_TIME) -max_len=8192 $(LUOD_OUT)/corpus

# The QEMU stage program of the `luod` suite (tests/luod/luod_stage.c).
$(LUOD_OUT)/luod_stage: $(REPO)/tests/luod/luod_stage.c $(REPO)/tests/common/stage.h \
		$(REPO)/tests/common/luod_start.h $(LUOD_DEPS) $(LIBLUO_STATIC_LIB)
	@mkdir -p $(@D)
	$(CC) $(LUOD_INC) $(LUOD_WARN) -O2 -g -static -o $@ $< $(LIBLUO_STATIC_LIB)

luod-stage: luod $(LUOD_OUT)/luod_stage

luod-install: luod
	install -d $(DESTDIR)$(LIBEXECDIR) $(DESTDIR)$(BINDIR) $(DESTDIR)$(SYSTEMDUNITDIR)
	install -m 0755 $(LUOD_OUT)/luod $(DESTDIR)$(LIBEXECDIR)/luod
	install -m 0755 $(LUOD_OUT)/luoctl $(DESTDIR)$(BINDIR)/luoctl
	install -m 0644 $(REPO)/luod/luod.socket $(DESTDIR)$(SYSTEMDUNITDIR)/luod.socket
	sed 's|@LIBEXECDIR@|$(LIBEXECDIR)|' $(REPO)/luod/luod.service > \
		$(DESTDIR)$(SYSTEMDUNITDIR)/luod.service
	chmod 0644 $(DESTDIR)$(SYSTEMDUNITDIR)/luod.service

luod-uninstall:
	rm -f $(DESTDIR)$(LIBEXECDIR)/luod $(DESTDIR)$(BINDIR)/luoctl \
		$(DESTDIR)$(SYSTEMDUNITDIR)/luod.socket $(DESTDIR)$(SYSTEMDUNITDIR)/luod.service
