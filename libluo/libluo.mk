# SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
# Copyright (c) 2026 The luo-memfd authors
#
# libluo make fragment. Included by the top-level Makefile, or used alone:
#   make -f libluo/libluo.mk REPO=$PWD libluo libluo-test examples docs
#
# Targets:
#   libluo              build/libluo/{libluo.a,libluo.so.1*,libluo.pc}, export check
#   libluo-install      install into $(DESTDIR)$(PREFIX): libraries, header,
#                       pkg-config file, man pages, licence texts
#   libluo-uninstall    remove exactly what libluo-install installed
#   libluo-man          man pages (Doxygen) in build/docs/man/man3
#   libluo-test         cmocka unit tests under ASan+UBSan, syscalls wrapped
#   libluo-integration  build/tests/libluo/integration (static KTAP stage program)
#   libluo-check-uapi   libluo/luo_abi.h against KHDR's <linux/liveupdate.h>
#   examples            build/examples/luo-memfd-demo (static)
#   docs                Doxygen HTML in build/docs/html, warnings are errors
#   libluo-clean        remove everything above from build/
#
# Exports LIBLUO_STATIC_LIB (path of libluo.a) and LIBLUO_INCLUDE for other
# static guest programs.
#
# A distribution builds it with its own flags and no kernel tree:
#   make -f libluo/libluo.mk REPO=$PWD CFLAGS=... CPPFLAGS=... LDFLAGS=... \
#        PREFIX=/usr LIBDIR=/usr/lib/x86_64-linux-gnu DESTDIR=... libluo-install
# CFLAGS defaults to -O2 -g; warnings are errors only with WERROR=1 (the
# project's own tests build with it).

LIBLUO_SAVED_GOAL := $(.DEFAULT_GOAL)

REPO ?= $(CURDIR)
# Only libluo-check-uapi reads a kernel header: libluo itself carries the ABI
# it uses (libluo/luo_abi.h) and builds without a kernel tree.
KHDR ?= $(REPO)/build/kernel/stock/usr/include
PREFIX ?= /usr/local
LIBDIR ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig
MANDIR ?= $(PREFIX)/share/man
DOCDIR ?= $(PREFIX)/share/doc/libluo
DESTDIR ?=
CC ?= cc
AR ?= ar
DOXYGEN ?= doxygen
WERROR ?= 0
# Where the project lives; goes into libluo.pc as URL.
LIBLUO_URL ?= https://docs.kernel.org/core-api/liveupdate.html

LIBLUO_VERSION := 1.2.0
LIBLUO_SONAME := libluo.so.1

LIBLUO_SRCDIR := $(REPO)/libluo
LIBLUO_INCLUDE := $(REPO)/include
LIBLUO_OUT := $(REPO)/build/libluo
LIBLUO_TEST_OUT := $(REPO)/build/tests/libluo
LIBLUO_EXAMPLES_OUT := $(REPO)/build/examples
LIBLUO_DOCS_OUT := $(REPO)/build/docs

LIBLUO_STATIC_LIB := $(LIBLUO_OUT)/libluo.a
LIBLUO_SHARED_LIB := $(LIBLUO_OUT)/libluo.so.$(LIBLUO_VERSION)
LIBLUO_PC := $(LIBLUO_OUT)/libluo.pc
LIBLUO_MAP := $(LIBLUO_SRCDIR)/libluo.map
LIBLUO_HEADER := $(LIBLUO_INCLUDE)/libluo.h

LIBLUO_SRCS := $(addprefix $(LIBLUO_SRCDIR)/,opts.c session.c memfd.c memfd_probe.c probe.c fdpass.c strerror.c \
	broker.c luod_proto.c)
LIBLUO_OBJS := $(patsubst $(LIBLUO_SRCDIR)/%.c,$(LIBLUO_OUT)/obj/%.o,$(LIBLUO_SRCS))
LIBLUO_DEPS_H := $(LIBLUO_HEADER) $(LIBLUO_SRCDIR)/internal.h $(LIBLUO_SRCDIR)/luo_abi.h \
	$(LIBLUO_SRCDIR)/luod_proto.h

LIBLUO_WARN := -Wall -Wextra -Wshadow -Wstrict-prototypes \
	-Wmissing-prototypes -Wpointer-arith -Wformat=2 -Wundef -Wvla
