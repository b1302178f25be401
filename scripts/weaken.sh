#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# The ordering-point table (docs/verification.md, "Weak memory"). Each
# ordering point of the core's header comment (O1..O16) is weakened to
# relaxed, one at a time, by a patch tests/weakmem/weaken/ON.patch whose
# first line says what it weakens (ONa, ONb... weaken one site of a point
# with several). For each, this applies the patch to a scratch copy of the
# core (build/weaken/core/; the core itself is never touched), rebuilds the
# weak-memory checker against that copy (QIRING_CORE_SOURCE, its own build
# directory: only the core's object is recompiled), runs the kill suite
# (every weakmem scenario, N random executions each) until one reports a
# violation, and prints the table. O8/O9, the fault lock, is not a patch:
# the backend builds the lock without acquire/release
# (-DQIRING_WEAKMEM_LOCK_RELAXED=ON, build/weaken-lock/). The control, the
# real core, must pass the whole suite.
#
#   scripts/weaken.sh                 every point, 100000 executions per scenario
#   scripts/weaken.sh -n 20000 O3 O7  just these, a smaller budget
#
# Exit status: 0 when the control passes and every weakening is killed
# except those listed in $survivors below (each with the reason the table
# in docs/verification.md gives).
set -euo pipefail
cd "$(dirname "$0")/.."

n=100000
if [ "${1:-}" = "-n" ]; then
	n=$2
	shift 2
fi

# Weakenings that no scenario kills (none: the four accesses this table
# once showed unnecessary, the DESC marks, the IQE handler's scan, the cons
# load of free_slots() and the orphan word, are relaxed in the core itself,
# with the reason in its header comment, "Accesses left relaxed").
survivors=" "

# The kill suite, cheapest first.
suite=(wrap lonewait handoff trio freeslots wrap2 handoff3 ice lifecycle orphan
       desc16 ite ite2 gone iqe ite3)

declare -A what=([control]="the real core" [O8/O9]="the fault lock without acquire/release")
points=()
for p in tests/weakmem/weaken/O*.patch; do
	w=${p##*/}
	w=${w%.patch}
	what[$w]=$(head -1 "$p" | sed 's/^[^:]*: //')
	points+=("$w")
done
mapfile -t points < <(printf '%s\n' "${points[@]}" O8/O9 | sort -V)
points=(control "${points[@]}")
if [ $# -gt 0 ]; then
	points=(control "$@")
fi

jobs=$(nproc 2>/dev/null || echo 2)
results=()
status=0

configure() {	# dir, extra cmake args
	local dir=$1
	shift
	if [ ! -f "$dir/CMakeCache.txt" ]; then
		cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
			-DQIRING_BUILD_BENCH=OFF -DQIRING_KERNEL_TESTS=OFF \
			-DQIRING_CORE_SOURCE="$PWD/$dir/core/src/qiring.c" "$@" \
			>"$dir.configure.log" 2>&1
	fi
}

for w in "${points[@]}"; do
	dir=build/weaken
	extra=()
	patch=""
	case $w in
	control) ;;
	O8/O9) dir=build/weaken-lock; extra=(-DQIRING_WEAKMEM_LOCK_RELAXED=ON) ;;
	*) patch=tests/weakmem/weaken/$w.patch ;;
	esac
	log=build/weaken-${w//\//}
	echo "== $w: ${what[$w]:-?}" >&2
	# a scratch copy, patched; copied into the build only when it changed
	rm -rf build/weaken-src
	mkdir -p build/weaken-src/core/src build/weaken-src/core/include/qiring \
		"$dir/core/src" "$dir/core/include/qiring"
	cp core/src/qiring.c build/weaken-src/core/src/
	cp core/include/qiring/qiring.h build/weaken-src/core/include/qiring/
	if [ -n "$patch" ] &&
	   ! patch -s -p1 -d build/weaken-src <"$patch" >"$log.patch.log" 2>&1; then
		results+=("$w|${what[$w]:-?}|PATCH FAILED|see $log.patch.log")
		status=1
		continue
	fi
	for f in core/src/qiring.c core/include/qiring/qiring.h; do
		cmp -s "build/weaken-src/$f" "$dir/$f" || cp "build/weaken-src/$f" "$dir/$f"
	done
	cmp -s "$dir/core/include/qiring/qiring.h" "$dir/core/src/qiring.h" ||
		cp "$dir/core/include/qiring/qiring.h" "$dir/core/src/qiring.h"
	if ! configure "$dir" "${extra[@]}" ||
	   ! cmake --build "$dir" -j"$jobs" --target weakmem >"$log.build.log" 2>&1; then
		results+=("$w|${what[$w]:-?}|BUILD FAILED|see $log.build.log")
		status=1
		continue
	fi
	killer="" why="" t0=$SECONDS
	for s in "${suite[@]}"; do
		out=$("$dir/tests/weakmem/weakmem" --scenario "$s" --random "$n" 2>&1) && rc=0 || rc=$?
		if [ $rc -ne 0 ]; then
			killer="$s"
			why=$(sed -n 's/^weakmem [^:]*: FAIL at execution \([0-9]*\): \(.*\) ([0-9.]* s)$/#\1: \2/p' <<<"$out")
			[ -n "$why" ] || why="exit status $rc (crash?)"
			break
		fi
	done
	secs=$((SECONDS - t0))
	if [ "$w" = control ]; then
		if [ -z "$killer" ]; then
			results+=("control|${what[control]}|passes all|${#suite[@]} scenarios x $n, ${secs} s")
		else
			results+=("control|${what[control]}|FAILS $killer|$why")
			status=1
		fi
	elif [ -n "$killer" ]; then
		results+=("$w|${what[$w]}|killed by $killer|$why")
	else
		results+=("$w|${what[$w]}|survived|${#suite[@]} scenarios x $n, ${secs} s")
		[[ $survivors == *" $w "* ]] || status=1
	fi
done

echo
echo "kill suite: weakmem --scenario S --random $n, S in: ${suite[*]}"
echo
printf '%-6s | %-80s | %-20s | %s\n' point weakening result "first violation (execution)"
printf '%s\n' "-------+----------------------------------------------------------------------------------+----------------------+--------------------"
for r in "${results[@]}"; do
	IFS='|' read -r a b c d <<<"$r"
	printf '%-6s | %-80s | %-20s | %s\n' "$a" "$b" "$c" "$d"
done
exit $status
