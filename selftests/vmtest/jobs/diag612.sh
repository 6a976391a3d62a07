#!/bin/sh
. /vmm/lib.sh
vmm_load || exit 1
cd /vmm/selftests
./lifecycle_test > /tmp/lc.out 2>&1 &
pid=$!
i=0
while [ $i -lt 40 ]; do
	sleep 2
	i=$((i + 1))
	grep -q "ok 27" /tmp/lc.out && break
done
sleep 3
echo "# after ok 27 + 3 s: $(tail -n 1 /tmp/lc.out) up $(cut -d' ' -f1 /proc/uptime)"
j=0
while [ $j -lt 60 ] && kill -0 $pid 2>/dev/null; do sleep 1; j=$((j + 1)); done
echo "# lifecycle_test: $(tail -n 3 /tmp/lc.out | tr '\n' ' ') up $(cut -d' ' -f1 /proc/uptime)"
for k in $(pgrep rcu_); do echo "# $(cat /proc/$k/comm) $(grep State /proc/$k/status) $(tr '\n' ' ' < /proc/$k/stack)"; done
for r in 1 2 3; do
	echo "# ---- round $r up $(cut -d' ' -f1 /proc/uptime)"
	for t in /proc/$pid/task/* $(for c in $(cat /proc/$pid/task/*/children 2>/dev/null); do echo /proc/$c /proc/$c/task/*; done); do
		[ -d "$t" ] || continue
		echo "# $t $(grep State $t/status) wchan=$(cat $t/wchan 2>/dev/null) sched: $(grep -E 'nr_switches|se.sum_exec' $t/sched 2>/dev/null | tr -s ' ' | tr '\n' ' ')"
		sed 's/^/#    /' $t/stack 2>/dev/null
	done
	cat /proc/$pid/status | grep -E "VmRSS|Threads"
	grep -E "^(MemFree|AnonHugePages)" /proc/meminfo
	for f in /sys/kernel/debug/vmm/*; do [ -f "$f" ] && echo "# $f: $(head -c 400 $f | tr '\n' ' ')"; done
	cat /sys/class/misc/vmm/vms
	sleep 3
done
echo l > /proc/sysrq-trigger
echo w > /proc/sysrq-trigger
dmesg | tail -n 120
kill -9 $pid
sleep 2
vmm_unload
