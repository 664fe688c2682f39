#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The QEMU live-update runner: boot a chain of kernels, run a stage program
# in each, kexec from one to the next, and judge the run.
#
# Each kernel boots an initramfs whose PID 1 (guest/init.c) runs
# "/stage STAGE NSTAGES" with stdout on ttyS1 (run-dir/stage.log; the kernel
# log goes to ttyS0 = run-dir/console.log). Stage programs print KTAP.
# Between stages init kexec_file_load()s the next kernel with luo_stage=N+1.
#
# The run passes when every stage ran and exited 0, every stage's KTAP
# holds to its plan and has no "not ok" (scripts/ktap-judge.awk), the kernel
# log shows no panic/BUG/WARNING/KASAN/kmemleak/UBSAN/lockup/stall report,
# and the guest did not hang. Time limits catch hangs, never slowness
# (docs/testing.md): the run is stopped as hung when neither serial port
# has printed anything for the stall window (--stall, LUO_STALL_SECS,
# default 600 s; before init has started in the first kernel, the boot
# stall window, LUO_BOOT_STALL_SECS, default 180 s: a booting kernel prints
# all the time, and a hung cold boot is booted again), and as a livelock
# only past LUO_CEILING_FACTOR (default 10) times its --timeout budget.
# Last line: "NAME: N passed, N failed, N skipped".
set -euo pipefail
. "$(dirname "$0")/lib.sh"

usage() {
	cat >&2 <<USAGE
usage: $0 --name NAME --stage PROG [options]
  --name NAME         run directory: build/runs/NAME
  --stage PROG        host path of the stage program (static binary or busybox sh script)
  --chain K1,K2,...   kernels, one per stage: stock|luo|debug or a bzImage path (default luo,luo)
  --file SRC[:DST]    extra file for the initramfs (repeatable; DST defaults to /bin/NAME)
  --host-bin BIN      a dynamically linked host program, with its libraries, at its own
                      path (repeatable; scripts/initramfs-dyn.sh)
  --mem SIZE          guest memory (default 2G)
  --cpus N            guest CPUs (default 2)
  --append ARGS       extra kernel command line for every stage
  --append-stage N:ARGS  extra kernel command line for stage N only (repeatable)
  --kunit GLOB        run KUnit suites matching GLOB in stage 1 (kunit.enable=1)
  --timeout SEC       the run's time on a good hour (default 300): progress lines name it;
                      only LUO_CEILING_FACTOR (10) times it stops a run that still prints
  --stall SEC         stop the run as hung after SEC without console or stage output
                      (default \$LUO_STALL_SECS or 600; until init has started in the
                      first kernel, \$LUO_BOOT_STALL_SECS or 180)
  --skippable ERE     a "not ok ... # SKIP" line matching ERE counts as a skip, not a failure
  --no-retry          do not boot again after a cold boot that hung before init
  --no-ktap-required  pass even if the run printed no KTAP result (for plain programs)
  --systemd           PID 1 is the host's systemd, which starts luod.socket and runs
                      the stage as a service (scripts/systemd-initramfs.sh)
USAGE
	exit 2
}

name="" stage="" chain="luo,luo" mem=2G cpus=2 append="" kunit="" timeout=300
stall=${LUO_STALL_SECS:-600} boot_stall=${LUO_BOOT_STALL_SECS:-180} factor=${LUO_CEILING_FACTOR:-10} skippable="" retry=1
ktap_required=1 systemd=0
files=() host_bins=()
declare -A stage_append=()
while [ $# -gt 0 ]; do
	case "$1" in
	--name) name=$2; shift 2 ;;
	--stage) stage=$2; shift 2 ;;
	--chain) chain=$2; shift 2 ;;
	--file) files+=("$2"); shift 2 ;;
	--host-bin) host_bins+=("$2"); shift 2 ;;
	--mem) mem=$2; shift 2 ;;
	--cpus) cpus=$2; shift 2 ;;
	--append) append="$append $2"; shift 2 ;;
	--append-stage) stage_append[${2%%:*}]="${stage_append[${2%%:*}]:-} ${2#*:}"; shift 2 ;;
	--kunit) kunit=$2; shift 2 ;;
	--timeout) timeout=$2; shift 2 ;;
	--stall) stall=$2; shift 2 ;;
	--skippable) skippable=$2; shift 2 ;;
	--no-retry) retry=0; shift ;;
	--no-ktap-required) ktap_required=0; shift ;;
	--systemd) systemd=1; shift ;;
	-h | --help) usage ;;
	*) echo "unknown option $1" >&2; usage ;;
	esac
