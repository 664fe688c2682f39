# SPDX-License-Identifier: GPL-2.0
# Added to tools/testing/radix-tree/Makefile by tests/xarray/run.sh: our own
# XArray case, built with the harness's flags and objects.
xas_find_limit.o: $(SHARED_DEPS) *.h
xas_find_limit: $(SHARED_OFILES) xas_find_limit.o
