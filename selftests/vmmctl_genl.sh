#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# vmmctl list, stats and monitor on the vmm generic netlink family: VMs
# held by background processes (vm_hold) in the table and in the JSON of
# `vmmctl list`, the counters of a known guest in `vmmctl stats --json`,
# the events of a VM's life and of a triple fault in `vmmctl monitor
# --json`, what uid 65534 sees (its own VM only; no events), and the
# module unloaded and loaded again under a subscribed listener.
. "$(dirname "$0")/lib/tap.sh"

VMMCTL=${VMMCTL:-$(command -v vmmctl || echo "$BIN/../vmmctl/vmmctl")}
T=${TMPDIR:-/tmp}/vmmctl_genl.$$
NOBODY=65534

[ -e "$VMM_KO" ] || [ -c /dev/vmm ] || skip_all "no vmm.ko at $VMM_KO and no /dev/vmm"
[ -c /dev/vmm ] || vmm_load || { echo "# insmod $VMM_KO failed"; exit 1; }
[ -x "$VMMCTL" ] || { echo "# no vmmctl at $VMMCTL"; exit 1; }
[ -x "$BIN/vm_hold" ] && [ -x "$BIN/as_user" ] || { echo "# no vm_hold or as_user in $BIN"; exit 1; }
[ "$(id -u)" = 0 ] || { echo "# needs root"; exit 1; }

devmode=$(stat -c %a /dev/vmm)
pids=
cleanup() {
	for p in $pids; do
		kill "$p" 2>/dev/null
	done
	wait
	chmod "$devmode" /dev/vmm
	rm -rf "$T"
}
mkdir -p "$T/u" && chmod 755 "$T" && chmod 1777 "$T/u" || exit 1
trap cleanup EXIT
plan 21

# start_hold READY CMD...: run CMD -w READY in the background until READY
# appears; hp is its pid.  Fails if it exits first or takes 30 s.
start_hold() {
	r=$1
	shift
	rm -f "$r"
	"$@" -w "$r" &
	hp=$!
	pids="$pids $hp"
	i=0
	while [ ! -e "$r" ] && [ $i -lt 300 ]; do
		kill -0 $hp 2>/dev/null || return 1
		sleep 0.1
		i=$((i + 1))
	done
	[ -e "$r" ]
}

# wait_pid PID SECS: wait up to SECS for PID to end; st is its status
# ("killed" if it had to be).
wait_pid() {
	i=0
	while kill -0 "$1" 2>/dev/null && [ $i -lt $(($2 * 10)) ]; do
		sleep 0.1
		i=$((i + 1))
	done
	if kill -0 "$1" 2>/dev/null; then
		kill -KILL "$1"
		wait "$1"
		st=killed
	else
		wait "$1"
		st=$?
	fi
}

# The vm_id in the fdinfo of a process's VM fd.
vm_id_of() {
	cat /proc/"$1"/fdinfo/* 2>/dev/null | sed -n 's/^vm_id:[[:space:]]*//p' | head -n 1
}

show() { sed 's/^/  /' "$@"; }

# verdict DESCRIPTION: one test, passing when the command before it did.
verdict() { if [ $? = 0 ]; then ok "$1"; else not_ok "$1"; fi; }

# has_row FILE ID PID USERS VCPUS SLOTS STATE: a row of `vmmctl list`
# (USERS: the accepted spellings of the user, by name or number).
has_row() {
	awk -v id="$2" -v pid="$3" -v users=" $4 " -v vc="$5" -v sl="$6" -v state="$7" '
		NR > 1 && $1 == id && $2 == pid && index(users, " " $3 " ") &&
		$4 == vc && $5 == sl && $NF == state { found = 1 }
		END { exit !found }' "$1"
}

# JSON of vmmctl, with busybox tools.  objects FILE: the top-level array's
# objects, one per line.  obj FILE KEY VALUE: the object with "KEY":VALUE.
# field KEY: the value of KEY in the object on stdin.
objects() { tr -d '\n' < "$1" | sed 's/^\[//; s/\]$//; s/},{"/}\n{"/g'; echo; }
obj() { objects "$1" | grep "\"$2\":$3[,}]"; }
field() { sed -nE "s/.*\"$1\":(\"[^\"]*\"|[0-9.]+).*/\\1/p"; }
is_array() { tr -d '\n' < "$1" | grep -q '^\[.*\]$'; }
# sub KEY: the nested object "KEY":{...} of the object on stdin, inside.
sub() { sed -nE "s/.*\"$1\":\\{([^}]*)\\}.*/\\1/p"; }

