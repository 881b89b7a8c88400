#pragma once
// The comparison with OM's own peakfinder8: scripts/validation/peakfinder8_vs_om.py runs OM's
// extension on real and synthetic frames and exports, per frame, the inputs and OM's peak list
// into a directory named by $VULKANITE_OM_PEAKS; the reference and the GPU tests compare their
// lists with OM's, every field as float bits, and write comparison-<name>.json beside them.
#include "reference/peakfinder8.hpp"

#include <filesystem>
#include <functional>
#include <optional>
#include <vector>

namespace vulkanite::tests {

inline constexpr const char* kOmPeaksMissing =
    "VULKANITE_OM_PEAKS not set: run scripts/validation/peakfinder8_vs_om.py, which exports OM's peak lists and "
    "runs this test on them";

// $VULKANITE_OM_PEAKS, when set.
std::optional<std::filesystem::path> om_peaks_directory();

struct OmCase {
  std::string name;
  reference::Peakfinder8Layout layout;
  reference::Peakfinder8Params params;
  std::vector<float> data, radius;
  std::vector<std::int8_t> bad_pixel_map;
  std::vector<std::int32_t> sample_pixels, sample_radius;  // fast mode only
  reference::RadialSample sample() const { return {sample_pixels, sample_radius}; }
};

// Runs `find` on every exported case, expects OM's list bit for bit (gtest failures name the
// first difference) and prints a summary line.
void compare_with_om(const std::filesystem::path& root, const std::string& name,
                     const std::function<std::vector<reference::Peak8>(const OmCase&)>& find);

}  // namespace vulkanite::tests
