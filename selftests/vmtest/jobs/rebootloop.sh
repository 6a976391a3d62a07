#!/bin/sh
. /vmm/lib.sh
vmm_load || exit 1
L=/vmm/linux
FAST="quiet"
bad=0
for i in 1 2 3 4 5 6 7 8 9 10 11 12; do
	for mode in reboot report; do
		t0=$(cut -d' ' -f1 /proc/uptime)
		/vmm/bin/vmmctl run --timeout 40 --initrd $L/initrd.gz --cmdline "vmtest.mode=$mode vmtest.nonce=$i" $L/vmlinuz < /dev/null > /tmp/o 2> /tmp/e
		st=$?
		echo "# $i $mode: status $st, $(awk -v a=$t0 -v b=$(cut -d' ' -f1 /proc/uptime) 'BEGIN{print b-a}') s"
		if [ "$mode" = reboot ] && [ $st != 10 ] || [ "$mode" = report ] && [ $st != 0 ]; then
			bad=$((bad + 1))
			tr -d '\r' < /tmp/o | tail -n 40 | sed 's/^/#  out: /'
			sed 's/^/#  err: /' /tmp/e
		fi
	done
done
echo "# bad $bad"
vmm_unload
