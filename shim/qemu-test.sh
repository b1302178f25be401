#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# The qiring patch series in a real kernel, on QEMU's emulated VT-d.
#
#  1. installs linux-source-6.1, qemu-system-x86, busybox-static and the
#     kernel build dependencies from Debian's archive;
#  2. unpacks the source outside the repository ($QIRING_KBUILD, default
#     /var/tmp/qiring-kbuild) and applies shim/patches/;
#  3. configures tinyconfig + shim/kernel/qemu.config and checks every
#     option stuck (tinyconfig silently drops IOMMU_SUPPORT otherwise);
#  4. builds the upstream kernel (only the stress trigger, patch 0001) and
#     the patched one (the whole series), an out-of-tree module that
#     includes the patched iommu.h with no flag but its directory, and a
#     busybox initramfs;
#  5. boots each under q35 + intel-iommu (intremap=on), TCG, with 1 and 2
#     vCPUs, intel_iommu=on iommu.strict=1, a virtio-blk disk behind the
#     IOMMU and no network; the guest (shim/kernel/init.sh) checks QI and
#     interrupt remapping, reads the disk through the IOMMU while the QI
#     stress runs on every vCPU, and fails on any lockup/WARN/BUG/DMAR
#     fault/KCSAN report;
#  6. with --kcsan (default on; QIRING_KCSAN=0 skips), boots the patched
#     kernel built with KCSAN the same way.
#
# It prints patched and upstream submissions/s side by side. Unpacked
# source and build outputs are cached: a rerun rebuilds only what changed.
#
#   shim/qemu-test.sh            exit 0 ok, 1 failure
#   QIRING_STRESS_SECS=5 QIRING_KCSAN=0 shim/qemu-test.sh
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
kb=${QIRING_KBUILD:-/var/tmp/qiring-kbuild}
secs=${QIRING_STRESS_SECS:-5}
threads=${QIRING_STRESS_THREADS:-2}
kcsan=${QIRING_KCSAN:-1}
jobs=$(nproc)

log() { echo "qemu-test: $*"; }

# ---- 1. dependencies ------------------------------------------------------
pkgs=(linux-source-6.1 qemu-system-x86 busybox-static cpio gzip bc flex bison
      libelf-dev libssl-dev build-essential kmod python3)
missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	sudo=""
	[ "$(id -u)" -eq 0 ] || sudo="sudo"
	log "installing ${missing[*]}"
	$sudo apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# ---- 2. source and patches ------------------------------------------------
mkdir -p "$kb"
src="$kb/linux"
tarball=$(ls /usr/src/linux-source-6.1.tar.* | head -1)
if [ ! -e "$src/.qiring-unpacked" ]; then
	log "unpacking $tarball into $src"
	rm -rf "$src" "$kb/linux-source-6.1"
	tar -xf "$tarball" -C "$kb"
	mv "$kb/linux-source-6.1" "$src"
	touch "$src/.qiring-unpacked"
fi

stress_patch=$(ls "$root"/shim/patches/0001-*.patch)
core_patch=$(ls "$root"/shim/patches/0002-*.patch)
glue_patch=$(ls "$root"/shim/patches/0003-*.patch)
core_files=(drivers/iommu/intel/qiring.c drivers/iommu/intel/qiring.h)

applied() { patch -d "$src" -p1 -R --dry-run -s -f < "$1" >/dev/null 2>&1; }
apply() { applied "$1" || patch -d "$src" -p1 -s -N < "$1"; }
unapply() { if applied "$1"; then patch -d "$src" -p1 -s -R < "$1"; fi; }

# The series carries a copy of the core; the kernel must run the core of
# this checkout. mkpatch.sh --check fails if the copy is stale.
"$root/shim/mkpatch.sh" --check

# ---- 3/4. configure and build ----------------------------------------------
configure() {	# outdir, fragments...
	local out=$1 want opt
	shift
	mkdir -p "$out"
	if [ ! -e "$out/.config" ] || [ -n "$(find "$@" -newer "$out/.config")" ]; then
		make -s -C "$src" O="$out" tinyconfig >/dev/null
		"$src/scripts/kconfig/merge_config.sh" -m -O "$out" "$out/.config" "$@" >/dev/null
		make -s -C "$src" O="$out" olddefconfig >/dev/null
	fi
	for f in "$@"; do
		while read -r want; do
			case "$want" in CONFIG_*=*) ;; *) continue ;; esac
			opt=${want%%=*}
			grep -qx "$want" "$out/.config" || {
				log "FAIL: $opt did not stick ($(grep "^$opt=" "$out/.config" || echo unset))"
				exit 1
			}
		done < "$f"
	done
}

build() {	# outdir, image name
	local out=$1 name=$2 t0=$SECONDS
	log "building $name kernel in $out"
	if ! make -C "$src" O="$out" -j"$jobs" bzImage > "$out/build-$name.log" 2>&1; then
		tail -30 "$out/build-$name.log"
		log "FAIL: $name build"
		exit 1
	fi
	if grep -E '(dmar|qiring|debugfs)\.c:.*warning:' "$out/build-$name.log"; then
		log "FAIL: warnings in the patched files"
		exit 1
	fi
	cp "$out/arch/x86/boot/bzImage" "$kb/bzImage-$name"
	log "$name kernel built in $((SECONDS - t0)) s"
}

