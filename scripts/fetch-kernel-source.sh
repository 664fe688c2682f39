#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Fetch Debian's linux-source-7.3 package into the cache and unpack it once,
# without touching the system's apt configuration (private lists/state dir).
# The mirror URI is read from the machine's own Debian apt source.
#
# usage: fetch-kernel-source.sh CACHE_DIR
# prints the path of the pristine source tree on stdout.
set -euo pipefail

[ $# -eq 1 ] || { echo "usage: $0 CACHE_DIR" >&2; exit 2; }
cache=$1
pkg=${LUO_KPKG:-linux-source-7.3}
suite=${LUO_KSUITE:-trixie-backports}
mkdir -p "$cache"

die() { echo "fetch-kernel-source: $*" >&2; exit 1; }

# Already unpacked?
if [ -f "$cache/src/.complete" ]; then
	cat "$cache/src/.complete"
	exit 0
fi

# Mirror URI: the first Debian archive URI of the machine's own sources.
mirror=""
for f in /etc/apt/sources.list.d/*.sources; do
	[ -f "$f" ] || continue
	mirror=$(awk '/^URIs:/ { for (i = 2; i <= NF; i++) if ($i ~ /\/debian\/?$/) { print $i; exit } }' "$f")
	[ -n "$mirror" ] && break
done
if [ -z "$mirror" ] && [ -f /etc/apt/sources.list ]; then
	mirror=$(awk '$1 == "deb" { for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\/.*\/debian\/?$/) { print $i; exit } }' /etc/apt/sources.list)
fi
[ -n "$mirror" ] || die "no Debian archive URI found in /etc/apt/sources.list{,.d}"

apt_dir="$cache/apt"
mkdir -p "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial" "$apt_dir/etc"
cat > "$apt_dir/etc/sources.list" <<SRC
deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $mirror $suite main
deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $mirror ${suite%-backports} main
SRC
apt_opts=(
	-o "Dir::Etc::SourceList=$apt_dir/etc/sources.list"
	-o "Dir::Etc::SourceParts=-"
	-o "Dir::State::Lists=$apt_dir/lists"
	-o "Dir::Cache=$apt_dir/cache"
	-o "Dir::State::status=/dev/null"
	-o "APT::Get::List-Cleanup=0"
	-o "Debug::NoLocking=1"
	-o "APT::Sandbox::User=root"
)
echo "fetch-kernel-source: apt-get update (private state in $apt_dir)" >&2
apt-get "${apt_opts[@]}" -qq update >&2 || die "apt-get update of the private source list failed"

echo "fetch-kernel-source: downloading $pkg from $suite" >&2
dl="$cache/deb"
rm -rf "$dl"; mkdir -p "$dl"
(cd "$dl" && apt-get "${apt_opts[@]}" -qq -t "$suite" download "$pkg") >&2 ||
	die "apt-get download $pkg failed (is $suite reachable?)"
deb=$(ls "$dl"/*.deb | head -n1)

echo "fetch-kernel-source: unpacking $(basename "$deb")" >&2
rm -rf "$cache/src.tmp"; mkdir -p "$cache/src.tmp"
dpkg -x "$deb" "$cache/src.tmp"
tarball=$(ls "$cache"/src.tmp/usr/src/linux-source-*.tar.* | head -n1)
[ -f "$tarball" ] || die "no source tarball inside $deb"
tar -C "$cache/src.tmp" -xf "$tarball"
tree=$(find "$cache/src.tmp" -maxdepth 1 -type d -name 'linux-source-*' | head -n1)
[ -f "$tree/Makefile" ] || die "unpacked tree has no Makefile"
rm -rf "$cache/src"
mv "$cache/src.tmp" "$cache/src"
tree="$cache/src/$(basename "$tree")"
rm -f "$cache/src/usr/src/"linux-source-*.tar.*
echo "$tree" > "$cache/src/.complete"
echo "$tree"
