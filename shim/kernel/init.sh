#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# /init of the test guest (busybox). Checks that queued invalidation and
# interrupt remapping are on; reads the virtio-blk disk (ATS, behind a PCIe
# root port) and the NVMe disk through the IOMMU (strict mode: every unmap
# is a QI invalidation) and checks their contents; reports which
# translation mode and descriptor size the unit runs, whether ATS is on,
# and how many descriptors of each type were submitted;
# runs the in-kernel QI stress on every vCPU while both disks are read
# again and again; then fails on any soft lockup, WARN, BUG, DMAR fault,
# QI error or KCSAN report, or on a mode, descriptor size, device-TLB or
# PASID-based path other than the host asked for. The host parses the QIRING-* lines
# from the serial console.
export PATH=/bin
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev 2>/dev/null
mount -t debugfs none /sys/kernel/debug

arg() { tr ' ' '\n' < /proc/cmdline | sed -n "s/^qiring\.$1=//p"; }
secs=$(arg secs)
threads=$(arg threads)
want_mode=$(arg mode)		# legacy | scalable
want_ats=$(arg ats)		# 1: the virtio disk must use ATS
want_pasid=$(arg pasid)		# 1: PASID-based IOTLB invalidations must be seen
fail=""
dbg=/sys/kernel/debug/iommu/intel

echo "QIRING-GUEST: $(uname -r), $(grep -c ^processor /proc/cpuinfo) vCPUs"
dmesg | grep -q "Using Queued invalidation" || fail="$fail no-QI"
dmesg | grep -q "Enabled IRQ remapping" || fail="$fail no-IR"

# name:device:md5 of every disk behind the IOMMU
disks="virtio:/dev/vda:$(arg md5) nvme:/dev/nvme0n1:$(arg nvme_md5)"

read_once() {	# device -> md5 of its whole contents
	dd if="$1" bs=64k 2>/dev/null | md5sum | cut -d' ' -f1
}