# ---- VMs held by two processes
start_hold "$T/a.ready" "$BIN/vm_hold" -r -c 2 -m 1M
sta=$?
pa=$hp
start_hold "$T/b.ready" "$BIN/vm_hold" -c 3 -m 2M
stb=$?
pb=$hp
ida=$(vm_id_of $pa)
idb=$(vm_id_of $pb)
[ $sta = 0 ] && [ $stb = 0 ] && [ -n "$ida" ] && [ -n "$idb" ]
verdict "two VMs held: VM '$ida' by pid $pa (ran a guest), VM '$idb' by pid $pb"
ida=${ida:-none}
idb=${idb:-none}

"$VMMCTL" list > "$T/list.out" 2> "$T/list.err"
st=$?
show "$T/list.out" "$T/list.err"
check "vmmctl list: status 0 ($st), a header line" \
	sh -c "[ $st = 0 ] && head -n 1 '$T/list.out' | grep -q '^ *ID  *PID  *USER'"
check "vmmctl list: VM $ida of pid $pa, root, 2 vCPUs, 1 slot, idle" \
	has_row "$T/list.out" "$ida" "$pa" "root 0" 2 1 idle
check "vmmctl list: VM $idb of pid $pb, root, 3 vCPUs, 1 slot, created" \
	has_row "$T/list.out" "$idb" "$pb" "root 0" 3 1 created

"$VMMCTL" list --json > "$T/list.json" 2> "$T/list.jerr"
st=$?
show "$T/list.json" "$T/list.jerr"
ja=$(obj "$T/list.json" id "$ida")
jb=$(obj "$T/list.json" id "$idb")
[ $st = 0 ] && is_array "$T/list.json" &&
[ "$(echo "$ja" | field pid)" = "$pa" ] && [ "$(echo "$ja" | field uid)" = 0 ] &&
[ "$(echo "$ja" | field vcpus)" = 2 ] && [ "$(echo "$ja" | field slots)" = 1 ] &&
[ "$(echo "$ja" | field mem_bytes)" = 1048576 ] &&
[ "$(echo "$ja" | field state)" = '"idle"' ]
verdict "vmmctl list --json: an array; VM $ida: pid, uid 0, 2 vCPUs, 1 slot, 1 MiB, idle"
[ "$(echo "$jb" | field pid)" = "$pb" ] && [ "$(echo "$jb" | field uid)" = 0 ] &&
[ "$(echo "$jb" | field vcpus)" = 3 ] && [ "$(echo "$jb" | field slots)" = 1 ] &&
[ "$(echo "$jb" | field mem_bytes)" = 2097152 ] &&
[ "$(echo "$jb" | field state)" = '"created"' ]
verdict "vmmctl list --json: VM $idb: pid, uid 0, 3 vCPUs, 1 slot, 2 MiB, created"

# vm_hold -r: OUT to port 0x10, then HLT, on vCPU 0; vCPU 1 never runs.
"$VMMCTL" stats --json "$ida" > "$T/stats.json" 2> "$T/stats.err"
st=$?
show "$T/stats.json" "$T/stats.err"
s0=$(obj "$T/stats.json" vcpu 0)
s1=$(obj "$T/stats.json" vcpu 1)
ux=$(echo "$s0" | sub user_exits)
vx=$(echo "$s0" | sub exit_reasons)
note "vCPU 0: user exits {$ux}, VM exits {$vx}"
[ $st = 0 ] && is_array "$T/stats.json" &&
[ "$(echo "$s0" | field vm)" = "$ida" ] && [ "$(echo "$s0" | field runs)" = 2 ] &&
[ "$(echo "{$ux}" | field IO)" = 1 ] && [ "$(echo "{$ux}" | field HLT)" = 1 ] &&
[ "$(echo "$ux" | tr ',' '\n' | grep -c .)" = 2 ] &&
[ "$(echo "{$vx}" | field IO_INSTRUCTION)" = 1 ] && [ "$(echo "{$vx}" | field HLT)" = 1 ]
verdict "vmmctl stats --json $ida: vCPU 0 ran 2 times, returned IO and HLT, VM exits IO_INSTRUCTION 1, HLT 1"
[ "$(objects "$T/stats.json" | grep -c '"vcpu":')" = 2 ] &&
[ "$(echo "$s1" | field runs)" = 0 ] && [ "$(echo "$s1" | field exits)" = 0 ]
verdict "vmmctl stats --json $ida: exactly vCPUs 0 and 1, vCPU 1 with no runs and no exits"

