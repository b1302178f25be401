#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# The qiring patch series in real kernels, Linux 6.1.y and 6.12.y, tested
# the way the kernel tests itself: KUnit through tools/testing/kunit/
# kunit.py, and boots on QEMU's emulated VT-d through every descriptor path.
#
#   shim/qemu-test.sh                    everything, both trees
#   shim/qemu-test.sh build 6.12         build the 6.12 kernels
#   shim/qemu-test.sh kunit 6.12 [kcsan] kunit.py run on the patched build
#   shim/qemu-test.sh boot 6.12          the boot matrix, upstream vs patched
#   shim/qemu-test.sh table              the submissions/s of every boot run
#
# build (per tree):
#  1. installs linux-source-<tree>, qemu-system-x86, busybox-static and the
#     kernel build dependencies from Debian's archive;
#  2. unpacks the source outside the repository ($QIRING_KBUILD, default
#     /var/tmp/qiring-kbuild) and keeps a pristine copy of
#     drivers/iommu/intel/, the only directory the series touches;
#  3. configures tinyconfig + shim/kernel/qemu.config in one output
#     directory and checks every option stuck;
#  4. builds the upstream kernel (the stress trigger, patch 0004, alone),
#     then the patched one (the whole series, patch -F0, and the KUnit
#     suite: shim/kunit/kunitconfig) in the same output directory: only
#     the files whose contents changed are rewritten, so only they
#     rebuild; then an out-of-tree module that includes the patched
#     iommu.h; then the patched kernel with KCSAN (shim/kernel/kcsan.config)
#     in a second output directory.
# kunit: kunit.py run --arch=x86_64 on the patched build directory (or the
#  KCSAN one): kunit.py finds its .config already satisfying the suite's
#  .kunitconfig, so it only runs make (nothing to do) and boots it.
# boot: the boot matrix below; the guest (shim/kernel/init.sh) checks QI
#  and interrupt remapping, the translation mode and descriptor size, ATS
#  and the device-TLB invalidations it causes, reads both disks through the
#  IOMMU while the QI stress runs on every vCPU, and fails on any
#  lockup/WARN/BUG/DMAR fault/QI error/KCSAN report.
#
# Unpacked sources and build outputs are cached: a rerun rebuilds only what
# changed. Environment: QIRING_KBUILD, QIRING_STRESS_SECS (5),
# QIRING_STRESS_THREADS (2 per vCPU), QIRING_KCSAN (1; 0 skips the KCSAN
# build, its KUnit run and its boot), QIRING_BOOTS (below),
# QIRING_HANG_SECS (the guest's hang watch, shim/kernel/init.sh; default
# 4x the stress time + 120 s).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
kb=$(realpath -m "${QIRING_KBUILD:-/var/tmp/qiring-kbuild}")
secs=${QIRING_STRESS_SECS:-5}
threads=${QIRING_STRESS_THREADS:-2}
kcsan=${QIRING_KCSAN:-1}
jobs=$(nproc)
trees=(6.1 6.12)

log() { echo "qemu-test: $*"; }
die() { log "FAIL: $*"; exit 1; }

# The boot matrix: kernel, vCPUs, mode (legacy: 128-bit descriptors, no
# scalable-mode capability; scalable: x-scalable-mode=on and caching-mode=on
# on the unit, intel_iommu=sm_on: 256-bit descriptors, PASID-cache and
# PASID-based IOTLB invalidations). Every boot has the unit's device-iotlb
# on, the virtio disk with ATS behind a PCIe root port (device-TLB
# invalidations) and an NVMe disk, strict mode (an IOTLB invalidation per
# unmap), and checks the mode, descriptor size, ATS and descriptor types it
# asked for.
matrix=(
	"upstream 1 legacy"	"qiring 1 legacy"
	"upstream 2 legacy"	"qiring 2 legacy"
	"upstream 1 scalable"	"qiring 1 scalable"
	"upstream 2 scalable"	"qiring 2 scalable"
	"qiring-kcsan 2 scalable"
)
# QIRING_BOOTS="qiring 2 legacy;qiring 2 legacy" replaces the matrix (a
# boot repeated to chase an intermittent failure; entries split on ';').
if [ -n "${QIRING_BOOTS:-}" ]; then
	IFS=';' read -r -a matrix <<< "$QIRING_BOOTS"
