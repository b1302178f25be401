#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# The mutants (tests/mutants/M*.patch, scripts/mutants.sh) and the
# ordering-point weakenings (tests/weakmem/weaken/O*.patch,
# scripts/weaken.sh) are patches against the core. A change to the core can
# leave one that no longer applies, or applies and no longer compiles, and
# those scripts take minutes, so nothing else would notice until the next
# time someone runs them. This checks, in seconds, that each patch applies
# to a scratch copy of this checkout's core without fuzz and that the
# mutated core compiles: mutants with the explorer's port (what
# scripts/mutants.sh builds), weakenings with the C11 port (the C side of
# what scripts/weaken.sh builds against Relacy). Whether each one is still
# killed is what those scripts are for.
#
#   scripts/check-patches.sh [CC]      exit 0 ok, 1 a patch is stale
#
# ctest runs it as patches.check (label patches) in the default preset.
set -euo pipefail
cd "$(dirname "$0")/.."

cc=${1:-${CC:-cc}}
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
status=0 n=0
flags=(-fsyntax-only -std=gnu11 -Wall -Werror=implicit-function-declaration
       -Werror=incompatible-pointer-types -Werror=int-conversion)

check() {	# patch, port flags...
	local p=$1 name dir
	shift
	name=$(basename "$p" .patch)
	dir=$scratch/$name
	mkdir -p "$dir/core/src" "$dir/core/include/qiring"
	cp core/src/qiring.c "$dir/core/src/"
	cp core/include/qiring/qiring.h "$dir/core/include/qiring/"
	n=$((n + 1))
	# --fuzz=0: a hunk whose context moved is stale even if patch(1)
	# could guess where it goes.
	if ! patch -s -p1 --fuzz=0 -d "$dir" <"$p" >"$dir.log" 2>&1; then
		echo "check-patches: $p: does not apply to this core:" >&2
		sed 's/^/  /' "$dir.log" >&2
		status=1
		return
	fi
	# As scripts/mutants.sh does: the (maybe mutated) header next to the .c.
	cp "$dir/core/include/qiring/qiring.h" "$dir/core/src/qiring.h"
	if ! "$cc" "${flags[@]}" "$@" -Icore/include -Icore/port/common \
		"$dir/core/src/qiring.c" >"$dir.log" 2>&1; then
		echo "check-patches: $p: the patched core does not compile:" >&2
		sed 's/^/  /' "$dir.log" >&2
		status=1
	fi
}

for p in tests/mutants/M*.patch; do
	check "$p" -DQIRING_PORT_SIM -Itests/explore/port -Itests/explore
done
for p in tests/weakmem/weaken/O*.patch; do
	check "$p" -Icore/port/c11
done
[ "$n" -gt 0 ] || { echo "check-patches: no patch found" >&2; exit 1; }
if [ "$status" = 0 ]; then
	echo "check-patches: $n patches apply to this core and compile"
fi
exit $status