"$VMMCTL" stats 999999 > "$T/nostats.out" 2>&1
st=$?
show "$T/nostats.out"
check "vmmctl stats of a VM that does not exist: status 1 ($st)" [ $st = 1 ]

# ---- events
# start_monitor NAME COUNT: vmmctl monitor --json --count COUNT in the
# background (mp), once it says it is subscribed.
start_monitor() {
	"$VMMCTL" monitor --json --count "$2" > "$T/$1.out" 2> "$T/$1.err" &
	mp=$!
	pids="$pids $mp"
	i=0
	while ! grep -q 'following vmm events' "$T/$1.err" 2>/dev/null && [ $i -lt 300 ]; do
		kill -0 $mp 2>/dev/null || break
		sleep 0.1
		i=$((i + 1))
	done
	grep -q 'following vmm events' "$T/$1.err"
}
events() { sed -nE 's/.*"event":"([^"]*)".*/\1/p' "$1" | tr '\n' ' '; }
# all_lines FILE PATTERN: every line of FILE matches PATTERN
all_lines() { ! grep -v -e "$2" "$1" > /dev/null; }

start_monitor mon1 3
verdict "vmmctl monitor: subscribed (\"following vmm events\" on stderr)"
"$BIN/vm_hold" -c 1 -m 64K &
hp=$!
wait $hp
hst=$?
wait_pid $mp 60
show "$T/mon1.out" "$T/mon1.err"
vm=$(head -n 1 "$T/mon1.out" | field vm)
[ "$st" = 0 ] && [ $hst = 0 ] && [ -n "$vm" ] &&
[ "$(events "$T/mon1.out")" = "vm-created vcpu-created vm-destroyed " ] &&
all_lines "$T/mon1.out" "\"vm\":$vm,\"pid\":$hp[,}]" &&
grep -q '"event":"vcpu-created".*"vcpu":0[,}]' "$T/mon1.out" &&
all_lines "$T/mon1.out" '"time_ns":[1-9][0-9]*,'
verdict "monitor --count 3 (status $st): vm-created, vcpu-created (vCPU 0), vm-destroyed of VM '$vm', pid $hp"

printf '\017\013' > "$T/ud2.bin"	# ud2 with no IDT: triple fault
start_monitor mon2 4
mst=$?
"$VMMCTL" run --timeout 60 --flat-long "$T/ud2.bin" > "$T/run.out" 2>&1 &
rp=$!
wait $rp
rst=$?
wait_pid $mp 60
show "$T/run.out" "$T/mon2.out" "$T/mon2.err"
[ $mst = 0 ] && [ "$st" = 0 ] && [ $rst = 4 ] &&
[ "$(events "$T/mon2.out")" = "vm-created vcpu-created shutdown vm-destroyed " ] &&
all_lines "$T/mon2.out" "\"pid\":$rp[,}]" &&
grep -q '"event":"shutdown".*"vcpu":0,"exit_reason":"SHUTDOWN","hw_reason":0,"rip":1048576}' "$T/mon2.out"
verdict "monitor --count 4 around a triple fault (run status $rst): created, vcpu-created, shutdown (vCPU 0, SHUTDOWN, hw 0, rip 0x100000), destroyed"

# ---- an unprivileged user
chmod 0666 /dev/vmm
start_hold "$T/u/c.ready" "$BIN/as_user" $NOBODY "$BIN/vm_hold" -c 1 -m 64K
stc=$?
pc=$hp
chmod "$devmode" /dev/vmm
idc=$(vm_id_of $pc)
[ $stc = 0 ] && [ -n "$idc" ]
verdict "uid $NOBODY holds VM '$idc' (pid $pc)"
idc=${idc:-none}

