#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Job "packages": vmm as the Debian packages install it
# (selftests/vmtest/run.sh --packages DIR, after scripts/packages.sh).
# /vmm/vmm.ko is the module DKMS built, /vmm/bin/vmmctl the vmmctl
# package's binary (with libvmm.so.0 of libvmm0) and /vmm/packages/udev.rules
# vmm-dkms' udev rule.  The rule's GROUP and MODE are applied to /dev/vmm
# as udev would; then the example guests must run for a member of that
# group, and vmmctl must refuse a user outside it with the documented
# message naming the group.  TAP, like demo.sh.

. /vmm/lib.sh

RULE=/vmm/packages/udev.rules
G=/vmm/selftests/guests
MEMBER=vmmkvm
OTHER=vmmother

# rule_key KEY: the value of KEY="..." in the staged rule.
rule_key() { sed -n "s/^[^#]*$1=\"\\([^\"]*\\)\".*/\\1/p" "$RULE" | head -n 1; }

GROUP=$(rule_key GROUP)
MODE=$(rule_key MODE)

check_stage()
{
	[ -f "$RULE" ] || { echo "no $RULE: run.sh --packages stages it"; return 1; }
	cat "$RULE"
	[ -n "$GROUP" ] && [ -n "$MODE" ] ||
		{ echo "no GROUP=\"...\" or MODE=\"...\" in $RULE"; return 1; }
	echo "vmm.ko: version $(modinfo -F version $VMM_KO 2>/dev/null), vermagic $(modinfo -F vermagic $VMM_KO 2>/dev/null)"
	vmmctl --version
}

# The group, a member of it and a user outside it; busybox's su sets the
# supplementary groups from /etc/group, as a login does.
make_users()
{
	echo "$GROUP:x:990:$MEMBER" >> /etc/group &&
	echo "$MEMBER:x:1000:1000::/tmp:/bin/sh" >> /etc/passwd &&
	echo "$OTHER:x:1001:1001::/tmp:/bin/sh" >> /etc/passwd &&
	echo "$MEMBER:x:1000:" >> /etc/group &&
	echo "$OTHER:x:1001:" >> /etc/group &&
	echo "$MEMBER: $(su -s /bin/sh $MEMBER -c id)" &&
	echo "$OTHER: $(su -s /bin/sh $OTHER -c id)"
}

# What udev does with the rule when the device appears.
apply_rule()
{
	chgrp "$GROUP" /dev/vmm && chmod "$MODE" /dev/vmm && ls -l /dev/vmm &&
	[ "$(stat -c '%G %a' /dev/vmm)" = "$GROUP ${MODE#0}" ]
}

# as USER COMMAND [ARG...]: COMMAND as USER.  su's options come first and
# "--" ends them: su would take the command's options (--timeout) for its
# own, fail with its usage and status 1, which is multiboot.elf's status.
as() {
	_user=$1
	shift
	su -s /bin/sh -c 'exec "$0" "$@"' -- "$_user" "$@"
}
as_member() { as $MEMBER "$@"; }
as_other() { as $OTHER "$@"; }

# The non-member: vmmctl fails and its message names the group and how to
# join it (vmmctl(8), DIAGNOSTICS).
refused()
{
	echo "\$ vmmctl $*    (as $OTHER)"
	as_other vmmctl "$@" > /tmp/refused.txt 2>&1
	_st=$?
	cat /tmp/refused.txt
	echo "exit status $_st (expected non-zero)"
	[ "$_st" != 0 ] &&
		grep -q "permission denied: it is for root and the members of group $GROUP; join the group (sudo adduser \$USER $GROUP)" /tmp/refused.txt
}

tap_begin
tap_run "staged packages: module, vmmctl, udev rule" check_stage
tap_run "insmod the DKMS-built vmm.ko" vmm_load
tap_run "users: $MEMBER in group $GROUP, $OTHER outside it" make_users
tap_run "udev rule applied to /dev/vmm: group $GROUP, mode $MODE" apply_rule
tap_run "vmmctl info as $MEMBER" as_member vmmctl info

# shellcheck disable=SC2034 # lib.sh's run_guest runs $VMMCTL
VMMCTL="as_member vmmctl"
tap_run "hello-real.bin as $MEMBER (status 0)" run_guest 0 $G/hello-real.bin
tap_run "multiboot.elf as $MEMBER (status 1)" \
	run_guest 1 --cmdline "hello from vmmctl" $G/multiboot.elf
tap_run "mmio64.elf as $MEMBER (status 85)" run_guest 85 $G/mmio64.elf
tap_run "hello-real.bin on 2 vCPUs as $MEMBER (status 0)" \
	run_guest 0 -c 2 $G/hello-real.bin
# shellcheck disable=SC2034
VMMCTL=

tap_run "vmmctl info refused for $OTHER, naming group $GROUP" refused info
tap_run "vmmctl run refused for $OTHER, naming group $GROUP" \
	refused run $G/hello-real.bin

tap_run "rmmod vmm" vmm_unload
tap_end
exit $?
