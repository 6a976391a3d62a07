#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The emulated VT-x host: boot a Debian cloud kernel inside Bochs (an
# x86-64 emulator that implements VMX), load vmm.ko there, run one job
# (the selftests by default) and judge the result from the serial logs.
# See Documentation/testing.rst.
#
# Everything is in functions and main runs last, so that editing this
# file does not disturb a run that is under way.

set -Eeuo pipefail
# Every exit through set -e says what failed (bash does not); a function
# that returns its failure has said why.
trap 'case $BASH_COMMAND in return*|exit*) ;; *) printf "vmtest: error: line %d: \"%s\" failed (status %d)\n" "$LINENO" "$BASH_COMMAND" "$?" >&2 ;; esac' ERR

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TOP=$(cd "$HERE/../.." && pwd)

usage()
{
	cat <<EOF
usage: $0 [options]
  --kernel 6.1|6.12|debug|VERSION
                             guest kernel: Debian's 6.1 cloud kernel (default),
                             the newest 6.12 cloud kernel installed (else the
                             newest in the apt sources, bookworm-backports added),
                             the debug kernel (6.1 with KASAN, lockdep, kmemleak...,
                             built and cached by debug-kernel.sh), or an exact
                             version such as 6.1.0-56-cloud-amd64
  --cpus N                   emulated CPUs, 1 (default) or 2
  --mem MiB                  guest memory (default 512)
  --timeout SEC              limit for boot and job (default 1800; none for --shell)
  --tests A,B,...            with the check job: only these selftests
  --env VMM_NAME=VALUE       set that variable for the job (a test's knob,
                             such as VMM_FUZZ_SECONDS); repeatable
  --job NAME                 run /vmm/jobs/NAME.sh in the guest (default check);
                             jobs: $(cd "$HERE/jobs" && ls -- *.sh | sed 's/\.sh$//' | tr '\n' ' ')
  --shell                    interactive shell on this terminal instead of a job
  --keep                     keep the image and bochsrc in the work dir
  --packages DIR             stage what the Debian packages installed instead of
                             the tree's vmm.ko and vmmctl: DIR is the work dir of
                             scripts/packages.sh (its packages.env); job packages
environment: VMTEST_DIR=DIR           work dir (default /tmp/vmtest-VERSION-CPUS)
             VMTEST_CMDLINE="..."     more kernel command line
             VMTEST_BOCHS_LOG=report  log emulator errors (unknown MSRs...) to bochs.log
EOF
	exit "${1:-0}"
}

say() { printf 'vmtest: %s\n' "$*"; }
die() { printf 'vmtest: error: %s\n' "$*" >&2; exit 2; }

# Wall time in microseconds, and a duration as seconds with one decimal.
now_us() { echo "${EPOCHREALTIME/./}"; }
secs() { local d=$(( ($2 - $1) / 100000 )); echo "$((d / 10)).$((d % 10))"; }

parse_args()
{
	local opt val
	KERNEL=6.1 CPUS=1 MEM= TIMEOUT= JOB=check KEEP=0 TESTS= ENVS= PACKAGES=
	while [ $# -gt 0 ]; do
		opt=$1
		case $opt in
		--*=*) set -- "${opt%%=*}" "${opt#*=}" "${@:2}"; continue ;;
		--kernel|--cpus|--mem|--timeout|--job|--tests|--env|--packages)
			[ $# -ge 2 ] || die "$opt needs a value"
			val=$2
			shift 2 ;;
		--shell|--keep|-h|--help) shift ;;
		*) echo "vmtest: unknown argument '$opt'" >&2; usage 2 ;;
		esac
		case $opt in
		--kernel) KERNEL=$val ;;
		--cpus) CPUS=$val ;;
		--mem) MEM=$val ;;
		--timeout) TIMEOUT=$val ;;
		--job) JOB=$val ;;
		--tests) TESTS=$val ;;
		--env)
			[[ $val =~ ^VMM_[A-Z0-9_]+=[A-Za-z0-9_.,-]*$ ]] ||
				die "--env: VMM_NAME=VALUE (letters, digits, _ . , -)"
			ENVS+=" vmtest.env.$val" ;;
		--packages) PACKAGES=$val ;;
		--shell) JOB=shell ;;
		--keep) KEEP=1 ;;
		-h|--help) usage 0 ;;
		esac
	done

	[[ $CPUS =~ ^[1-8]$ ]] || die "--cpus: 1 or 2 (up to 8 accepted)"
	# QEMU's guest gets 128 MiB inside, QEMU and its libraries ~50 MB.
	if [ -z "$MEM" ]; then
		MEM=512
		[ "$JOB" != qemu ] || MEM=1024
	fi
	[[ $MEM =~ ^[0-9]+$ ]] && [ "$MEM" -ge 128 ] || die "--mem: MiB, at least 128"
	[[ -z $TIMEOUT || $TIMEOUT =~ ^[1-9][0-9]*$ ]] || die "--timeout: seconds"
	[[ -z $TESTS || $TESTS =~ ^[A-Za-z0-9_.,-]+$ ]] || die "--tests: names from selftests/tests.list, comma-separated"
	[[ $JOB =~ ^[A-Za-z0-9_-]+$ ]] || die "--job: a name from $HERE/jobs"
	[ "$JOB" = shell ] || [ -f "$HERE/jobs/$JOB.sh" ] || die "no job $HERE/jobs/$JOB.sh"
	if [ "$JOB" = shell ]; then
		[ -t 0 ] && [ -t 1 ] || die "--shell needs a terminal"
	else
		TIMEOUT=${TIMEOUT:-1800}
	fi
}

