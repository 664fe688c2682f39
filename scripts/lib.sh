# SPDX-License-Identifier: GPL-2.0
# Shared helpers for the project's scripts (sourced, not run).

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CACHE=${LUO_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/luo-memfd}
BUILD=${LUO_BUILD:-$REPO/build}
LOGS=$BUILD/logs
mkdir -p "$LOGS"
T0=${LUO_T0:-$(date +%s)}
export LUO_T0=$T0

die() { echo "error: $*" >&2; exit 1; }
elapsed() { local s=$(( $(date +%s) - T0 )); printf '%02d:%02d' $((s / 60)) $((s % 60)); }
say() { echo "[$(elapsed)] $*" >&2; }
# selected LIST NAME: LIST (a run script's --only: names separated by commas
# or spaces) is empty or names NAME.
selected() { [ -z "$1" ] || [[ " ${1//,/ } " == *" $2 "* ]]; }

# step NAME LOG CMD...: run CMD with output in LOG; name the step and the log on failure.
step() {
	local name=$1 log=$2 _step_t0=$(date +%s) rc=0
	shift 2
	say "$name ... (log: $log)"
	"$@" > "$log" 2>&1 &
	local pid=$! n=0
	# A progress line a minute for long steps.
	while kill -0 "$pid" 2>/dev/null; do
		sleep 1
		n=$((n + 1))
		[ $((n % 60)) -eq 0 ] && say "$name: still running ($(( $(date +%s) - _step_t0 ))s)"
	done
	wait "$pid" || rc=$?
	if [ $rc -ne 0 ]; then
		echo "---- last lines of $log ----" >&2
		tail -n 25 "$log" >&2
		die "step '$name' failed (exit $rc); full log: $log"
	fi
	say "$name done ($(( $(date +%s) - _step_t0 ))s)"
}

# Pristine kernel source: $KSRC if given, else Debian's package in the cache.
kernel_source() {
	if [ -n "${KSRC:-}" ]; then
		[ -f "$KSRC/Makefile" ] || die "KSRC=$KSRC is not a kernel tree"
		realpath "$KSRC"
	else
		"$REPO/scripts/fetch-kernel-source.sh" "$CACHE/ksrc" ||
			die "step 'fetch kernel source' failed"
	fi
}

# kernel_inputs_key VARIANT SRC: a key of everything a kernel variant is
# built from: the source (its path and version), the compiler,
# scripts/build-kernel.sh, the config fragments (base, luo, debug,
# LUO_EXTRA_CONFIG) and, for luo and debug, what prepare-tree.sh puts into
# the tree (kernel/ and every directory kernel/overlay.map names). A file
# of the source newer than the last build makes build-kernel.sh build again
# too (for luo and debug that rebuild does not see it: prepare-tree.sh
# copies the source into the luo tree once per source path). build-kernel.sh records it
# next to the image (build/kernel/VARIANT/inputs-key).
kernel_inputs_key() {
	local variant=$1 src=$2 inputs
	inputs=("$REPO/scripts/build-kernel.sh" "$REPO/kernel/configs/base.config")
	case "$variant" in
	stock) ;;
	luo | debug)
		inputs+=("$REPO/kernel" "$REPO/scripts/prepare-tree.sh")
		# Every directory kernel/overlay.map copies into the tree.
		while read -r from _; do
			case "$from" in '' | '#'*) continue ;; esac
			[ -d "$REPO/$from" ] && inputs+=("$REPO/$from")
		done < "$REPO/kernel/overlay.map"
		;;
	*) die "unknown variant '$variant' (stock, luo or debug)" ;;
	esac
	if [ -n "${LUO_EXTRA_CONFIG:-}" ]; then
		inputs+=("$LUO_EXTRA_CONFIG")
	fi
	local kver cc
	kver=$(make -s --no-print-directory -C "$src" kernelversion) ||
		die "kernel_inputs_key: no kernel version in $src"
	cc=$(gcc --version) || die "kernel_inputs_key: gcc --version failed"
	cc=${cc%%$'\n'*}
	{
		echo "$variant $src $kver $cc"
		find "${inputs[@]}" -type f -print0 | sort -z | xargs -0 sha1sum |
			sed "s|  $REPO/|  |"
	} | sha1sum | cut -d' ' -f1
}

# prepare_luo_tree SRC TREE: scripts/prepare-tree.sh, then record in
# TREE/.luo-inputs-key what the tree now holds (luo_tree_current reads it).
# Call with the build lock held.
prepare_luo_tree() {
	rm -f "$2/.luo-inputs-key"
	step "prepare luo tree (overlay + patches)" "$LOGS/prepare-tree.log" \
		"$REPO/scripts/prepare-tree.sh" "$1" "$2"
	LUO_EXTRA_CONFIG='' kernel_inputs_key luo "$1" > "$2/.luo-inputs-key"
}

# luo_tree_current SRC TREE: whether TREE was last prepared from exactly
# the current inputs (no lock needed to read it then).
luo_tree_current() {
	[ -f "$2/.luo-manifest" ] &&
		[ "$(cat "$2/.luo-inputs-key" 2>/dev/null)" = "$(LUO_EXTRA_CONFIG='' kernel_inputs_key luo "$1")" ]
}

# runner_tools: build the QEMU runner's host tools (guest init, gen_init_cpio)
# when their sources change; print their directory.
runner_tools() {
	local tools=$BUILD/tools
	mkdir -p "$tools"
	if [ ! -x "$tools/init" ] || [ "$REPO/guest/init.c" -nt "$tools/init" ]; then
		gcc -static -O2 -Wall -Wextra -Werror -o "$tools/init.tmp" "$REPO/guest/init.c" &&
			mv "$tools/init.tmp" "$tools/init" ||
			die "step 'build guest init' failed"
	fi
	if [ ! -x "$tools/gen_init_cpio" ]; then
		gcc -O2 -o "$tools/gen_init_cpio.tmp" "$(kernel_source)/usr/gen_init_cpio.c" &&
			mv "$tools/gen_init_cpio.tmp" "$tools/gen_init_cpio" ||
			die "step 'build gen_init_cpio' failed"
	fi
	echo "$tools"
}
