#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# The generated parts of the two patch series, shim/patches/6.1/ and
# shim/patches/6.12/ (one series per tree, same core):
#
#   0000-cover-letter.patch   shim/series/cover-<tree>.txt, with the shortlog
#                             and the diffstat of the series computed from
#                             the patches themselves;
#   0001-...-queue.patch      the core: a plain new-file diff of this
#                             checkout's core/src/qiring.c and
#                             core/include/qiring/qiring.h, which are the
#                             kernel files byte for byte (nothing stripped
#                             or rewritten: the kernel never runs a stale
#                             copy); identical in both series;
#   0003-...-KUnit....patch   shim/kunit/qiring_test.c and shim/kunit/
#                             kunitconfig as new files, after the tree's
#                             Kconfig and Makefile hunks (shim/kunit/
#                             build-<tree>.diff).
#
# 0002 (the glue in dmar.c and friends) and 0004 (the test-only stress
# trigger) are written by hand for each tree.
#
#   shim/mkpatch.sh           rewrite the generated patches
#   shim/mkpatch.sh --check   exit 1 if any of them differs from what would
#                             be written (a stale core, test or cover letter)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
trees=(6.1 6.12)
author="Random J Developer <random@developer.example.org>"
date="Mon, 30 Nov 2026 00:00:00 +0000"

core_name=0001-iommu-vt-d-add-qiring-a-lock-free-invalidation-queue.patch
kunit_name=0003-iommu-vt-d-add-a-KUnit-suite-for-qiring.patch
cover_name=0000-cover-letter.patch

header() {	# number, subject (without [PATCH n/4])
	printf 'From 0000000000000000000000000000000000000000 Mon Sep 17 00:00:00 2001\n'
	printf 'From: %s\nDate: %s\nSubject: [PATCH %s/4] %s\n\n' "$author" "$date" "$1" "$2"
}

# The diffstat of a patch series (files in order of first appearance), as
# git prints it: path, changed lines, a +/- bar, then the summary line.
diffstat() {	# patch files...
	awk '
	/^From [0-9a-f]+ / || /^-- $/ { f = ""; next }
	/^diff --git / { f = substr($4, 3); if (!(f in seen)) { seen[f] = 1; order[n++] = f } next }
	f == "" { next }
	/^(\+\+\+|---) / { next }
	/^new file mode/ { created[f] = 1; next }
	/^\+/ { add[f]++; next }
	/^-/ { del[f]++; next }
	END {
		w = 0; m = 0
		for (i = 0; i < n; i++) {
			if (length(order[i]) > w) w = length(order[i])
			t = add[order[i]] + del[order[i]]
			if (t > m) m = t
			if (length(t "") > dw) dw = length(t "")
		}
		bar = 79 - w - dw - 5
		if (bar < 10) bar = 10
		for (i = 0; i < n; i++) {
			f = order[i]; a = add[f] + 0; d = del[f] + 0; t = a + d
			if (m > bar) { sa = int(a * bar / m + 0.5); sd = int(d * bar / m + 0.5)
				if (a && !sa) sa = 1; if (d && !sd) sd = 1 }
			else { sa = a; sd = d }
			s = ""; for (j = 0; j < sa; j++) s = s "+"; for (j = 0; j < sd; j++) s = s "-"
			printf " %-" w "s | %" dw "d %s\n", f, t, s
			ta += a; td += d
		}
		printf " %d file%s changed", n, n == 1 ? "" : "s"
		if (ta) printf ", %d insertion%s(+)", ta, ta == 1 ? "" : "s"
		if (td) printf ", %d deletion%s(-)", td, td == 1 ? "" : "s"
		printf "\n"
		for (i = 0; i < n; i++)
			if (created[order[i]]) printf " create mode 100644 %s\n", order[i]
	}' "$@"
}

newfile() {	# source in this checkout, path in the kernel tree
	local n
	n=$(wc -l < "$root/$1")
	printf 'diff --git a/%s b/%s\nnew file mode 100644\n' "$2" "$2"
	printf 'index 0000000..%s\n' "$(git hash-object "$root/$1" | cut -c1-7)"
	printf -- '--- /dev/null\n+++ b/%s\n@@ -0,0 +1,%d @@\n' "$2" "$n"
	sed 's/^/+/' "$root/$1"
}

trailer() {
	printf -- '-- \n2.39.5\n\n'
}

emit_body() {	# diff file: diffstat, the diff, the trailer; the file is removed
	diffstat "$1"
	echo
	cat "$1"
	trailer
	rm -f "$1"
}

