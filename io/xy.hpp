#pragma once
// 1-D integration results as pyFAI writes them (`save1D`): a header of `# ` comment lines, a
// column-name line, then one row per bin: radial, intensity and, when given, sigma.
#include <filesystem>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace vulkanite::io {

struct XyColumns {
  std::string radial_unit = "2th_deg";  // pyFAI's unit names: "2th_deg", "q_nm^-1", "r_mm"
  std::span<const double> radial;
  std::span<const double> intensity;
  std::span<const double> sigma;        // empty: no error column
};

// `header`: geometry and processing items in order, e.g. {"Distance Sample to Detector", "0.21143 m"},
// written as `# key: value` after the unit and npt lines. Throws std::invalid_argument when the
// columns differ in length, std::runtime_error naming the file when it cannot be written.
void write_xy(const std::filesystem::path& path, const XyColumns& columns,
              const std::vector<std::pair<std::string, std::string>>& header = {});

}  // namespace vulkanite::io
