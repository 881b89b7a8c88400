// pyFAI's peakfinder8: algorithms::Peakfinder8Pyfai on the GPU against
// reference::peakfinder8_pyfai, bit for bit, on small synthetic frames (several patch sizes,
// connected values, noise levels, error models, masked / NaN / dummy pixels, int32, int16 and
// float32 frames); hand-made frames whose answers are known (an isolated peak's intensity,
// sigma and centroid, the frame edge, two maxima in one patch, ties, a masked neighbour); bad
// parameters. The comparison with pyFAI itself is scripts/validation/peakfinder8_pyfai_vs_pyfai.py.
#include "algorithms/peakfinder8_pyfai.hpp"

#include "algorithms/frame_words.hpp"
#include "algorithms/integration_matrix.hpp"
#include "algorithms/pixel_corrections.hpp"
#include "reference/peakfinder8_pyfai.hpp"
#include "reference/sigma_clip.hpp"
#include "support/gpu_test.hpp"
#include "support/invalid_argument.hpp"

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

namespace vulkanite {
namespace {

using reference::ErrorModel;
using reference::Peakfinder8PyfaiParams;
using reference::Peakfinder8PyfaiPeak;

std::string describe(const Peakfinder8PyfaiPeak& p) {
  return "{index " + std::to_string(p.index) + ", I " + std::to_string(p.intensity) + ", sigma " +
         std::to_string(p.sigma) + ", pos0 " + std::to_string(p.pos0) + ", pos1 " + std::to_string(p.pos1) + "}";
}

bool same_bits(const Peakfinder8PyfaiPeak& a, const Peakfinder8PyfaiPeak& b) {
  return a.index == b.index && std::bit_cast<std::uint32_t>(a.intensity) == std::bit_cast<std::uint32_t>(b.intensity) &&
         std::bit_cast<std::uint32_t>(a.sigma) == std::bit_cast<std::uint32_t>(b.sigma) &&
         std::bit_cast<std::uint32_t>(a.pos0) == std::bit_cast<std::uint32_t>(b.pos0) &&
         std::bit_cast<std::uint32_t>(a.pos1) == std::bit_cast<std::uint32_t>(b.pos1);
}

// "" when both lists are equal bit for bit, else the first difference.
std::string first_difference(const std::vector<Peakfinder8PyfaiPeak>& gpu, const std::vector<Peakfinder8PyfaiPeak>& cpu) {
  for (std::size_t k = 0; k < std::min(gpu.size(), cpu.size()); ++k)
    if (!same_bits(gpu[k], cpu[k]))
      return "peak " + std::to_string(k) + ": GPU " + describe(gpu[k]) + ", reference " + describe(cpu[k]);
  if (gpu.size() != cpu.size())
    return "GPU found " + std::to_string(gpu.size()) + " peaks, the reference " + std::to_string(cpu.size());
  return "";
}

// A small flat detector (1 mm pixels at 0.1 m, beam inside), its 1D r_mm matrix without
// splitting, its corrections and pyFAI's radius2d, as the Pilatus validation sets them up.
struct Detector {
  std::size_t rows, columns;
  std::vector<std::uint8_t> mask;
  algorithms::IntegrationMatrix matrix;
  reference::PixelCorrections corrections;
  std::vector<float> radius;
};

Detector make_detector(std::size_t rows, std::size_t columns, bool solid_angle, bool dark, std::mt19937& rng) {
  io::Poni p;
  p.pixel1_m = p.pixel2_m = 1e-3;
  p.distance_m = 0.1;
  p.poni1_m = 0.4 * static_cast<double>(rows) * 1e-3;
  p.poni2_m = 0.55 * static_cast<double>(columns) * 1e-3;
  p.rot1_rad = 0.01;
  p.wavelength_m = 1e-10;
  const io::PixelGeometry geometry(p, {rows, columns});
  Detector s{rows, columns, std::vector<std::uint8_t>(rows * columns, 0), {}, {}, {}};
  // A module gap (one row) and a few dead pixels.
  for (std::size_t c = 0; c < columns; ++c) s.mask[(rows / 3) * columns + c] = 1;
  std::uniform_int_distribution<std::size_t> pixel(0, rows * columns - 1);
  for (int k = 0; k < 12; ++k) s.mask[pixel(rng)] = 1;
  s.matrix = algorithms::build_integration_matrix(
      geometry, s.mask, {.radial_bins = 24, .unit = io::RadialUnit::r_mm, .splitting = algorithms::Splitting::no});
  algorithms::CorrectionOptions options{.solid_angle = solid_angle};
  if (dark) {
    std::uniform_real_distribution<float> d(0.0f, 3.0f);
    for (std::size_t i = 0; i < rows * columns; ++i) options.dark.push_back(d(rng));
  }
  s.corrections = algorithms::make_pixel_corrections(geometry, s.mask, options);
  s.radius = algorithms::peakfinder8_pyfai_radius(geometry, s.mask, io::RadialUnit::r_mm);
  return s;
}

// Background falling with the radius, Poisson-like noise, Gaussian spots (some touching the
// edge, some in pairs), NaN (float frames) and dummy (-2) pixels.
template <class T>
io::Frame synthetic_frame(const Detector& s, std::mt19937& rng) {
  std::vector<double> v(s.rows * s.columns);
  std::normal_distribution<double> unit(0.0, 1.0);
  for (std::size_t i = 0; i < v.size(); ++i) {
    const double level = 40.0 + 600.0 / (1.0 + 0.05 * static_cast<double>(s.radius[i] == s.radius[i] ? s.radius[i] : 0));
    v[i] = level + std::sqrt(level) * unit(rng);
  }
  std::uniform_real_distribution<double> row(-0.5, static_cast<double>(s.rows) - 0.5),
      column(-0.5, static_cast<double>(s.columns) - 0.5), amplitude(100.0, 3000.0), width(0.5, 1.3);
  for (int k = 0; k < 40; ++k) {
    const double r0 = row(rng), c0 = column(rng), a = amplitude(rng), w = width(rng);
    const int pair = k % 5 == 0 ? 2 : 1;  // every fifth spot has a fainter twin two pixels away
    for (int twin = 0; twin < pair; ++twin) {
      const double rc = r0, cc = c0 + 2.0 * twin, at = a / (1 + twin);
      for (std::size_t r = 0; r < s.rows; ++r)
        for (std::size_t c = 0; c < s.columns; ++c) {
          const double d2 = (static_cast<double>(r) - rc) * (static_cast<double>(r) - rc) +
                            (static_cast<double>(c) - cc) * (static_cast<double>(c) - cc);
          if (d2 < 25.0) v[r * s.columns + c] += at * std::exp(-d2 / (2 * w * w));
        }
    }
  }
  io::Frame f = io::make_frame({s.rows, s.columns}, io::pixel_type_of<T>(), "synthetic frame");
  auto* out = reinterpret_cast<T*>(f.data.data());
  for (std::size_t i = 0; i < v.size(); ++i) {
    double x = v[i];
    if (i % 397 == 11) x = -2.0;                               // dummy
    if (s.mask[i]) x = -1.0;                                   // gap / dead
    if constexpr (std::is_floating_point_v<T>) {
      if (i % 263 == 5) x = std::numeric_limits<double>::quiet_NaN();
      out[i] = static_cast<T>(x);
    } else {
      out[i] = static_cast<T>(std::lround(std::min(x, 30000.0)));
    }
  }
  return f;
}

std::vector<Peakfinder8PyfaiPeak> reference_peaks(const Detector& s, const io::Frame& frame,
                                                  const std::vector<float>& centers, const Peakfinder8PyfaiParams& p) {
  const auto values = algorithms::frame_as_float(frame);
  const auto clip = reference::sigma_clip(s.matrix.view(), values, s.corrections, p.sigma_clip);
  return reference::peakfinder8_pyfai(s.rows, s.columns, values, s.corrections, s.radius, centers, clip, p);
}

class Peakfinder8PyfaiTest : public tests::GpuTest {};

struct Case {
  const char* name;
  std::uint32_t patch_size, connected;
  float noise, cutoff_peak;
  ErrorModel model;
};

template <class T>
void check_case(runtime::Context& context, const Case& c, bool solid_angle, bool dark, std::uint32_t seed) {
  std::mt19937 rng(seed);
  const Detector s = make_detector(61, 83, solid_angle, dark, rng);  // 5063 pixels: the last workgroup partial
  const auto frame = synthetic_frame<T>(s, rng);
  algorithms::Peakfinder8Pyfai finder(context, s.matrix, s.corrections, {s.rows, s.columns}, s.radius);
  Peakfinder8PyfaiParams p{.sigma_clip = {.integration = {.error_model = c.model, .dummy = -2.0f}, .cycles = 3},
                           .cutoff_peak = c.cutoff_peak,
                           .noise = c.noise,
                           .connected = c.connected,
                           .patch_size = c.patch_size};
  const auto gpu = finder.run(frame, p);
  const auto cpu = reference_peaks(s, frame, finder.bin_centers(), p);
  EXPECT_EQ(first_difference(gpu, cpu), "") << c.name << ", " << io::pixel_type_name(frame.type);
  EXPECT_GT(cpu.size(), 3u) << c.name << ": too few peaks for the comparison to mean much";
  for (std::size_t k = 1; k < gpu.size(); ++k) EXPECT_LT(gpu[k - 1].index, gpu[k].index) << "sorted by pixel index";
}

TEST_F(Peakfinder8PyfaiTest, BitIdenticalToReferenceOnSyntheticFrames) {
  const Case cases[] = {
      {"3x3, connected 2, noise 1 (pyFAI's defaults)", 3, 2, 1.0f, 3.0f, ErrorModel::poisson},
      {"3x3, connected 3, noise 1, azimuthal", 3, 3, 1.0f, 3.0f, ErrorModel::azimuthal},
      {"5x5, connected 9, noise 2, azimuthal", 5, 9, 2.0f, 3.0f, ErrorModel::azimuthal},
      {"3x3, connected 1, noise 0 (masked pixels void patches)", 3, 1, 0.0f, 5.0f, ErrorModel::azimuthal},
      {"7x7, connected 4, noise 5", 7, 4, 5.0f, 2.0f, ErrorModel::poisson},
      {"1x1, connected 1", 1, 1, 1.0f, 4.0f, ErrorModel::azimuthal},
  };
  std::uint32_t seed = 1;
  for (const auto& c : cases) {
    check_case<std::int32_t>(context(), c, false, false, seed++);
    check_case<float>(context(), c, true, true, seed++);
  }
  check_case<std::int16_t>(context(), cases[1], true, false, seed++);
}

TEST_F(Peakfinder8PyfaiTest, RadialRangeAndRecordedResultsMatchReference) {
  std::mt19937 rng(99);
  const Detector s = make_detector(40, 50, false, false, rng);
  const auto frame = synthetic_frame<float>(s, rng);
  algorithms::Peakfinder8Pyfai finder(context(), s.matrix, s.corrections, {s.rows, s.columns}, s.radius);
  Peakfinder8PyfaiParams p{.sigma_clip = {.integration = {.error_model = ErrorModel::azimuthal}, .cycles = 3},
                           .radial_range = std::pair{5.0, 20.0}};
  const auto gpu = finder.run(frame, p);
  const auto cpu = reference_peaks(s, frame, finder.bin_centers(), p);
  EXPECT_EQ(first_difference(gpu, cpu), "");
  const auto all = finder.run(frame, {.sigma_clip = p.sigma_clip});
  EXPECT_LT(gpu.size(), all.size()) << "the radial range leaves peaks out";
  for (const auto& peak : gpu) {
    EXPECT_GE(s.radius[peak.index], 5.0f);
    EXPECT_LT(s.radius[peak.index], 20.0f * (1.0f + FLT_EPSILON));
  }
  EXPECT_EQ(finder.profile().of("peakfinder8_pyfai_peaks").count, 2u);
}

TEST_F(Peakfinder8PyfaiTest, StreamWithSeveralInFlightGivesEachFramesPeaksInOrder) {
  std::mt19937 rng(5);
  const Detector s = make_detector(61, 83, false, false, rng);
  std::vector<io::Frame> frames;
  for (int k = 0; k < 5; ++k) frames.push_back(synthetic_frame<std::int32_t>(s, rng));
  const Peakfinder8PyfaiParams p{.sigma_clip = {.integration = {.error_model = ErrorModel::azimuthal}, .cycles = 3}};
  // A read-back of 3 peaks: most frames have more, and are run again alone for the whole list.
  for (const std::size_t read_back : {std::size_t{16384}, std::size_t{3}}) {
    algorithms::Peakfinder8Pyfai finder(context(), s.matrix, s.corrections, {s.rows, s.columns}, s.radius, read_back);
    std::size_t next = 0, received = 0;
    finder.stream([&]() -> const io::Frame* { return next < frames.size() ? &frames[next++] : nullptr; }, p,
                  [&](std::size_t index, std::vector<Peakfinder8PyfaiPeak>&& peaks) {
                    EXPECT_EQ(index, received++);
                    EXPECT_EQ(first_difference(peaks, reference_peaks(s, frames[index], finder.bin_centers(), p)), "")
                        << "frame " << index << ", read-back " << read_back;
                    EXPECT_GT(peaks.size(), 3u);
                  },
                  3);
    EXPECT_EQ(received, frames.size());
  }
}

// ---- Hand-made frames ---------------------------------------------------------------------
// A 2-bin matrix whose first bin holds every unmasked pixel, every radius on the first bin
// centre: the interpolation then reads bin 0 alone, exactly. With a background of 100 counts,
// the poisson model and peaks far above 100 (clipped away), the background is mean 100, std 10
// exactly, so the answers below are exact.
struct HandMade {
  static constexpr std::size_t kRows = 20, kColumns = 24;
  std::vector<float> values = std::vector<float>(kRows * kColumns, 100.0f);
  std::vector<std::size_t> masked;

