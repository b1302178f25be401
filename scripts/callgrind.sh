#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# Instructions per uncontended submission (count 1, one thread), per variant,
# under callgrind: N warm-up submissions, then N measured ones inside
# qr_measure() (bench/one_sub.c), the only function collected.
#
# usage: scripts/callgrind.sh [N] [COUNT]     (defaults: 50000, 1)
#
# QIRING_BUILD_DIR: build there instead of the default preset's build/default;
# QIRING_NO_BUILD=1: use what is built.
#
# Prints a markdown table: Ir per submission in total, the device model's
# share (inclusive Ir of its register entry points: tail write, FSTS/IQH
# reads and clears, relax, whose lazy executor runs the device) and the
# rest, which is the submission algorithm itself.
set -euo pipefail
cd "$(dirname "$0")/.."

n=${1:-50000}
count=${2:-1}
build=${QIRING_BUILD_DIR:-build/default}
bin=$build/bench/qiring-one-sub
out=${QIRING_CALLGRIND_DIR:-$build/callgrind}

if [ -z "${QIRING_NO_BUILD:-}" ]; then
	if [ -z "${QIRING_BUILD_DIR:-}" ]; then
		cmake --preset default >/dev/null
	else
		cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DQIRING_PORT=c11 >/dev/null
	fi
	cmake --build "$build" -j"$(nproc)" --target qiring-one-sub >/dev/null
fi
command -v valgrind >/dev/null || { echo "valgrind missing: run scripts/deps.sh" >&2; exit 1; }
mkdir -p "$out"

vg=$(valgrind --version | sed 's/valgrind-//')
echo "Ir per submission, count $count, one thread, N = $n (valgrind $vg)"
echo
echo "| variant | device | Ir/sub | device model Ir/sub | algorithm Ir/sub |"
echo "|---|---|---:|---:|---:|"
for profile in instant null; do
	for v in locked tbf smmuv3 lockfree ckring; do
		[ "$v" = ckring ] && [ "$profile" = instant ] && continue
		f=$out/callgrind.$v.$profile.out
		valgrind --tool=callgrind --collect-atstart=no \
			--toggle-collect=qr_measure --callgrind-out-file="$f" \
			"$bin" "$v" "$profile" "$n" "$count" >/dev/null 2>&1
		total=$(awk '/^totals:/ { print $2 }' "$f")
		# Sanity: exactly N submissions were collected.
		calls=$(callgrind_annotate --tree=caller --threshold=100 "$f" 2>/dev/null |
			awk -v fn="$(case $v in ckring) echo ck_submit ;; lockfree) echo lf_submit ;;
				smmuv3) echo smmu_submit ;; *) echo qr_hist_submit ;; esac)" '
			$0 ~ "=> .*:" fn " " { s = $0; sub(/.*\(/, "", s); sub(/x\).*/, "", s);
				gsub(",", "", s); n += s } END { print n + 0 }')
		[ "$calls" = "$n" ] || echo "warning: $v/$profile: $calls submissions collected, not $n" >&2
		model=$(python3 - "$f" <<'PY'
# Sum the inclusive Ir of every call from outside the device model
# (tests/lib/devmodel.c) into one of its functions.
import sys
names, files = {}, {}
def name(s, table):
    s = s.strip()
    if s.startswith("("):
        i = s.index(")")
        k, rest = s[:i + 1], s[i + 1:].strip()
        if rest:
            table[k] = rest
        return table.get(k, k)
    return s
fl = fn_file = fn = cfn = cfl = ""
pending, model = False, 0
for line in open(sys.argv[1]):
    if line.startswith("fl="):
        fl = name(line[3:], files)
    elif line.startswith("fn="):
        fn, fn_file, cfl = name(line[3:], names), fl, fl
    elif line.startswith(("cfl=", "cfi=")):
        cfl = name(line[4:], files)
    elif line.startswith("cfn="):
        cfn = name(line[4:], names)
    elif line.startswith("calls="):
        pending = True
    elif pending and line[:1] in "0123456789+-*":
        pending = False
        if cfl.endswith("devmodel.c") and not fn_file.endswith("devmodel.c"):
            model += int(line.split()[1])
        cfl = fn_file
print(model)
PY
)
		dev=$([ "$v" = ckring ] && echo "none" || echo "$profile")
		awk -v v="$v" -v p="$dev" -v t="$total" -v m="$model" -v n="$n" 'BEGIN {
			printf "| %s | %s | %.0f | %.0f | %.0f |\n", v, p, t / n, m / n, (t - m) / n }'
	done
done
