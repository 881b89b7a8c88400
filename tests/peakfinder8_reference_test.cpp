// The peakfinder8 reference (OM's "original flavour"): each oddity of OM's peakfinder8 that the
// reference keeps on purpose, on small frames whose peaks are worked out by hand, and the
// comparison with OM itself: scripts/validation/peakfinder8_vs_om.py runs OM's extension on real
// and synthetic frames and exports inputs and OM's peak lists to $VULKANITE_OM_PEAKS, which
// Peakfinder8OmComparison reads and compares bit for bit (skipped when the variable is unset).
#include "reference/peakfinder8.hpp"

#include "io/frame_source.hpp"
#include "io/npy.hpp"
#include "support/data.hpp"
#include "support/peakfinder8_frames.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <limits>
#include <sstream>

namespace vulkanite {
namespace {

namespace fs = std::filesystem;
using reference::Peak8;
using reference::Peakfinder8Layout;
using reference::Peakfinder8Params;
using ::testing::HasSubstr;

using TestFrame = tests::Peakfinder8TestFrame;
constexpr auto small_params = tests::small_peakfinder8_params;

TEST(Peakfinder8Reference, EdgePixelsNeverStartAPeak) {
  TestFrame frame({.asic_nx = 16, .asic_ny = 16});
  frame.bright(0, 8);  // on the ASIC's border: can only join a region, never start one
  frame.bright(8, 8);
  auto result = frame.find(small_params());
  ASSERT_EQ(result.peaks.size(), 1u);
  EXPECT_EQ(result.peaks[0].fs, 8.0f);
  EXPECT_EQ(result.peaks[0].ss, 8.0f);
  EXPECT_EQ(result.peaks[0].pixel_count, 1);
  EXPECT_EQ(result.peaks[0].com_index, 8 + 8 * 16);

  frame.bright(1, 8);  // one pixel further in, and (0, 8) joins it as a neighbour
  result = frame.find(small_params());
  ASSERT_EQ(result.peaks.size(), 2u);
  EXPECT_EQ(result.peaks[0].pixel_count, 2);
  EXPECT_EQ(result.peaks[0].fs, 0.5f);
}

TEST(Peakfinder8Reference, FirstRegionVisitsTheZeroedTrailAndTakesTheCorner) {
  // The growth visits one trail entry past the region; before any region has written there it
  // is (0, 0), so a bright corner pixel joins the first region of the frame from afar.
  TestFrame frame({.asic_nx = 16, .asic_ny = 16});
  frame.bright(0, 0);
  frame.bright(8, 8);
  const auto result = frame.find(small_params());
  ASSERT_EQ(result.peaks.size(), 1u);
  EXPECT_EQ(result.peaks[0].pixel_count, 2);
  EXPECT_EQ(result.peaks[0].fs, 4.0f);
  EXPECT_EQ(result.peaks[0].ss, 4.0f);
}

TEST(Peakfinder8Reference, StaleTrailEntryOfAnotherAsicJoinsADisconnectedPixel) {
  // ASIC 0 grows a region of (5, 5) and (6, 5): trail entry 1 is (6, 5). In ASIC 1 the region
  // of A = local (3, 3) visits that stale entry, now read as local (6, 5) of ASIC 1, whose
  // neighbour B = (7, 6) joins A's region though it touches neither A nor anything of A's.
  TestFrame frame({.asic_nx = 16, .asic_ny = 16, .nasics_x = 2});
  frame.bright(5, 5);
  frame.bright(6, 5);
  frame.bright(16 + 3, 3);
  frame.bright(16 + 7, 6);
  const auto result = frame.find(small_params());
  ASSERT_EQ(result.peaks.size(), 2u);
  EXPECT_EQ(result.peaks[0].pixel_count, 2);
  EXPECT_EQ(result.peaks[0].fs, 5.5f);
  EXPECT_EQ(result.peaks[0].ss, 5.0f);
  EXPECT_EQ(result.peaks[1].pixel_count, 2);
  EXPECT_EQ(result.peaks[1].fs, 21.0f);
  EXPECT_EQ(result.peaks[1].ss, 4.5f);
  EXPECT_EQ(result.peaks[1].com_index, 21 + 4 * 32);  // rint(4.5) is 4: halves go to even
}

TEST(Peakfinder8Reference, MaxNumPeaksKeepsTheFirstInScanOrder) {
  TestFrame frame({.asic_nx = 16, .asic_ny = 16});
  for (const auto& [fs, ss] : {std::pair{10, 4}, {4, 4}, {4, 10}, {10, 10}}) frame.bright(fs, ss);
  auto params = small_params();
  params.max_num_peaks = 2;
  const auto result = frame.find(params);
  EXPECT_EQ(result.found, 4);
  ASSERT_EQ(result.peaks.size(), 2u);
  EXPECT_EQ(result.peaks[0].fs, 4.0f);
  EXPECT_EQ(result.peaks[0].ss, 4.0f);
  EXPECT_EQ(result.peaks[1].fs, 10.0f);
  EXPECT_EQ(result.peaks[1].ss, 4.0f);
  // A one-pixel peak: total and maximum are 100 - background, the SNR is total / sigma, and the
  // background of 9s, 10s and 11s lies between them.
  const Peak8& peak = result.peaks[0];
  EXPECT_EQ(peak.total_intensity, 100.0f - peak.background);
  EXPECT_EQ(peak.max_intensity, peak.total_intensity);
  EXPECT_EQ(peak.snr, peak.total_intensity / peak.sigma);
  EXPECT_GT(peak.background, 9.0f);
  EXPECT_LT(peak.background, 11.0f);
}

TEST(Peakfinder8Reference, RingOfEqualValuesAlternatesBetweenEmptyAndFull) {
  // Pass 1: mean 5, sigma 0, so the thresholds are (5, 5) and pass 2 keeps nothing (5 > 5 is
  // false); an empty ring gets (FLT_MIN, FLT_MAX), so pass 3 keeps every positive value again.
  // After OM's 5 passes a ring of fives is full; a ring of zeros stays empty from pass 2 on,
  // with threshold FLT_MAX: nothing there can ever be a peak.
  const std::vector<float> radius(16, 0.0f);
  const std::vector<std::int8_t> mask(16, 1);
  const auto fives = reference::radial_statistics(std::vector<float>(16, 5.0f), radius, mask, 6.0f, 0.0f);
  EXPECT_EQ(fives.count[0], 16);
  EXPECT_EQ(fives.offset[0], 5.0f);
  EXPECT_EQ(fives.sigma[0], 0.0f);
  EXPECT_EQ(fives.threshold[0], 5.0f);
  const auto with_adc = reference::radial_statistics(std::vector<float>(16, 5.0f), radius, mask, 6.0f, 7.0f);
  EXPECT_EQ(with_adc.threshold[0], 7.0f);
  EXPECT_EQ(with_adc.lower_threshold[0], 5.0f);  // the ADC floor applies to the upper one only
  const auto zeros = reference::radial_statistics(std::vector<float>(16, 0.0f), radius, mask, 6.0f, 0.0f);
  EXPECT_EQ(zeros.count[0], 0);
  EXPECT_EQ(zeros.threshold[0], std::numeric_limits<float>::max());
  EXPECT_EQ(zeros.lower_threshold[0], std::numeric_limits<float>::min());
}

TEST(Peakfinder8Reference, NegativeVarianceIsKeptAsSigma) {
  // 256 x 0.1f summed in float: sum of squares / n - mean^2 = -5.6e-8. OM takes the square root
  // only of a non-negative variance and otherwise keeps the variance itself as sigma, so the
  // upper threshold falls below the mean (and the lower above it: the next pass is empty).
  const auto stats = reference::radial_statistics(std::vector<float>(256, 0.1f), std::vector<float>(256, 0.0f),
                                                  std::vector<std::int8_t>(256, 1), 6.0f, 0.0f);
  EXPECT_LT(stats.sigma[0], 0.0f);
  EXPECT_GT(stats.sigma[0], -1e-7f);
  EXPECT_LT(stats.threshold[0], stats.offset[0]);
  EXPECT_EQ(stats.count[0], 256);  // pass 5 saw the whole ring again, as passes 1 and 3 did

  // With three bright pixels the ring is negative in passes 2 and 5: every pixel is above its
  // threshold, the frame is one region of 256 pixels, no background pixel is left around it,
  // and its background is the ring's mean with sigma 0.01.
  TestFrame frame({.asic_nx = 16, .asic_ny = 16});
  std::fill(frame.data.begin(), frame.data.end(), 0.1f);
  for (const auto& [fs, ss] : {std::pair{8, 8}, {3, 3}, {5, 12}}) frame.bright(fs, ss);
  const auto result = frame.find(small_params());
  ASSERT_EQ(result.peaks.size(), 1u);
  EXPECT_EQ(result.peaks[0].pixel_count, 256);
  EXPECT_EQ(result.peaks[0].sigma, 0.01f);
  EXPECT_LT(result.peaks[0].background, 0.1000003f);
  EXPECT_GT(result.peaks[0].background, 0.1f);
}

TEST(Peakfinder8Reference, RingsAreRoundedRadiiAndCountFromTheLargestRadius) {
  EXPECT_EQ(reference::radial_bin_count(std::vector<float>{0.0f, 2.5f, 1.0f}), 4);  // ceil(2.5) + 1
  // Halves round to even: 0.5 and 1.5 fall into rings 0 and 2.
  const std::vector<float> radius{0.5f, 1.5f, 2.5f, 3.0f};
  const std::vector<float> data{1.0f, 2.0f, 3.0f, 4.0f};
  const auto stats = reference::radial_statistics(data, radius, std::vector<std::int8_t>(4, 1), 6.0f, 0.0f);
  ASSERT_EQ(stats.count.size(), 4u);
  EXPECT_EQ(stats.offset[0], 1.0f);
  EXPECT_EQ(stats.offset[1], 0.0f);
  // Rings 0 and 3 hold one pixel each: pass 1 keeps it (sigma 0), pass 2 does not, ... pass 5
  // does. Ring 1 is empty; 2 (radius 1.5) and 3 (radius 2.5) share ring 2.
  EXPECT_EQ(stats.offset[2], 2.5f);
  EXPECT_EQ(stats.sigma[2], 0.5f);
  EXPECT_EQ(stats.offset[3], 4.0f);
}

TEST(Peakfinder8Reference, MaskFollowsOmsPythonLayer) {
  const std::vector<float> radius{10.0f, 49.9f, 50.0f, 2000.0f, 2000.5f};
  const std::vector<std::int8_t> bad{1, 1, 1, 1, 1};
  EXPECT_EQ(reference::peakfinder8_mask(radius, bad, 50, 2000), (std::vector<std::int8_t>{0, 0, 1, 1, 0}));
  const std::vector<std::int8_t> some_bad{1, -3, 0, 7, 1};  // any nonzero int8 is good
  EXPECT_EQ(reference::peakfinder8_mask(radius, some_bad, 0, 3000), (std::vector<std::int8_t>{1, -3, 0, 7, 1}));
}

TEST(Peakfinder8Reference, BackgroundDiskTestIsTheIntegerOneForRadiiUpTo1024) {
  // OM tests float(sqrt(double(d2))) > 2R; the reference tests d2 > 4R^2. Both are monotonic in
  // d2, so they agree everywhere when they agree next to 4R^2.
  for (std::int64_t width = 0; width <= 2048; width += 2)
    for (std::int64_t d2 = std::max<std::int64_t>(0, width * width - 3); d2 <= width * width + 3; ++d2) {
      const bool om = static_cast<float>(std::sqrt(static_cast<double>(d2))) > static_cast<float>(width);
      ASSERT_EQ(om, d2 > width * width) << "2R = " << width << ", d2 = " << d2;
    }
}

TEST(Peakfinder8Reference, RejectsInputsOmWouldReadOutOfBoundsWith) {
  TestFrame frame({.asic_nx = 8, .asic_ny = 8});
  auto params = small_params();
  EXPECT_THAT([&] { reference::peakfinder8(frame.layout, std::span(frame.data).first(10), frame.radius, frame.mask, params); },
              ::testing::ThrowsMessage<std::invalid_argument>(HasSubstr("must each hold 64 pixels")));
  frame.radius[5] = -0.6f;
  EXPECT_THAT([&] { frame.find(params); },
              ::testing::ThrowsMessage<std::invalid_argument>(HasSubstr("rounds below 0")));
  frame.radius[5] = -0.5f;  // rounds to -0, ring 0
  EXPECT_NO_THROW(frame.find(params));
  frame.data[9] = std::numeric_limits<float>::infinity();
  EXPECT_THAT([&] { frame.find(params); },
              ::testing::ThrowsMessage<std::invalid_argument>(HasSubstr("infinite value at unmasked pixel 9")));
  frame.mask[9] = 0;
  EXPECT_NO_THROW(frame.find(params));
  params.local_bg_radius = 1025;
  EXPECT_THAT([&] { frame.find(params); },
              ::testing::ThrowsMessage<std::invalid_argument>(HasSubstr("local_bg_radius")));
}

// ---- Comparison with OM's own extension (inputs and results exported by the script) ----

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

struct CaseComparison {
  std::string name;
  std::size_t om_peaks = 0, our_peaks = 0, identical_peaks = 0;
  std::int64_t max_ulp = 0;
  std::string first_difference;
};

CaseComparison compare_case(const fs::path& dir) {
  const auto meta = nlohmann::json::parse(std::ifstream(dir / "case.json"));
  CaseComparison c{.name = dir.filename().string()};
  const auto& l = meta.at("layout");
  const auto integer = [](const nlohmann::json& j, const char* key) { return j.at(key).get<std::int32_t>(); };
  const Peakfinder8Layout layout{integer(l, "asic_nx"), integer(l, "asic_ny"), integer(l, "nasics_x"),
                                 integer(l, "nasics_y")};
  const auto& p = meta.at("params");
  // Floats as OM's Cython signature takes them: the JSON double rounded to float.
  const Peakfinder8Params params{.max_num_peaks = integer(p, "max_num_peaks"),
                                 .adc_threshold = p.at("adc_threshold").get<float>(),
                                 .minimum_snr = p.at("minimum_snr").get<float>(),
                                 .min_pixel_count = integer(p, "min_pixel_count"),
                                 .max_pixel_count = integer(p, "max_pixel_count"),
                                 .local_bg_radius = integer(p, "local_bg_radius"),
                                 .min_res = integer(p, "min_res"),
                                 .max_res = integer(p, "max_res")};
  const auto data = read_npy<float>(dir / "data.npy");
  const auto radius = read_npy<float>(dir / "radius.npy");
  const auto bad_pixel_map = read_npy<std::int8_t>(dir / "bad_pixel_map.npy");
  std::vector<std::int32_t> sample_pixels, sample_radius;
  if (meta.value("fast_mode", false)) {
    sample_pixels = read_npy<std::int32_t>(dir / "sample_pixel_index.npy");
    sample_radius = read_npy<std::int32_t>(dir / "sample_radius.npy");
  }
  const auto ours =
      reference::peakfinder8(layout, data, radius, bad_pixel_map, params, {sample_pixels, sample_radius}).peaks;

  c.om_peaks = meta.at("om_num_peaks").get<std::size_t>();
  c.our_peaks = ours.size();
  // OM's tuple per peak: fs, ss, total intensity, com index, pixel count, max, sigma, snr.
  const auto om = c.om_peaks > 0 ? read_npy<double>(dir / "om_peaks.npy") : std::vector<double>{};
  for (std::size_t k = 0; k < std::min(c.om_peaks, c.our_peaks); ++k) {
    const Peak8& q = ours[k];
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

TEST(Peakfinder8OmComparison, PeakListsEqualOmsBitForBit) {
  const char* root_env = std::getenv("VULKANITE_OM_PEAKS");
  if (!root_env || !*root_env)
    GTEST_SKIP() << "VULKANITE_OM_PEAKS not set: run scripts/validation/peakfinder8_vs_om.py, which exports "
                    "OM's peak lists and runs this test on them";
  const fs::path root(root_env);
  std::vector<fs::path> cases;
  for (const auto& entry : fs::directory_iterator(root))
    if (entry.is_directory() && fs::exists(entry.path() / "case.json")) cases.push_back(entry.path());
  std::sort(cases.begin(), cases.end());
  ASSERT_FALSE(cases.empty()) << "no case directories under " << root;

  nlohmann::json report = nlohmann::json::array();
  std::size_t om_total = 0, identical_total = 0, frames_identical = 0;
  std::int64_t max_ulp = 0;
  for (const auto& dir : cases) {
    const auto c = compare_case(dir);
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
  std::ofstream(root / "comparison.json") << report.dump(1) << "\n";
  std::cout << "peakfinder8 vs OM: " << cases.size() << " frames (" << frames_identical << " identical), "
            << om_total << " OM peaks, " << identical_total << " identical to the last bit, max " << max_ulp
            << " ULP\n";
}

// The CSPAD frames are packed CBFs that the script's Python readers cannot decode; this writes
// them as .npy (64 x 185 x 194 int32, dxtbx's panel order) through our reader, for the script.
TEST(Peakfinder8OmComparison, ExportsCspadFramesForTheScript) {
  const char* out_env = std::getenv("VULKANITE_PF8_EXPORT");
  if (!out_env || !*out_env) GTEST_SKIP() << "VULKANITE_PF8_EXPORT not set (used by peakfinder8_vs_om.py)";
  for (const char* name : {"idx-20130301060858401", "idx-20130301060858601"}) {
    const auto file = tests::shared_data(std::string("cspad/") + name + ".cbf");
    if (!file) GTEST_SKIP() << tests::missing_data_message(std::string("cspad/") + name + ".cbf");
    const auto frame = io::open_frames(*file)->read(0);
    ASSERT_EQ(frame.shape, (std::vector<std::size_t>{64, 185, 194}));
    io::write_npy(fs::path(out_env) / (std::string(name) + ".npy"), frame);
  }
}

}  // namespace
}  // namespace vulkanite