LIBLUO_CPPFLAGS := -I$(LIBLUO_INCLUDE) -I$(LIBLUO_SRCDIR)
# The caller's CFLAGS come last so that they win; -O2 -g when none given.
LIBLUO_USER_CFLAGS := $(if $(strip $(CFLAGS)),$(CFLAGS),-O2 -g)
LIBLUO_CFLAGS := -std=c11 $(LIBLUO_WARN) $(if $(filter 1,$(WERROR)),-Werror) \
	-fPIC -fvisibility=hidden $(LIBLUO_USER_CFLAGS)

.PHONY: libluo libluo-install libluo-uninstall libluo-man libluo-test libluo-integration examples docs libluo-clean \
	libluo-check-uapi

# The carried ABI must equal a kernel's: a mismatch fails the compile.
libluo-check-uapi: $(REPO)/tests/libluo/check_uapi.c $(LIBLUO_SRCDIR)/luo_abi.h
	@test -f $(KHDR)/linux/liveupdate.h || { \
		echo "libluo-check-uapi: $(KHDR)/linux/liveupdate.h missing (set KHDR= to a kernel's usr/include)" >&2; \
		exit 1; }
	@mkdir -p $(LIBLUO_TEST_OUT)
	$(CC) -std=c11 $(LIBLUO_WARN) -I$(LIBLUO_SRCDIR) -isystem $(KHDR) \
		-o $(LIBLUO_TEST_OUT)/check_uapi $<
	$(LIBLUO_TEST_OUT)/check_uapi $(KHDR)

libluo: $(LIBLUO_STATIC_LIB) $(LIBLUO_OUT)/libluo.so $(LIBLUO_PC) $(LIBLUO_OUT)/exports.ok

$(LIBLUO_OUT)/obj/%.o: $(LIBLUO_SRCDIR)/%.c $(LIBLUO_DEPS_H)
	@mkdir -p $(@D)
	$(CC) $(LIBLUO_CPPFLAGS) $(CPPFLAGS) $(LIBLUO_CFLAGS) -c $< -o $@

$(LIBLUO_STATIC_LIB): $(LIBLUO_OBJS)
	@mkdir -p $(@D)
	rm -f $@
	$(AR) rcs $@ $^

$(LIBLUO_SHARED_LIB): $(LIBLUO_OBJS) $(LIBLUO_MAP)
	@mkdir -p $(@D)
	$(CC) $(LIBLUO_USER_CFLAGS) $(LDFLAGS) -shared -fPIC -Wl,-soname,$(LIBLUO_SONAME) \
		-Wl,--version-script=$(LIBLUO_MAP) -Wl,-z,defs -Wl,-z,relro -Wl,-z,now \
		-o $@ $(LIBLUO_OBJS)

$(LIBLUO_OUT)/$(LIBLUO_SONAME): $(LIBLUO_SHARED_LIB)
	ln -sf $(notdir $<) $@

$(LIBLUO_OUT)/libluo.so: $(LIBLUO_OUT)/$(LIBLUO_SONAME)
	ln -sf $(LIBLUO_SONAME) $@

# The dynamic symbol table must equal the version script's global list
# (every symbol versioned LIBLUO_1.0), and the header's LUO_API list too.
$(LIBLUO_OUT)/exports.ok: $(LIBLUO_SHARED_LIB) $(LIBLUO_MAP) $(LIBLUO_HEADER) \
		$(LIBLUO_SRCDIR)/check-exports.sh
	sh $(LIBLUO_SRCDIR)/check-exports.sh $(LIBLUO_SHARED_LIB) $(LIBLUO_MAP) $(LIBLUO_HEADER)
	@touch $@

# libluo.pc names its directories relative to ${prefix} where they lie
# under it, so that a relocated tree (or a sysroot) still works.
LIBLUO_PC_REL = $(if $(filter $(PREFIX)/%,$(1)),$${prefix}$(patsubst $(PREFIX)%,%,$(1)),$(1))
define LIBLUO_PC_GEN
sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(call LIBLUO_PC_REL,$(LIBDIR))|' \
	-e 's|@INCLUDEDIR@|$(call LIBLUO_PC_REL,$(INCLUDEDIR))|' \
	-e 's|@VERSION@|$(LIBLUO_VERSION)|' -e 's|@URL@|$(LIBLUO_URL)|' \
	$(LIBLUO_SRCDIR)/libluo.pc.in
endef

$(LIBLUO_PC): $(LIBLUO_SRCDIR)/libluo.pc.in
	@mkdir -p $(@D)
	$(LIBLUO_PC_GEN) > $@