cfg=("$root/shim/kernel/qemu.config")
configure "$kb/out" "${cfg[@]}"
apply "$stress_patch"
# upstream: the stress trigger only
unapply "$glue_patch"
(cd "$src" && rm -rf "${core_files[@]}")
build "$kb/out" upstream
# patched: the core files as this checkout has them, then the glue
patch -d "$src" -p1 -s < "$core_patch"
apply "$glue_patch"
build "$kb/out" qiring
# The patched tree's iommu.h from an out-of-tree module, with nothing but the
# include directory (shim/oot/Kbuild): the core header is plain kernel code.
oot=$(mktemp -d /tmp/qiring-oot.XXXXXX)
cp "$root/shim/oot/Kbuild" "$root/shim/oot/qiring_oot.c" "$oot/"
# the tree's own (empty) modules step writes Module.symvers and module.lds
if ! make -s -C "$src" O="$kb/out" -j"$jobs" modules > "$oot/build.log" 2>&1 ||
   ! make -s -C "$src" O="$kb/out" M="$oot" modules >> "$oot/build.log" 2>&1 ||
   grep -E 'warning:|error:' "$oot/build.log"; then
	cat "$oot/build.log"
	log "FAIL: out-of-tree module including iommu.h"
	exit 1
fi
log "out-of-tree module including iommu.h built ($(stat -c %s "$oot/qiring_oot.ko") bytes)"
rm -rf "$oot"
if [ "$kcsan" = 1 ]; then
	configure "$kb/out-kcsan" "${cfg[@]}" "$root/shim/kernel/kcsan.config"
	build "$kb/out-kcsan" qiring-kcsan
fi

# ---- initramfs and disk ---------------------------------------------------
ird="$kb/initramfs"
rm -rf "$ird"
mkdir -p "$ird"/{bin,dev,proc,sys,tmp}
cp /bin/busybox "$ird/bin/busybox"
ln -sf busybox "$ird/bin/sh"
cp "$root/shim/kernel/init.sh" "$ird/init"
chmod +x "$ird/init"
(cd "$ird" && find . | cpio -o -H newc 2>/dev/null | gzip -1) > "$kb/initramfs.cpio.gz"
if [ ! -e "$kb/disk.img" ] || [ "$(stat -c %s "$kb/disk.img")" -ne $((4 << 20)) ]; then
	head -c $((4 << 20)) /dev/urandom > "$kb/disk.img"
fi
md5=$(md5sum < "$kb/disk.img" | cut -d' ' -f1)

# ---- 5/6. boot ----------------------------------------------------------------
status=0
declare -A rate
boot() {	# image, vcpus
	local img=$1 cpus=$2 out="$kb/boot-$1-smp$2.log" res
	log "booting $img with $cpus vCPU(s), stress $threads thread(s)/vCPU for $secs s"
	timeout $((secs * 3 + 240)) qemu-system-x86_64 \
		-M q35,kernel-irqchip=split -accel tcg,thread=multi -smp "$cpus" -m 512 \
		-device intel-iommu,intremap=on \
		-kernel "$kb/bzImage-$img" -initrd "$kb/initramfs.cpio.gz" \
		-append "console=ttyS0 intel_iommu=on iommu.strict=1 panic=-1 qiring.md5=$md5 qiring.secs=$secs qiring.threads=$threads" \
		-drive file="$kb/disk.img",if=none,id=d0,format=raw,readonly=on \
		-device virtio-blk-pci,drive=d0,iommu_platform=on,disable-legacy=on \
		-nic none -nographic -no-reboot > "$out" 2>&1 || true
	res=$(grep -a 'QIRING-RESULT:' "$out" | tr -d '\r' || true)
	grep -a -E 'QIRING-(GUEST|STRESS|DMA):' "$out" | tr -d '\r' | sed 's/^/    /'
	if [ "$res" != "QIRING-RESULT: ok" ]; then
		log "FAIL: $img smp$cpus: ${res:-no result (see $out)}"
		grep -a -E 'lockup|WARNING|BUG|KCSAN|DMAR|QI ' "$out" | head -20 || true
		status=1
	fi
	rate[$img-$cpus]=$(grep -a 'QIRING-STRESS:' "$out" | sed -n 's/.*rate=\([0-9]*\).*/\1/p')
}

for cpus in 1 2; do
	boot upstream "$cpus"
	boot qiring "$cpus"
done
[ "$kcsan" = 1 ] && boot qiring-kcsan 2

echo
echo "| kernel | vCPUs | stress threads | QI submissions/s |"
echo "|---|---|---|---|"
for cpus in 1 2; do
	for img in upstream qiring; do
		echo "| $img | $cpus | $((cpus * threads)) | ${rate[$img-$cpus]:-FAILED} |"
	done
done
[ "$kcsan" = 1 ] && echo "| qiring + KCSAN | 2 | $((2 * threads)) | ${rate[qiring-kcsan-2]:-FAILED} |"
for cpus in 1 2; do
	u=${rate[upstream-$cpus]:-0} q=${rate[qiring-$cpus]:-0}
	[ "$u" -gt 0 ] && echo "qiring/upstream at $cpus vCPU(s): $(python3 -c "print(f'{$q/$u:.2f}')")x"
done
[ $status -eq 0 ] && log "ok" || log "FAILED"
exit $status
