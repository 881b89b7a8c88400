#pragma once
// Built-in detectors with pyFAI's names, shapes, pixel sizes and module layouts
// (pyFAI/detectors/_dectris.py): Pilatus modules are 195 x 487 pixels with 17-row and 7-column
// gaps, Eiger modules 514 x 1030 with 37-row and 10-column gaps.
#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace vulkanite::io {

struct DetectorSpec {
  std::string name;                       // pyFAI's class name: "Pilatus6M", "Eiger16M"
  std::array<std::size_t, 2> shape{};     // {rows, columns}
  double pixel1_m = 0.0;                  // slow axis
  double pixel2_m = 0.0;                  // fast axis
  std::array<std::size_t, 2> module_shape{};  // {rows, columns} of one module
  std::array<std::size_t, 2> module_gap{};    // pixels between modules {rows, columns}
};

// Accepts pyFAI's names case-insensitively, with or without spaces/underscores
// ("Pilatus6M", "pilatus_6m", "Eiger 16M"); throws std::invalid_argument listing known names.
DetectorSpec detector_by_name(const std::string& name);
const std::vector<DetectorSpec>& builtin_detectors();

// 1 in the gaps between modules, 0 on sensitive pixels; rows x columns, row-major (pyFAI's calc_mask).
std::vector<std::uint8_t> module_gap_mask(const DetectorSpec& spec);

}  // namespace vulkanite::io