"$BIN/as_user" $NOBODY "$VMMCTL" list > "$T/ulist.out" 2>&1
st=$?
show "$T/ulist.out"
[ $st = 0 ] && [ "$(awk 'NR > 1' "$T/ulist.out" | grep -c .)" = 1 ] &&
has_row "$T/ulist.out" "$idc" "$pc" "nobody $NOBODY" 1 1 created
verdict "vmmctl list as uid $NOBODY (status $st): its VM $idc only, not $ida or $idb"

"$BIN/as_user" $NOBODY "$VMMCTL" list --json > "$T/ulist.json" 2>&1
st=$?
show "$T/ulist.json"
[ $st = 0 ] && is_array "$T/ulist.json" &&
[ "$(objects "$T/ulist.json" | grep -c '"id":')" = 1 ] &&
[ "$(obj "$T/ulist.json" id "$idc" | field uid)" = $NOBODY ]
verdict "vmmctl list --json as uid $NOBODY (status $st): one object, VM $idc of uid $NOBODY"

"$BIN/as_user" $NOBODY "$VMMCTL" stats "$ida" > "$T/ustats.out" 2>&1
st=$?
show "$T/ustats.out"
check "vmmctl stats $ida (root's VM) as uid $NOBODY: status 1 ($st)" [ $st = 1 ]

timeout 60 "$BIN/as_user" $NOBODY "$VMMCTL" monitor > "$T/umon.out" 2> "$T/umon.err"
st=$?
show "$T/umon.out" "$T/umon.err"
[ $st = 1 ] && grep -q 'CAP_NET_ADMIN' "$T/umon.err"
verdict "vmmctl monitor as uid $NOBODY: status 1 ($st), needs CAP_NET_ADMIN"

"$VMMCTL" list > "$T/list2.out" 2>&1
show "$T/list2.out"
check "vmmctl list as root: uid $NOBODY's VM $idc too" \
	has_row "$T/list2.out" "$idc" "$pc" "nobody $NOBODY" 1 1 created

# ---- the holders go, their VMs with them
kill $pa $pb $pc
wait $pa $pb $pc 2>/dev/null
i=0
while :; do
	"$VMMCTL" list --json > "$T/list3.json" 2>&1
	left=$(objects "$T/list3.json" | grep -c -e "\"id\":$ida[,}]" -e "\"id\":$idb[,}]" -e "\"id\":$idc[,}]")
	[ "$left" = 0 ] || [ $i -ge 50 ] && break
	sleep 0.1
	i=$((i + 1))
done
show "$T/list3.json"
[ "$left" = 0 ] && [ "$(stat -c %a /dev/vmm)" = "$devmode" ]
verdict "holders killed: their VMs are gone from vmmctl list --json; /dev/vmm mode $devmode"

# ---- rmmod with a listener subscribed: the family goes, the listener
# stays (it hears nothing more); after insmod a new listener hears again.
# wait_line FILE TEXT PID: until FILE has TEXT (30 s), while PID lives.
wait_line() {
	i=0
	while ! grep -q "$2" "$1" 2>/dev/null && [ $i -lt 300 ]; do
		kill -0 "$3" 2>/dev/null || return 1
		sleep 0.1
		i=$((i + 1))
	done
	grep -q "$2" "$1"
}
"$VMMCTL" monitor > "$T/mon2.out" 2> "$T/mon2.err" &
mp=$!
pids="$pids $mp"
wait_line "$T/mon2.err" following $mp && vmm_unload && ! vmm_loaded &&
	vmm_load && kill -0 $mp
verdict "rmmod vmm with vmmctl monitor subscribed, insmod again; the listener lives on"
kill $mp
wait $mp 2>/dev/null
"$VMMCTL" monitor --json --count 1 > "$T/mon3.out" 2> "$T/mon3.err" &
mp=$!
pids="$pids $mp"
wait_line "$T/mon3.err" following $mp && "$BIN/vm_hold" &&
	{ wait_pid $mp 30; [ "$st" = 0 ]; } && grep -q '"event":"vm-created"' "$T/mon3.out"
st=$?
show "$T/mon3.out" "$T/mon3.err"
[ $st = 0 ]
verdict "after the reload a new vmmctl monitor hears a VM created"

finish
