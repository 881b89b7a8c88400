#include "io/detectors.hpp"

#include <cctype>
#include <stdexcept>

namespace vulkanite::io {
namespace {

DetectorSpec pilatus(const char* name, std::size_t modules_y, std::size_t modules_x) {
  constexpr std::size_t kRows = 195, kCols = 487, kGapRows = 17, kGapCols = 7;
  return {name,
          {modules_y * kRows + (modules_y - 1) * kGapRows, modules_x * kCols + (modules_x - 1) * kGapCols},
          172e-6, 172e-6, {kRows, kCols}, {kGapRows, kGapCols}};
}

DetectorSpec eiger(const char* name, std::size_t modules_y, std::size_t modules_x) {
  constexpr std::size_t kRows = 514, kCols = 1030, kGapRows = 37, kGapCols = 10;
  return {name,
          {modules_y * kRows + (modules_y - 1) * kGapRows, modules_x * kCols + (modules_x - 1) * kGapCols},
          75e-6, 75e-6, {kRows, kCols}, {kGapRows, kGapCols}};
}

std::string normalise(const std::string& s) {
  std::string out;
  for (unsigned char c : s)
    if (!std::isspace(c) && c != '_' && c != '-') out += static_cast<char>(std::tolower(c));
  return out;
}

}  // namespace

const std::vector<DetectorSpec>& builtin_detectors() {
  // Same shapes as pyFAI's MAX_SHAPE: Pilatus1M (1043, 981), Pilatus6M (2527, 2463), Eiger16M (4371, 4150).
  static const std::vector<DetectorSpec> detectors = {
      pilatus("Pilatus100k", 1, 1), pilatus("Pilatus300k", 3, 1), pilatus("Pilatus1M", 5, 2),
      pilatus("Pilatus2M", 8, 3),   pilatus("Pilatus6M", 12, 5),  eiger("Eiger1M", 2, 1),
      eiger("Eiger4M", 4, 2),       eiger("Eiger9M", 6, 3),       eiger("Eiger16M", 8, 4),
  };
  return detectors;
}

DetectorSpec detector_by_name(const std::string& name) {
  const std::string wanted = normalise(name);
  std::string known;
  for (const auto& d : builtin_detectors()) {
    if (normalise(d.name) == wanted) return d;
    known += (known.empty() ? "" : ", ") + d.name;
  }
  throw std::invalid_argument("unknown detector '" + name + "' (known: " + known + ")");
}

std::vector<std::uint8_t> module_gap_mask(const DetectorSpec& spec) {
  const auto [rows, cols] = spec.shape;
  std::vector<std::uint8_t> mask(rows * cols, 0);
  const std::size_t pitch_y = spec.module_shape[0] + spec.module_gap[0];
  const std::size_t pitch_x = spec.module_shape[1] + spec.module_gap[1];
  for (std::size_t y = 0; y < rows; ++y) {
    const bool gap_row = y % pitch_y >= spec.module_shape[0];
    for (std::size_t x = 0; x < cols; ++x)
      mask[y * cols + x] = gap_row || x % pitch_x >= spec.module_shape[1] ? 1 : 0;
  }
  return mask;
}

}  // namespace vulkanite::io