fi

# ---- dependencies -----------------------------------------------------------
deps() {	# tree
	local p missing=() sudo=""
	local pkgs=(linux-source-"$1" qemu-system-x86 busybox-static cpio gzip bc
		    flex bison libelf-dev libssl-dev build-essential kmod python3
		    patch)
	for p in "${pkgs[@]}"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
			missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return
	[ "$(id -u)" -eq 0 ] || sudo="sudo"
	log "installing ${missing[*]}"
	$sudo apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends \
		"${missing[@]}" >/dev/null
}

# ---- source, patches ------------------------------------------------------------
tarball() { ls /usr/src/linux-source-"$1".tar.* 2>/dev/null | head -1; }

unpack() {	# tree
	local v=$1 src=$kb/$1/linux t
	t=$(tarball "$v")
	[ -n "$t" ] || die "no /usr/src/linux-source-$v.tar.*"
	if [ ! -e "$src/.qiring-unpacked" ] || [ "$(cat "$src/.qiring-unpacked")" != "$t $(stat -c %Y "$t")" ]; then
		log "unpacking $t into $src"
		rm -rf "$src" "$kb/$v/linux-source-$v" "$kb/$v/pristine"
		mkdir -p "$kb/$v"
		tar -xf "$t" -C "$kb/$v"
		mv "$kb/$v/linux-source-$v" "$src"
		cp -a "$src/drivers/iommu/intel" "$kb/$v/pristine"
		echo "$t $(stat -c %Y "$t")" > "$src/.qiring-unpacked"
	fi
}

series() { ls "$root/shim/patches/$1"/000[1-9]-*.patch; }
stress_patch() { ls "$root/shim/patches/$1"/0004-*.patch; }

# Put drivers/iommu/intel/ of the tree into the state "pristine + these
# patches" (applied with no fuzz, as git am would need), writing only the
# files whose contents differ, so that make rebuilds only what changed.
set_state() {	# tree, patches...
	local v=$1 src=$kb/$1/linux/drivers/iommu/intel stage f p
	shift
	stage=$(mktemp -d "$kb/$v/stage.XXXXXX")
	cp -a "$kb/$v/pristine/." "$stage/"
	for p in "$@"; do
		if grep -E '^\+\+\+ b/' "$p" | grep -qv '^+++ b/drivers/iommu/intel/'; then
			die "$p touches files outside drivers/iommu/intel/"
		fi
		patch -d "$stage" -p4 -s -F0 --no-backup-if-mismatch < "$p" ||
			die "$(basename "$p") does not apply to $v"
	done
	for f in $( (cd "$stage" && find . -type f; cd "$src" && find . -type f) | sort -u); do
		if [ ! -e "$stage/$f" ]; then
			rm -f "$src/$f"
		elif ! cmp -s "$stage/$f" "$src/$f"; then
			mkdir -p "$(dirname "$src/$f")"
			cp --remove-destination "$stage/$f" "$src/$f"
		fi
	done
	rm -rf "$stage"
}

# ---- configure and build ------------------------------------------------------------
mk() {	# tree, outdir, make args...
	local v=$1 out=$2
	shift 2
	make -C "$kb/$v/linux" ARCH=x86_64 O="$out" "$@"
}

check_config() {	# outdir, fragments...
	local out=$1 f want
	shift
	for f in "$@"; do
		while read -r want; do
			case "$want" in CONFIG_*=*) ;; *) continue ;; esac
			grep -qx "$want" "$out/.config" ||
				die "${want%%=*} did not stick in $out ($(grep "^${want%%=*}=" "$out/.config" || echo unset))"
		done < "$f"
	done
}

