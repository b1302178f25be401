#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# Soak: the payload-checked stress of the lock-free core with every fault
# kind at once (ITE at 1/20000 device-TLB descriptors in bursts of 2, ICE at
# 1/1000 waits, IQE planted in 1/20000 submissions), mixed counts 0..16,
# four submitters on a 64-slot ring. Ends with the one-line summary:
#
#   soak lockfree: N submissions, R restarts, faults injected: ..., lost 0,
#   duplicated 0, hangs 0
#
# The mixed mode soaks tests/stress/mixed.c instead: short timeouts on a
# quarter of the submissions, the split API, ITE/ICE/IQE, a departed-device
# hook and one disable/enable cycle per 50000 submissions, the device on its
# own thread with hardware-like latencies (docs/reliability.md, §5). Its
# checker keeps 8 bytes per submission: 10^7 by default (80 MB).
#
#   scripts/soak.sh [TOTAL_SUBMISSIONS] [SEED]          default 10^8, seed 1
#   scripts/soak.sh mixed [TOTAL_SUBMISSIONS] [SEED]    default 10^7, seed 1
set -euo pipefail
cd "$(dirname "$0")/.."
mode=stress
if [ "${1:-}" = mixed ]; then
	mode=mixed
	shift
fi
threads=4
seed=${2:-1}

scripts/deps.sh
cmake --preset default >/dev/null
cmake --build --preset default -j"$(nproc)" --target "$mode" >/dev/null
start=$(date +%s)
if [ "$mode" = mixed ]; then
	total=${1:-10000000}
	build/default/tests/stress/mixed $threads $((total / threads)) 32 32 thread "$seed" \
		ite=1000 burst=2 devtlb=4 ice=500 iqe=2000 gone=5 cycles=$((total / 50000 + 1))
else
	total=${1:-100000000}
	build/default/tests/stress/stress lockfree $threads $((total / threads)) 64 16 lazy "$seed" \
		ite=20000 burst=2 devtlb=4 ice=1000 iqe=20000
fi
echo "soak: $(( $(date +%s) - start )) s"
