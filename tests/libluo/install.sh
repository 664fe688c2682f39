#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
# Copyright (c) 2026 The luo-memfd authors
# Build, install and use libluo the way a distribution would: from a copy of
# its own files only (no kernel tree, no rest of the project), with the
# packager's CFLAGS/CPPFLAGS/LDFLAGS, into DESTDIR; then build a program out
# of tree with pkg-config, run it, and uninstall.
# usage: tests/libluo/install.sh
set -euo pipefail
. "$(dirname "$0")/../../scripts/lib.sh"
[ $# -eq 0 ] || { echo "usage: $0" >&2; exit 2; }

work=$BUILD/libluo-install
rm -rf "$work"
src=$work/src root=$work/root
mkdir -p "$src/docs" "$src/include" "$root"
cp -r "$REPO/libluo" "$src/"
cp "$REPO/include/libluo.h" "$src/include/"
cp "$REPO/docs/Doxyfile" "$REPO/docs/libluo.md" "$src/docs/"
libdir=/usr/lib/x86_64-linux-gnu
# What a packager passes; -frecord-gcc-switches lets us see they were used.
pkg_cflags="-O1 -g -fstack-protector-strong -frecord-gcc-switches"
pkg_cppflags="-D_FORTIFY_SOURCE=2"
pkg_ldflags="-Wl,-z,now -Wl,--as-needed"
mk=(make -s -f "$src/libluo/libluo.mk" REPO="$src" PREFIX=/usr LIBDIR=$libdir
	DESTDIR="$root" CFLAGS="$pkg_cflags" CPPFLAGS="$pkg_cppflags" LDFLAGS="$pkg_ldflags")

pass=0 fail=0 skipped=0
check() { # DESCRIPTION COMMAND...
	local what=$1
	shift
	if "$@" >> "$LOGS/libluo-install.log" 2>&1; then
		pass=$((pass + 1))
		echo "ok - $what"
	else
		fail=$((fail + 1))
		echo "not ok - $what (log: $LOGS/libluo-install.log)"
	fi
}
: > "$LOGS/libluo-install.log"

"${mk[@]}" -n libluo > "$work/dry-run"
check "warnings are errors only when asked: no -Werror without WERROR=1" \
	bash -c "grep -q -- ' -c ' '$work/dry-run' && ! grep -q -- -Werror '$work/dry-run'"
check "WERROR=1 builds warning-free with the packager's flags" \
	"${mk[@]}" WERROR=1 libluo
check "the packager's CFLAGS reached the compiler (recorded switches)" \
	bash -c "readelf -p .GCC.command.line '$src/build/libluo/libluo.so.1.2.0' > '$work/switches' &&
		grep -q -- '-O1 .*-fstack-protector-strong' '$work/switches'"
check "the packager's CPPFLAGS reached the compiler (_FORTIFY_SOURCE: __*_chk calls)" \
	bash -c "objdump -T '$src/build/libluo/libluo.so.1.2.0' > '$work/lib.dynsym' &&
		grep -Eq '__(memcpy|snprintf|read)_chk' '$work/lib.dynsym'"
check "the packager's LDFLAGS reached the linker (BIND_NOW)" \
	bash -c "readelf -d '$src/build/libluo/libluo.so.1.2.0' > '$work/dynamic' &&
		grep -q 'BIND_NOW' '$work/dynamic'"
check "make -f libluo/libluo.mk install DESTDIR= PREFIX=/usr LIBDIR=$libdir" \
	"${mk[@]}" install

for f in $libdir/libluo.so.1.2.0 $libdir/libluo.so.1 $libdir/libluo.so $libdir/libluo.a \
	/usr/include/libluo.h $libdir/pkgconfig/libluo.pc /usr/share/man/man3/libluo.h.3 \
	/usr/share/doc/libluo/COPYING /usr/share/doc/libluo/LGPL-2.1 /usr/share/doc/libluo/MIT; do
	check "installed $f" test -e "$root$f"
done
pc=$root$libdir/pkgconfig/libluo.pc
check "libluo.pc: prefix=/usr, libdir and includedir relative to \${prefix}, a URL" \
	bash -c "grep -qx 'prefix=/usr' '$pc' && grep -qxF 'libdir=\${prefix}/lib/x86_64-linux-gnu' '$pc' &&
		grep -qxF 'includedir=\${prefix}/include' '$pc' && grep -q '^URL: https://' '$pc'"

# A man page for every function the header exports.
missing=()
for fn in $(grep '^LUO_API ' "$REPO/include/libluo.h" | sed -e 's/(.*//' -e 's/.*[[:space:]*]//'); do
	page=$root/usr/share/man/man3/$fn.3
	[ -f "$page" ] || { missing+=("$fn"); continue; }
	# Doxygen's per-function pages are links to the header's page.
	if grep -q '^\.so ' "$page"; then
		target=$root/usr/share/man/$(sed -n 's/^\.so //p' "$page")
		[ -f "$target" ] || missing+=("$fn (link to a missing page)")
	fi
done
check "a man page for every LUO_API function (${missing[*]:-none missing})" test ${#missing[@]} -eq 0
check "no man page named after a structure member (sz.3, flags.3)" \
	bash -c "! ls '$root/usr/share/man/man3' | grep -Eqv '^(libluo\.h|luo_.*|LUO_.*|LIBLUO_.*)\.3$'"

# An out-of-tree program that knows only what pkg-config tells it.
cat > "$work/app.c" <<'EOF'
#include <stdio.h>
#include <libluo.h>

int main(void)
{
	int v = luo_version();

	printf("%d.%d.%d %s\n", v >> 16, (v >> 8) & 0xff, v & 0xff, luo_strerror(-2));
	return v == LIBLUO_VERSION ? 0 : 1;
}
EOF
pcenv=(env PKG_CONFIG_SYSROOT_DIR="$root" PKG_CONFIG_LIBDIR="$root$libdir/pkgconfig")
check "pkg-config --modversion libluo is 1.2.0" \
	bash -c "[ \"\$(${pcenv[*]@Q} pkg-config --modversion libluo)\" = 1.2.0 ]"
check "build an out-of-tree program with pkg-config --cflags --libs libluo" \
	bash -c "cc -std=c11 -Wall -Werror -o '$work/app' '$work/app.c' \$(${pcenv[*]@Q} pkg-config --cflags --libs libluo)"
check "it runs against the installed library and sees 1.2.0" \
	bash -c "LD_LIBRARY_PATH='$root$libdir' '$work/app' > '$work/app.out' &&
		grep -q '^1\.2\.0 ' '$work/app.out'"
check "it binds luo_version to LIBLUO_1.1 and luo_strerror to LIBLUO_1.0" \
	bash -c "objdump -T '$work/app' > '$work/app.dynsym' &&
		grep -q '(LIBLUO_1.1) *luo_version$' '$work/app.dynsym' &&
		grep -q '(LIBLUO_1.0) *luo_strerror$' '$work/app.dynsym'"

# check-exports.sh must notice a symbol moved to the wrong version node.
sed 's/^\t\tluo_version;$//; s/^\t\tluo_strerror;$/\t\tluo_strerror;\n\t\tluo_version;/' \
	"$src/libluo/libluo.map" > "$work/bad.map"
check "check-exports.sh refuses a library whose versions differ from the map" \
	bash -c "! sh '$src/libluo/check-exports.sh' '$src/build/libluo/libluo.so.1.2.0' '$work/bad.map' '$src/include/libluo.h'"

check "make -f libluo/libluo.mk uninstall leaves no file behind" \
	bash -c "${mk[*]@Q} uninstall && [ -z \"\$(find '$root' -type f -o -type l)\" ]"

# luod's part of the top-level `make install`: the daemon, luoctl and the units.
lroot=$work/luod-root
check "make luod-install DESTDIR= PREFIX=/usr puts luod, luoctl and the units in place" \
	bash -c "make -s -C '$REPO' luod-install DESTDIR='$lroot' PREFIX=/usr &&
		test -x '$lroot/usr/libexec/luod' && test -x '$lroot/usr/bin/luoctl' &&
		grep -qx 'ExecStart=/usr/libexec/luod' '$lroot/usr/lib/systemd/system/luod.service' &&
		grep -qx 'ListenSequentialPacket=/run/luod/liveupdate.sock' '$lroot/usr/lib/systemd/system/luod.socket'"
# systemd parses the units (Debian 12's 252 predates SurviveFinalKillSignal=,
# added in 254: it warns and ignores it).
if command -v systemd-analyze > /dev/null; then
	mkdir -p "$work/units"
	sed "s|^ExecStart=.*|ExecStart=$BUILD/luod/luod|" "$lroot/usr/lib/systemd/system/luod.service" \
		> "$work/units/luod.service"
	cp "$lroot/usr/lib/systemd/system/luod.socket" "$work/units/"
	check "systemd-analyze verify accepts luod.socket and luod.service" \
		systemd-analyze verify --man=no "$work/units/luod.socket" "$work/units/luod.service"
else
	skipped=$((skipped + 1))
	echo "ok - systemd-analyze verify # SKIP no systemd-analyze on this host"
fi
check "make luod-uninstall leaves no file behind" \
	bash -c "make -s -C '$REPO' luod-uninstall DESTDIR='$lroot' PREFIX=/usr &&
		[ -z \"\$(find '$lroot' -type f)\" ]"

echo "libluo-install: $pass passed, $fail failed, $skipped skipped"
[ "$fail" -eq 0 ]