done
[ -n "$name" ] && [ -n "$stage" ] || usage
[ -f "$stage" ] || die "stage program $stage does not exist"
for v in timeout stall boot_stall factor; do
	[[ "${!v}" =~ ^[1-9][0-9]*$ ]] || die "--$v (or its LUO_ variable) must be a positive number of seconds"
done
ceiling=$((timeout * factor))
command -v qemu-system-x86_64 >/dev/null || die "qemu-system-x86_64 is missing (run scripts/deps.sh)"

run=$BUILD/runs/$name
rm -rf "$run"
mkdir -p "$run/initrd"
IFS=, read -r -a kernels <<< "$chain"
n=${#kernels[@]}

tools=$(runner_tools) || exit 1
busybox=/bin/busybox
[ -x "$busybox" ] && file "$busybox" | grep -q 'statically linked' ||
	die "static busybox is missing (apt-get install busybox-static; scripts/deps.sh does)"

# A kernel that scripts/run-tests.sh is still building in the background:
# wait for it (progress every minute), then use it or name the failed build.
wait_kernel() {
	local d=$BUILD/kernel/$1 t0 n=0
	[ -f "$d/build.pending" ] || return 0
	t0=$(date +%s)
	while [ -f "$d/build.pending" ]; do
		sleep 5
		n=$((n + 1))
		[ $((n % 12)) -eq 0 ] && say "$name: waiting for the $1 kernel build ($(( $(date +%s) - t0 ))s)"
	done
	[ "$(cat "$d/build.rc" 2>/dev/null)" = 0 ] ||
		die "the $1 kernel build failed (log: $LOGS/kernel-$1-background.log)"
}

kernel_path() {
	case "$1" in
	stock | luo | debug)
		wait_kernel "$1"
		[ -f "$BUILD/kernel/$1/bzImage" ] || die "kernel $1 is not built (make kernels)"
		echo "$BUILD/kernel/$1/bzImage" ;;
	*) [ -f "$1" ] || die "kernel image $1 does not exist"; realpath "$1" ;;
	esac
}

# earlyprintk: a kernel that dies before its console is up (e.g. a kexec'd
# kernel out of KHO scratch) still says why. The hang detectors of the
# debug kernel get thresholds sized for TCG and turn a report into a panic,
# which ends the run at once (other kernels ignore these parameters). An
# oops panics too: the task it kills may hold locks the stage waits for,
# and the run would otherwise sit out the stall window.
# hung_task_timeout_secs is a sysctl only (7.3 has no such boot parameter:
# the debug kernel logged it as unknown and kept its default of 120 s).
detectors="oops=panic watchdog_thresh=60 softlockup_panic=1 sysctl.kernel.hung_task_timeout_secs=300 hung_task_panic=1"
detectors="$detectors rcupdate.rcu_cpu_stall_timeout=60 sysctl.kernel.panic_on_rcu_stall=1"
# tsc=reliable: no clocksource watchdog on the TSC. In 7.3 its skew check
# (watchdog_check_skew(), IRQs off) waits for the other CPU with a timeout
# read from the current clocksource; early in boot that is jiffies, which
# stands still while both CPUs have IRQs off. When the check starts as the
# other CPU enters stop_machine() for the switch to tsc-early, both spin
# forever: the boot stops after "vgaarb: loaded" (hang-registers.txt:
# watchdog_check_skew and stop_machine_yield, IF clear on both). TCG's TSC
# follows the host clock, so nothing is lost by trusting it.
cmdline_for() { # stage number (1-based)
	local c="console=ttyS0 earlyprintk=serial,ttyS0,115200 panic=-1 $detectors tsc=reliable liveupdate=on"
	c="$c$append ${stage_append[$1]:-}"
	[ "$1" = 1 ] && [ -n "$kunit" ] && c="$c kunit.enable=1 kunit.filter_glob=$kunit"
	echo "$c" | tr -s ' '
}

