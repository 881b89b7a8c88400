#pragma once
// Bit-for-bit comparison of two peakfinder8 (original flavour) results, shared by the tests that
// hold the GPU to its reference: "" when equal, else the first difference, readable in a failure.
#include "reference/peakfinder8.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <cstring>
#include <sstream>
#include <string>
#include <vector>

namespace vulkanite::tests {

// Every field of every peak, floats compared as bits (memcmp: -0 differs from 0, NaN equals itself).
inline std::string first_difference(const reference::Peakfinder8Result& gpu, const reference::Peakfinder8Result& cpu) {
  std::ostringstream out;
  if (gpu.found != cpu.found) out << "found " << gpu.found << " vs " << cpu.found;
  if (gpu.peaks.size() != cpu.peaks.size()) {
    out << " peaks " << gpu.peaks.size() << " vs " << cpu.peaks.size();
    return out.str();
  }
  for (std::size_t k = 0; k < gpu.peaks.size() && out.str().empty(); ++k) {
    const auto& a = gpu.peaks[k];
    const auto& b = cpu.peaks[k];
    const float fa[] = {a.fs, a.ss, a.total_intensity, a.max_intensity, a.snr, a.background, a.sigma};
    const float fb[] = {b.fs, b.ss, b.total_intensity, b.max_intensity, b.snr, b.background, b.sigma};
    if (std::memcmp(fa, fb, sizeof(fa)) != 0 || a.pixel_count != b.pixel_count || a.com_index != b.com_index)
      out << "peak " << k << ": (" << a.fs << ", " << a.ss << ") total " << a.total_intensity << " n " << a.pixel_count
          << " vs (" << b.fs << ", " << b.ss << ") total " << b.total_intensity << " n " << b.pixel_count;
  }
  return out.str();
}

inline std::string first_difference(const reference::RadialStats& gpu, const reference::RadialStats& cpu) {
  const auto same = [](const std::vector<float>& a, const std::vector<float>& b) {
    return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
  };
  if (!same(gpu.offset, cpu.offset)) return "offset";
  if (!same(gpu.sigma, cpu.sigma)) return "sigma";
  if (!same(gpu.threshold, cpu.threshold)) return "threshold";
  if (!same(gpu.lower_threshold, cpu.lower_threshold)) return "lower threshold";
  if (gpu.count != cpu.count) return "count";
  return "";
}

// The peaks `vulkanite find-peaks --json` printed for one frame (cheetah flavour) against the
// reference's: the same count, and fs, ss, total and maximum intensity, SNR (as bits) and pixel
// count of every peak.
inline std::string first_difference(const nlohmann::json& printed, const reference::Peakfinder8Result& expected) {
  if (printed.size() != expected.peaks.size())
    return "peaks " + std::to_string(printed.size()) + " vs " + std::to_string(expected.peaks.size());
  for (std::size_t k = 0; k < expected.peaks.size(); ++k) {
    const auto& e = expected.peaks[k];
    const auto& g = printed[k];
    const float got[] = {g["fs"].get<float>(), g["ss"].get<float>(), g["total_intensity"].get<float>(),
                         g["max_intensity"].get<float>(), g["snr"].get<float>()};
    const float want[] = {e.fs, e.ss, e.total_intensity, e.max_intensity, e.snr};
    if (std::memcmp(got, want, sizeof(got)) != 0 || g["pixel_count"].get<std::int32_t>() != e.pixel_count)
      return "peak " + std::to_string(k) + ": " + g.dump() + " vs (" + std::to_string(e.fs) + ", " +
             std::to_string(e.ss) + ") total " + std::to_string(e.total_intensity) + " n " +
             std::to_string(e.pixel_count);
  }
  return "";
}

}  // namespace vulkanite::tests
