# SPDX-License-Identifier: GPL-2.0
#
# LUO conformance suite (end-to-end layer). Included by the top-level
# Makefile after libluo/libluo.mk, or used alone:
#   make -f conformance/conformance.mk REPO=$PWD conformance [HANDLER=shmem] [KERNEL=luo]
#
# Targets:
#   conformance-build  build/conformance/luo-conformance (static stage program)
#   conformance        build it and run every chain (conformance/run.sh);
#                      HANDLER=shmem|hugetlb-2M|hugetlb-1G|eventfd|all (default all),
#                      KERNEL=luo|debug|stock (default luo)
#   conformance-clean  remove build/conformance

REPO ?= $(CURDIR)
ifeq ($(LIBLUO_STATIC_LIB),)
include $(REPO)/libluo/libluo.mk
endif

HANDLER ?= all
KERNEL ?= luo
CF_DIR := $(REPO)/conformance
CF_OUT := $(REPO)/build/conformance
CF_BIN := $(CF_OUT)/luo-conformance
# One variants_FAMILY.c per handler family (step 2 of docs/conformance.md).
CF_FAMILIES := memfd eventfd
CF_SRCS := $(CF_DIR)/main.c $(CF_DIR)/cases.c $(patsubst %,$(CF_DIR)/variants_%.c,$(CF_FAMILIES))
CF_CFLAGS := -std=c11 -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wvla -O2 -g

.PHONY: conformance conformance-build conformance-clean

$(CF_BIN): $(CF_SRCS) $(CF_DIR)/cf.h $(LIBLUO_STATIC_LIB) $(LIBLUO_INCLUDE)/libluo.h
	@mkdir -p $(@D)
	$(CC) -I$(LIBLUO_INCLUDE) -I$(CF_DIR) $(CF_CFLAGS) -static -o $@ $(CF_SRCS) $(LIBLUO_STATIC_LIB)

conformance-build: $(CF_BIN)

conformance: $(CF_BIN) | $(if $(filter stock,$(KERNEL)),kernel-stock,kernel-stock kernel-luo kernel-debug)
	@$(CF_DIR)/run.sh --handler $(HANDLER) --kernel $(KERNEL) --no-build

conformance-clean:
	rm -rf $(CF_OUT)
