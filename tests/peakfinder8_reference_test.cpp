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
#include "support/peakfinder8_om.hpp"

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

TEST(Peakfinder8OmComparison, PeakListsEqualOmsBitForBit) {
  const auto root = tests::om_peaks_directory();
  if (!root) GTEST_SKIP() << tests::kOmPeaksMissing;
  tests::compare_with_om(*root, "reference", [](const tests::OmCase& c) {
    return reference::peakfinder8(c.layout, c.data, c.radius, c.bad_pixel_map, c.params, c.sample()).peaks;
  });
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
