#!/usr/bin/env bash
# Installs what retc needs to build and test on Debian 12 (bookworm), as root:
# LLVM/MLIR 22, clang-22 + lld-22, Ninja, CMake, OpenMP, JSON and CLI11
# headers, Nettle (SHA-256 of packages and state files), OpenBLAS (benchmark
# ceiling) and numpy (test reference).
set -euo pipefail

packages=(
  cmake ninja-build
  clang-22 lld-22 llvm-22-dev llvm-22-tools libmlir-22-dev mlir-22-tools
  libomp-22-dev libclang-rt-22-dev libz3-dev zlib1g-dev libzstd-dev
  nlohmann-json3-dev libcli11-dev nettle-dev
  libopenblas-dev python3 python3-numpy
)

missing=()
for p in "${packages[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all packages present"
  exit 0
fi
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "install-deps: installing ${missing[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
