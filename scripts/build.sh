#!/usr/bin/env bash
# Configures and builds Vulkanite into ${VULKANITE_BUILD:-build} (Release). Extra arguments go to
# CMake's configure step, e.g. -DVULKANITE_WERROR=ON.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${VULKANITE_BUILD:-$root/build}
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release "$@" >/dev/null
cmake --build "$build" --parallel "$(nproc)"