# ---------------------------------------------------------------- setup

APT_UPDATED=0
SUDO=
[ "$(id -u)" = 0 ] || SUDO=sudo

apt_update()
{
	[ $APT_UPDATED = 1 ] && return 0
	say "apt-get update"
	$SUDO apt-get update -qq
	APT_UPDATED=1
}

# The packages of the list that are not installed.
pkg_missing()
{
	local p
	for p; do
		dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null |
			grep -q ' installed$' || echo "$p"
	done
}

pkg_install()
{
	local missing
	missing=$(pkg_missing "$@")
	[ -n "$missing" ] || return 0
	say "installing:" $missing
	apt_update
	# shellcheck disable=SC2086
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq \
		--no-install-recommends $missing
}

ensure_backports()
{
	if grep -Rqs '^[^#]*bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/; then
		return 0
	fi
	say "adding bookworm-backports to the apt sources"
	echo "deb http://deb.debian.org/debian bookworm-backports main" |
		$SUDO tee /etc/apt/sources.list.d/bookworm-backports.list >/dev/null
	APT_UPDATED=0
}

# Sets VER to the full version (uname -r) of the guest kernel, KIMAGE to
# its image, KDIR to the tree to build modules against and KVM_MODS to the
# directory with its kvm modules (/lib/modules/VER/kernel for a Debian
# kernel).
resolve_kernel()
{
	local k=${KERNEL#linux-image-} pkg dir
	DEBUG_KERNEL=0
	if [ "$k" = debug ]; then
		# Built on the first use (tens of minutes), then cached.
		dir=$("$HERE/debug-kernel.sh") || die "no debug kernel"
		VER=$(cat "$dir/release")
		KIMAGE=$dir/bzImage KDIR=$dir/build KVM_MODS=$dir/kvm
		DEBUG_KERNEL=1
		say "debug kernel $VER from $dir (built in $(cat "$dir/build-time") s)"
		return 0
	fi
	case $k in
	6.1)
		pkg_install linux-image-cloud-amd64 linux-headers-cloud-amd64
		VER=$(dpkg-query -W -f='${Depends}' linux-image-cloud-amd64 |
			grep -o 'linux-image-[^ ,]*-cloud-amd64' | head -n 1)
		VER=${VER#linux-image-}
		;;
	6.12)
		# The newest one installed, else the newest one the apt
		# sources have (bookworm-security carries 6.12 too).
		VER=$(dpkg-query -W -f='${Package} ${Status}\n' 'linux-image-6.12*-cloud-amd64' 2>/dev/null |
			awk '/ installed$/ { sub(/^linux-image-/, "", $1); print $1 }' |
			sort -V | tail -n 1 || true)
		if [ -z "$VER" ]; then
			ensure_backports
			apt_update
			pkg=$(apt-cache search --names-only '^linux-image-6\.12\.[^ ]*-cloud-amd64$' |
				awk '{ print $1 }' | sort -V | tail -n 1)
			[ -n "$pkg" ] || die "no linux-image-6.12*-cloud-amd64 in the apt sources"
			VER=${pkg#linux-image-}
		fi
		pkg_install "linux-image-$VER" "linux-headers-$VER"
		;;
	*)
		VER=$k
		# From the configured sources, else from bookworm-backports.
		pkg_install "linux-image-$VER" "linux-headers-$VER" || {
			ensure_backports
			pkg_install "linux-image-$VER" "linux-headers-$VER"
		}
		;;
	esac
	[ -n "$VER" ] || die "cannot tell the version of kernel '$KERNEL'"
	[ -r "/boot/vmlinuz-$VER" ] || die "cannot read /boot/vmlinuz-$VER"
	[ -f "/usr/src/linux-headers-$VER/Makefile" ] || die "no headers in /usr/src/linux-headers-$VER"
	KIMAGE=/boot/vmlinuz-$VER KDIR=/usr/src/linux-headers-$VER
	KVM_MODS=/lib/modules/$VER/kernel
}

