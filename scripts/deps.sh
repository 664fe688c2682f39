#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Install the Debian packages the build and the tests need, if missing.
# usage: deps.sh
set -euo pipefail

pkgs=(build-essential make gcc flex bison bc cpio rsync kmod file perl
	libelf-dev libssl-dev qemu-system-x86 busybox-static libcmocka-dev
	doxygen pkg-config clang llvm gnuplot-nox xz-utils python3 libfdt-dev
	liburcu-dev systemd)
missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
[ "$(id -u)" -eq 0 ] || { echo "deps: missing ${missing[*]}; run as root or install them" >&2; exit 1; }
echo "deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
if ! apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null 2>&1; then
	apt-get update -qq >/dev/null 2>&1 || true
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2 ||
		{ echo "deps: step 'apt-get install ${missing[*]}' failed" >&2; exit 1; }
fi