configure() {	# tree, outdir, fragments...
	local v=$1 out=$2
	shift 2
	mkdir -p "$out"
	if [ ! -e "$out/.config" ] || [ -n "$(find "$@" -newer "$out/.config")" ]; then
		mk "$v" "$out" -s tinyconfig >/dev/null
		"$kb/$v/linux/scripts/kconfig/merge_config.sh" -m -O "$out" "$out/.config" "$@" >/dev/null
		mk "$v" "$out" -s olddefconfig >/dev/null
	fi
}

# Add fragments to an existing configuration (the suite's Kconfig symbol
# exists only in the patched tree).
add_config() {	# tree, outdir, fragments...
	local v=$1 out=$2
	shift 2
	"$kb/$v/linux/scripts/kconfig/merge_config.sh" -m -O "$out" "$out/.config" "$@" >/dev/null
	mk "$v" "$out" -s olddefconfig >/dev/null
}

build() {	# tree, outdir, image name
	local v=$1 out=$2 name=$3 t0=$SECONDS
	log "$v: building $name in $out"
	if ! mk "$v" "$out" -j"$jobs" bzImage > "$out/build-$name.log" 2>&1; then
		tail -30 "$out/build-$name.log"
		die "$v: $name build"
	fi
	if grep -E '(dmar|qiring|qiring_test|debugfs)\.c:.*warning:' "$out/build-$name.log"; then
		die "$v: warnings in the patched files"
	fi
	cp "$out/arch/x86/boot/bzImage" "$kb/$v/bzImage-$name"
	log "$v: $name kernel built in $((SECONDS - t0)) s"
}

do_build() {	# tree
	local v=$1 out=$kb/$1/out kout=$kb/$1/out-kcsan oot
	local base=("$root/shim/kernel/qemu.config")
	local kunit=("$root/shim/kunit/kunitconfig")
	deps "$v"
	unpack "$v"
	# A stale core or test in the series would be booted: refuse it.
	"$root/shim/mkpatch.sh" --check
	configure "$v" "$out" "${base[@]}"
	set_state "$v" "$(stress_patch "$v")"
	check_config "$out" "${base[@]}"
	build "$v" "$out" upstream
	# shellcheck disable=SC2046
	set_state "$v" $(series "$v")
	# The series carries the core byte for byte: what the kernel builds is
	# the file every userspace test runs.
	cmp "$root/core/src/qiring.c" "$kb/$v/linux/drivers/iommu/intel/qiring.c" &&
		cmp "$root/core/include/qiring/qiring.h" "$kb/$v/linux/drivers/iommu/intel/qiring.h" ||
		die "$v: the patched tree's qiring.c/qiring.h differ from core/"
	log "$v: drivers/iommu/intel/qiring.[ch] are core/'s, byte for byte"
	add_config "$v" "$out" "${kunit[@]}"
	check_config "$out" "${base[@]}" "${kunit[@]}"
	# The new files at W=1 first (the bzImage build then rebuilds them
	# with the tree's flags: a few seconds).
	if ! mk "$v" "$out" W=1 drivers/iommu/intel/qiring.o drivers/iommu/intel/qiring_test.o \
		> "$out/build-w1.log" 2>&1 || grep -E 'qiring(_test)?\.[ch]:.*(warning|error):' "$out/build-w1.log"; then
		tail -30 "$out/build-w1.log"
		die "$v: qiring.c or qiring_test.c at W=1"
	fi
	log "$v: qiring.c, qiring_test.c: no W=1 warning"
	build "$v" "$out" qiring
	# The patched tree's iommu.h from an out-of-tree module, with nothing
	# but the include directory (shim/oot/Kbuild).
	oot=$(mktemp -d /tmp/qiring-oot.XXXXXX)
	cp "$root/shim/oot/Kbuild" "$root/shim/oot/qiring_oot.c" "$oot/"
	# the tree's own (empty) modules step writes Module.symvers and module.lds
	if ! mk "$v" "$out" -s -j"$jobs" modules > "$oot/build.log" 2>&1 ||
	   ! mk "$v" "$out" -s M="$oot" modules >> "$oot/build.log" 2>&1 ||
	   grep -E 'warning:|error:' "$oot/build.log"; then
		cat "$oot/build.log"
		die "$v: out-of-tree module including iommu.h"
	fi
	log "$v: out-of-tree module including iommu.h built ($(stat -c %s "$oot/qiring_oot.ko") bytes)"
	rm -rf "$oot"
	if [ "$kcsan" = 1 ]; then
		configure "$v" "$kout" "${base[@]}" "${kunit[@]}" "$root/shim/kernel/kcsan.config"
		check_config "$kout" "${base[@]}" "${kunit[@]}" "$root/shim/kernel/kcsan.config"
		build "$v" "$kout" qiring-kcsan
	fi
}

