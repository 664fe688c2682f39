#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Build one kernel variant from tinyconfig + kernel/configs fragments.
#   stock  pristine 7.3 source
#   luo    pristine + overlay + kernel/patches
#   debug  luo + kernel/configs/debug.config (KASAN, lockdep, DEBUG_VM, kmemleak)
# Artifacts: build/kernel/VARIANT/{bzImage,usr/include,config}; no usr/include
# for debug (its uAPI is luo's, and nothing reads it: installing it took a
# minute of a loaded host's critical path, right before the debug suites).
#
# usage: build-kernel.sh stock|luo|debug
set -euo pipefail
. "$(dirname "$0")/lib.sh"

[ $# -eq 1 ] || { echo "usage: $0 stock|luo|debug" >&2; exit 2; }
variant=$1
frags=("$REPO/kernel/configs/base.config")
case "$variant" in
stock) ;;
luo) frags+=("$REPO/kernel/configs/luo.config") ;;
debug) frags+=("$REPO/kernel/configs/luo.config" "$REPO/kernel/configs/debug.config") ;;
*) die "unknown variant '$variant' (stock, luo or debug)" ;;
esac
# LUO_EXTRA_CONFIG=FILE adds a fragment of your own (e.g. tracing options).
if [ -n "${LUO_EXTRA_CONFIG:-}" ]; then
	[ -f "$LUO_EXTRA_CONFIG" ] || die "LUO_EXTRA_CONFIG=$LUO_EXTRA_CONFIG does not exist"
	frags+=("$(realpath "$LUO_EXTRA_CONFIG")")
fi

src=$(kernel_source)
out=$BUILD/kernel/$variant
# A variant already built from exactly these inputs is not looked at again,
# and without the lock: a suite that needs the luo kernel must not wait for
# the debug kernel that scripts/run-tests.sh builds in the background.
# build/kernel/VARIANT/inputs-key records what it was built from
# (kernel_inputs_key in lib.sh), and no file of the source may be newer.
# The key file's mtime is the time its build started, so an edit made
# during that build counts as newer. Not counted: the object dirs, .git,
# checkpatch's cache, and the source directory itself (its mtime changes
# when the stock build makes obj-stock in it).
up_to_date() {
	local key newer
	[ -f "$out/bzImage" ] && [ -f "$out/inputs-key" ] || return 1
	key=$(kernel_inputs_key "$variant" "$src") || return 1
	[ "$(cat "$out/inputs-key")" = "$key" ] || return 1
	newer=$(find "$src" -mindepth 1 \( -path "$src/obj-*" -o -path "$src/.git" -o -name '.checkpatch-camelcase.*' \) \
		-prune -o -newer "$out/inputs-key" -print -quit) || return 1
	[ -z "$newer" ]
}
exit_if_up_to_date() {
	if up_to_date; then
		say "kernel $variant: $out/bzImage (up to date)"
		exit 0
	fi
}
exit_if_up_to_date
# One kernel build per cache at a time (they share the luo tree); a second
# caller waits, and then may find the kernel built.
mkdir -p "$CACHE"
exec 9> "$CACHE/build.lock"
flock 9
exit_if_up_to_date
# The key of what this build reads, taken under the lock.
inputs_key=$(kernel_inputs_key "$variant" "$src")
rm -f "$out/inputs-key"
mkdir -p "$out"
started=$out/.build-started
: > "$started"
kver=$(make -s --no-print-directory -C "$src" kernelversion 2>/dev/null)
if [ "$variant" = stock ]; then
	tree=$src
else
	tree=$CACHE/tree/$kver
	prepare_luo_tree "$src" "$tree"
