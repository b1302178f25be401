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
#   scripts/soak.sh [TOTAL_SUBMISSIONS] [SEED]    default 10^8, seed 1
set -euo pipefail
cd "$(dirname "$0")/.."
total=${1:-100000000}
seed=${2:-1}
threads=4

scripts/deps.sh
cmake --preset default >/dev/null
cmake --build --preset default -j"$(nproc)" --target stress >/dev/null
start=$(date +%s)
build/default/tests/stress/stress lockfree $threads $((total / threads)) 64 16 lazy "$seed" \
	ite=20000 burst=2 devtlb=4 ice=1000 iqe=20000
echo "soak: $(( $(date +%s) - start )) s"
