#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# The core as kernel code: build it with the kernel port at W=1 against the
# installed kernel headers (no warning allowed), load-free, and run the
# kernel tree's checkpatch.pl over every kernel-facing file.
#
#   shim/kcheck.sh            exit 0 ok, 1 failure, 77 no kernel headers (skip)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)

kdir=${KDIR:-$(ls -d /usr/src/linux-headers-*-amd64 2>/dev/null | sort -V | tail -1)}
if [ -z "$kdir" ] || [ ! -e "$kdir/Makefile" ]; then
	echo "kcheck: no kernel headers (apt-get install linux-headers-amd64): skipped"
	exit 77
fi

work=$(mktemp -d /tmp/qiring-kcheck.XXXXXX)
trap 'rm -rf "$work"' EXIT
cp "$root/shim/kbuild/Kbuild" "$root/shim/kbuild/kcheck.c" "$root/core/src/qiring.c" "$work/"
mkdir -p "$work/include"
cp -r "$root/core/include/qiring" "$work/include/"
cp "$root/shim/include/qiring-port-kernel.h" "$work/include/"

echo "kcheck: building the core with the kernel port at W=1 against $kdir"
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

# checkpatch.pl from Debian's linux-source-6.1, the tree the patch targets.
src=$(ls /usr/src/linux-source-6.1.tar.* 2>/dev/null | head -1 || true)
if [ -z "$src" ]; then
	echo "kcheck: linux-source-6.1 not installed: checkpatch skipped"
	exit 0
fi
top=$(basename "${src%.tar.*}")
tar -xf "$src" -C "$work" "$top/scripts/checkpatch.pl" "$top/scripts/spelling.txt" \
	"$top/scripts/const_structs.checkpatch"
cp=("$work/$top/scripts/checkpatch.pl" --no-tree --strict --quiet --show-types
    --ignore FILE_PATH_CHANGES,SPDX_LICENSE_TAG)
files=("$root/core/src/qiring.c" "$root/core/include/qiring/qiring.h"
       "$root/core/include/qiring/port.h" "$root/shim/include/qiring-port-kernel.h"
       "$root/shim/kbuild/kcheck.c")
status=0
for f in "${files[@]}"; do
	if ! out=$("${cp[@]}" -f "$f" 2>&1); then
		echo "$out"
		status=1
	fi
done
[ $status -eq 0 ] && echo "kcheck: checkpatch --strict clean on ${#files[@]} files"

# The patch series: checkpatch --strict on each patch (FILE_PATH_CHANGES is
# the "does MAINTAINERS need updating?" note for the new files, which the
# existing drivers/iommu/intel/ entry already covers), and the core copy in
# 0002 must be this checkout's core.
for p in "$root"/shim/patches/*.patch; do
	if ! out=$("${cp[@]}" "$p" 2>&1); then
		echo "$out"
		status=1
	fi
done
"$root/shim/mkpatch.sh" --check || status=1
[ $status -eq 0 ] && echo "kcheck: patch series checkpatch --strict clean, core copy current"
exit $status
