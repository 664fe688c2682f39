#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Bad input to the pipeline stops it with a message naming the step:
# a patch that does not apply, a series entry without its file, a config
# option that does not land, and a source package that is not available.
# Each case works on a scratch copy of what it breaks, never on the cache.
set -euo pipefail
. "$(dirname "$0")/../../scripts/lib.sh"

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
n=0 pass=0
expect_fail() { # DESC PATTERN CMD...
	local desc=$1 pat=$2 out rc=0
	shift 2
	n=$((n + 1))
	out=$("$@" 2>&1) || rc=$?
	if [ $rc -ne 0 ] && grep -q -- "$pat" <<< "$out"; then
		echo "ok $n $desc"; pass=$((pass + 1))
	else
		echo "not ok $n $desc (exit $rc)"; echo "$out" | tail -n 5 | sed 's/^/# /'
	fi
}

# A tiny fake kernel tree is enough for prepare-tree.sh.
mkdir -p "$scratch/src/mm" "$scratch/repo/kernel/patches" "$scratch/repo/scripts"
echo "# fake" > "$scratch/src/Makefile"
printf 'line one\nline two\n' > "$scratch/src/mm/file.c"
cp "$REPO/scripts/prepare-tree.sh" "$scratch/repo/scripts/"
: > "$scratch/repo/kernel/overlay.map"
cat > "$scratch/repo/kernel/patches/0001-bad.patch" <<'P'
--- a/mm/file.c
+++ b/mm/file.c
@@ -1,2 +1,2 @@
-line that is not there
+replacement
 line two
P

echo "KTAP version 1"
echo "1..4"
echo "0001-bad.patch" > "$scratch/repo/kernel/patches/series"
expect_fail "a patch that does not apply names the patch" "patch 0001-bad.patch does not apply" \
	"$scratch/repo/scripts/prepare-tree.sh" "$scratch/src" "$scratch/tree"
echo "0002-missing.patch" > "$scratch/repo/kernel/patches/series"
expect_fail "a series entry without its file names it" "patch 0002-missing.patch listed in series is missing" \
	"$scratch/repo/scripts/prepare-tree.sh" "$scratch/src" "$scratch/tree"

echo "CONFIG_LUO_NO_SUCH_OPTION=y" > "$scratch/bad.config"
expect_fail "a config option that does not land is listed" "CONFIG_LUO_NO_SUCH_OPTION=y" \
	env LUO_CACHE="$scratch/cache" KSRC="$(kernel_source)" LUO_BUILD="$scratch/build" \
	LUO_EXTRA_CONFIG="$scratch/bad.config" "$REPO/scripts/build-kernel.sh" stock
expect_fail "an unavailable source package stops the fetch" "apt-get download linux-source-0.0 failed" \
	env LUO_KPKG=linux-source-0.0 "$REPO/scripts/fetch-kernel-source.sh" "$scratch/fetch"

echo "pipeline: $pass passed, $((n - pass)) failed, 0 skipped"
[ $pass -eq $n ]