fi
# Object dirs sit directly under their source tree (TREE/obj-VARIANT), so
# kbuild uses the relative srctree ".." and a command line reads the same in
# the pristine tree as in the luo tree. That lets the luo kernel's first
# build start from a copy of the stock objects: kbuild rebuilds only what the
# overlay, the patches and the changed config options reach. A KSRC of your
# own is not written to: its stock objects go to the cache instead.
case "$tree" in
"$CACHE"/*) obj=$tree/obj-$variant ;;
*) obj=$CACHE/obj/$kver-$(echo "$src" | sha1sum | cut -c1-8)/$variant ;;
esac
seeded=0
if [ "$variant" = luo ] && [ ! -f "$obj/.luo-built" ] && [ -f "$src/obj-stock/.luo-built" ]; then
	seed() {
		rm -rf "$obj" && cp -a "$src/obj-stock" "$obj" &&
		rm -f "$obj/.luo-built" "$obj/.luo-config-key" &&
		# What the overlay and patches wrote must be newer than every
		# copied object, however old the tree is.
		(cd "$tree" && tr '\n' '\0' < .luo-manifest | xargs -0 -r touch)
	}
	step "seed luo objects from the stock build" "$LOGS/seed-luo.log" seed
	seeded=1
fi
mkdir -p "$obj"
rm -f "$obj/.luo-built"
# One job more than CPUs: a job waiting on I/O or a process start leaves no
# CPU idle (at -j2 the stock build kept 1.87 of 2 cores busy).
mk=(make -C "$tree" O="$obj" ARCH=x86_64 -j"$(($(nproc) + 1))")
log=$LOGS/kernel-$variant.log

cfg_key=$(cat "${frags[@]}" | sha1sum | cut -d' ' -f1)
if [ ! -f "$obj/.config" ] || [ "$(cat "$obj/.luo-config-key" 2>/dev/null)" != "$cfg_key" ]; then
	configure() {
		"${mk[@]}" tinyconfig &&
		"$tree/scripts/kconfig/merge_config.sh" -m -O "$obj" "$obj/.config" "${frags[@]}" &&
		"${mk[@]}" olddefconfig
	}
	step "configure $variant kernel" "$LOGS/config-$variant.log" configure
	# Every fragment option must have landed.
	missing=()
	while read -r line; do
		case "$line" in
		CONFIG_*=*) grep -qxF "$line" "$obj/.config" || missing+=("$line") ;;
		"# CONFIG_"*" is not set")
			opt=${line#\# }; opt=${opt%% *}
			grep -q "^$opt=" "$obj/.config" && missing+=("$line") ;;
		esac
	done < <(cat "${frags[@]}")
	if [ ${#missing[@]} -gt 0 ]; then
		rm -f "$obj/.luo-config-key"
		printf '  %s\n' "${missing[@]}" >&2
		die "step 'configure $variant kernel': these options did not land (see $obj/.config)"
	fi
	echo "$cfg_key" > "$obj/.luo-config-key"
fi

# objtool's own build records absolute paths, so in the seeded objects it is
# built again; every object depends on the objtool binary's mtime. It is the
# same program (we do not touch its source): give its outputs the stock
# binary's mtime, which is older than every copied object.
if [ $seeded -eq 1 ]; then
	objtool_again() {
		"${mk[@]}" tools/objtool &&
		find "$obj/tools/objtool" -exec touch -h -r "$src/obj-stock/tools/objtool/objtool" {} +
	}
	step "build objtool for the seeded objects" "$LOGS/objtool-$variant.log" objtool_again
fi
step "build $variant kernel ($kver)" "$log" "${mk[@]}" bzImage
[ "$variant" = debug ] ||
	step "install $variant headers" "$LOGS/headers-$variant.log" "${mk[@]}" headers_install
: > "$obj/.luo-built"

mkdir -p "$out"
cp "$obj/arch/x86/boot/bzImage" "$out/bzImage.tmp" && mv "$out/bzImage.tmp" "$out/bzImage"
cp "$obj/.config" "$out/config"
if [ "$variant" != debug ]; then
	mkdir -p "$out/usr/include"
	rsync -a --delete "$obj/usr/include/" "$out/usr/include/"
fi
echo "$obj" > "$out/objdir"
echo "$inputs_key" > "$out/inputs-key"
touch -r "$started" "$out/inputs-key"
rm -f "$started"
say "kernel $variant: $out/bzImage"
