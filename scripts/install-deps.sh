#!/usr/bin/env bash
# Installs Vulkanite's build and test dependencies from Debian 12 packages.
# Idempotent: does nothing when every package is already installed.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config git
  libvulkan-dev libvulkan-volk-dev glslang-tools glslang-dev spirv-tools
  libxtensor-dev xtl-dev libxsimd-dev
  libgtest-dev libgmock-dev libbenchmark-dev libcli11-dev nlohmann-json3-dev
  # llvmpipe (a Vulkan device on the CPU) and the Khronos validation layer for the tests
  mesa-vulkan-drivers vulkan-validationlayers vulkan-tools
  # detector formats: CBF, TIFF, HDF5 with the filter plugins (Eiger bitshuffle/LZ4)
  libcbf-dev libtiff-dev libhdf5-dev hdf5-filter-plugin zlib1g-dev
  # Eiger bitshuffle: Debian 12 ships its HDF5 plugin here, not in hdf5-filter-plugin
  bitshuffle
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  if [[ $(id -u) -ne 0 ]]; then
    echo "install-deps: missing packages: ${missing[*]}; run this script as root (or with sudo)" >&2
    exit 1
  fi
  echo "install-deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
