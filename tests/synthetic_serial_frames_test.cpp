// The synthetic serial-crystallography frames (synthetic/serial_frames.hpp) and their random
// numbers: reproducible bits, spots where the truth says, Poisson statistics, detector gaps and
// defects, the geometry's conventions (radius map against pyFAI's PixelGeometry), and the exact
// messages for bad parameters. Small frames; one Pilatus 6M frame.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>

#include "io/detectors.hpp"
#include "io/pixel_geometry.hpp"
#include "io/poni_writer.hpp"
#include "reference/peakfinder8.hpp"
#include "synthetic/peak_scoring.hpp"
#include "synthetic/portable_random.hpp"
#include "synthetic/serial_frames.hpp"
#include "support/invalid_argument.hpp"

namespace vulkanite {
namespace {

using synthetic::SerialFrameParams;
using ::testing::HasSubstr;

// A plain detector with the defaults otherwise (background, spots, defects, noise).
SerialFrameParams plain(std::size_t rows, std::size_t columns) {
  SerialFrameParams p;
  p.detector.clear();
  p.rows = rows;
  p.columns = columns;
  return p;
}

// FNV-1a over bytes: a platform-independent checksum to pin the generator's output.
std::uint64_t fnv1a(const void* data, std::size_t size, std::uint64_t h = 0xcbf29ce484222325ull) {
  const auto* bytes = static_cast<const unsigned char*>(data);
  for (std::size_t i = 0; i < size; ++i) h = (h ^ bytes[i]) * 0x100000001b3ull;
  return h;
}

std::uint64_t checksum(const synthetic::SerialFrame& f) {
  std::uint64_t h = fnv1a(f.frame.data.data(), f.frame.data.size());
  for (const auto& s : f.spots) {
    const double values[] = {s.fs, s.ss, s.intensity, s.sigma_px};
    h = fnv1a(values, sizeof values, h);
  }
  return h;
}

std::vector<std::int32_t> pixels(const synthetic::SerialFrame& f) {
  const auto v = f.frame.values<std::int32_t>();
  return {v.begin(), v.end()};
}

TEST(SyntheticPortableRandomTest, ExpAndLogAreWithinTwoUlpOfTheCLibrary) {
  EXPECT_EQ(synthetic::portable_exp(0.0), 1.0);
  EXPECT_EQ(synthetic::portable_log(1.0), 0.0);
  EXPECT_EQ(synthetic::portable_exp(-800.0), 0.0);
  for (double x = -700.0; x < 700.0; x += 0.37137) {
    const double e = std::exp(x);
    EXPECT_LE(std::fabs(synthetic::portable_exp(x) - e), 2.0 * (std::nextafter(e, INFINITY) - e)) << x;
  }
  for (double x = 1e-300; x < 1e300; x *= 1.7313) {
    const double l = std::log(x);
    EXPECT_LE(std::fabs(synthetic::portable_log(x) - l), 2.0 * std::fabs(std::nextafter(l, INFINITY) - l)) << x;
  }
  // log(k!) against the sum of logs, across the table/Stirling switch.
  double sum = 0.0;
  for (std::uint64_t k = 1; k < 200; ++k) {
    sum += std::log(double(k));
    EXPECT_NEAR(synthetic::log_factorial(k), sum, 1e-13 * std::max(1.0, sum)) << k;
  }
}

TEST(SyntheticPortableRandomTest, PoissonMeanAndVarianceOnBothSidesOfTheSwitch) {
  constexpr int kDraws = 200000;
  for (const double lambda : {0.05, 0.5, 3.0, 9.99, 10.0, 27.5, 1000.0, 2.5e6}) {
    auto rng = synthetic::Rng::stream(5, {static_cast<std::uint64_t>(lambda * 100)});
    double sum = 0.0, sum2 = 0.0;
    for (int i = 0; i < kDraws; ++i) {
      const double k = double(synthetic::poisson(rng, lambda));
      sum += k;
      sum2 += k * k;
    }
    const double mean = sum / kDraws, variance = sum2 / kDraws - mean * mean;
    // Standard errors: sqrt(lambda / n) for the mean, sqrt((lambda + 2 lambda^2) / n) for the variance.
    EXPECT_NEAR(mean, lambda, 5.0 * std::sqrt(lambda / kDraws)) << lambda;
    EXPECT_NEAR(variance, lambda, 5.0 * std::sqrt((lambda + 2.0 * lambda * lambda) / kDraws)) << lambda;
  }
  auto rng = synthetic::Rng(1);
  EXPECT_EQ(synthetic::poisson(rng, 0.0), 0);
  EXPECT_THROW(synthetic::poisson(rng, -1.0), std::invalid_argument);
}

TEST(SyntheticSerialFramesTest, SameSeedGivesTheSameBytesAndAPinnedChecksum) {
  auto p = plain(48, 64);
  p.spots.count = 6;
  p.bad_pixels.dead_fraction = 0.01;
  p.bad_pixels.hot_fraction = 0.005;
  const auto a = synthetic::make_serial_frame(p, 3), b = synthetic::make_serial_frame(p, 3);
  EXPECT_EQ(a.frame.data, b.frame.data);
  EXPECT_EQ(checksum(a), checksum(b));
  EXPECT_NE(pixels(a), pixels(synthetic::make_serial_frame(p, 4)));
  // The detector reuse path draws the same frame.
  EXPECT_EQ(a.frame.data, synthetic::make_serial_frame(p, synthetic::make_serial_detector(p), 3).frame.data);
  auto other = p;
  other.seed += 1;
  EXPECT_NE(pixels(a), pixels(synthetic::make_serial_frame(other, 3)));
  // Pinned: a change here means frames from old seeds changed (the generator, the random numbers
  // or a platform's arithmetic). Update it only on purpose, and say so in docs/synthetic_frames.md.
  EXPECT_EQ(checksum(a), 0x4419fcdc132fe941ull) << std::hex << checksum(a);
}

TEST(SyntheticSerialFramesTest, NoiseFreeSpotsHaveTheirTruthCentroidAndIntensity) {
  auto p = plain(160, 200);
  p.pixel_type = io::PixelType::float32;
  p.poisson_noise = false;
  p.background = {0.0, 0.0, 400.0, 0.0, 3.2e-10, std::nullopt, 25.0};
  p.bad_pixels.dead_fraction = p.bad_pixels.hot_fraction = 0.0;
  p.spots.count = 40;
  p.spots.width_min_px = 0.4;
  p.spots.width_max_px = 1.0;
  p.spots.min_separation_px = 12.0;  // windows (4 sigma + 1 each side) do not overlap
  for (const double border : {0.0, 0.5}) {
    p.spots.border_fraction = border;
    const auto f = synthetic::make_serial_frame(p, 1);
    const auto v = f.frame.values<float>();
    std::size_t checked = 0;
    for (const auto& s : f.spots) {
      const int half = int(std::ceil(4.0 * s.sigma_px)) + 1;
      const int cx = int(std::floor(s.fs + 0.5)), cy = int(std::floor(s.ss + 0.5));
      EXPECT_LE(s.recorded_intensity, s.intensity * (1 + 1e-12));
      if (cx - half < 0 || cy - half < 0 || cx + half >= 200 || cy + half >= 160) continue;  // cut by the edge
      EXPECT_NEAR(s.recorded_intensity, s.intensity, 1e-9 * s.intensity);
      double sum = 0, sum_fs = 0, sum_ss = 0;
      for (int y = cy - half; y <= cy + half; ++y)
        for (int x = cx - half; x <= cx + half; ++x) {
          const double value = v[std::size_t(y) * 200 + std::size_t(x)];
          sum += value;
          sum_fs += value * x;
          sum_ss += value * y;
        }
      EXPECT_NEAR(sum_fs / sum, s.fs, 0.05) << "spot at " << s.fs << ", " << s.ss << " sigma " << s.sigma_px;
      EXPECT_NEAR(sum_ss / sum, s.ss, 0.05) << "spot at " << s.fs << ", " << s.ss << " sigma " << s.sigma_px;
      EXPECT_NEAR(sum, s.intensity, 1e-5 * s.intensity);
      ++checked;
    }
    EXPECT_GE(checked, 15u) << "border fraction " << border;
  }
}

TEST(SyntheticSerialFramesTest, BorderFractionPutsCentresOnTheOutermostPixels) {
  auto p = plain(60, 90);
  p.spots.count = 30;
  p.spots.min_separation_px = 3.0;
  for (const double border : {0.0, 1.0}) {
    p.spots.border_fraction = border;
    for (const auto& s : synthetic::make_serial_frame(p, 0).spots) {
      const double fs = std::floor(s.fs + 0.5), ss = std::floor(s.ss + 0.5);
      const bool edge = fs == 0 || ss == 0 || fs == 89 || ss == 59;
      EXPECT_EQ(edge, border == 1.0) << s.fs << ", " << s.ss;
      EXPECT_EQ(s.on_border, border == 1.0);
      EXPECT_TRUE(fs >= 0 && fs <= 89 && ss >= 0 && ss <= 59) << s.fs << ", " << s.ss;
    }
  }
}

TEST(SyntheticSerialFramesTest, FlatBackgroundHasPoissonMeanAndVariance) {
  auto p = plain(400, 500);
  p.spots.count = 0;
  p.bad_pixels.dead_fraction = p.bad_pixels.hot_fraction = 0.0;
  for (const double lambda : {2.5, 40.0}) {  // inversion, then PTRS
    p.background = {lambda, 0.0, 400.0, 0.0, 3.2e-10, std::nullopt, 25.0};
    const auto f = synthetic::make_serial_frame(p, 2);
    double sum = 0, sum2 = 0;
    for (const auto v : f.frame.values<std::int32_t>()) {
      sum += v;
      sum2 += double(v) * v;
    }
    const double n = 400.0 * 500.0, mean = sum / n, variance = sum2 / n - mean * mean;
    EXPECT_NEAR(mean, lambda, 4.0 * std::sqrt(lambda / n));
    EXPECT_NEAR(variance, lambda, 4.0 * std::sqrt((lambda + 2.0 * lambda * lambda) / n));
  }
}

TEST(SyntheticSerialFramesTest, PilatusGapsAreMinusOneAndMaskedAndDefectsAreWhereTheDetectorSays) {
  SerialFrameParams p;  // Pilatus1M
  p.bad_pixels.dead_fraction = 1e-3;
  p.bad_pixels.hot_fraction = 1e-3;
  const auto f = synthetic::make_serial_frame(p, 0);
  const auto& d = *f.detector;
  ASSERT_EQ(f.frame.shape, (std::vector<std::size_t>{1043, 981}));
  EXPECT_EQ(d.panels.size(), 10u);
  const auto gaps = io::module_gap_mask(io::detector_by_name("Pilatus1M"));
  const auto v = f.frame.values<std::int32_t>();
  std::size_t gap_count = 0, dead = 0, hot = 0, known_hot = 0;
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (gaps[i]) {
      ++gap_count;
      EXPECT_EQ(v[i], -1) << i;
      EXPECT_EQ(d.bad_pixels[i], 1) << i;
    } else {
      EXPECT_NE(v[i], -1) << i;
    }
  }
  EXPECT_EQ(gap_count, 1043u * 981 - 10u * 195 * 487);
  for (const auto& defect : d.defects) {
    EXPECT_EQ(gaps[defect.index], 0);
    EXPECT_EQ(v[defect.index], std::int32_t(defect.value));
    EXPECT_EQ(d.bad_pixels[defect.index], defect.known ? 1 : 0);
    if (defect.hot) {
      ++hot;
      known_hot += defect.known;
      EXPECT_GE(defect.value, 1e4);
      EXPECT_LE(defect.value, 1e6);
    } else {
      ++dead;
      EXPECT_EQ(defect.value, -2.0);
    }
  }
  EXPECT_EQ(dead, 950u);  // 1e-3 of the 949,650 sensitive pixels, rounded
  EXPECT_EQ(hot, 950u);
  EXPECT_GT(known_hot, 400u);
  EXPECT_LT(known_hot, 550u);
  // The defects belong to the detector: the next frame has them at the same places.
  const auto next = synthetic::make_serial_frame(p, 1);
  EXPECT_EQ(next.detector->defects.size(), d.defects.size());
  for (std::size_t i = 0; i < d.defects.size(); ++i) EXPECT_EQ(next.detector->defects[i].index, d.defects[i].index);
  for (const auto& s : f.spots)
    EXPECT_EQ(gaps[std::size_t(std::floor(s.ss + 0.5)) * 981 + std::size_t(std::floor(s.fs + 0.5))], 0);
}

TEST(SyntheticSerialFramesTest, RadiusMapAndPoniDescribeTheSameGeometryAsPyFai) {
  auto p = plain(30, 40);
  p.beam_center_fs_px = 25.25;
  p.beam_center_ss_px = -3.5;  // off the detector, as in many serial set-ups
  p.pixel_size_m = 75e-6;
  const auto d = synthetic::make_serial_detector(p);
  ASSERT_TRUE(d->poni);
  const auto& poni = *d->poni;
  EXPECT_DOUBLE_EQ(poni.poni1_m, (-3.5 + 0.5) * 75e-6);
  EXPECT_DOUBLE_EQ(poni.poni2_m, (25.25 + 0.5) * 75e-6);
  const io::PixelGeometry geometry(io::parse_poni(io::format_poni(poni), "written.poni"));
  ASSERT_EQ(geometry.shape, (std::array<std::size_t, 2>{30, 40}));
  for (std::size_t ss = 0; ss < 30; ++ss)
    for (std::size_t fs = 0; fs < 40; ++fs) {
      const float radius = d->radius_px[ss * 40 + fs];
      EXPECT_EQ(radius, float(std::sqrt(std::pow(double(fs) - 25.25, 2) + std::pow(double(ss) + 3.5, 2))));
      // pyFAI's pixel centre is (ss + 0.5, fs + 0.5) in its index space.
      EXPECT_NEAR(geometry.radial(double(ss) + 0.5, double(fs) + 0.5, io::RadialUnit::r_m) / 75e-6, radius, 1e-5);
    }
}

TEST(SyntheticSerialFramesTest, TiledSlabHasGapsInItsRadiusMapAndOneAsicPerPanel) {
  SerialFrameParams p;
  p.detector.clear();
  p.tiled = synthetic::TiledLayout{16, 20, 2, 3, 5};
  p.spots.count = 12;
  p.spots.min_separation_px = 4.0;
  const auto f = synthetic::make_serial_frame(p, 0);
  const auto& d = *f.detector;
  EXPECT_EQ(f.frame.shape, (std::vector<std::size_t>{60, 32}));
  EXPECT_EQ(d.panels.size(), 6u);
  EXPECT_EQ(d.peakfinder8_layout.asic_nx, 16);
  EXPECT_EQ(d.peakfinder8_layout.asic_ny, 20);
  EXPECT_EQ(d.peakfinder8_layout.nasics_x, 2);
  EXPECT_EQ(d.peakfinder8_layout.nasics_y, 3);
  EXPECT_FALSE(d.poni);  // no PONI describes a slab with gaps
  // Physical area 70 x 37 pixels: the beam in its middle, (18, 34.5).
  EXPECT_EQ(d.beam_center_fs_px, 18.0);
  EXPECT_EQ(d.beam_center_ss_px, 34.5);
  // Slab pixel (ss 45, fs 20) is in ASIC (1, 2): physically (20 + 5, 45 + 10).
  EXPECT_EQ(d.radius_px[45 * 32 + 20], float(std::hypot(25.0 - 18.0, 55.0 - 34.5)));
  for (const auto& s : f.spots) {
    const auto& panel = d.panels[s.panel];
    EXPECT_GE(std::floor(s.fs + 0.5), double(panel.fs0));
    EXPECT_LT(std::floor(s.fs + 0.5), double(panel.fs0 + panel.columns));
  }
}

TEST(SyntheticSerialFramesTest, PeakfinderFindsTheSpotsItShould) {
  auto p = plain(256, 256);
  p.spots.count = 40;
  p.spots.border_fraction = 0.0;
  p.spots.intensity_median = 3000.0;
  p.spots.intensity_log_sigma = 0.3;
  const auto f = synthetic::make_serial_frame(p, 0);
  const auto data = f.frame.to_float32();
  std::vector<std::int8_t> good(data.size());
  for (std::size_t i = 0; i < good.size(); ++i) good[i] = std::int8_t(1 - f.detector->bad_pixels[i]);
  reference::Peakfinder8Params params;
  params.min_res = 0;
  params.max_res = 400;
  params.min_pixel_count = 2;
  const auto found = reference::peakfinder8(f.detector->peakfinder8_layout, data, f.detector->radius_px, good, params);
  std::vector<synthetic::PeakPosition> positions;
  for (const auto& peak : found.peaks) positions.push_back({peak.fs, peak.ss});
  const auto score = synthetic::score_peaks(positions, f.spots);
  RecordProperty("recall", std::to_string(score.recall));
  RecordProperty("precision", std::to_string(score.precision));
  EXPECT_GE(score.recall, 0.9);
  EXPECT_GE(score.precision, 0.9);
  EXPECT_LT(score.mean_error_px, 0.5);
}

// Its generation time is a benchmark (vulkanite_peakfinder8_bench, synthetic_frame/...), not a test.
TEST(SyntheticSerialFramesTest, Pilatus6MFrameHasItsShapeAndSpots) {
  SerialFrameParams p;
  p.detector = "Pilatus6M";
  const auto f = synthetic::make_serial_frame(p, 0);
  EXPECT_EQ(f.frame.shape, (std::vector<std::size_t>{2527, 2463}));
  EXPECT_EQ(f.spots.size(), 100u);
}

void expect_invalid(const SerialFrameParams& p, const std::string& message) {
  EXPECT_EQ(tests::invalid_argument_message([&] { (void)synthetic::make_serial_frame(p, 0); }), message);
}

TEST(SyntheticSerialFramesTest, BadParametersAreRejectedByName) {
  auto p = plain(32, 32);
  p.spots.count = -3;
  expect_invalid(p, "spots.count: -3 is negative");
  expect_invalid(plain(0, 64), "rows x columns: 0 x 64: a plain detector needs both (or a built-in detector name)");
  expect_invalid(plain(2, 64), "rows: 2 pixels; panels need at least 3 (spots need an interior)");
  p = plain(32, 32);
  p.spots.width_min_px = 2.0;
  p.spots.width_max_px = 1.0;
  expect_invalid(p, "spots.width_min_px: 2 px is above spots.width_max_px (1 px)");
  p.spots.width_min_px = 0.0;
  expect_invalid(p, "spots.width_min_px: 0 px is below 0.3 px");
  p.spots.width_min_px = 1.0;
  p.spots.width_max_px = 25.0;
  expect_invalid(p, "spots.width_max_px: 25 px is above 20 px");
  p = plain(32, 32);
  p.spots.count = 200;
  expect_invalid(p,
                 "spots.count: cannot place 200 spots at least 8 px apart on 32 x 32 pixels (placed 16); "
                 "lower spots.count or spots.min_separation_px");
  p = plain(32, 32);
  p.distance_m = 0.0;
  expect_invalid(p, "distance_m: 0 must be positive and finite");
  p = plain(32, 32);
  p.pixel_type = io::PixelType::uint16;
  expect_invalid(p, "pixel_type: uint16 is not int32 or float32");
  p = plain(32, 32);
  p.bad_pixels.dead_value = -1;
  expect_invalid(p, "bad_pixels.dead_value: -1 must be 0 or negative, and not -1 (the gaps')");
  SerialFrameParams named;
  named.detector = "Pilatus7M";
  EXPECT_THAT(tests::invalid_argument_message([&] { (void)synthetic::make_serial_detector(named); }),
              HasSubstr("detector: unknown detector 'Pilatus7M' (known: Pilatus100k,"));
  named.detector = "Pilatus1M";
  named.rows = 10;
  expect_invalid(named, "detector: 'Pilatus1M' is a built-in detector; leave rows, columns and tiled unset");
  named.rows = 0;
  named.pixel_size_m = 1e-4;
  expect_invalid(named, "pixel_size_m: Pilatus1M has its own pixel size; leave it unset");
  p = plain(32, 32);
  p.background.ring_d_spacing_m = 0.4e-10;
  expect_invalid(p,
                 "background.ring_d_spacing_m: 4e-11 m cannot diffract at wavelength 1e-10 m (it needs d > "
                 "wavelength / 2)");
}

}  // namespace
}  // namespace vulkanite
