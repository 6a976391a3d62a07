#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The debug kernel of the emulated VT-x host: Debian's 6.1 kernel source
# (the linux-source-6.1 package) built from "make tinyconfig" plus
# debug-kernel.config, which turns on KASAN, KFENCE, lockdep, list and
# object debugging, kmemleak and the atomic-sleep checks.  Small enough
# to build on two cores in well under an hour.
#
# The result is cached in $VMM_DEBUG_KERNEL_CACHE/KEY (default
# /var/cache/vmm-debug-kernel), KEY a hash of the config fragment, this
# script's recipe, the source package's version and the compiler: a
# second call returns at once.  The directory holds
#   bzImage   the kernel             release   its uname -r
#   build/    the build tree, KDIR for out-of-tree modules (make M=)
#   kvm/      irqbypass.ko kvm.ko kvm-intel.ko of this kernel
#   config    its .config            build.log, build-time
# The directory is printed on standard output; progress goes to stderr.
# Next to the keys: src-VERSION/, the source that the build trees refer
# to, and obj/, the object tree the builds share, so that a change of the
# fragment rebuilds only what it touches.
# run.sh --kernel debug calls this.  See Documentation/testing.rst.
#
# usage: debug-kernel.sh [--key]     (--key: print the cache key only)
# environment: VMM_DEBUG_KERNEL_CACHE=DIR, VMM_DEBUG_KERNEL_JOBS=N (2)

set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
FRAGMENT=$HERE/debug-kernel.config
CACHE=${VMM_DEBUG_KERNEL_CACHE:-/var/cache/vmm-debug-kernel}
JOBS=${VMM_DEBUG_KERNEL_JOBS:-2}
SRCPKG=linux-source-6.1
TARBALL=/usr/src/linux-source-6.1.tar.xz
# Bump when the way the kernel is built changes (not the fragment: its
# text is hashed).
RECIPE=1

say() { printf 'debug-kernel: %s\n' "$*" >&2; }
die() { printf 'debug-kernel: error: %s\n' "$*" >&2; exit 2; }

SUDO=
[ "$(id -u)" = 0 ] || SUDO=sudo

pkg_install()
{
	local p missing=
	for p; do
		dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null |
			grep -q ' installed$' || missing+=" $p"
	done
	[ -n "$missing" ] || return 0
	say "installing:$missing"
	$SUDO apt-get update -qq >&2
	# shellcheck disable=SC2086
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq \
		--no-install-recommends $missing >&2
}

cache_key()
{
	{
		echo "recipe $RECIPE"
		dpkg-query -W -f='${Package} ${Version}\n' "$SRCPKG"
		gcc --version | head -n 1
		cat "$FRAGMENT"
	} | sha256sum | cut -c1-16
}

# Every line of the fragment must have survived olddefconfig (a symbol
# whose dependencies are off is dropped without a word).
check_config()
{
	local cfg=$1 line sym bad=0
	while IFS= read -r line; do
		case $line in
		CONFIG_*=*)
			grep -qxF -- "$line" "$cfg" && continue
			say "config: wanted '$line', got '$(grep -E "^(# )?${line%%=*}[= ]" "$cfg" || echo unset)'"
			bad=1 ;;
		'# CONFIG_'*' is not set')
			sym=${line#\# }
			sym=${sym%% *}
			grep -q "^$sym=" "$cfg" || continue
			say "config: wanted $sym off, got '$(grep "^$sym=" "$cfg")'"
			bad=1 ;;
		esac
	done < "$FRAGMENT"
	return $bad
}

build_kernel()
{
	local dir=$1 src obj=$CACHE/obj t0 m
	src=$CACHE/src-$(dpkg-query -W -f='${Version}' "$SRCPKG")
	t0=$(date +%s)
	if [ ! -f "$src/.extracted" ]; then
		say "extracting $TARBALL"
		rm -rf "$src" && mkdir -p "$src"
		tar -xf "$TARBALL" -C "$src" --strip-components=1
		touch "$src/.extracted"
	fi
	mkdir -p "$obj"
	say "configuring: tinyconfig + $(basename "$FRAGMENT") (log: $dir/config.log)"
	{
		make -s -C "$src" O="$obj" ARCH=x86_64 tinyconfig &&
		(cd "$src" && scripts/kconfig/merge_config.sh -m -O "$obj" \
			"$obj/.config" "$FRAGMENT") &&
		make -s -C "$src" O="$obj" ARCH=x86_64 olddefconfig
	} > "$dir/config.log" 2>&1 || die "configuring failed, see $dir/config.log"
	check_config "$obj/.config" || die "$FRAGMENT does not apply to $SRCPKG"
	say "building with $JOBS jobs, nice 10 (log: $dir/build.log)"
	if ! nice -n 10 make -C "$obj" ARCH=x86_64 -j"$JOBS" bzImage modules \
			> "$dir/build.log" 2>&1; then
		tail -n 40 "$dir/build.log" >&2
		die "kernel build failed, see $dir/build.log"
	fi
	make -s -C "$obj" kernelrelease > "$dir/release"
	# The modules of this kernel build against their own copy: the
	# next fragment changes obj/.
	rm -rf "$dir/build"
	cp -a "$obj" "$dir/build"
	cp "$obj/arch/x86/boot/bzImage" "$dir/bzImage"
	cp "$obj/.config" "$dir/config"
	mkdir -p "$dir/kvm"
	for m in virt/lib/irqbypass arch/x86/kvm/kvm arch/x86/kvm/kvm-intel; do
		[ -f "$obj/$m.ko" ] || die "the build made no $m.ko"
		objcopy --strip-debug "$obj/$m.ko" "$dir/kvm/${m##*/}.ko"
	done
	echo "$(( $(date +%s) - t0 ))" > "$dir/build-time"
	say "built $(cat "$dir/release") in $(cat "$dir/build-time") s"
}

main()
{
	local key dir
	[ -f "$TARBALL" ] || pkg_install "$SRCPKG"
	pkg_install make gcc bc flex bison libelf-dev xz-utils
	key=$(cache_key)
	if [ "${1:-}" = --key ]; then
		echo "$key"
		return 0
	fi
	dir=$CACHE/$key
	if [ ! -f "$dir/ok" ]; then
		mkdir -p "$CACHE"
		# One build at a time (obj/ is shared); whoever waited for
		# the same key finds it done.
		exec 9>"$CACHE/.lock"
		if ! flock -n 9; then
			say "another run is building $dir, waiting"
			flock 9
		fi
		if [ ! -f "$dir/ok" ]; then
			say "no cached kernel $dir: building it"
			rm -rf "$dir" && mkdir -p "$dir"
			build_kernel "$dir"
			touch "$dir/ok"
		fi
		exec 9>&-
	fi
	echo "$dir"
}

main "$@"