# ---- KUnit ------------------------------------------------------------------
do_kunit() {	# tree, [kcsan]
	local v=$1 out=$kb/$1/out name=kunit t0=$SECONDS kc rc=0 pid
	if [ "${2:-}" = kcsan ]; then
		[ "$kcsan" = 1 ] || { log "$v: KCSAN off (QIRING_KCSAN=0): skipped"; return 0; }
		out=$kb/$v/out-kcsan name=kunit-kcsan
	fi
	[ -e "$out/.config" ] || die "$v: no build in $out (run: $0 build $v)"
	# kunit.py regenerates the .config (a full rebuild of a default
	# configuration) unless the kunitconfig it last used is the one it
	# computes now (the arch's options + the suite's) and the .config
	# satisfies it (check_config did): record it. Should it regenerate
	# anyway, stop it at once and put our .config back.
	kc=$kb/$v/linux/drivers/iommu/intel/.kunitconfig
	[ -e "$kc" ] || die "$v: the tree is not in the patched state (run: $0 build $v)"
	printf 'CONFIG_SERIAL_8250=y\nCONFIG_SERIAL_8250_CONSOLE=y\n' | cat - "$kc" > "$out/last_used_kunitconfig"
	cp "$out/.config" "$out/.config.qiring"
	log "$v: kunit.py run --arch=x86_64 --build_dir=$out --kunitconfig=drivers/iommu/intel"
	(cd "$kb/$v/linux" && exec setsid python3 tools/testing/kunit/kunit.py run --arch=x86_64 \
		--build_dir="$out" --kunitconfig=drivers/iommu/intel --jobs="$jobs" \
		--qemu_args="-smp 2" \
		--timeout=1200) > "$kb/$v/$name.log" 2>&1 &
	pid=$!
	while kill -0 "$pid" 2>/dev/null; do
		if grep -q 'Regenerating .config\|Generating .config' "$kb/$v/$name.log"; then
			kill -- -"$pid" 2>/dev/null || true
			wait "$pid" || true
			cp "$out/.config.qiring" "$out/.config"
			die "$v: kunit.py would not reuse $out (its .config was put back)"
		fi
		sleep 1
	done
	wait "$pid" || rc=$?
	grep -E '^\[[0-9:]+\] (=|\[|Testing complete|Elapsed|Ran )|Regenerating|Generating|intel_iommu_qiring' \
		"$kb/$v/$name.log" | grep -vE '^\[[0-9:]+\] \[PASSED\]' | sed 's/^/    /' | tail -40
	if grep -E 'BUG: KCSAN|WARNING:|BUG:|Oops' "$out/test.log" 2>/dev/null; then
		log "FAIL: $v: kernel report during KUnit"
		rc=1
	fi
	grep -a 'submissions on' "$out/test.log" 2>/dev/null | sed 's/^.*# /    /' || true
	[ $rc -eq 0 ] || die "$v: $name (see $kb/$v/$name.log)"
	log "$v: $name passed in $((SECONDS - t0)) s ($(grep -c '\[PASSED\] qiring_test_' "$kb/$v/$name.log") cases)"
}

