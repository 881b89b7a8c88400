#!/usr/bin/env bash
# The README's main job: installs what is missing, builds, lists the Vulkan devices and runs the
# self-check (GPU kernels against the CPU reference, bit for bit) on built-in data.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bash "$root/scripts/install-deps.sh"
bash "$root/scripts/build.sh"
build=${VULKANITE_BUILD:-$root/build}
"$build/vulkanite" devices
"$build/vulkanite" self-check
