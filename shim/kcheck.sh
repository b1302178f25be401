#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# The core and the two patch series as kernel code, without building a
# kernel (shim/qemu-test.sh builds and boots them):
#  1. qiring.c and qiring.h, copied as they go into drivers/iommu/intel/,
#     built with a self-test module at W=1 against the installed kernel
#     headers, no extra flags (no warning allowed);
#  2. with the checkpatch.pl --strict and scripts/kernel-doc of each tree
#     the series target (Debian's linux-source-6.1 and -6.12): the core
#     files, the KUnit suite and the self-test (checkpatch -f), the core's
#     kernel-doc, and every patch of both series: no report allowed;
#  3. git am of each series (0001..0004) on a clean git tree of that
#     kernel's drivers/iommu/intel/, and git apply of the stress trigger
#     (0004) alone on it, as the boot test's upstream kernel needs;
#  4. the generated patches (core, KUnit suite, cover letters) are those
#     of this checkout (mkpatch.sh --check).
#
#   shim/kcheck.sh            exit 0 ok, 1 failure, 77 no kernel headers (skip)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
core=("$root/core/src/qiring.c" "$root/core/include/qiring/qiring.h")
trees=(6.1 6.12)

kdir=${KDIR:-$(ls -d /usr/src/linux-headers-*-amd64 2>/dev/null | sort -V | tail -1)}
if [ -z "$kdir" ] || [ ! -e "$kdir/Makefile" ]; then
	echo "kcheck: no kernel headers (apt-get install linux-headers-amd64): skipped"
	exit 77
fi

work=$(mktemp -d /tmp/qiring-kcheck.XXXXXX)
trap 'rm -rf "$work"' EXIT
mkdir "$work/mod"
cp "$root/shim/kbuild/Kbuild" "$root/shim/kbuild/kcheck.c" "${core[@]}" "$work/mod/"

echo "kcheck: building the core at W=1 against $kdir"
if ! make -s -C "$kdir" M="$work/mod" W=1 modules >"$work/build.log" 2>&1; then
	cat "$work/build.log"
	echo "kcheck: FAIL: module build failed"
	exit 1
fi
if grep -E 'warning:|error:' "$work/build.log"; then
	echo "kcheck: FAIL: W=1 warnings"
	exit 1
fi
ls -l "$work/mod/qiring_kcheck.ko" | awk '{print "kcheck: built qiring_kcheck.ko,", $5, "bytes"}'

status=0
fail() { echo "kcheck: FAIL: $*"; status=1; }

# What each tree needs: its checkpatch and kernel-doc, and a clean
# drivers/iommu/intel/ for git am (one pass over the tarball each).
found=()
for v in "${trees[@]}"; do
	src=$(ls /usr/src/linux-source-"$v".tar.* 2>/dev/null | head -1 || true)
	if [ -z "$src" ]; then
		echo "kcheck: linux-source-$v not installed (apt-get install linux-source-$v): its checks skipped"
		continue
	fi
	top=$(basename "${src%.tar.*}")
	mkdir -p "$work/$v"
	tar -xf "$src" -C "$work/$v" "$top/scripts/checkpatch.pl" "$top/scripts/spelling.txt" \
		"$top/scripts/const_structs.checkpatch" "$top/scripts/kernel-doc" \
		"$top/drivers/iommu/intel"
	mv "$work/$v/$top" "$work/$v/linux"
	found+=("$v")
done
[ ${#found[@]} -gt 0 ] || echo "kcheck: no kernel source: checkpatch, kernel-doc and git am skipped"

for v in "${found[@]}"; do
	cp=("$work/$v/linux/scripts/checkpatch.pl" --no-tree --strict --quiet --show-types
	    --ignore FILE_PATH_CHANGES,SPDX_LICENSE_TAG)
	kd=("$work/$v/linux/scripts/kernel-doc" -none)
	"${kd[@]}" -Wall /dev/null >/dev/null 2>&1 && kd+=(-Wall)	# 6.12 has -Wall, 6.1 not
	n=0
	for f in "${core[@]}" "$root/shim/kunit/qiring_test.c" "$root/shim/kbuild/kcheck.c"; do
		out=$("${cp[@]}" -f "$f" 2>&1) || { echo "$out"; fail "$v checkpatch: $f"; }
		n=$((n + 1))
	done
	out=$("${kd[@]}" "${core[@]}" 2>&1) || true
	[ -z "$out" ] || { echo "$out"; fail "$v kernel-doc warns"; }
	# Both series with this tree's checkpatch. FILE_PATH_CHANGES is the
	# "does MAINTAINERS need updating?" note for the new files, which the
	# drivers/iommu/intel/ entry covers.
	p=0
	for s in "${trees[@]}"; do
		for f in "$root"/shim/patches/"$s"/*.patch; do
			out=$("${cp[@]}" "$f" 2>&1) || { echo "$out"; fail "$v checkpatch: $s/$(basename "$f")"; }
			p=$((p + 1))
		done
	done
	echo "kcheck: $v: checkpatch --strict on $n files and $p patches (both series), kernel-doc ${kd[*]:1} on the core: done"
done

# git am on a clean tree of each kernel, as a maintainer would.
for v in "${found[@]}"; do
	g=$work/$v/git
	mkdir -p "$g/drivers/iommu"
	cp -a "$work/$v/linux/drivers/iommu/intel" "$g/drivers/iommu/"
	git -C "$g" init -q
	git -C "$g" add -A -f
	git -C "$g" -c user.name=kcheck -c user.email=kcheck@localhost commit -q -m "linux-$v"
	if git -C "$g" -c user.name=kcheck -c user.email=kcheck@localhost \
		am -q "$root"/shim/patches/"$v"/000[1-9]-*.patch > "$work/am.log" 2>&1; then
		echo "kcheck: $v: git am applies the series ($(( $(git -C "$g" rev-list --count HEAD) - 1 )) patches) on a clean tree"
	else
		cat "$work/am.log"
		git -C "$g" am --abort 2>/dev/null || true
		fail "$v: git am of shim/patches/$v"
	fi
	git -C "$g" checkout -q HEAD~"$(ls "$root"/shim/patches/"$v"/000[1-9]-*.patch | wc -l)" 2>/dev/null || true
	if ! git -C "$g" apply --check "$root"/shim/patches/"$v"/0004-*.patch; then
		fail "$v: the stress trigger (0004) does not apply alone to a clean tree"
	fi
done

"$root/shim/mkpatch.sh" --check || status=1
[ $status -eq 0 ] && echo "kcheck: the generated patches are this checkout's (core, KUnit suite, cover letters)"
[ $status -eq 0 ] && echo "kcheck: ok"
exit $status
