#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# Install what building and testing qiring needs, from Debian's archive.
# Idempotent: does nothing when everything is already there.
set -euo pipefail

pkgs=(build-essential cmake pkg-config liburcu-dev libck-dev libbenchmark-dev
      relacy-dev linux-headers-amd64 linux-source-6.1 linux-source-6.12
      qemu-system-x86 busybox-static cpio bc flex bison libelf-dev libssl-dev
      kmod patch gnuplot-nox valgrind python3)
missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "deps: installing ${missing[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