gen_core() {
	local body
	body=$(mktemp)
	newfile core/src/qiring.c drivers/iommu/intel/qiring.c > "$body"
	newfile core/include/qiring/qiring.h drivers/iommu/intel/qiring.h >> "$body"
	header 1 "iommu/vt-d: add qiring, a lock-free invalidation queue"
	cat <<MSG
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

Every wait is bounded or reported: a waiter held longer than a second
reports which slot holds it and why; qiring_submit_timeout() gives up
after a deadline and leaves the submission to the ring, which frees it
once the hardware is done with it. An optional hook lets the embedder say
that the device behind an ITE is gone, in which case the submissions that
carry a device-TLB invalidation end with -ETIMEDOUT instead of being
resubmitted.

qiring.c opens with the protocol: the state, the steps of a submission,
every ordering point with its partner, and the hazards it rules out. The
same file is compiled unchanged in userspace, where it is tested against
a VT-d device model, ThreadSanitizer and an interleaving explorer. This
patch only adds the files; the next one uses them.

Signed-off-by: $author
---
MSG
	emit_body "$body"
}

gen_kunit() {	# tree
	local body
	body=$(mktemp)
	cat "$root/shim/kunit/build-$1.diff" > "$body"
	newfile shim/kunit/kunitconfig drivers/iommu/intel/.kunitconfig >> "$body"
	newfile shim/kunit/qiring_test.c drivers/iommu/intel/qiring_test.c >> "$body"
	header 3 "iommu/vt-d: add a KUnit suite for qiring"
	cat <<MSG
Add KUnit tests for the invalidation queue ring. They run the ring
against a small fake remapping unit: IQH, IQT and FSTS are variables, the
queue and status words are the ring's own memory, and like QEMU's
emulated VT-d the fake executes the queue inside the IQT write (and
again when a fault is cleared), writing each wait descriptor's status.
Faults are injected by descriptor: an invalid type raises IQE, a
device-TLB invalidation raises ITE while a budget lasts, a wait raises
ICE.

Covered: qiring_init()'s checks; submissions of 0 to slots - 2
descriptors on 16- and 32-byte rings, across laps; the wait descriptor
(status address, lap-tagged status data, PRQ drain); bad arguments; IQE
on the first, middle and last descriptor, and IQE handled by another
submitter's poll; ITE restart with and without the departed-device hook;
ITE for a departed device (-ETIMEDOUT for the submission carrying the
device-TLB invalidation, -EAGAIN for another aborted by the same ITE,
hook asked once); ICE; the split API and its misuse; disable, enable
(a new epoch, stale tickets refused) and destroy; qiring_submit_timeout()
on a stalled unit (the orphan is freed once the unit ran it) and on a
full ring (stall reports name the blocker); and two kthreads per CPU
(at least four), bound round-robin and let go at once, submitting with
and without injected ITE and ICE, every descriptor checked to run
exactly once and in order.

The suite is built in only (bool): it calls the ring's functions
directly, so nothing is exported for it. Run it with

  ./tools/testing/kunit/kunit.py run --arch=x86_64 \\
	--kunitconfig=drivers/iommu/intel

Signed-off-by: $author
---
MSG
	emit_body "$body"
}

gen_cover() {	# tree, directory holding the series
	local v=$1 dir=$2 p s
	local series=("$dir"/000[1-9]-*.patch)
	printf 'From 0000000000000000000000000000000000000000 Mon Sep 17 00:00:00 2001\n'
	printf 'From: %s\nDate: %s\n' "$author" "$date"
	while IFS= read -r line; do
		case "$line" in
		@SHORTLOG@)
			echo "Random J Developer (${#series[@]}):"
			for p in "${series[@]}"; do
				# the subject, folded lines joined, without [PATCH n/4]
				s=$(awk '/^Subject:/ { s = $0; getline n; while (n ~ /^ /) { s = s n; getline n } print s; exit }' "$p")
				echo "  ${s#Subject: \[PATCH */4\] }"
			done
			;;
		@DIFFSTAT@)
			diffstat "${series[@]}"
			;;
		*)
			printf '%s\n' "$line"
			;;
		esac
	done < "$root/shim/series/cover-$v.txt"
	trailer
}

# Write into dir (the generated files; the hand-written ones are copied).
gen_tree() {	# tree, output dir
	local v=$1 out=$2
	cp "$root"/shim/patches/"$v"/000[24]-*.patch "$out/"
	gen_core > "$out/$core_name"
	gen_kunit "$v" > "$out/$kunit_name"
	gen_cover "$v" "$out" > "$out/$cover_name"
}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
status=0
for v in "${trees[@]}"; do
	mkdir -p "$tmp/$v"
	gen_tree "$v" "$tmp/$v"
	for f in "$cover_name" "$core_name" "$kunit_name"; do
		if [ "${1:-}" = "--check" ]; then
			if ! cmp -s "$tmp/$v/$f" "$root/shim/patches/$v/$f"; then
				echo "mkpatch: shim/patches/$v/$f is stale: run shim/mkpatch.sh" >&2
				status=1
			fi
		elif ! cmp -s "$tmp/$v/$f" "$root/shim/patches/$v/$f"; then
			cp "$tmp/$v/$f" "$root/shim/patches/$v/$f"
			echo "mkpatch: wrote shim/patches/$v/$f"
		fi
	done
done
exit $status
