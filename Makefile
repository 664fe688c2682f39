# SPDX-License-Identifier: GPL-2.0
# Live-update preservation of memfds: one entry point.
#   make demo    build everything, boot QEMU, preserve -> kexec -> retrieve, print a table
#   make test    every test (unit, KUnit, QEMU), ending with "N passed, N failed"
#   make test-full  make test plus the debug-kernel runs of tests/suites-full
#   make install install libluo, luod and luoctl (PREFIX, LIBDIR, DESTDIR; make uninstall)
# KSRC=/path/to/linux-7.3 uses your own pristine tree instead of Debian's package.

REPO := $(CURDIR)
SHELL := /bin/bash
export KSRC

.PHONY: all deps kernels kernel-stock kernel-luo kernel-debug demo test test-full \
	kernel-patches upstream-tests soak clean help install uninstall

all: kernels

help:
	@sed -n 's/^#   //p' Makefile

deps:
	@scripts/deps.sh

kernel-stock kernel-luo kernel-debug: kernel-%: deps
	@scripts/build-kernel.sh $*

kernels: kernel-stock kernel-luo

upstream-tests: kernels
	@tests/upstream/run.sh stock
	@tests/upstream/run.sh luo

# The whole change as a git format-patch series against pristine 7.3.
kernel-patches: deps
	@scripts/export-patches.sh

demo: deps
	@scripts/demo.sh

test: deps
	@scripts/run-tests.sh

# make test, plus the debug-kernel runs of tests/suites-full (longer than CI
# has time for; docs/testing.md says which runs where).
test-full: deps
	@scripts/run-tests.sh --full

# Boot the debug kernel SOAK_N times (default 100) and report the rate of
# boots that logged a kernel report (docs/testing.md).
soak: deps
	@scripts/soak.sh

install: libluo-install luod-install
uninstall: libluo-uninstall luod-uninstall

clean:
	rm -rf build

-include libluo/libluo.mk
-include bench/bench.mk
-include conformance/conformance.mk
-include tests/luo_memfd_common/tests.mk
-include inspect/inspect.mk
-include luod/luod.mk
-include tests/vmm/vmm.mk

# libluo builds without a kernel (it carries its ABI); only the check of that
# ABI against a kernel's header needs one.
libluo-check-uapi: | kernel-stock