setup()
{
	# What the harness itself runs on the host.
	pkg_install bochs bochsbios vgabios busybox-static cpio isolinux \
		syslinux-common xorriso xz-utils gzip lz4 kmod make gcc libc6-dev binutils \
		pkg-config libnl-3-dev libnl-genl-3-dev
	# The qemu job's payload, installed for that job only.
	[ "$JOB" != qemu ] || pkg_install qemu-system-x86 strace
	resolve_kernel

	WORK=${VMTEST_DIR:-/tmp/vmtest-$VER-$CPUS}
	mkdir -p "$WORK"
	WORK=$(cd "$WORK" && pwd)
	STAGE=$WORK/root
	exec 9>"$WORK/.lock"
	flock -n 9 || die "$WORK is in use by another run; set VMTEST_DIR to another directory"
	rm -rf "$STAGE" "$WORK/iso" "$WORK/boot.iso"
	rm -f "$WORK"/{serial.log,job.log,jobtty.log,channel.log,bochs.log,bochs.out,build.log,xorriso.log,headline}
	say "kernel $VER, $CPUS CPU(s), $MEM MiB, job $JOB, work dir $WORK"
}

# ---------------------------------------------------------------- build

build_all()
{
	local jobs
	jobs=$(nproc)
	if [ "$DEBUG_KERNEL" = 1 ]; then
		# From a copy: the tree keeps its module for the Debian
		# kernel, and a run on that one may build at the same time.
		rm -rf "$WORK/kmod-debug" && mkdir -p "$WORK/kmod-debug" &&
		cp -r "$TOP/Kbuild" "$TOP/VERSION" "$TOP/kmod" "$TOP/uapi" "$WORK/kmod-debug/" &&
		# VMM_DEBUG=y: the hooks that widen race windows for the
		# tests (memslot_race_test's slot-update delay).
		make -C "$KDIR" M="$WORK/kmod-debug" clean &&
		make -C "$KDIR" M="$WORK/kmod-debug" VMM_DEBUG=y W=1 -j"$jobs" modules ||
			return 1
	else
		make -C "$TOP" -j"$jobs" kmod KDIR="$KDIR" || return 1
	fi
	make -C "$TOP" -j"$jobs" userlib vmmctl selftests &&
	make -C "$TOP/selftests" install INSTALL_PATH="$STAGE/vmm/selftests" ||
		return 1
	# The benchmark compares with a module whose statistics are built
	# out; it is built from a copy, the tree keeps the real one.
	if [ "$JOB" = bench ]; then
		rm -rf "$WORK/nostats" && mkdir -p "$WORK/nostats" &&
		cp -r "$TOP/Kbuild" "$TOP/VERSION" "$TOP/kmod" "$TOP/uapi" "$WORK/nostats/" &&
		make -C "$KDIR" M="$WORK/nostats" \
			VMM_STATS=n clean &&
		make -C "$KDIR" M="$WORK/nostats" \
			VMM_STATS=n -j"$jobs" modules &&
		objcopy --strip-debug "$WORK/nostats/kmod/vmm.ko" \
			"$STAGE/vmm/vmm-nostats.ko"
	fi
}

build()
{
	local vermagic ko=$TOP/kmod/vmm.ko

	# The builds write into the source tree: one run at a time per tree
	# builds and takes its results.
	exec 8>"/tmp/vmtest-build-$(printf '%s' "$TOP" | md5sum | cut -c1-12).lock"
	flock 8

	mkdir -p "$STAGE/vmm/bin" "$STAGE/vmm/kvm" "$STAGE/vmm/jobs"
	say "building (log: $WORK/build.log)"
	if ! build_all > "$WORK/build.log" 2>&1; then
		tail -n 60 "$WORK/build.log"
		die "build failed, see $WORK/build.log"
	fi
	grep -E '(warning|error): ' "$WORK/build.log" | sed 's/^/vmtest: build: /' | head -n 40 || true

	[ "$DEBUG_KERNEL" = 0 ] || ko=$WORK/kmod-debug/kmod/vmm.ko
	[ -z "$PACKAGES" ] || read_packages
	[ -z "$PACKAGES" ] || ko=$PKG_MODULE
	[ -f "$ko" ] || die "the build made no $ko"
	vermagic=$(modinfo -F vermagic "$ko")
	[ "${vermagic%% *}" = "$VER" ] ||
		die "$ko is built for '${vermagic%% *}', not $VER"
	# Debug info only makes the image bigger; the tree keeps it.
	objcopy --strip-debug "$ko" "$STAGE/vmm/vmm.ko"
	if [ -n "$PACKAGES" ]; then
		# make_initramfs adds its libraries (libvmm.so.0...).
		cp "$PKG_VMMCTL" "$STAGE/vmm/bin/vmmctl"
		mkdir -p "$STAGE/vmm/packages"
		cp "$PKG_UDEV_RULE" "$STAGE/vmm/packages/udev.rules"
	elif [ -x "$TOP/vmmctl/vmmctl" ]; then
		cp "$TOP/vmmctl/vmmctl" "$STAGE/vmm/bin/"
	fi
	flock -u 8
	exec 8>&-
}

