#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# Patch 0002 of the series adds the qiring core to drivers/iommu/intel/: a
# plain new-file diff of this checkout's core/src/qiring.c and
# core/include/qiring/qiring.h, which are the kernel files byte for byte.
# Nothing is stripped or rewritten; the kernel never runs a stale copy:
#
#   shim/mkpatch.sh           rewrite shim/patches/0002-*.patch
#   shim/mkpatch.sh --check   exit 1 if it differs from what would be written
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out="$root/shim/patches/0002-iommu-vt-d-add-qiring-a-lock-free-invalidation-queue.patch"

# source in this tree -> path in the kernel tree
files=("core/src/qiring.c:drivers/iommu/intel/qiring.c"
       "core/include/qiring/qiring.h:drivers/iommu/intel/qiring.h")

gen() {
	local f src dst n total=0
	cat <<'MSG'
From 0000000000000000000000000000000000000000 Mon Sep 17 00:00:00 2001
From: qiring maintainers <qiring@localhost>
Date: Wed, 25 Nov 2026 00:00:00 +0000
Subject: [PATCH 2/3] iommu/vt-d: add qiring, a lock-free invalidation queue

qiring is a lock-free multi-producer ring for VT-d queued invalidation
descriptors, with completions. Submitters reserve slots with a cmpxchg,
write their descriptors without a lock, publish IQT in ring order under a
doorbell lease (one IQT write may cover many submitters, the tail never
moves backward and stops only at submission ends), and wait outside any
lock on a status word tagged with the slot's lap, so a stale value is
never taken for a completion. Only a slot's owner frees it: the 2024
completion theft cannot happen by construction. IQE, ITE and ICE are
handled on a serialized slow path with qi_check_fault()'s semantics,
under a raw spinlock that waiters only trylock.

qiring.c opens with the protocol: the state, the steps of a submission,
every ordering point with its partner, and the hazards it rules out. The
same file is compiled unchanged in userspace, where it is tested against
a VT-d device model, ThreadSanitizer and an interleaving explorer. This
patch only adds the files; the next one uses them.

Signed-off-by: qiring maintainers <qiring@localhost>
---
MSG
	for f in "${files[@]}"; do
		src=${f%%:*} dst=${f#*:}
		n=$(wc -l < "$root/$src")
		total=$((total + n))
		printf ' %s | %d +\n' "$dst" "$n"
	done
	printf ' %d files changed, %d insertions(+)\n' "${#files[@]}" "$total"
	for f in "${files[@]}"; do
		printf ' create mode 100644 %s\n' "${f#*:}"
	done
	echo
	for f in "${files[@]}"; do
		src=${f%%:*} dst=${f#*:}
		n=$(wc -l < "$root/$src")
		printf 'diff --git a/%s b/%s\nnew file mode 100644\n' "$dst" "$dst"
		printf 'index 0000000..%s\n' "$(git hash-object "$root/$src" | cut -c1-7)"
		printf -- '--- /dev/null\n+++ b/%s\n@@ -0,0 +1,%d @@\n' "$dst" "$n"
		sed 's/^/+/' "$root/$src"
	done
	printf -- '-- \n2.39.5\n\n'
}

if [ "${1:-}" = "--check" ]; then
	if ! gen | cmp -s - "$out"; then
		echo "mkpatch: $out is stale: run shim/mkpatch.sh" >&2
		exit 1
	fi
	exit 0
fi
gen > "$out"
echo "mkpatch: wrote $out"
