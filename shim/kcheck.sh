#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# The core as kernel code, without building a kernel:
#  1. qiring.c and qiring.h, copied as they go into drivers/iommu/intel/,
#     built with a self-test module at W=1 against the installed kernel
#     headers, no extra flags (no warning allowed);
#  2. checkpatch.pl --strict and scripts/kernel-doc from each kernel tree
#     the series targets (Debian's linux-source-6.1 and -6.12) on the core
#     files and the self-test: no report allowed;
#  3. checkpatch.pl --strict on every patch of the series, and the core
#     patch must be the plain diff of this checkout's core (mkpatch.sh).
#
#   shim/kcheck.sh            exit 0 ok, 1 failure, 77 no kernel headers (skip)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
core=("$root/core/src/qiring.c" "$root/core/include/qiring/qiring.h")

kdir=${KDIR:-$(ls -d /usr/src/linux-headers-*-amd64 2>/dev/null | sort -V | tail -1)}
if [ -z "$kdir" ] || [ ! -e "$kdir/Makefile" ]; then
	echo "kcheck: no kernel headers (apt-get install linux-headers-amd64): skipped"
	exit 77
fi

work=$(mktemp -d /tmp/qiring-kcheck.XXXXXX)
trap 'rm -rf "$work"' EXIT
cp "$root/shim/kbuild/Kbuild" "$root/shim/kbuild/kcheck.c" "${core[@]}" "$work/"

echo "kcheck: building the core at W=1 against $kdir"
if ! make -s -C "$kdir" M="$work" W=1 modules >"$work/build.log" 2>&1; then
	cat "$work/build.log"
	echo "kcheck: FAIL: module build failed"
	exit 1
fi
if grep -E 'warning:|error:' "$work/build.log"; then
	echo "kcheck: FAIL: W=1 warnings"
	exit 1
fi
ls -l "$work/qiring_kcheck.ko" | awk '{print "kcheck: built qiring_kcheck.ko,", $5, "bytes"}'

status=0
found=0
for v in 6.1 6.12; do
	src=$(ls /usr/src/linux-source-$v.tar.* 2>/dev/null | head -1 || true)
	if [ -z "$src" ]; then
		echo "kcheck: linux-source-$v not installed: its checkpatch and kernel-doc skipped"
		continue
	fi
	found=1
	top=$(basename "${src%.tar.*}")
	mkdir -p "$work/$v"
	tar -xf "$src" -C "$work/$v" "$top/scripts/checkpatch.pl" "$top/scripts/spelling.txt" \
		"$top/scripts/const_structs.checkpatch" "$top/scripts/kernel-doc"
	cp=("$work/$v/$top/scripts/checkpatch.pl" --no-tree --strict --quiet --show-types
	    --ignore FILE_PATH_CHANGES,SPDX_LICENSE_TAG)
	kd=("$work/$v/$top/scripts/kernel-doc" -none)
	"${kd[@]}" -Wall /dev/null >/dev/null 2>&1 && kd+=(-Wall)	# 6.12 has -Wall, 6.1 not
	n=0
	for f in "${core[@]}" "$root/shim/kbuild/kcheck.c"; do
		if ! out=$("${cp[@]}" -f "$f" 2>&1); then
			echo "$out"
			status=1
		fi
		n=$((n + 1))
	done
	out=$("${kd[@]}" "${core[@]}" 2>&1) || true
	if [ -n "$out" ]; then
		echo "$out"
		echo "kcheck: FAIL: kernel-doc ($v) warns"
		status=1
	fi
	# The series: FILE_PATH_CHANGES is the "does MAINTAINERS need updating?"
	# note for the new files, which the drivers/iommu/intel/ entry covers.
	for p in "$root"/shim/patches/*.patch; do
		if ! out=$("${cp[@]}" "$p" 2>&1); then
			echo "$out"
			status=1
		fi
	done
	[ $status -eq 0 ] && echo "kcheck: $v: checkpatch --strict clean on $n files and the series, kernel-doc ${kd[*]:1} clean"
done
[ $found = 1 ] || echo "kcheck: no kernel source: checkpatch and kernel-doc skipped"
"$root/shim/mkpatch.sh" --check || status=1
[ $status -eq 0 ] && echo "kcheck: the series' core patch is this checkout's core"
exit $status
