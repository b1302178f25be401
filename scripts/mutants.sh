#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# Mutation testing of the core (docs/verification.md). Each mutant is a patch
# tests/mutants/MN.patch to core/src/qiring.c whose first line says what bug
# it plants. For every mutant this applies the patch to a scratch copy of the
# core (build/mutants/N/qiring.c; the core itself is never touched), builds
# the interleaving explorer against that copy (QIRING_CORE_SOURCE, its own
# build directory), runs the kill suite below until a run reports a
# violation, and prints a kill table. Mutant 0, the real core, is the
# control: it must pass the whole suite.
#
#   scripts/mutants.sh            every mutant
#   scripts/mutants.sh 3 6        just these
#
# Exit status: 0 when the control passes and every mutant is killed.
set -euo pipefail
cd "$(dirname "$0")/.."

declare -A what=([0]="control: the real core")
for p in tests/mutants/M*.patch; do
	n=${p##*/M}
	n=${n%.patch}
	what[$n]=$(head -1 "$p" | sed 's/^M[0-9]*: //')
done

# The kill suite, in order. S4/S5 model x86-TSO store buffers (a lost
# doorbell through a store->load reordering shows only there). S8 has three
# submitters at preemption bound 2: the smallest runs where an owner finds a
# complete earlier submission behind one not yet marked (M12).
suite=(
	"--variant lockfree --slots 4 --threads 2 --counts 0,0 --subs 2 --pb 2"
	"--variant lockfree --slots 4 --threads 2 --counts 1,0 --subs 2 --pb 2"
	"--variant lockfree --slots 8 --threads 2 --counts 1,1 --ite 1 --pb 2"
	"--variant lockfree --slots 8 --threads 2 --counts 1,0 --tso --pb 1"
	"--variant lockfree --slots 8 --threads 2 --counts 1,1 --tso --pb 2 --state-cache"
	"--variant lockfree --slots 4 --threads 2 --counts 2,0 --subs 2 --ite 1 --pb 2"
	"--variant lockfree --slots 8 --threads 3 --counts 1,0,1 --ite 1 --pb 1"
	"--variant lockfree --slots 8 --threads 3 --counts 0,0,0 --pb 2"
)

if [ $# -gt 0 ]; then
	mutants=("$@")
else
	mapfile -t mutants < <(printf '%s\n' "${!what[@]}" | sort -n)
fi

jobs=$(nproc 2>/dev/null || echo 2)
results=()
status=0

for n in "${mutants[@]}"; do
	dir=build/mutants/$n
	echo "== M$n: ${what[$n]:-?}" >&2
	mkdir -p "$dir"
	src=$PWD/core/src/qiring.c
	if [ "$n" != 0 ]; then
		# A scratch copy of the core, the header next to the .c so that
		# its #include "qiring.h" finds the copy (a mutant may touch it).
		rm -rf "$dir/core"
		mkdir -p "$dir/core/src" "$dir/core/include/qiring"
		cp core/src/qiring.c "$dir/core/src/"
		cp core/include/qiring/qiring.h "$dir/core/include/qiring/"
		if ! patch -s -p1 -d "$dir" < "tests/mutants/M$n.patch" >"$dir.patch.log" 2>&1; then
			results+=("M$n|${what[$n]:-?}|PATCH FAILED|see $dir.patch.log")
			status=1
			continue
		fi
		cp "$dir/core/include/qiring/qiring.h" "$dir/core/src/qiring.h"
		src=$PWD/$dir/core/src/qiring.c
	fi
	if ! cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
		-DQIRING_BUILD_BENCH=OFF -DQIRING_KERNEL_TESTS=OFF \
		-DQIRING_CORE_SOURCE="$src" >"$dir.configure.log" 2>&1 ||
	   ! cmake --build "$dir" -j"$jobs" --target explore >"$dir.build.log" 2>&1; then
		results+=("M$n|${what[$n]:-?}|BUILD FAILED|see $dir.build.log")
		status=1
		continue
	fi
	killer="" why="" t0=$SECONDS
	for i in "${!suite[@]}"; do
		# shellcheck disable=SC2086
		out=$("$dir/tests/explore/explore" ${suite[$i]} --quiet 2>&1) && rc=0 || rc=$?
		if [ $rc -eq 1 ] && grep -q "^=== violation" <<<"$out"; then
			killer="S$((i + 1))"
			why=$(sed -n '/^=== violation/{n;p;q}' <<<"$out")
			break
		elif [ $rc -ne 0 ]; then
			killer="S$((i + 1))"
			why="explorer exited with $rc (crash?)"
			break
		fi
	done
	secs=$((SECONDS - t0))
	if [ "$n" = 0 ]; then
		if [ -z "$killer" ]; then
			results+=("M0|${what[0]}|passes all|${#suite[@]} runs, ${secs} s")
		else
			results+=("M0|${what[0]}|FAILS $killer|$why")
			status=1
		fi
	elif [ -n "$killer" ]; then
		results+=("M$n|${what[$n]}|killed by $killer|$why")
	else
		results+=("M$n|${what[$n]}|SURVIVED|a missing test")
		status=1
	fi
done

echo
echo "kill suite:"
for i in "${!suite[@]}"; do
	echo "  S$((i + 1))  explore ${suite[$i]}"
done
echo
printf '%-4s | %-58s | %-12s | %s\n' mut mutant result "first violation"
printf '%s\n' "-----+------------------------------------------------------------+--------------+----------------"
for r in "${results[@]}"; do
	IFS='|' read -r m w k y <<<"$r"
	printf '%-4s | %-58s | %-12s | %s\n' "$m" "$w" "$k" "$y"
done
exit $status