# Every kernel of the chain exists (or is waited for) before anything boots.
for k in "${kernels[@]}"; do
	kernel_path "$k" > /dev/null
done

# Initramfs images, last stage first: stage k carries stage k+1's kernel,
# initramfs and command line under /next.
for ((k = n; k >= 1; k--)); do
	list=$run/initrd/stage$k.list
	{
		echo "dir /dev 0755 0 0"
		echo "nod /dev/console 0600 0 0 c 5 1"
		echo "dir /bin 0755 0 0"
		echo "dir /proc 0755 0 0"
		echo "dir /sys 0755 0 0"
		echo "dir /tmp 1777 0 0"
		echo "file /init $tools/init 0755 0 0"
		echo "file /stage $(realpath "$stage") 0755 0 0"
		echo "file /bin/busybox $busybox 0755 0 0"
		for a in sh cat echo grep sed awk ls mkdir sleep head tail cut tr wc dd cmp \
			sha256sum free sync date uname dmesg mount seq test expr printf rm; do
			echo "slink /bin/$a busybox 0777 0 0"
		done
		echo "$n" > "$run/initrd/nstages"
		echo "file /nstages $run/initrd/nstages 0644 0 0"
		for f in "${files[@]}"; do
			src=${f%%:*}
			dst=/bin/$(basename "$src")
			[ "$f" != "$src" ] && dst=${f#*:}
			[ -f "$src" ] || die "--file $src does not exist"
			# Parent directories first (gen_init_cpio does not make them).
			d=$(dirname "$dst")
			while [ "$d" != / ] && [ "$d" != /bin ]; do
				echo "dir $d 0755 0 0"
				d=$(dirname "$d")
			done | tac
			echo "file $dst $(realpath "$src") 0755 0 0"
		done
		if [ ${#host_bins[@]} -gt 0 ]; then
			"$REPO/scripts/initramfs-dyn.sh" "${host_bins[@]}" ||
				die "step 'add host programs to the initramfs' failed"
		fi
		if [ "$systemd" = 1 ]; then
			"$REPO/scripts/systemd-initramfs.sh" "$run/initrd/systemd" ||
				die "step 'add systemd to the initramfs' failed"
		fi
		if [ "$k" -lt "$n" ]; then
			cmdline_for $((k + 1)) > "$run/initrd/cmdline$((k + 1))"
			echo "dir /next 0755 0 0"
			echo "file /next/bzImage $(kernel_path "${kernels[$k]}") 0644 0 0"
			echo "file /next/initrd.cpio $run/initrd/stage$((k + 1)).cpio 0644 0 0"
			echo "file /next/cmdline $run/initrd/cmdline$((k + 1)) 0644 0 0"
		fi
	} > "$list"
	"$tools/gen_init_cpio" "$list" > "$run/initrd/stage$k.cpio" ||
		die "step 'build initramfs for stage $k' failed"
done

# The first kernel has started its work: init runs the stage, or (--kunit)
# a KUnit suite, whose cases run before init, has begun.
started_re='LUO-RUNNER: stage 1 of|KTAP version'

# A pc machine without what no test uses: PCI and memory hotplug (their ACPI
# methods were half of a KASAN kernel's boot: acpi_init took 15-23 s of
# 35-60 s to init under TCG), SMBus, USB, vmport and the PS/2 controller.
# ACPI itself stays: its PM timer and HPET are the only references a TCG
# guest has to calibrate its TSC against.
machine=(-M pc,smbus=off,usb=off,vmport=off,i8042=off
	-global PIIX4_PM.acpi-root-pci-hotplug=off
	-global PIIX4_PM.acpi-pci-hotplug-with-bridge-support=off
	-global PIIX4_PM.memory-hotplug-support=off)

# boot: one boot of the chain under the watchdog; sets rc, verdict, longest.
boot() {
	say "$name: booting ${chain//,/ -> } (mem $mem, $cpus cpus; budget ${timeout}s, stall window ${stall}s)"
	rc=0
	rm -f "$run/monitor.sock"
	# la57=off: the debug kernel logged, about once in 40 boots, "BUG: KASAN:
	# wild-memory-access in rcu_is_watching" on an LA57 (5-level) direct-map
	# address, from an interrupt during identify_cpu() (stock code, which clears
	# and sets the CPU feature bits with IRQs on). Most likely KASAN then judges
	# addresses by 4-level bounds; nothing here needs 5-level paging.
	qemu-system-x86_64 \
		-accel tcg -cpu max,la57=off -m "$mem" -smp "$cpus" \
		"${machine[@]}" \
		-nographic -nodefaults -no-reboot \
		-serial "file:$run/console.log" -serial "file:$run/stage.log" \
		-monitor "unix:$run/monitor.sock,server=on,wait=off" \
		-kernel "$(kernel_path "${kernels[0]}")" \
		-initrd "$run/initrd/stage1.cpio" \
		-append "$(cmdline_for 1)" > "$run/qemu.log" 2>&1 < /dev/null &
	qpid=$!
	trap 'kill -KILL "$qpid" 2>/dev/null || true' EXIT
	# Watchdog: progress is output on either serial port.
	t_start=$(date +%s) t_last=$t_start last_size=-1 longest=0 verdict="" next_note=60
	# The boot stall window until init (or a KUnit suite) has started in
	# the first kernel.
	window=$((boot_stall < stall ? boot_stall : stall)) window_name="boot stall window"
	while kill -0 "$qpid" 2>/dev/null; do
		sleep 2
		now=$(date +%s)
		size=$(stat -c %s "$run/console.log" "$run/stage.log" 2>/dev/null | awk '{ t += $1 } END { print t + 0 }')
		if [ "$size" -ne "$last_size" ]; then
			[ $((now - t_last)) -gt "$longest" ] && longest=$((now - t_last))
			last_size=$size t_last=$now
			if [ "$window" -ne "$stall" ] &&
			   grep -qE "$started_re" "$run/console.log" 2>/dev/null; then
				window=$stall window_name="stall window"
			fi
		fi
		if [ $((now - t_last)) -ge "$window" ]; then
			verdict="hang: no console or stage output for ${window}s ($window_name; last lines of $run/console.log below)"
			break
		fi
		if [ $((now - t_start)) -ge "$ceiling" ]; then
			verdict="livelock: still printing after ${ceiling}s, ${factor}x its ${timeout}s budget"
			break
		fi
		if [ $((now - t_start)) -ge "$next_note" ]; then
			say "$name: still running ($((now - t_start))s; budget ${timeout}s; last output $((now - t_last))s ago)"
			next_note=$((next_note + 60))
		fi
	done
	if [ -n "$verdict" ]; then
		# Where each vCPU is: the first thing to read about a hang.
		if command -v python3 > /dev/null; then
			python3 - "$run/monitor.sock" > "$run/hang-registers.txt" 2>&1 <<-'PY' || true
	import socket, sys, time
	s = socket.socket(socket.AF_UNIX)
	s.settimeout(10)
	s.connect(sys.argv[1])
	s.sendall(b"info registers -a\n")
	s.settimeout(3)
	out = b""
	try:
	    while len(out) < (1 << 22):
	        chunk = s.recv(65536)
	        if not chunk:
	            break
	        out += chunk
	except OSError:
	    pass
	sys.stdout.write(out.decode(errors="replace"))
	PY
			grep -Eo 'RIP=[0-9a-f]+' "$run/hang-registers.txt" | sed "s/^/$name: hung vCPU at /" >&2 || true
		fi
		kill -TERM "$qpid" 2>/dev/null || true
		for _ in 1 2 3 4 5; do kill -0 "$qpid" 2>/dev/null || break; sleep 1; done
		kill -KILL "$qpid" 2>/dev/null || true
	fi
	wait "$qpid" || rc=$?
	trap - EXIT
	now=$(date +%s)
	[ $((now - t_last)) -gt "$longest" ] && longest=$((now - t_last))
	say "$name: ran $((now - t_start))s (budget ${timeout}s), longest silence ${longest}s"
}

# A first (cold) boot that hangs before init (or a KUnit suite) starts has
# run no code of this run's stage and no incoming handover: once, keep it
# (NAME/boot-hang-1/),
# say FLAKE, and boot again; run-tests.sh lists every flake in its summary
# and `make soak` (--no-retry) measures how often it happens.
boot
if [ $retry -eq 1 ] && [[ "$verdict" == hang:* ]] &&
   ! grep -qE "$started_re" "$run/console.log" 2>/dev/null; then
	mkdir -p "$run/boot-hang-1"
	mv "$run/console.log" "$run/stage.log" "$run/qemu.log" "$run/boot-hang-1/" 2>/dev/null || true
	mv "$run/hang-registers.txt" "$run/boot-hang-1/" 2>/dev/null || true
	echo "$name: FLAKE: the cold boot of ${kernels[0]} hung before init started (logs: $run/boot-hang-1/); booting again" >&2
	boot
fi

# Judge the run.
problems=()
if [ -n "$verdict" ]; then
	problems+=("$verdict")
	tail -n 5 "$run/console.log" 2>/dev/null | sed "s/^/$name: console: /" >&2 || true
elif [ $rc -ne 0 ]; then
	problems+=("qemu exited $rc (see $run/qemu.log)")
fi
grep -q "LUO-RUNNER: done" "$run/console.log" || problems+=("the chain did not complete")
for ((k = 1; k <= n; k++)); do
	grep -q "LUO-RUNNER: stage $k exit 0" "$run/console.log" ||
		problems+=("stage $k did not run or exited non-zero")
done
bad_re='Kernel panic|BUG:|WARNING:|Oops|general protection fault|KASAN:|kmemleak: [0-9]+ new suspected|UBSAN:|unreferenced object'
# A kmemleak that cannot scan (it disables itself on an internal error)
# would pass every run: that fails too.
bad_re="$bad_re|LUO-RUNNER: kmemleak scan failed|Kernel memory leak detector disabled"
bad_re="$bad_re|rcu: INFO: .*detected stall|rcu_.* self-detected stall|blocked for more than [0-9]+ seconds|soft lockup|hard LOCKUP"
if grep -Eq "$bad_re" "$run/console.log"; then
	problems+=("kernel log reports: $(grep -Eo "$bad_re" "$run/console.log" | sort -u | tr '\n' ' ')")
fi

# KTAP from the stage programs (stage.log) and KUnit (console.log, without
# the printk timestamps), each judged on its own: counts, plans, SKIP rules.
tr -d '\r' < "$run/stage.log" > "$run/ktap-stage.txt"
sed -n 's/^\[ *[0-9.]*\] //p' "$run/console.log" | tr -d '\r' > "$run/ktap-kernel.txt"
cat "$run/ktap-stage.txt" "$run/ktap-kernel.txt" > "$run/ktap.txt"
pass=0 fail=0 skip=0
for src in stage kernel; do
	{
		read -r p f s
		pass=$((pass + p)) fail=$((fail + f)) skip=$((skip + s))
		while read -r line; do
			problems+=("KTAP ($src output): ${line#problem: }")
		done
	} < <(awk -v skippable="$skippable" -f "$REPO/scripts/ktap-judge.awk" "$run/ktap-$src.txt")
done
[ "$fail" -gt 0 ] && problems+=("$fail KTAP test(s) not ok")
[ $ktap_required -eq 1 ] && [ $((pass + fail)) -eq 0 ] && problems+=("no KTAP result was printed")

if [ ${#problems[@]} -gt 0 ]; then
	for p in "${problems[@]}"; do echo "$name: FAIL: $p" >&2; done
	echo "$name: logs: $run/console.log (kernel), $run/stage.log (stage output)" >&2
	grep -E '^ *not ok' "$run/ktap.txt" | head -20 >&2 || true
	[ "$fail" -eq 0 ] && fail=1
	echo "$name: $pass passed, $fail failed, $skip skipped"
	exit 1
fi
echo "$name: $pass passed, $fail failed, $skip skipped"