# Man pages: Doxygen writes one page for the header, one per structure and
# a link page per function and macro. Only the library's own names are
# installed: the link pages Doxygen makes for structure members (sz.3,
# flags.3, ...) would clash with other packages.
LIBLUO_MAN_OUT := $(LIBLUO_DOCS_OUT)/man/man3
LIBLUO_MAN_PAGES = $(wildcard $(LIBLUO_MAN_OUT)/libluo.h.3 $(LIBLUO_MAN_OUT)/luo_*.3 \
	$(LIBLUO_MAN_OUT)/LUO_*.3 $(LIBLUO_MAN_OUT)/LIBLUO_*.3)
LIBLUO_LICENSES := $(addprefix $(LIBLUO_SRCDIR)/,COPYING LICENSES/LGPL-2.1 LICENSES/MIT)

libluo-man: docs

libluo-install: libluo libluo-man
	install -d $(DESTDIR)$(LIBDIR) $(DESTDIR)$(INCLUDEDIR) $(DESTDIR)$(PKGCONFIGDIR) \
		$(DESTDIR)$(MANDIR)/man3 $(DESTDIR)$(DOCDIR)
	install -m 0644 $(LIBLUO_STATIC_LIB) $(DESTDIR)$(LIBDIR)/libluo.a
	install -m 0755 $(LIBLUO_SHARED_LIB) $(DESTDIR)$(LIBDIR)/libluo.so.$(LIBLUO_VERSION)
	ln -sf libluo.so.$(LIBLUO_VERSION) $(DESTDIR)$(LIBDIR)/$(LIBLUO_SONAME)
	ln -sf $(LIBLUO_SONAME) $(DESTDIR)$(LIBDIR)/libluo.so
	install -m 0644 $(LIBLUO_HEADER) $(DESTDIR)$(INCLUDEDIR)/libluo.h
	$(LIBLUO_PC_GEN) > $(DESTDIR)$(PKGCONFIGDIR)/libluo.pc
	chmod 0644 $(DESTDIR)$(PKGCONFIGDIR)/libluo.pc
	install -m 0644 $(LIBLUO_MAN_PAGES) $(DESTDIR)$(MANDIR)/man3/
	install -m 0644 $(LIBLUO_LICENSES) $(DESTDIR)$(DOCDIR)/
	@echo "libluo-install: $(DESTDIR)$(PREFIX): libluo $(LIBLUO_VERSION), $(words $(LIBLUO_MAN_PAGES)) man pages"

libluo-uninstall:
	rm -f $(DESTDIR)$(LIBDIR)/libluo.a $(DESTDIR)$(LIBDIR)/libluo.so \
		$(DESTDIR)$(LIBDIR)/$(LIBLUO_SONAME) $(DESTDIR)$(LIBDIR)/libluo.so.$(LIBLUO_VERSION) \
		$(DESTDIR)$(INCLUDEDIR)/libluo.h $(DESTDIR)$(PKGCONFIGDIR)/libluo.pc \
		$(addprefix $(DESTDIR)$(DOCDIR)/,$(notdir $(LIBLUO_LICENSES)))
	rm -f $(DESTDIR)$(MANDIR)/man3/libluo.h.3 $(DESTDIR)$(MANDIR)/man3/luo_*.3 \
		$(DESTDIR)$(MANDIR)/man3/LUO_*.3 $(DESTDIR)$(MANDIR)/man3/LIBLUO_*.3
	-rmdir $(DESTDIR)$(DOCDIR) 2>/dev/null

# ---------------------------------------------------------------- unit tests
# The library is rebuilt with the sanitizers and linked statically into the
# test binary; -Wl,--wrap routes its system calls to tests/libluo/wrap.c.
LIBLUO_SAN := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
LIBLUO_WRAPPED := open close read ioctl memfd_create ftruncate fallocate mmap munmap \
	madvise fcntl fstat fstatfs lseek stat sendmsg recvmsg recv getsockopt
LIBLUO_COMMA := ,
LIBLUO_EMPTY :=
LIBLUO_SPACE := $(LIBLUO_EMPTY) $(LIBLUO_EMPTY)
LIBLUO_WRAP_LDFLAGS := -Wl,$(subst $(LIBLUO_SPACE),$(LIBLUO_COMMA),$(addprefix --wrap=,$(LIBLUO_WRAPPED)))
LIBLUO_TEST_DIR := $(REPO)/tests/libluo
LIBLUO_TEST_SRCS := $(addprefix $(LIBLUO_TEST_DIR)/,main.c wrap.c test_opts.c test_session.c \
	test_memfd.c test_memfd_probe.c test_probe.c test_fdpass.c test_strerror.c)
