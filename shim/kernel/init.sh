#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# /init of the test guest (busybox). Checks that queued invalidation and
# interrupt remapping are on, reads the virtio-blk disk through the IOMMU
# (strict mode: every unmap is a QI invalidation) and checks its contents,
# runs the in-kernel QI stress on every vCPU at the same time, then fails on
# any soft lockup, WARN, BUG, DMAR fault or KCSAN report. The host parses
# the QIRING-* lines from the serial console.
export PATH=/bin
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev 2>/dev/null
mount -t debugfs none /sys/kernel/debug

arg() { tr ' ' '\n' < /proc/cmdline | sed -n "s/^qiring\.$1=//p"; }
want_md5=$(arg md5)
secs=$(arg secs)
threads=$(arg threads)
fail=""

echo "QIRING-GUEST: $(uname -r), $(grep -c ^processor /proc/cpuinfo) vCPUs"
dmesg | grep -q "Using Queued invalidation" || fail="$fail no-QI"
dmesg | grep -q "Enabled IRQ remapping" || fail="$fail no-IR"

# DMA through the IOMMU while the stress runs: read the whole disk, again
# and again, and check every pass.
(
	pass=0 bad=0
	while [ ! -e /tmp/stop ]; do
		sum=$(dd if=/dev/vda bs=64k 2>/dev/null | md5sum | cut -d' ' -f1)
		if [ "$sum" = "$want_md5" ]; then pass=$((pass + 1)); else bad=$((bad + 1)); fi
	done
	echo "$pass $bad" > /tmp/dma
) &

echo "$threads $secs" > /sys/kernel/debug/qi_stress/run || fail="$fail stress-error"
result=$(cat /sys/kernel/debug/qi_stress/run)
touch /tmp/stop
wait
read -r dma_ok dma_bad < /tmp/dma
[ "$dma_ok" -gt 0 ] && [ "$dma_bad" -eq 0 ] || fail="$fail dma($dma_ok ok, $dma_bad bad)"

bad=$(dmesg | grep -E "soft lockup|WARNING:|BUG:|Oops|KCSAN: |DMAR: \[DMA|DRHD: handling fault|INFO: rcu|hung_task|Invalidation (Queue|Time-out|Completion) Error")
[ -z "$bad" ] || { fail="$fail kernel-report"; echo "$bad"; }

echo "QIRING-STRESS: $result"
echo "QIRING-DMA: $dma_ok disk reads verified, $dma_bad corrupt"
if [ -z "$fail" ]; then
	echo "QIRING-RESULT: ok"
else
	echo "QIRING-RESULT: FAIL:$fail"
	dmesg | tail -40
fi
poweroff -f