# One verified pass of each disk (NVMe first: the virtio disk's device-TLB
# invalidations are then the last in the queue).
for d in nvme:/dev/nvme0n1: virtio:/dev/vda:; do
	name=${d%%:*}
	dev=${d#*:}
	dev=${dev%%:*}
	want=$(echo "$disks" | tr ' ' '\n' | sed -n "s|^$name:$dev:||p")
	if [ ! -b "$dev" ]; then
		fail="$fail no-$name"
	elif [ "$(read_once "$dev")" != "$want" ]; then
		fail="$fail $name-corrupt"
	fi
done

# The translation mode the kernel programmed (RTADDR bits 11:10: 01 is
# scalable) and the descriptor size of the queue (the dump has qw2/qw3
# columns for 256-bit descriptors).
rtaddr=$(awk '$1 == "RTADDR" { print $3 }' "$dbg/iommu_regset" 2>/dev/null)
mode=unknown
[ -n "$rtaddr" ] && mode=legacy
[ -n "$rtaddr" ] && [ $(( (rtaddr >> 10) & 3 )) -eq 1 ] && mode=scalable
desc=128
grep -q "qw3" "$dbg/invalidation_queue" 2>/dev/null && desc=256

# ATS on the virtio disk: the ATS extended capability (ID 0x0f) of the
# first virtio-blk function, and its Enable bit (control register bit 15).
rd() {	# file offset bytes -> value
	v=$(od -An -tx"$3" -j "$2" -N "$3" "$1" 2>/dev/null | tr -d ' \n')
	echo $(( 0x${v:-0} ))
}
ats_state() {	# config space file -> on | off | none
	off=256
	while [ "$off" -ge 256 ]; do
		h=$(rd "$1" "$off" 4)
		[ "$h" -eq 0 ] || [ "$h" -eq 4294967295 ] && break
		if [ $((h & 0xffff)) -eq 15 ]; then
			[ $(( $(rd "$1" $((off + 6)) 2) & 0x8000 )) -ne 0 ] && echo on || echo off
			return
		fi
		off=$(( (h >> 20) & 0xffc ))
	done
	echo none
}
ats=none
for p in /sys/bus/pci/devices/*; do
	[ "$(cat "$p/vendor")" = 0x1af4 ] && [ "$(cat "$p/device")" = 0x1042 ] || continue
	ats=$(ats_state "$p/config")
	break
done

# Every descriptor submitted since boot, by type (the stress trigger's
# counters), after the reads: device-TLB invalidations come from the ATS
# disk, PASID-based ones from scalable mode.
types=$(cat /sys/kernel/debug/qi_stress/types 2>/dev/null)
count() { echo "$types" | tr ' ' '\n' | sed -n "s/^$1=//p"; }
devtlb=$(( $(count devtlb) + $(count pdevtlb) ))
piotlb=$(count piotlb)
echo "QIRING-MODE: mode=$mode desc=$desc ats=$ats devtlb=$devtlb piotlb=$piotlb pc=$(count pc)"
echo "QIRING-TYPES: $types"
[ "$mode" = "$want_mode" ] || fail="$fail mode($mode)"
if [ "$want_mode" = scalable ]; then want_desc=256; else want_desc=128; fi
[ "$desc" = "$want_desc" ] || fail="$fail desc($desc)"
if [ "$want_ats" = 1 ]; then
	[ "$ats" = on ] || fail="$fail ats($ats)"
	[ "$devtlb" -gt 0 ] || fail="$fail no-devtlb"
fi
[ "$want_pasid" = 1 ] && [ "$piotlb" -eq 0 ] && fail="$fail no-piotlb"

# DMA through the IOMMU while the stress runs: read every disk, again and
# again, and check every pass.
readers=""
for d in $disks; do
	(
		name=${d%%:*}
		rest=${d#*:}
		dev=${rest%%:*}
		want=${rest#*:}
		pass=0 bad=0
		while [ ! -e /tmp/stop ]; do
			if [ "$(read_once "$dev")" = "$want" ]; then
				pass=$((pass + 1))
			else
				bad=$((bad + 1))
			fi
		done
		echo "$pass $bad" > "/tmp/dma-$name"
	) &
	readers="$readers $!"
done

# A stress or a disk read that never ends must not leave the host waiting
# for its timeout with nothing said: after 4x the stress time plus two
# minutes (qiring.hang_secs= sets it: a short one tests this watch), say
# what every running or blocked task is doing, where every CPU is (sysrq
# l: an NMI backtrace, also of a CPU spinning with interrupts off), what
# the queue's counters say, and fail. Both CPUs spinning with interrupts
# off run no shell: the ring's own stall reports (once a second) and the
# host's timeout, which prints the console's last lines, cover that case.
hang_after=$(arg hang_secs)
[ -n "$hang_after" ] || hang_after=$((secs * 4 + 120))
(
	sleep "$hang_after"
	[ -e /tmp/done ] && exit 0
	touch /tmp/hung		# fails the run, even if it ends after all
	echo "QIRING-HANG: the stress and the disk reads did not end in $hang_after s"
	for p in /proc/[0-9]*; do
		st=$(sed -n 's/^State:[[:space:]]*//p' "$p/status" 2>/dev/null)
		case "$st" in
		R*|D*) echo "QIRING-HANG: pid ${p#/proc/} $(cat "$p/comm" 2>/dev/null) $st in $(cat "$p/wchan" 2>/dev/null)" ;;
		esac
	done
	grep -E "Submissions:" "$dbg/invalidation_queue" 2>/dev/null | sed 's/^/QIRING-HANG: /'
	echo w > /proc/sysrq-trigger
	echo l > /proc/sysrq-trigger
	sleep 2		# the console drains the backtraces
	echo "QIRING-RESULT: FAIL: hang"
	poweroff -f
) &

echo "$threads $secs" > /sys/kernel/debug/qi_stress/run || fail="$fail stress-error"
result=$(cat /sys/kernel/debug/qi_stress/run)
touch /tmp/stop
wait $readers	# the disk readers, not the hang watch
touch /tmp/done
[ -e /tmp/hung ] && fail="$fail hang"
dma=""
for d in $disks; do
	name=${d%%:*}
	read -r ok bad < "/tmp/dma-$name"
	dma="$dma $name $ok ok/$bad bad,"
	[ "$ok" -gt 0 ] && [ "$bad" -eq 0 ] || fail="$fail dma-$name($ok ok, $bad bad)"
done

bad=$(dmesg | grep -E "soft lockup|WARNING:|BUG:|Oops|KCSAN: |DMAR: \[DMA|DRHD: handling fault|INFO: rcu|hung_task|blocked for more than|Invalidation (Queue|Time-out|Completion) Error|QI (wait|reservation) stalled")
[ -z "$bad" ] || { fail="$fail kernel-report"; echo "$bad"; }

echo "QIRING-STRESS: $result"
echo "QIRING-DMA:${dma%,} (full reads verified by MD5)"
ring=$(grep -E "Submissions:" "$dbg/invalidation_queue" 2>/dev/null | tr -s '\t ' ' ')
[ -n "$ring" ] && echo "QIRING-RING:$ring"
if [ -z "$fail" ]; then
	echo "QIRING-RESULT: ok"
else
	echo "QIRING-RESULT: FAIL:$fail"
	dmesg | tail -40
fi
poweroff -f