LIBLUO_TEST_LIB_OBJS := $(patsubst $(LIBLUO_SRCDIR)/%.c,$(LIBLUO_TEST_OUT)/obj/lib/%.o,$(LIBLUO_SRCS))
LIBLUO_TEST_OBJS := $(patsubst $(LIBLUO_TEST_DIR)/%.c,$(LIBLUO_TEST_OUT)/obj/%.o,$(LIBLUO_TEST_SRCS))
LIBLUO_TEST_BIN := $(LIBLUO_TEST_OUT)/test_libluo
LIBLUO_TEST_CFLAGS := -std=c11 $(LIBLUO_WARN) -Werror -Wno-missing-prototypes -O1 -g $(LIBLUO_SAN)

$(LIBLUO_TEST_OUT)/obj/lib/%.o: $(LIBLUO_SRCDIR)/%.c $(LIBLUO_DEPS_H)
	@mkdir -p $(@D)
	$(CC) $(LIBLUO_CPPFLAGS) $(LIBLUO_TEST_CFLAGS) -fvisibility=hidden -c $< -o $@

$(LIBLUO_TEST_OUT)/obj/%.o: $(LIBLUO_TEST_DIR)/%.c $(LIBLUO_TEST_DIR)/wrap.h $(LIBLUO_DEPS_H)
	@mkdir -p $(@D)
	$(CC) $(LIBLUO_CPPFLAGS) -I$(LIBLUO_TEST_DIR) $(LIBLUO_TEST_CFLAGS) -c $< -o $@

$(LIBLUO_TEST_BIN): $(LIBLUO_TEST_OBJS) $(LIBLUO_TEST_LIB_OBJS)
	$(CC) $(LIBLUO_SAN) $(LIBLUO_WRAP_LDFLAGS) -o $@ $^ -lcmocka

libluo-test: $(LIBLUO_TEST_BIN)
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:strict_string_checks=1 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		$(LIBLUO_TEST_BIN)

# ------------------------------------------------- static guest programs
LIBLUO_STATIC_CFLAGS := -std=c11 $(LIBLUO_WARN) -Werror -Wno-missing-prototypes -O2 -g

$(LIBLUO_EXAMPLES_OUT)/luo-memfd-demo: $(REPO)/examples/luo-memfd-demo.c $(LIBLUO_STATIC_LIB) \
		$(LIBLUO_HEADER)
	@mkdir -p $(@D)
	$(CC) -I$(LIBLUO_INCLUDE) $(LIBLUO_STATIC_CFLAGS) -static -o $@ $< $(LIBLUO_STATIC_LIB)

examples: $(LIBLUO_EXAMPLES_OUT)/luo-memfd-demo

$(LIBLUO_TEST_OUT)/integration: $(LIBLUO_TEST_DIR)/integration.c $(LIBLUO_STATIC_LIB) $(LIBLUO_HEADER) \
		$(LIBLUO_TEST_DIR)/../common/luod_start.h
	@mkdir -p $(@D)
	$(CC) -I$(LIBLUO_INCLUDE) $(LIBLUO_STATIC_CFLAGS) -static -o $@ $< $(LIBLUO_STATIC_LIB)

libluo-integration: $(LIBLUO_TEST_OUT)/integration

# ----------------------------------------------------------------------- docs
docs: $(LIBLUO_HEADER) $(REPO)/docs/libluo.md $(REPO)/docs/Doxyfile
	@mkdir -p $(LIBLUO_DOCS_OUT)
	cd $(REPO) && LIBLUO_DOCS_OUT=$(LIBLUO_DOCS_OUT) LIBLUO_VERSION=$(LIBLUO_VERSION) \
		$(DOXYGEN) docs/Doxyfile

libluo-clean:
	rm -rf $(LIBLUO_OUT) $(LIBLUO_TEST_OUT) $(LIBLUO_EXAMPLES_OUT)/luo-memfd-demo \
		$(LIBLUO_DOCS_OUT)

# Used alone, `make install` / `make uninstall` are libluo's, as a packager
# expects (the top-level Makefile maps them the same way).
ifeq ($(notdir $(firstword $(MAKEFILE_LIST))),libluo.mk)
.PHONY: install uninstall
install: libluo-install
uninstall: libluo-uninstall
endif

# Used alone, default to building the library; included, leave the
# including Makefile's default goal alone.
ifeq ($(LIBLUO_SAVED_GOAL),)
ifeq ($(notdir $(firstword $(MAKEFILE_LIST))),libluo.mk)
.DEFAULT_GOAL := libluo
else
.DEFAULT_GOAL :=
endif
else
.DEFAULT_GOAL := $(LIBLUO_SAVED_GOAL)
endif
