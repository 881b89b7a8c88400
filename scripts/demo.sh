#!/usr/bin/env bash
# The README's main job: installs what is missing, builds, lists the Vulkan devices, runs the
# self-check (GPU kernels against the CPU reference, bit for bit), then finds the Bragg peaks of
# 20 synthetic Pilatus 1M frames with known spots with both peakfinder8 flavours and prints
# recall and precision (docs/find_peaks_cli.md). All on built-in data.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bash "$root/scripts/install-deps.sh"
bash "$root/scripts/build.sh"
build=${VULKANITE_BUILD:-$root/build}
"$build/vulkanite" devices
"$build/vulkanite" self-check
# The original peakfinder8 (Cheetah/OM) with OM's example Pilatus settings, then pyFAI's with
# the azimuthal error model (pyFAI's default Poisson cut is loose on low-count backgrounds).
"$build/vulkanite" find-peaks --synthetic 20 --progress
"$build/vulkanite" find-peaks --synthetic 20 --progress --flavour pyfai --error-model azimuthal --cutoff-pick 4 --connected 3
