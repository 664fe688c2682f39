#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The host's systemd for a test guest (qemu-run.sh --systemd): prints the
# gen_init_cpio lines for systemd and systemctl with their libraries
# (initramfs-dyn.sh), a minimal /etc, luod's units as `make install` writes
# them (luod in /bin), and a default.target that starts luod.socket and
# luo-stage.service, which runs the runner's init as "/init --stage-service".
# Unit files go to DIR.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

[ $# -eq 1 ] || { echo "usage: $0 DIR" >&2; exit 2; }
dir=$1
[ -x /lib/systemd/systemd ] && command -v systemctl >/dev/null ||
	die "systemd is not installed on the host (run scripts/deps.sh)"
mkdir -p "$dir"

# systemd 255 and later start every unit through systemd-executor.
bins=(/lib/systemd/systemd "$(command -v systemctl)")
[ -x /lib/systemd/systemd-executor ] && bins+=(/lib/systemd/systemd-executor)
"$REPO/scripts/initramfs-dyn.sh" "${bins[@]}"

echo "root:x:0:0:root:/:/bin/sh" > "$dir/passwd"
echo "root:x:0:" > "$dir/group"
printf 'ID=luo-test\nPRETTY_NAME="luo-memfd test guest"\n' > "$dir/os-release"
: > "$dir/machine-id"
unit=/etc/systemd/system
sed 's|@LIBEXECDIR@|/bin|' "$REPO/luod/luod.service" > "$dir/luod.service"
cat > "$dir/luo-stage.service" <<UNIT
[Unit]
Description=The runner's stage program (scripts/qemu-run.sh --systemd)
DefaultDependencies=no
# Killed, it cannot end the run itself: a restart ends QEMU (-no-reboot).
FailureAction=reboot-immediate
Wants=luod.socket
After=luod.socket

[Service]
# Runs until it kexecs or powers off: no start timeout.
Type=simple
ExecStart=/init --stage-service
StandardOutput=file:/dev/kmsg
StandardError=file:/dev/kmsg
UNIT
cat > "$dir/default.target" <<UNIT
[Unit]
Description=luo-memfd test guest
Wants=luod.socket luo-stage.service
UNIT
# The targets that units with default dependencies ask for, empty.
targets="sysinit basic sockets shutdown paths timers local-fs swap"
for t in $targets; do
	printf '[Unit]\nDescription=%s (empty in the test guest)\n' "$t" > "$dir/$t.target"
done
mkdir -p "$dir/luod.service.d"
printf '[Service]\nStandardError=file:/dev/kmsg\n' > "$dir/luod.service.d/log.conf"
echo "dir /etc 0755 0 0"
for f in passwd group os-release machine-id; do
	echo "file /etc/$f $dir/$f 0644 0 0"
done
echo "dir /etc/systemd 0755 0 0"
echo "dir $unit 0755 0 0"
echo "dir $unit/luod.service.d 0755 0 0"
echo "file $unit/luod.socket $REPO/luod/luod.socket 0644 0 0"
for f in luod.service luo-stage.service default.target luod.service.d/log.conf \
	$(printf '%s.target ' $targets); do
	echo "file $unit/$f $dir/$f 0644 0 0"
done
echo "dir /run 0755 0 0"
