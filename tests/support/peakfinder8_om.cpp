#include "support/peakfinder8_om.hpp"

#include "io/frame_source.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <bit>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <limits>
#include <sstream>

namespace vulkanite::tests {
namespace {

namespace fs = std::filesystem;

template <class T>
std::vector<T> read_npy(const fs::path& path) {
  const auto frame = io::open_npy(path)->read(0);
  const auto values = frame.values<T>();
  return {values.begin(), values.end()};
}

// Distance in units in the last place between two floats (0 for equal bits; NaNs compare by bits).
std::int64_t ulp_distance(float a, float b) {
  const auto ordered = [](float x) {
    const auto bits = std::bit_cast<std::int32_t>(x);
    return bits < 0 ? std::int64_t{std::numeric_limits<std::int32_t>::min()} - bits : std::int64_t{bits};
  };
  return std::llabs(ordered(a) - ordered(b));
}

OmCase read_case(const fs::path& dir) {
  const auto meta = nlohmann::json::parse(std::ifstream(dir / "case.json"));
  OmCase c;
  c.name = dir.filename().string();
  const auto integer = [](const nlohmann::json& j, const char* key) { return j.at(key).get<std::int32_t>(); };
  const auto& l = meta.at("layout");
  c.layout = {integer(l, "asic_nx"), integer(l, "asic_ny"), integer(l, "nasics_x"), integer(l, "nasics_y")};
  const auto& p = meta.at("params");
  // Floats as OM's Cython signature takes them: the JSON double rounded to float.
  c.params = {.max_num_peaks = integer(p, "max_num_peaks"),
              .adc_threshold = p.at("adc_threshold").get<float>(),
              .minimum_snr = p.at("minimum_snr").get<float>(),
              .min_pixel_count = integer(p, "min_pixel_count"),
              .max_pixel_count = integer(p, "max_pixel_count"),
              .local_bg_radius = integer(p, "local_bg_radius"),
              .min_res = integer(p, "min_res"),
              .max_res = integer(p, "max_res")};
  c.data = read_npy<float>(dir / "data.npy");
  c.radius = read_npy<float>(dir / "radius.npy");
  c.bad_pixel_map = read_npy<std::int8_t>(dir / "bad_pixel_map.npy");
  if (meta.value("fast_mode", false)) {
    c.sample_pixels = read_npy<std::int32_t>(dir / "sample_pixel_index.npy");
    c.sample_radius = read_npy<std::int32_t>(dir / "sample_radius.npy");
  }
  return c;
}

struct CaseComparison {
  std::string name;
  std::size_t om_peaks = 0, our_peaks = 0, identical_peaks = 0;
  std::int64_t max_ulp = 0;
  std::string first_difference;
};

CaseComparison compare_case(const fs::path& dir, const std::vector<reference::Peak8>& ours) {
  const auto meta = nlohmann::json::parse(std::ifstream(dir / "case.json"));
  CaseComparison c{.name = dir.filename().string()};
  c.om_peaks = meta.at("om_num_peaks").get<std::size_t>();
  c.our_peaks = ours.size();
  // OM's tuple per peak: fs, ss, total intensity, com index, pixel count, max, sigma, snr.
  const auto om = c.om_peaks > 0 ? read_npy<double>(dir / "om_peaks.npy") : std::vector<double>{};
  for (std::size_t k = 0; k < std::min(c.om_peaks, c.our_peaks); ++k) {
    const reference::Peak8& q = ours[k];
    const double* o = &om[8 * k];
    const float mine[] = {q.fs, q.ss, q.total_intensity, static_cast<float>(q.com_index),
                          static_cast<float>(q.pixel_count), q.max_intensity, q.sigma, q.snr};
    const char* names[] = {"fs", "ss", "total_intensity", "com_index", "pixel_count", "max_intensity", "sigma", "snr"};
    bool same = q.com_index == static_cast<std::int32_t>(o[3]);
    for (int f = 0; f < 8; ++f) {
      const std::int64_t d = ulp_distance(mine[f], static_cast<float>(o[f]));
      c.max_ulp = std::max(c.max_ulp, d);
      if (d != 0) {
        same = false;
        if (c.first_difference.empty()) {
          std::ostringstream s;
          s.precision(9);
          s << "peak " << k << " " << names[f] << ": ours " << mine[f] << ", OM " << o[f] << " (" << d << " ULP)";
          c.first_difference = s.str();
        }
      }
    }
    c.identical_peaks += same ? 1 : 0;
  }
  if (c.om_peaks != c.our_peaks && c.first_difference.empty())
    c.first_difference = "OM " + std::to_string(c.om_peaks) + " peaks, ours " + std::to_string(c.our_peaks);
  return c;
}

}  // namespace

std::optional<fs::path> om_peaks_directory() {
  const char* root = std::getenv("VULKANITE_OM_PEAKS");
  if (!root || !*root) return std::nullopt;
  return fs::path(root);
}

void compare_with_om(const fs::path& root, const std::string& name,
                     const std::function<std::vector<reference::Peak8>(const OmCase&)>& find) {
  std::vector<fs::path> cases;
  for (const auto& entry : fs::directory_iterator(root))
    if (entry.is_directory() && fs::exists(entry.path() / "case.json")) cases.push_back(entry.path());
  std::sort(cases.begin(), cases.end());
  ASSERT_FALSE(cases.empty()) << "no case directories under " << root;

  nlohmann::json report = nlohmann::json::array();
  std::size_t om_total = 0, identical_total = 0, frames_identical = 0;
  std::int64_t max_ulp = 0;
  for (const auto& dir : cases) {
    const auto c = compare_case(dir, find(read_case(dir)));
    EXPECT_EQ(c.our_peaks, c.om_peaks) << c.name;
    EXPECT_EQ(c.identical_peaks, c.om_peaks) << c.name << ": " << c.first_difference;
    om_total += c.om_peaks;
    identical_total += c.identical_peaks;
    frames_identical += c.our_peaks == c.om_peaks && c.identical_peaks == c.om_peaks ? 1 : 0;
    max_ulp = std::max(max_ulp, c.max_ulp);
    report.push_back({{"case", c.name}, {"om_peaks", c.om_peaks}, {"our_peaks", c.our_peaks},
                      {"identical_peaks", c.identical_peaks}, {"max_ulp", c.max_ulp},
                      {"first_difference", c.first_difference}});
  }
  std::ofstream(root / ("comparison-" + name + ".json")) << report.dump(1) << "\n";
  std::cout << "peakfinder8 (" << name << ") vs OM: " << cases.size() << " frames (" << frames_identical
            << " identical), " << om_total << " OM peaks, " << identical_total << " identical to the last bit, max "
            << max_ulp << " ULP\n";
}

}  // namespace vulkanite::tests