  void set(std::size_t row, std::size_t column, float v) { values[row * kColumns + column] = v; }

  std::vector<Peakfinder8PyfaiPeak> find(runtime::Context& context, Peakfinder8PyfaiParams p) const {
    algorithms::IntegrationMatrix m;
    m.pixels = kRows * kColumns;
    m.radial_bins = 2;
    m.row_start = {0};
    reference::PixelCorrections c;
    c.normalization.assign(m.pixels, 1.0f);
    std::vector<float> radius(m.pixels, 0.0f);
    for (const auto i : masked) {
      c.normalization[i] = 0.0f;
      radius[i] = std::numeric_limits<float>::quiet_NaN();
    }
    for (std::uint32_t i = 0; i < m.pixels; ++i)
      if (c.normalization[i] != 0.0f) m.pixel.push_back(i);
    m.row_start.push_back(static_cast<std::uint32_t>(m.pixel.size()));
    m.row_start.push_back(static_cast<std::uint32_t>(m.pixel.size()));
    m.radial_centers = {0.0, 1.0};
    p.sigma_clip = {.integration = {.error_model = ErrorModel::poisson}, .cycles = 3, .cutoff = 5.0f};
    io::Frame frame = io::make_frame({kRows, kColumns}, io::PixelType::float32, "hand-made frame");
    std::memcpy(frame.data.data(), values.data(), frame.data.size());
    algorithms::Peakfinder8Pyfai finder(context, m, c, {kRows, kColumns}, radius);
    const auto gpu = finder.run(frame, p);
    const auto clip = reference::sigma_clip(m.view(), values, c, p.sigma_clip);
    EXPECT_EQ(clip.intensity[0], 100.0f);
    EXPECT_EQ(clip.std[0], 10.0f);
    const auto cpu = reference::peakfinder8_pyfai(kRows, kColumns, values, c, radius, finder.bin_centers(), clip, p);
    EXPECT_EQ(first_difference(gpu, cpu), "");
    return gpu;
  }
};

constexpr std::uint32_t at(std::size_t row, std::size_t column) {
  return static_cast<std::uint32_t>(row * HandMade::kColumns + column);
}

TEST_F(Peakfinder8PyfaiTest, IsolatedPeakHasKnownIntensitySigmaAndCentroid) {
  HandMade h;
  h.set(7, 9, 1000.0f);   // excess 900
  h.set(7, 10, 600.0f);   // excess 500, to the right
  h.set(6, 9, 400.0f);    // excess 300, above
  const auto peaks = h.find(context(), {.noise = 0.0f, .connected = 3});
  ASSERT_EQ(peaks.size(), 1u);
  EXPECT_EQ(peaks[0].index, at(7, 9));
  EXPECT_EQ(peaks[0].intensity, 1700.0f);                 // 900 + 500 + 300
  EXPECT_EQ(peaks[0].sigma, std::sqrt(300.0f));           // three pixels of uncertainty 10
  EXPECT_EQ(peaks[0].pos0, -300.0f / 1700.0f + 7.0f);     // one row up, weight 300
  EXPECT_EQ(peaks[0].pos1, 500.0f / 1700.0f + 9.0f);      // one column right, weight 500
  // With noise 1 each uncertainty is sqrt(100 + 1) (squared again, within an ulp of 101); the
  // three intense pixels are not enough for connected 4.
  const auto with_noise = h.find(context(), {.noise = 1.0f, .connected = 3});
  ASSERT_EQ(with_noise.size(), 1u);
  EXPECT_FLOAT_EQ(with_noise[0].sigma, std::sqrt(303.0f));
  EXPECT_TRUE(h.find(context(), {.noise = 1.0f, .connected = 4}).empty());
}

TEST_F(Peakfinder8PyfaiTest, PatchesLeavingTheFrameAreVoid) {
  HandMade h;
  h.set(0, 5, 2000.0f);  // on the top edge: its 3x3 patch leaves the frame
  h.set(1, 15, 2000.0f);  // one row in: a 3x3 patch fits, a 5x5 one does not
  h.set(HandMade::kRows - 1, HandMade::kColumns - 1, 2000.0f);  // corner
  const auto p3 = h.find(context(), {.connected = 1, .patch_size = 3});
  ASSERT_EQ(p3.size(), 1u);
  EXPECT_EQ(p3[0].index, at(1, 15));
  EXPECT_EQ(p3[0].intensity, 1900.0f);
  EXPECT_EQ(p3[0].pos0, 1.0f);
  EXPECT_TRUE(h.find(context(), {.connected = 1, .patch_size = 5}).empty());
}

TEST_F(Peakfinder8PyfaiTest, OnlyTheMaximumOfAPatchIsAPeakAndTiesAreBoth) {
  HandMade h;
  h.set(5, 5, 1000.0f);
  h.set(5, 7, 800.0f);  // two columns away: its own 3x3 patch does not see the 1000
  auto peaks = h.find(context(), {.connected = 1, .patch_size = 3});
  ASSERT_EQ(peaks.size(), 2u);
  EXPECT_EQ(peaks[0].index, at(5, 5));
  EXPECT_EQ(peaks[1].index, at(5, 7));
  // A 5x5 patch sees both: only the maximum is kept, and its sums include the other.
  peaks = h.find(context(), {.connected = 1, .patch_size = 5});
  ASSERT_EQ(peaks.size(), 1u);
  EXPECT_EQ(peaks[0].index, at(5, 5));
  EXPECT_EQ(peaks[0].intensity, 1600.0f);
  EXPECT_EQ(peaks[0].pos1, 1400.0f / 1600.0f + 5.0f);
  // Ties: pyFAI keeps every pixel equal to its patch's maximum.
  HandMade tie;
  tie.set(10, 10, 900.0f);
  tie.set(10, 11, 900.0f);
  peaks = tie.find(context(), {.connected = 2});
  ASSERT_EQ(peaks.size(), 2u);
  EXPECT_EQ(peaks[0].index, at(10, 10));
  EXPECT_EQ(peaks[1].index, at(10, 11));
  EXPECT_EQ(peaks[0].pos1, 10.5f);
  EXPECT_EQ(peaks[1].pos1, 10.5f);
  EXPECT_EQ(peaks[0].intensity, 1600.0f);
}

TEST_F(Peakfinder8PyfaiTest, MaskedNeighbourVoidsThePatchOnlyWithoutNoise) {
  HandMade h;
  h.set(10, 10, 1000.0f);
  h.set(10, 11, 700.0f);
  h.masked = {at(9, 9)};
  // Masked: radius NaN -> std 0, excess 0; its uncertainty is the noise alone.
  EXPECT_TRUE(h.find(context(), {.noise = 0.0f, .connected = 2}).empty());
  const auto peaks = h.find(context(), {.noise = 1.0f, .connected = 2});
  ASSERT_EQ(peaks.size(), 1u);
  EXPECT_EQ(peaks[0].intensity, 1500.0f);  // the masked pixel adds nothing
  // A lone hot pixel needs connected <= 1.
  HandMade lone;
  lone.set(4, 4, 5000.0f);
  EXPECT_TRUE(lone.find(context(), {.connected = 2}).empty());
  EXPECT_EQ(lone.find(context(), {.connected = 1}).size(), 1u);
}

// ---- Bad input ----------------------------------------------------------------------------
std::string error_of(const Peakfinder8PyfaiParams& p) {
  return tests::invalid_argument_message([&] { reference::check_params(p); });
}

TEST(Peakfinder8PyfaiReference, RejectsBadParameters) {
  EXPECT_EQ(error_of({}), "no error");
  EXPECT_EQ(error_of({.patch_size = 4}), "peakfinder8 (pyFAI): patch_size must be odd, from 1 to 31, not 4");
  EXPECT_EQ(error_of({.patch_size = 0}), "peakfinder8 (pyFAI): patch_size must be odd, from 1 to 31, not 0");
  EXPECT_EQ(error_of({.patch_size = 33}), "peakfinder8 (pyFAI): patch_size must be odd, from 1 to 31, not 33");
  EXPECT_EQ(error_of({.connected = 10, .patch_size = 3}),
            "peakfinder8 (pyFAI): connected (10) cannot exceed the 9 pixels of a 3x3 patch");
  EXPECT_EQ(error_of({.noise = -1.0f}), "peakfinder8 (pyFAI): noise must be a finite number >= 0, not -1.000000");
  EXPECT_EQ(error_of({.noise = std::numeric_limits<float>::infinity()}),
            "peakfinder8 (pyFAI): noise must be a finite number >= 0, not inf");
  EXPECT_EQ(error_of({.cutoff_peak = std::numeric_limits<float>::quiet_NaN()}),
            "peakfinder8 (pyFAI): cutoff_peak must be a finite number >= 0, not nan");
  EXPECT_EQ(error_of({.radial_range = std::pair{3.0, 3.0}}),
            "peakfinder8 (pyFAI): the radial range must be two different finite values");
  EXPECT_EQ(error_of({.sigma_clip = {.integration = {.error_model = ErrorModel::none}}}),
            "sigma clipping needs an error model (poisson, azimuthal or variance), not none");
}

TEST_F(Peakfinder8PyfaiTest, RejectsMatricesItCannotInterpolate) {
  std::mt19937 rng(5);
  Detector s = make_detector(12, 10, false, false, rng);
  const auto construct = [&](const algorithms::IntegrationMatrix& m, std::array<std::size_t, 2> shape,
                             std::span<const float> radius) {
    return tests::invalid_argument_message([&] { algorithms::Peakfinder8Pyfai(context(), m, s.corrections, shape, radius); });
  };
  EXPECT_EQ(construct(s.matrix, {10, 12}, s.radius), "no error");  // same pixel count: accepted
  EXPECT_EQ(construct(s.matrix, {11, 12}, s.radius),
            "peakfinder8 (pyFAI): a frame of 11 x 12 pixels, but the matrix has 120");
  EXPECT_EQ(construct(s.matrix, {12, 10}, std::span(s.radius).first(100)),
            "peakfinder8 (pyFAI): the radius array has 100 values for 120 pixels");
  auto two_d = s.matrix;
  two_d.azimuthal_bins = 4;
  EXPECT_EQ(construct(two_d, {12, 10}, s.radius),
            "peakfinder8 (pyFAI) needs a 1D radial matrix, not one with 4 azimuthal bins");
  algorithms::IntegrationMatrix one_bin;
  one_bin.pixels = 120;
  one_bin.radial_bins = 1;
  one_bin.row_start = {0, 1};
  one_bin.pixel = {0};
  one_bin.radial_centers = {1.0};
  EXPECT_EQ(construct(one_bin, {12, 10}, s.radius),
            "peakfinder8 (pyFAI) needs at least 2 radial bins with their centres; the matrix has 1 bins and 1 centres");
  algorithms::Peakfinder8Pyfai finder(context(), s.matrix, s.corrections, {12, 10}, s.radius);
  const io::Frame wrong = io::make_frame({10, 12}, io::PixelType::int32, "wrong frame");
  EXPECT_EQ(tests::invalid_argument_message([&] { finder.run(wrong, {}); }),
            "wrong frame: a frame of 120 pixels, but the peak finder was set up for 12 x 10");
  EXPECT_THROW(finder.run(io::make_frame({12, 10}, io::PixelType::int32, "f"), {.patch_size = 2}), std::invalid_argument);
}

}  // namespace
}  // namespace vulkanite
