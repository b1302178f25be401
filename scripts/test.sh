#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# Quick start, command 2: every test. The default build runs the unit,
# explore (interleaving explorer), weakmem (the core under Relacy's C11
# memory model), stress, kernel-compile tests and a check that the mutant
# and weakening patches still apply and compile; the tsan build runs the
# race tests under ThreadSanitizer; the asan build runs unit and stress
# under ASan + UBSan; the urcu build runs the unit tests on the liburcu port.
#
#   QIRING_STRESS_SCALE=10 scripts/test.sh   full mode (10^6 submissions per variant)
#   QIRING_WEAKMEM_LARGE=1 scripts/test.sh   adds the large weakmem runs (tens of minutes)
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/deps.sh
scale=${QIRING_STRESS_SCALE:-1}
large=OFF
if [ -n "${QIRING_WEAKMEM_LARGE:-}" ] && [ "$QIRING_WEAKMEM_LARGE" != 0 ]; then
	large=ON
fi
jobs=$(nproc)
status=0

run() {	# preset, ctest label regex, extra cmake arguments
	local preset=$1 labels=$2
	shift 2
	echo "=== $preset: ctest -L '$labels'"
	cmake --preset "$preset" -DQIRING_STRESS_SCALE="$scale" "$@" >/dev/null
	cmake --build --preset "$preset" -j"$jobs" >/dev/null
	ctest --preset "$preset" -L "$labels" || status=1
}

run default 'unit|stress|explore|weakmem|kernel|patches' -DQIRING_WEAKMEM_LARGE="$large"
run tsan tsan
run asan 'unit|stress'
run urcu unit
exit $status