# ---- boots ----------------------------------------------------------------------
guest_files() {
	local ird=$kb/initramfs
	rm -rf "$ird"
	mkdir -p "$ird"/{bin,dev,proc,sys,tmp}
	cp /bin/busybox "$ird/bin/busybox"
	ln -sf busybox "$ird/bin/sh"
	cp "$root/shim/kernel/init.sh" "$ird/init"
	chmod +x "$ird/init"
	(cd "$ird" && find . | cpio -o -H newc 2>/dev/null | gzip -1) > "$kb/initramfs.cpio.gz"
	for d in disk nvme; do
		if [ ! -e "$kb/$d.img" ] || [ "$(stat -c %s "$kb/$d.img")" -ne $((4 << 20)) ]; then
			head -c $((4 << 20)) /dev/urandom > "$kb/$d.img"
		fi
	done
}

boot() {	# tree, image, vcpus, mode
	local v=$1 img=$2 cpus=$3 mode=$4 out res t0=$SECONDS unit append line
	out=$kb/$v/boot-$img-smp$cpus-$mode.log
	unit=intel-iommu,intremap=on,device-iotlb=on
	append="console=ttyS0 no_timer_check panic=-1 kunit.enable=0 iommu.strict=1 intel_iommu=on"
	if [ "$mode" = scalable ]; then
		# caching-mode: the guest also flushes PASID entries and
		# PASID-based IOTLB entries it sets up (pasid_flush_caches())
		unit=$unit,x-scalable-mode=on,caching-mode=on
		append="$append,sm_on qiring.pasid=1"
	fi
	append="$append qiring.md5=$(md5sum < "$kb/disk.img" | cut -d' ' -f1)"
	append="$append qiring.nvme_md5=$(md5sum < "$kb/nvme.img" | cut -d' ' -f1)"
	append="$append qiring.secs=$secs qiring.threads=$threads qiring.mode=$mode qiring.ats=1"
	[ -n "${QIRING_HANG_SECS:-}" ] && append="$append qiring.hang_secs=$QIRING_HANG_SECS"
	timeout $((secs * 3 + 300)) qemu-system-x86_64 \
		-M q35,kernel-irqchip=split -accel tcg,thread=multi -smp "$cpus" -m 512 \
		-device "$unit" \
		-kernel "$kb/$v/bzImage-$img" -initrd "$kb/initramfs.cpio.gz" -append "$append" \
		-device pcie-root-port,id=rp1,bus=pcie.0,chassis=1,slot=1 \
		-drive file="$kb/disk.img",if=none,id=d0,format=raw,readonly=on \
		-device virtio-blk-pci,drive=d0,bus=rp1,iommu_platform=on,ats=on,disable-legacy=on \
		-drive file="$kb/nvme.img",if=none,id=d1,format=raw,readonly=on \
		-device nvme,drive=d1,serial=qiring \
		-nic none -nographic -no-reboot > "$out" 2>&1 || true
	res=$(grep -a 'QIRING-RESULT:' "$out" | tr -d '\r' || true)
	grep -a -E 'QIRING-(GUEST|MODE|TYPES|STRESS|DMA|RING|HANG):' "$out" | tr -d '\r' | sed 's/^/    /' || true
	line=$(grep -a 'QIRING-MODE:' "$out" | tr -d '\r' | sed 's/^QIRING-MODE: //' || true)
	# (|| true: a boot that never got to its stress must still reach the
	# report below, not end the script under set -e)
	rate[$v-$img-$cpus-$mode]=$(grep -a 'QIRING-STRESS:' "$out" | sed -n 's/.*rate=\([0-9]*\).*/\1/p' || true)
	# A patched kernel's submissions must have gone through the ring: its
	# counters are in the invalidation_queue dump (QIRING-RING).
	if [ "$img" != upstream ] && [ "$res" = "QIRING-RESULT: ok" ] &&
	   ! grep -a 'QIRING-RING:' "$out" | grep -qE 'Submissions: [1-9]'; then
		res="QIRING-RESULT: FAIL: no submission counted by the ring"
	fi
	if [ "$res" != "QIRING-RESULT: ok" ]; then
		log "FAIL: $v $img smp$cpus $mode: ${res:-no result (see $out)}"
		grep -a -E 'lockup|WARNING|BUG|KCSAN|DMAR|QI ' "$out" | head -20 || true
		# the console's last lines say where a guest that timed out
		# stopped; the whole log is kept beside the next boot's
		log "last lines of the guest console:"
		tail -n 80 "$out" | tr -d '\r' | sed 's/^/    | /'
		cp "$out" "$out.failed-$(date +%H%M%S)"
		status=1
	else
		log "$v $img smp$cpus: ok: $line, ${rate[$v-$img-$cpus-$mode]:-?} submissions/s, $((SECONDS - t0)) s"
	fi
	printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$v" "$img" "$mode" "$cpus" "$((cpus * threads))" \
		"${rate[$v-$img-$cpus-$mode]:-FAILED}" >> "$kb/$v/results.tsv.new"
}