# --packages DIR: PKG_MODULE, PKG_VMMCTL and PKG_UDEV_RULE from the
# packages.env that scripts/packages.sh left in DIR.
read_packages()
{
	local env=$PACKAGES/packages.env key val
	[ -f "$env" ] || die "no $env: run scripts/packages.sh first (VMM_PACKAGES_DIR=$PACKAGES)"
	PKG_MODULE= PKG_VMMCTL= PKG_UDEV_RULE=
	while IFS='=' read -r key val; do
		case $key in
		MODULE) PKG_MODULE=$val ;;
		VMMCTL) PKG_VMMCTL=$val ;;
		UDEV_RULE) PKG_UDEV_RULE=$val ;;
		esac
	done < "$env"
	[ -f "$PKG_MODULE" ] || die "$env: no module '$PKG_MODULE'"
	[ -x "$PKG_VMMCTL" ] || die "$env: no vmmctl '$PKG_VMMCTL' (is the vmmctl package installed?)"
	[ -f "$PKG_UDEV_RULE" ] || die "$env: no udev rule '$PKG_UDEV_RULE' (is vmm-dkms installed?)"
	say "packages: module $PKG_MODULE, vmmctl $PKG_VMMCTL, udev rule $PKG_UDEV_RULE"
}

# ---------------------------------------------------------------- image

# The qemu job (jobs/qemu.sh): Debian's qemu-system-x86_64 and strace in
# /vmm/bin (make_initramfs adds their libraries), in /vmm/qemu the
# firmware QEMU loads for "-M pc -nodefaults -kernel" (its -L directory),
# the guest kernel (the emulated host's own) and the guest's initramfs
# (busybox-static and qemu-guest-init).
stage_qemu()
{
	local f
	mkdir -p "$STAGE/vmm/qemu/firmware"
	cp /usr/bin/qemu-system-x86_64 /usr/bin/strace "$STAGE/vmm/bin/"
	for f in /usr/share/seabios/bios-256k.bin /usr/share/qemu/linuxboot_dma.bin \
		/usr/share/qemu/kvmvapic.bin; do
		[ -f "$f" ] || die "no $f (package qemu-system-x86 and its dependencies)"
		cp -L "$f" "$STAGE/vmm/qemu/firmware/"
	done
	cp "$KIMAGE" "$STAGE/vmm/qemu/vmlinuz"
	guest_initramfs "$HERE/qemu-guest-init" "$STAGE/vmm/qemu/guest.cpio.gz"
}

# guest_initramfs INIT OUT: a busybox-static initramfs with INIT as /init.
guest_initramfs()
{
	local g=$WORK/guest-root
	rm -rf "$g" && mkdir -p "$g"/{bin,dev,proc}
	cp /bin/busybox "$g/bin/busybox"
	ln -s busybox "$g/bin/sh"
	install -m 755 "$1" "$g/init"
	(cd "$g" && find . -print0 | LC_ALL=C sort -z |
		cpio --null -o -H newc --owner=0:0 --quiet) | gzip -6 > "$2"
	rm -rf "$g"
}

# The Linux guest that vmmctl boots (selftests/linux_guest.sh, jobs demo
# and bench): the emulated host's own kernel (not the debug kernel's:
# the guest is not what that run checks) and linux-guest-init.
stage_linux_guest()
{
	mkdir -p "$STAGE/vmm/linux"
	cp "$KIMAGE" "$STAGE/vmm/linux/vmlinuz"
	guest_initramfs "$HERE/linux-guest-init" "$STAGE/vmm/linux/initrd.gz"
}

