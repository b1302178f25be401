#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# Benchmarks: every variant side by side under Google Benchmark, results kept
# under docs/results/.
#
# usage: scripts/bench.sh [--no-build] [quick|full|pairs] [qiring-bench flags...]
#
#   quick  0.1 s per case, one repetition: about half a minute
#   full   0.5 s per case, 3 repetitions (medians reported); a repetition
#          whose threads got < 90% of the CPU they could use (the machine
#          is shared) is rerun up to 3 times, 1 s apart, within 300 s of
#          reruns in all: 6 to 12 minutes
#   pairs  the 2-submitter cases only, as full but rerun up to 10 times,
#          2 s apart, within 600 s: on a shared 2-core machine, the way to
#          get both cores for the comparisons that need them: 2 to 12 min
#
# Writes docs/results/bench-MODE.json (Google Benchmark JSON),
# docs/results/bench-MODE.md (tables and the targets, generated),
# docs/results/dat-MODE/ (gnuplot data) and docs/results/MODE-*.png.
#
# QIRING_BUILD_DIR builds somewhere other than the default preset's
# build/default; QIRING_BENCH_BIN runs a given binary (the CMake target
# `bench` passes its own); QIRING_SOURCE_REV labels the results when the
# tree is not a git checkout.
set -euo pipefail
cd "$(dirname "$0")/.."

build=1
mode=quick
extra=()
for a in "$@"; do
	case $a in
	--no-build) build=0 ;;
	quick | full | pairs) mode=$a ;;
	-h | --help)
		sed -n '3,/^[^#]/{/^#/p}' "$0" | sed 's/^# \{0,1\}//'
		exit 0
		;;
	*) extra+=("$a") ;;
	esac
done

dir=${QIRING_BUILD_DIR:-build/default}
if [ "$build" = 1 ] && [ -z "${QIRING_BENCH_BIN:-}" ]; then
	if [ -z "${QIRING_BUILD_DIR:-}" ]; then
		cmake --preset default >/dev/null
	else
		cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DQIRING_PORT=c11 >/dev/null
	fi
	cmake --build "$dir" -j"$(nproc)" --target qiring-bench >/dev/null
fi
bin=${QIRING_BENCH_BIN:-$dir/bench/qiring-bench}

case $mode in
quick) args=(--qr_seconds=0.1) ;;
full) args=(--qr_seconds=0.5 --benchmark_repetitions=3
	    --qr_retries=3 --qr_retry_wait=1 --qr_retry_budget=300
	    --benchmark_display_aggregates_only=true) ;;
pairs) args=(--qr_seconds=0.5 --benchmark_repetitions=3
	     --qr_retries=10 --qr_retry_wait=2 --qr_retry_budget=600
	     --benchmark_filter=/threads:2/
	     --benchmark_display_aggregates_only=true) ;;
esac

out=docs/results
mkdir -p "$out"
# Read-only git queries: which sources were measured.
rev=${QIRING_SOURCE_REV:-$(git rev-parse --short HEAD 2>/dev/null || echo unknown)}
dirty=$(git --no-optional-locks status --porcelain --untracked-files=no \
	-- core tests/lib 2>/dev/null || true)
if [ -z "${QIRING_SOURCE_REV:-}" ] && [ "$rev" != unknown ] && [ -n "$dirty" ]; then
	rev="$rev+uncommitted-core-or-tests-lib"
fi
load=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null | tr ' ' '/' || echo unknown)
rev=$(echo "$rev" | tr ',= ' ';:_')	# --benchmark_context splits on , and =

echo "qiring-bench, $mode mode: docs/results/bench-$mode.json"
"$bin" "${args[@]}" \
	--benchmark_out="$out/bench-$mode.json" --benchmark_out_format=json \
	--benchmark_context="git=$rev,load_before=$load" \
	"${extra[@]}"

python3 bench/json2dat.py "$out/bench-$mode.json" "$out/dat-$mode" --md "$out/bench-$mode.md"
echo "- load average after: $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown)" \
	>>"$out/bench-$mode.md"
if [ "$mode" = pairs ]; then
	:	# one thread count: tables only
elif command -v gnuplot >/dev/null; then
	gnuplot -e "dat='$out/dat-$mode'; out='$out'; mode='$mode'" bench/plot.gp
else
	echo "gnuplot missing (scripts/deps.sh installs it): no plots" >&2
fi
echo "tables and targets: $out/bench-$mode.md"
[ "$mode" = pairs ] || echo "plots: $out/$mode-*.png"
