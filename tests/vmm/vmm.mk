# SPDX-License-Identifier: GPL-2.0
# The vmm suite (tests/vmm): Debian's QEMU inside the test guest, its guest
# RAM in a preserved memfd. Included from the top-level Makefile:
#   vmm-stage   build/tests/vmm/{vmm_stage,guest.elf}

VMM_OUT := $(REPO)/build/tests/vmm

.PHONY: vmm-stage vmm-demo

$(VMM_OUT)/vmm_stage: $(REPO)/tests/vmm/vmm_stage.c $(REPO)/tests/common/stage.h \
		$(REPO)/tests/common/luod_start.h $(LIBLUO_HEADER) $(LIBLUO_STATIC_LIB)
	@mkdir -p $(@D)
	$(CC) -I$(REPO)/include -std=gnu11 -Wall -Wextra -Werror -O2 -g -static -o $@ $< \
		$(LIBLUO_STATIC_LIB)

# A multiboot kernel for QEMU's pc machine: 32-bit, freestanding.
$(VMM_OUT)/guest.elf: $(REPO)/tests/vmm/guest.c $(REPO)/tests/vmm/guest.ld
	@mkdir -p $(@D)
	$(CC) -m32 -march=i686 -O2 -ffreestanding -fno-pic -fno-pie -no-pie \
		-fno-stack-protector -nostdlib -static -Wall -Wextra -Werror \
		-Wl,-T,$(REPO)/tests/vmm/guest.ld -Wl,--build-id=none \
		-Wl,--no-warn-rwx-segments -o $@ $<

vmm-stage: luod $(VMM_OUT)/vmm_stage $(VMM_OUT)/guest.elf

# One variant (HugeTLB 2 MiB) to watch: the guest's own output before the
# kexec and after it, and the blackout's breakdown.
vmm-demo: kernels vmm-stage
	tests/vmm/run.sh hugetlb
	@echo; echo "The guest's own output (its serial port) on both sides of the kexec:"
	@awk '/LUO-RUNNER: kexec/ { print "  --- kexec: the host kernel is replaced, the VM waits in preserved memory ---" } \
		/^# (guest|vmm):/ { print "  " substr($$0, 3) }' $(REPO)/build/runs/vmm-hugetlb/stage.log