# Copy what ldd says FILE needs (shared libraries, the dynamic loader) to
# the same paths under the stage.
stage_deps()
{
	local lib
	if ldd "$1" 2>/dev/null | grep -q 'not found'; then
		die "$1: missing shared libraries: $(ldd "$1" | grep 'not found' | tr -s ' \t\n' ' ')"
	fi
	for lib in $(ldd "$1" 2>/dev/null | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }'); do
		case $lib in "$STAGE"/*) continue ;; esac
		[ -e "$STAGE$lib" ] && continue
		mkdir -p "$STAGE$(dirname "$lib")"
		cp -L "$lib" "$STAGE$lib"
	done
}

kernel_cmdline()
{
	local rows cols
	CMDLINE="console=ttyS0,115200 quiet loglevel=4 panic=-1 nokaslr mitigations=off"
	CMDLINE+=" tsc=reliable lpj=1000000 noapic"
	# The crypto self-tests cost seconds of emulation at every boot.
	CMDLINE+=" cryptomgr.notests log_buf_len=4M"
	# The debug kernel: every KASAN report, not only the first one.
	[ "$DEBUG_KERNEL" = 0 ] || CMDLINE+=" kasan_multi_shot"
	# An emulator quirk, not the kernel's: in Bochs with two CPUs, a
	# kernel with the tick stopped on an idle CPU (NO_HZ) wakes its
	# timer-driven kthreads late, so RCU grace periods take seconds of
	# emulated time: on 6.12 a module load/unload cycle took 6.5 s (0.9 s
	# with nohz=off), on 6.1 eight cycles 4 s in one run and 25 s in the
	# next.  With one CPU, Bochs skips the idle time to the next timer
	# and the tick would only cut that short.  Real machines run with
	# NO_HZ; nothing of vmm depends on the tick.
	[ "$CPUS" = 1 ] || CMDLINE+=" nohz=off"
	CMDLINE+=" vmtest.job=$JOB"
	[ -z "$TESTS" ] || CMDLINE+=" vmtest.tests=$TESTS"
	CMDLINE+=$ENVS
	if [ "$JOB" = shell ]; then
		read -r rows cols < <(stty size 2>/dev/null || echo "0 0")
		if [ "${rows:-0}" -gt 0 ] && [ "${cols:-0}" -gt 0 ]; then
			CMDLINE+=" vmtest.rows=$rows vmtest.cols=$cols"
		fi
	fi
	CMDLINE+="${VMTEST_CMDLINE:+ $VMTEST_CMDLINE}"
}

make_initramfs()
{
	local f m src needs_bash=0

	# busybox; /init links its applets at boot
	mkdir -p "$STAGE"/{bin,sbin,usr/bin,usr/sbin,dev,proc,sys,tmp,root,etc}
	cp /bin/busybox "$STAGE/bin/busybox"
	ln -s busybox "$STAGE/bin/sh"
	# Users for tools that print names (vmmctl list), and for the
	# tests that drop to an unprivileged uid.
	printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' > "$STAGE/etc/passwd"
	printf 'root:x:0:\nnogroup:x:65534:\n' > "$STAGE/etc/group"
	install -m 755 "$HERE/init" "$STAGE/init"
	gcc -O2 -Wall -s -o "$STAGE/bin/e9pipe" "$HERE/e9pipe.c"
	stage_deps "$STAGE/bin/e9pipe"
	install -m 644 "$HERE/lib.sh" "$STAGE/vmm/lib.sh"
	install -m 755 "$HERE"/jobs/*.sh "$STAGE/vmm/jobs/"

	# Debian's KVM of the same kernel, the baseline
	for m in virt/lib/irqbypass arch/x86/kvm/kvm arch/x86/kvm/kvm-intel; do
		src=$KVM_MODS/$m.ko
		[ "$DEBUG_KERNEL" = 0 ] || src=$KVM_MODS/${m##*/}.ko
		if [ -f "$src" ]; then
			cp "$src" "$STAGE/vmm/kvm/"
		elif [ -f "$src.xz" ]; then
			xz -dc "$src.xz" > "$STAGE/vmm/kvm/${m##*/}.ko"
		else
			say "warning: no $src in the kernel package"
		fi
	done

	[ "$JOB" != qemu ] || stage_qemu
	[ "$DEBUG_KERNEL" != 0 ] || stage_linux_guest

	# KVM's modules without their debug sections (symbols stay): the
	# image is smaller and unpacks faster (the kernel's time, not the
	# host's).
	for m in "$STAGE"/vmm/kvm/*.ko; do
		[ ! -f "$m" ] || strip --strip-debug "$m"
	done

	# Programs (without debug sections) and their libraries; bash for
	# scripts that ask for it
	while IFS= read -r -d '' f; do
		case $f in *.ko) continue ;; esac
		if [ "$(head -c 4 "$f" | od -An -tx1 | tr -d ' \n')" = 7f454c46 ]; then
			strip --strip-debug "$f"
			stage_deps "$f"
		elif head -n 1 "$f" | grep -Eq '^#! *(/usr)?/bin/(env +)?bash'; then
			needs_bash=1
		fi
	done < <(find "$STAGE/vmm" -type f -perm -u+x -print0)
	if [ $needs_bash = 1 ]; then
		cp /bin/bash "$STAGE/bin/bash"
		stage_deps /bin/bash
	fi

	# LZ4 (the legacy format, which the kernel's initramfs code reads):
	# a fifth larger than gzip, unpacked several times faster, which on
	# the debug kernel took 3 s of emulated time with gzip.
	(cd "$STAGE" && find . -print0 | LC_ALL=C sort -z |
		cpio --null -o -H newc --owner=0:0 --quiet) | lz4 -l -9 -q > "$1"
}

# A CD that isolinux boots: the kernel and the initramfs.  isolinux also
# speaks on the serial port, so a reboot shows in serial.log.
make_iso()
{
	mkdir -p "$WORK/iso/isolinux"
	cp /usr/lib/ISOLINUX/isolinux.bin /usr/lib/syslinux/modules/bios/ldlinux.c32 \
		"$WORK/iso/isolinux/"
	cp "$KIMAGE" "$WORK/iso/vmlinuz"
	cat > "$WORK/iso/isolinux/isolinux.cfg" <<-EOF
	SERIAL 0 115200
	DEFAULT vmtest
	PROMPT 0
	TIMEOUT 0
	LABEL vmtest
	  KERNEL /vmlinuz
	  INITRD /initrd.lz4
	  APPEND $CMDLINE
	EOF
	xorriso -as mkisofs -quiet -R -J -o "$WORK/boot.iso" \
		-b isolinux/isolinux.bin -c isolinux/boot.cat \
		-no-emul-boot -boot-load-size 4 -boot-info-table "$WORK/iso" \
		> "$WORK/xorriso.log" 2>&1 ||
		die "xorriso failed: $(tail -n 5 "$WORK/xorriso.log")"
}

write_bochsrc()
{
	local serial
	if [ "$JOB" = shell ]; then
		serial="com1: enabled=1, mode=term, dev=/dev/tty"
	else
		serial="com1: enabled=1, mode=file, dev=serial.log
com2: enabled=1, mode=file, dev=jobtty.log"
	fi
	# rfb needs no display and, with timeout=0, waits for no viewer; it
	# takes the first free TCP port from 5900 on, so runs do not collide.
	cat > "$WORK/bochsrc" <<-EOF
	# Generated by selftests/vmtest/run.sh
	memory: guest=$MEM, host=$MEM
	romimage: file=/usr/share/bochs/BIOS-bochs-latest
	vgaromimage: file=/usr/share/vgabios/vgabios.bin
	cpu: model=broadwell_ult, count=$CPUS, ips=400000000, reset_on_triple_fault=1
	clock: sync=none, time0=local
	pci: enabled=1, chipset=i440fx
	ata0-master: type=cdrom, path=boot.iso, status=inserted
	boot: cdrom
	floppy_bootsig_check: disabled=1
	$serial
	port_e9_hack: enabled=1
	display_library: rfb, options="timeout=0"
	mouse: enabled=0
	speaker: enabled=0
	sound: driver=dummy
	log: bochs.log
	panic: action=fatal
	error: action=${VMTEST_BOCHS_LOG:-ignore}
	info: action=ignore
	debug: action=ignore
	EOF
	# Debian's bochs has the debugger built in: start the machine, and
	# leave when it stops.
	printf 'continue\nquit\n' > "$WORK/cmds"
}

image()
{
	kernel_cmdline
	mkdir -p "$WORK/iso"
	make_initramfs "$WORK/iso/initrd.lz4"
	make_iso
	write_bochsrc
	say "image: $(du -h "$WORK/boot.iso" | cut -f1) ($WORK/boot.iso)"
}

# ---------------------------------------------------------------- boot + run

BPID=

# What the guest writes to port 0xe9 comes out on the emulator's standard
# output: that is job.log (the emulator's own few lines stay outside the
# markers).
start_bochs()
{
	local out=job.log
	[ "$JOB" != shell ] || out=/dev/null
	(cd "$WORK" && exec bochs-bin -q -f bochsrc -rc cmds </dev/null >"$out" 2>bochs.out) &
	BPID=$!
}

stop_bochs()
{
	local i
	[ -n "$BPID" ] || return 0
	kill -TERM "$BPID" 2>/dev/null || true
	for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
		kill -0 "$BPID" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$BPID" 2>/dev/null || true
	wait "$BPID" 2>/dev/null || true
	BPID=
}

# --shell: the guest's console is this terminal; wait for the emulator.
run_shell()
{
	local saved_tty limit
	say "starting the emulated host; the guest console is this terminal."
	say "leave with 'exit' (powers off); Ctrl-C stops the emulator."
	saved_tty=$(stty -g)
	start_bochs
	limit=$(( $(now_us) + ${TIMEOUT:-0} * 1000000 ))
	while kill -0 "$BPID" 2>/dev/null; do
		if [ -n "$TIMEOUT" ] && [ "$(now_us)" -gt "$limit" ]; then
			say "timeout after $TIMEOUT s"
			break
		fi
		sleep 0.5
	done
	stop_bochs
	stty "$saved_tty" 2>/dev/null || stty sane
	echo
	say "emulator stopped (log: $WORK/bochs.log, $WORK/bochs.out)"
}

# next_line FD BUFVAR: the next complete line of FD in LINE, without CRs.
# At the end of the file a partial line waits in BUFVAR for the rest.
next_line()
{
	local -n buf=$2
	if IFS= read -r -u "$1" LINE; then
		LINE=${buf}${LINE//$'\r'/}
		buf=
		return 0
	fi
	buf+=${LINE//$'\r'/}
	return 1
}

# The text of a marker line after its keyword, without the brackets.
marker_arg()
{
	local m=${1#*<<<vmtest }
	m=${m#* }
	echo "${m%%>>>*}"
}

# A line of the job channel (job.log): show the job's output as it comes.
# Returns 1 at the end marker.
job_line()
{
	case $1 in
	*'<<<vmtest start '*)
		T_MARK=$(now_us)
		say "guest up after $(secs "$T_IMAGE" "$T_MARK") s: $(marker_arg "$1")"
		IN_JOB=1 ;;
	*'<<<vmtest status '*)
		IN_JOB=0
		say "job status: $(marker_arg "$1")" ;;
	*'<<<vmtest kmsg begin>>>'*)
		say "---- kernel log since the job started ----" ;;
	*'<<<vmtest kmsg end>>>'*)
		say "---- end of kernel log ----" ;;
	*'<<<vmtest taint '*) ;;
	*'<<<vmtest end>>>'*)
		END_SEEN=1
		return 1 ;;
	'('[0-9]')'[.\ ]*|'('[0-9][0-9]')'[.\ ]*|bx_dbg_*|'Next at t='*)
		# Bochs' own debugger output (a CPU's state when a guest of
		# ours triple faults, and the like) shares the emulator's
		# standard output with port 0xe9: it is not the job's.
		printf '%s\n' "$1" >> "$WORK/emulator.log" ;;
	*)
		# Before the start marker: the emulator's own banner.
		[ -z "$T_MARK" ] || printf '%s\n' "$1" ;;
	esac
	return 0
}

# A line of the kernel console: stop at a panic or a reboot; during the
# job show what the kernel prints there (errors and worse).  Returns 1 to
# stop the emulator.
console_line()
{
	case $1 in
	*'Kernel panic'*)
		printf 'console: %s\n' "$1"
		say "kernel panic, stopping the emulator"
		sleep 1
		return 1 ;;
	'ISOLINUX '[0-9]*)
		BOOTS=$((BOOTS + 1))
		if [ $BOOTS -gt 1 ]; then
			say "the guest rebooted, stopping the emulator"
			return 1
		fi ;;
	*'<<<vmtest '*) ;;
	*)
		[ $IN_JOB = 0 ] || printf 'console: %s\n' "$1" ;;
	esac
	return 0
}

# Follow both logs until the end marker, a panic, a reboot, the emulator
# stopping or the time limit.
watch_guest()
{
	local jbuf= tbuf= cbuf= busy limit alive=1
	limit=$(( $(now_us) + TIMEOUT * 1000000 ))
	while :; do
		busy=0
		while next_line 7 cbuf; do
			busy=1
			console_line "$LINE" && continue
			# Stopping: show what the job got out before.
			while { next_line 6 jbuf || next_line 8 tbuf; } &&
				job_line "$LINE"; do :; done
			return 0
		done
		# The job channel: port 0xe9, then the fallback serial port if
		# e9pipe had to switch (it never switches back).  After the end
		# marker the guest powers off: its console is read until the
		# emulator stops (at most POWEROFF_WAIT s), so that a kernel
		# problem on the way down counts too.
		while [ $END_SEEN = 0 ] && { next_line 6 jbuf || next_line 8 tbuf; }; do
			busy=1
			job_line "$LINE" && continue
			limit=$(( $(now_us) + POWEROFF_WAIT * 1000000 ))
			break
		done
		[ $alive = 1 ] || return 0
		# One more pass after the emulator has gone, for its last words.
		kill -0 "$BPID" 2>/dev/null || alive=0
		if [ "$(now_us)" -gt "$limit" ]; then
			if [ $END_SEEN = 1 ]; then
				say "the guest did not power off within $POWEROFF_WAIT s of the end marker"
				POWEROFF_LATE=1
				return 0
			fi
			TIMED_OUT=$TIMEOUT
			say "timeout after $TIMEOUT s"
			return 0
		fi
		[ $busy = 1 ] || [ $alive = 0 ] || sleep 0.2
	done
}

boot_and_run()
{
	T_MARK= TIMED_OUT=0 END_SEEN=0 IN_JOB=0 BOOTS=0 POWEROFF_LATE=0
	POWEROFF_WAIT=${VMTEST_POWEROFF_WAIT:-120}
	: > "$WORK/serial.log"
	: > "$WORK/job.log"
	: > "$WORK/jobtty.log"
	: > "$WORK/emulator.log"
	start_bochs
	say "booting (bochs pid $BPID, console $WORK/serial.log, job output $WORK/job.log)"
	exec 6<"$WORK/job.log" 7<"$WORK/serial.log" 8<"$WORK/jobtty.log"
	watch_guest
	exec 6<&- 7<&- 8<&-
	if [ $END_SEEN = 0 ] && ! kill -0 "$BPID" 2>/dev/null; then
		say "the emulator stopped before the end marker (see $WORK/bochs.out)"
	fi
	if [ -z "$T_MARK" ]; then
		say "the guest never reached /init; the end of its console:"
		tail -n 25 "$WORK/serial.log" | tr -d '\r\0'
	fi
	stop_bochs
}

# ---------------------------------------------------------------- verdict

verdict()
{
	local rc=0 headline boot_time= FALLBACK_USED=

	cat "$WORK/job.log" "$WORK/jobtty.log" > "$WORK/channel.log"
	[ ! -s "$WORK/jobtty.log" ] || FALLBACK_USED=1
	# The debug kernel is ours: a report at its boot is a failure too
	# (lockdep and KASAN go quiet after their first one).
	awk -v timed_out="$TIMED_OUT" -v headline="$WORK/headline" \
		-v boot_strict="$DEBUG_KERNEL" \
		-f "$HERE/verdict.awk" "$WORK/channel.log" "$WORK/serial.log" || rc=1
	headline=$(cat "$WORK/headline" 2>/dev/null || echo "no verdict")
	if [ "$POWEROFF_LATE" = 1 ] && [ $rc = 0 ]; then
		rc=1
		headline="the guest did not power off after the job (hung on the way down?)"
	fi

	[ -z "$T_MARK" ] || boot_time=" (to the start marker $(secs "$T_IMAGE" "$T_MARK") s)"
	say "time: setup $(secs "$T_START" "$T_SETUP") s, build $(secs "$T_SETUP" "$T_BUILD") s," \
		"image $(secs "$T_BUILD" "$T_IMAGE") s, boot+run $(secs "$T_IMAGE" "$T_RUN") s$boot_time," \
		"total $(secs "$T_START" "$T_RUN") s"

	if [ $rc = 0 ]; then
		if [ $KEEP = 0 ]; then
			rm -rf "$STAGE" "$WORK/iso" "$WORK/boot.iso"
		else
			say "kept $WORK; boot it again with: cd $WORK && bochs -f bochsrc -rc cmds"
		fi
		say "PASS"
		return 0
	fi
	say "job output: $WORK/job.log${FALLBACK_USED:+ and $WORK/jobtty.log}"
	say "kernel console: $WORK/serial.log"
	say "bochs log: $WORK/bochs.log ($WORK/bochs.out)"
	say "FAIL: $headline"
	return 1
}

main()
{
	parse_args "$@"
	T_START=$(now_us)
	setup
	T_SETUP=$(now_us)
	build
	T_BUILD=$(now_us)
	image
	T_IMAGE=$(now_us)

	trap 'stop_bochs' EXIT
	trap 'stop_bochs; exit 130' INT TERM
	if [ "$JOB" = shell ]; then
		run_shell
		return 0
	fi
	boot_and_run
	T_RUN=$(now_us)
	verdict
}

main "$@"
exit