do_boot() {	# tree
	local v=$1 m img cpus mode
	deps "$v"
	guest_files
	rm -f "$kb/$v/results.tsv.new"
	for m in "${matrix[@]}"; do
		read -r img cpus mode <<< "$m"
		[ "$img" = qiring-kcsan ] && [ "$kcsan" != 1 ] && continue
		[ -e "$kb/$v/bzImage-$img" ] || die "$v: no bzImage-$img (run: $0 build $v)"
		log "$v: booting $img, $cpus vCPU(s), $mode mode, stress $threads thread(s)/vCPU for $secs s"
		boot "$v" "$img" "$cpus" "$mode"
	done
	mv "$kb/$v/results.tsv.new" "$kb/$v/results.tsv"
	do_table "$v"
}

# The submissions/s table of the last boot run of each tree (docs/kernel.md).
do_table() {	# trees...
	local v
	echo
	echo "| kernel | mode | vCPUs | stress threads | QI submissions/s | qiring/upstream |"
	echo "|---|---|---|---|---:|---:|"
	for v in "$@"; do
		[ -e "$kb/$v/results.tsv" ] || continue
		awk -F'\t' -v ver="$(cat "$kb/$v/linux/Makefile" 2>/dev/null | awk '/^(VERSION|PATCHLEVEL|SUBLEVEL) =/ { printf "%s%s", s, $3; s = "." }')" '
		{ key = $3 "-" $4; r[$2, key] = $6; rows[n++] = $0 }
		END {
			for (i = 0; i < n; i++) {
				split(rows[i], f, "\t")
				name = f[2] == "upstream" ? "upstream " ver : f[2] == "qiring" ? "qiring " ver : "qiring " ver " + KCSAN"
				ratio = ""
				if (f[2] == "qiring" && r["upstream", f[3] "-" f[4]] > 0 && f[6] > 0)
					ratio = sprintf("%.2fx", f[6] / r["upstream", f[3] "-" f[4]])
				printf "| %s | %s | %s | %s | %s | %s |\n", name, f[3], f[4], f[5], f[6], ratio
			}
		}' "$kb/$v/results.tsv"
	done
}

# ---- main -----------------------------------------------------------------------
declare -A rate
status=0
mkdir -p "$kb"
case "${1:-all}" in
build)	do_build "${2:?tree}" ;;
kunit)	do_kunit "${2:?tree}" "${3:-}" ;;
boot)	do_boot "${2:?tree}" ;;
table)	do_table "${trees[@]}" ;;
all)
	t0=$SECONDS
	for v in "${trees[@]}"; do
		do_build "$v"
		do_kunit "$v"
		do_kunit "$v" kcsan
		do_boot "$v"
	done
	do_table "${trees[@]}"
	log "all: $((SECONDS - t0)) s"
	;;
*)	sed -n '3,14p' "$0"; exit 2 ;;
esac
[ $status -eq 0 ] && log "ok" || log "FAILED"
exit $status
