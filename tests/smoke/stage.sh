#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Runner self-test: a value written to a memfd-free place cannot survive, so
# this only checks that each stage runs on the kernel it should.
echo "KTAP version 1"
echo "1..1"
if grep -q "luo_stage=$1" /proc/cmdline || [ "$1" = 1 ]; then
	echo "ok 1 stage $1 of $2 sees its stage number"
else
	echo "not ok 1 stage $1 of $2 sees its stage number"
fi
