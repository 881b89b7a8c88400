#!/usr/bin/env bash
# The README's test command (and CI's): installs what is missing, builds with warnings as
# errors, and runs every test with the Khronos validation layer on. Tests run on llvmpipe
# unless VULKANITE_DEVICE names another device (e.g. VULKANITE_DEVICE=nvidia).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bash "$root/scripts/install-deps.sh"
bash "$root/scripts/build.sh" -DVULKANITE_WERROR=ON
export VULKANITE_DEVICE=${VULKANITE_DEVICE-llvmpipe}
export VULKANITE_VALIDATION=1
# Keep the pipeline cache of test runs out of the user's home.
export VULKANITE_CACHE_DIR=${VULKANITE_CACHE_DIR-${VULKANITE_BUILD:-$root/build}/pipeline-cache}
cd "${VULKANITE_BUILD:-$root/build}"
ctest --output-on-failure --parallel "$(nproc)" --timeout 600
