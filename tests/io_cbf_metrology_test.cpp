// CBF metrology: the CSPAD frame's 64 ASIC panels placed from the imgCIF axis tables, against
// the geometry dxtbx reads from the same file (shared data, JSON written by dxtbx), and the
// messages for files that carry no metrology.
#include "io/cbf_metrology.hpp"
#include "io/frame.hpp"
#include "io/frame_source.hpp"
#include "support/data.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <string>

namespace vulkanite {
namespace {

namespace fs = std::filesystem;

constexpr const char* kCbf = "cspad/idx-20130301060858401.cbf";
constexpr const char* kJson = "cspad/thermolysin_cspad_idx-20130301060858401_dxtbx_geometry.json";

std::array<double, 3> vec3(const nlohmann::json& j) { return {j.at(0).get<double>(), j.at(1).get<double>(), j.at(2).get<double>()}; }

double max_abs_diff(const std::array<double, 3>& a, const std::array<double, 3>& b) {
  return std::max({std::abs(a[0] - b[0]), std::abs(a[1] - b[1]), std::abs(a[2] - b[2])});
}

std::string error_of(const fs::path& path) {
  try {
    io::read_cbf_metrology(path);
  } catch (const io::FormatError& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(CbfMetrology, CspadPanelsAgreeWithDxtbx) {
  const auto cbf = tests::shared_data(kCbf);
  const auto json_path = tests::shared_data(kJson);
  if (!cbf) GTEST_SKIP() << tests::missing_data_message(kCbf);
  if (!json_path) GTEST_SKIP() << tests::missing_data_message(kJson);
  std::ifstream in(*json_path);
  const auto dxtbx = nlohmann::json::parse(in).at("panels");

  const auto panels = io::read_cbf_metrology(*cbf);
  ASSERT_EQ(panels.size(), 64u);
  ASSERT_EQ(dxtbx.size(), 64u);
  double worst_origin = 0, worst_axis = 0, worst_corner = 0;
  for (std::size_t p = 0; p < panels.size(); ++p) {
    const auto& panel = panels[p];
    const auto& expected = dxtbx.at(p);
    SCOPED_TRACE(panel.name);
    EXPECT_EQ(panel.name, expected.at("name").get<std::string>());
    EXPECT_EQ(panel.size_fast, expected.at("image_size_fast_slow").at(0).get<std::size_t>());
    EXPECT_EQ(panel.size_slow, expected.at("image_size_fast_slow").at(1).get<std::size_t>());
    EXPECT_DOUBLE_EQ(panel.pixel_size_fast_mm, expected.at("pixel_size_mm").at(0).get<double>());
    EXPECT_DOUBLE_EQ(panel.pixel_size_slow_mm, expected.at("pixel_size_mm").at(1).get<double>());
    const auto origin = vec3(expected.at("origin_mm"));
    const auto fast = vec3(expected.at("fast_axis"));
    const auto slow = vec3(expected.at("slow_axis"));
    EXPECT_LT(max_abs_diff(panel.origin_mm, origin), 1e-3);
    EXPECT_LT(max_abs_diff(panel.fast_axis, fast), 1e-6);
    EXPECT_LT(max_abs_diff(panel.slow_axis, slow), 1e-6);
    worst_origin = std::max(worst_origin, max_abs_diff(panel.origin_mm, origin));
    worst_axis = std::max({worst_axis, max_abs_diff(panel.fast_axis, fast), max_abs_diff(panel.slow_axis, slow)});

    // The helper's pixel coordinates: (0, 0) is the panel's origin corner, the centre of the
    // last pixel is (n - 0.5), as dxtbx's get_pixel_lab_coord((i + 0.5, j + 0.5) * pixel size).
    EXPECT_EQ(io::panel_lab_mm(panel, 0, 0), panel.origin_mm);
    const double px = expected.at("pixel_size_mm").at(0).get<double>();
    const double i = static_cast<double>(panel.size_fast) - 0.5, j = static_cast<double>(panel.size_slow) - 0.5;
    std::array<double, 3> last{};
    for (int k = 0; k < 3; ++k) last[k] = origin[k] + i * px * fast[k] + j * px * slow[k];
    EXPECT_LT(max_abs_diff(io::panel_lab_mm(panel, i, j), last), 1e-3);
    worst_corner = std::max(worst_corner, max_abs_diff(io::panel_lab_mm(panel, i, j), last));
  }
  RecordProperty("max_origin_deviation_mm", std::to_string(worst_origin));
  RecordProperty("max_axis_deviation", std::to_string(worst_axis));
  std::printf("max deviation from dxtbx: origin %.3g mm, axes %.3g, last pixel centre %.3g mm\n", worst_origin,
              worst_axis, worst_corner);
}

TEST(CbfMetrology, PanelsMatchTheFrameTheReaderReturns) {
  const auto cbf = tests::shared_data(kCbf);
  if (!cbf) GTEST_SKIP() << tests::missing_data_message(kCbf);
  const auto panels = io::read_cbf_metrology(*cbf);
  const auto frame = io::open_cbf(*cbf)->read(0);
  ASSERT_EQ(frame.shape.size(), 3u);
  ASSERT_EQ(panels.size(), frame.shape[0]);
  for (const auto& panel : panels) {
    EXPECT_EQ(panel.size_slow, frame.shape[1]);
    EXPECT_EQ(panel.size_fast, frame.shape[2]);
  }
}

TEST(CbfMetrology, MiniCbfHasNoPanelsAndAMissingFileIsNamed) {
  const auto mini = fs::path(VULKANITE_SOURCE_DIR) / "tests/data/broken/cbf/valid.cbf";
  EXPECT_EQ(error_of(mini), "(no error)");
  EXPECT_TRUE(io::read_cbf_metrology(mini).empty());
  const auto missing = fs::path(VULKANITE_SOURCE_DIR) / "tests/data/broken/cbf/does_not_exist.cbf";
  EXPECT_EQ(error_of(missing), missing.string() + ": cannot open (No such file or directory)");
}

}  // namespace
}  // namespace vulkanite
