// Azimuthal integration and sigma clipping: algorithms::Integrator on the GPU against
// reference::integrate / reference::sigma_clip, bit for bit, on random CSR matrices (with and
// without splitting coefficients, empty and huge bins, every lane count) and frames of every
// pixel type with NaN, dummy, masked and negative pixels; the reference itself against values
// worked out by hand and against double-precision sums; bad input.
#include "algorithms/integrate.hpp"

#include "reference/integrate.hpp"
#include "reference/sigma_clip.hpp"
#include "support/gpu_test.hpp"
#include "support/invalid_argument.hpp"

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstring>
#include <limits>
#include <numeric>
#include <random>
#include <string>
#include <vector>

namespace vulkanite {
namespace {

using algorithms::IntegrationMatrix;
using reference::ErrorModel;
using reference::IntegrationParams;
using reference::IntegrationResult;
using reference::PixelCorrections;
using reference::SigmaClipParams;

// `bins` bins over `pixels` pixels; bin b gets about sizes[b % sizes.size()] random entries.
IntegrationMatrix random_matrix(std::size_t pixels, std::size_t bins, std::vector<std::size_t> sizes,
                                bool coefficients, std::mt19937& rng) {
  IntegrationMatrix m;
  m.pixels = pixels;
  m.radial_bins = bins;
  m.row_start.push_back(0);
  std::uniform_int_distribution<std::uint32_t> pixel(0, static_cast<std::uint32_t>(pixels - 1));
  std::uniform_real_distribution<float> coefficient(0.0f, 1.0f);
  for (std::size_t b = 0; b < bins; ++b) {
    const std::size_t n = sizes[b % sizes.size()];
    for (std::size_t k = 0; k < n; ++k) {
      m.pixel.push_back(pixel(rng));
      if (coefficients) m.coefficient.push_back(k % 17 == 3 ? 0.0f : coefficient(rng));
    }
    m.row_start.push_back(static_cast<std::uint32_t>(m.pixel.size()));
  }
  return m;
}

// A powder-like frame: a smooth background around 100 counts with Poisson-like scatter, a few
// bright outliers (Bragg peaks), negative gap pixels, NaNs and the dummy value.
template <class T>
io::Frame random_frame(std::size_t pixels, std::mt19937& rng) {
  io::Frame f = io::make_frame({pixels}, io::pixel_type_of<T>(), "random frame");
  auto* values = reinterpret_cast<T*>(f.data.data());
  std::normal_distribution<double> noise(100.0, 10.0);
  for (std::size_t i = 0; i < pixels; ++i) {
    double v = noise(rng);
    if (i % 97 == 5) v = 5000.0 + static_cast<double>(i % 1000);
    if (i % 211 == 7) v = -1.0;
    if constexpr (std::is_unsigned_v<T>)
      if (v < 0) v = 0;
    if constexpr (std::is_floating_point_v<T>) {
      if (i % 331 == 11) v = std::numeric_limits<double>::quiet_NaN();
      values[i] = static_cast<T>(v);
    } else {
      values[i] = static_cast<T>(std::lround(v));
    }
  }
  return f;
}

PixelCorrections random_corrections(std::size_t pixels, bool dark, bool variance, std::mt19937& rng) {
  PixelCorrections c;
  std::uniform_real_distribution<float> norm(0.7f, 1.0f), d(0.0f, 5.0f), var(50.0f, 150.0f);
  for (std::size_t i = 0; i < pixels; ++i) c.normalization.push_back(i % 53 == 1 ? 0.0f : norm(rng));
  if (dark)
    for (std::size_t i = 0; i < pixels; ++i) c.dark.push_back(d(rng));
  if (variance)
    for (std::size_t i = 0; i < pixels; ++i) c.variance.push_back(var(rng));
  return c;
}

std::string first_difference(const IntegrationResult& gpu, const IntegrationResult& cpu) {
  const std::pair<const char*, const std::vector<float>*> planes[] = {
      {"sum_signal", &gpu.sum_signal}, {"sum_variance", &gpu.sum_variance},
      {"sum_normalization", &gpu.sum_normalization}, {"sum_normalization_squared", &gpu.sum_normalization_squared},
      {"count", &gpu.count}, {"intensity", &gpu.intensity}, {"std", &gpu.std}, {"sem", &gpu.sem}};
  const std::vector<float>* twins[] = {&cpu.sum_signal, &cpu.sum_variance, &cpu.sum_normalization,
                                       &cpu.sum_normalization_squared, &cpu.count, &cpu.intensity, &cpu.std,
                                       &cpu.sem};
  for (std::size_t p = 0; p < 8; ++p) {
    const auto& a = *planes[p].second;
    const auto& b = *twins[p];
    if (a.size() != b.size()) return std::string(planes[p].first) + ": sizes differ";
    for (std::size_t i = 0; i < a.size(); ++i)
      if (std::bit_cast<std::uint32_t>(a[i]) != std::bit_cast<std::uint32_t>(b[i]))
        return std::string(planes[p].first) + "[" + std::to_string(i) + "]: GPU " + std::to_string(a[i]) +
               ", reference " + std::to_string(b[i]);
  }
  if (gpu.pixels != cpu.pixels) return "pixel counts differ";
  return "";
}

class IntegrateTest : public tests::GpuTest {};

struct Case {
  const char* name;
  bool coefficients, dark, variance_array;
  ErrorModel model;
  std::uint32_t lanes;
  bool unit_normalization = false;  // every normalization 1: the kernels skip reading it
};

template <class T>
void check_bit_identity(runtime::Context& context, const Case& c, std::uint32_t seed) {
  std::mt19937 rng(seed);
  const std::size_t pixels = 20000;
  // Empty bins, single-entry bins, bins smaller and larger than the lanes, one huge bin (with 32
  // lanes, 125 entries per lane).
  const auto m = random_matrix(pixels, 61, {0, 1, 5, 31, 32, 33, 200, 900, 4000}, c.coefficients, rng);
  auto corrections = random_corrections(pixels, c.dark, c.variance_array, rng);
  if (c.unit_normalization) corrections.normalization.assign(pixels, 1.0f);
  const auto frame = random_frame<T>(pixels, rng);
  const auto values = algorithms::frame_as_float(frame);
  IntegrationParams params{.error_model = c.model, .dummy = -1.0f, .empty = -7.0f, .lanes = c.lanes};
  algorithms::Integrator integrator(context, m, corrections, 2);

  const auto gpu = integrator.run(frame, params);
  const auto cpu = reference::integrate(m.view(), values, corrections, params);
  EXPECT_EQ(first_difference(gpu, cpu), "") << c.name << " integrate, " << io::pixel_type_name(frame.type);

  if (c.model != ErrorModel::none) {
    SigmaClipParams clip{.integration = params, .cycles = 4, .cutoff = 2.0f};
    const auto gpu_clip = integrator.run(frame, clip);
    const auto cpu_clip = reference::sigma_clip(m.view(), values, corrections, clip);
    EXPECT_EQ(first_difference(gpu_clip, cpu_clip), "") << c.name << " sigma clip, " << io::pixel_type_name(frame.type);
    // The clipping really discarded pixels (outliers are 1 in 97), so the test can fail.
    EXPECT_LT(std::accumulate(cpu_clip.pixels.begin(), cpu_clip.pixels.end(), 0u),
              std::accumulate(cpu.pixels.begin(), cpu.pixels.end(), 0u));
  }
}

TEST_F(IntegrateTest, BitIdenticalToReferenceForEveryModelAndPixelType) {
  const Case cases[] = {
      {"no splitting, poisson", false, false, false, ErrorModel::poisson, 0},
      {"splitting, dark, azimuthal", true, true, false, ErrorModel::azimuthal, 0},
      {"splitting, user variance, 64 lanes", true, false, true, ErrorModel::variance, 64},
      {"no error model, dark, 32 lanes", false, true, false, ErrorModel::none, 32},
      {"dark, poisson, 32 lanes", false, true, false, ErrorModel::poisson, 32},
      {"azimuthal, 256 lanes", false, false, false, ErrorModel::azimuthal, 256},
      {"unit normalization, azimuthal", false, false, false, ErrorModel::azimuthal, 0, true},
      {"unit normalization, splitting, dark, poisson", true, true, false, ErrorModel::poisson, 0, true},
  };
  std::uint32_t seed = 1;
  for (const auto& c : cases) {
    check_bit_identity<std::int32_t>(context(), c, seed++);
    check_bit_identity<float>(context(), c, seed++);
  }
  const Case typed{"poisson, splitting", true, true, false, ErrorModel::poisson, 0};
  check_bit_identity<std::uint16_t>(context(), typed, seed++);
  check_bit_identity<std::int16_t>(context(), typed, seed++);
  check_bit_identity<std::uint32_t>(context(), typed, seed++);
  check_bit_identity<double>(context(), typed, seed++);
  check_bit_identity<std::uint8_t>(context(), typed, seed++);
}

// Every path of the lanes' tree gives the reference's bits. With subgroups (llvmpipe: 8 lanes
// each), 4 lanes fill one subgroup partly (the shared-memory tree), 8 fill exactly one, 64 make
// 8 subgroups whose nodes meet in one subgroup's shuffles, 256 make 32, more than one subgroup
// holds (their levels through shared memory); a device of 32-lane subgroups takes other paths
// with the same counts. Without subgroups, the shared-memory tree that devices without shuffles
// run.
TEST_F(IntegrateTest, EveryPathOfTheLanesTreeGivesTheReferencesBits) {
  std::uint32_t seed = 100;
  for (std::uint32_t lanes : {4u, 8u, 64u, 256u}) {
    SCOPED_TRACE(std::to_string(lanes) + " lanes");
    check_bit_identity<std::int32_t>(context(), {"no splitting, poisson", false, false, false, ErrorModel::poisson, lanes},
                                     seed++);
  }
  runtime::Context& without = context_without_subgroups();
  check_bit_identity<float>(without, {"splitting, azimuthal, no subgroups", true, false, false, ErrorModel::azimuthal, 0},
                            seed++);
  check_bit_identity<std::int32_t>(without, {"poisson, 64 lanes, no subgroups", false, true, false, ErrorModel::poisson, 64},
                                   seed++);
}

TEST_F(IntegrateTest, StreamKeepsFrameOrderWithSeveralInFlight) {
  std::mt19937 rng(7);
  const std::size_t pixels = 5000;
  const auto m = random_matrix(pixels, 40, {10, 100, 300}, false, rng);
  const auto corrections = random_corrections(pixels, false, false, rng);
  std::vector<io::Frame> frames;
  for (int i = 0; i < 7; ++i) frames.push_back(random_frame<std::int32_t>(pixels, rng));
  algorithms::Integrator integrator(context(), m, corrections, 3);
  // Streams every frame through `operation`: each result arrives in frame order and equals the
  // reference's, `reference_of` the frame's values.
  const auto stream_all = [&](const algorithms::BinOperation& operation, const auto& reference_of) {
    std::size_t next = 0, received = 0;
    integrator.stream([&]() -> const io::Frame* { return next < frames.size() ? &frames[next++] : nullptr; },
                      operation, [&](std::size_t index, IntegrationResult&& r) {
                        EXPECT_EQ(index, received++);
                        EXPECT_EQ(first_difference(r, reference_of(algorithms::frame_as_float(frames[index]))), "")
                            << "frame " << index;
                      });
    EXPECT_EQ(received, frames.size());
  };
  const IntegrationParams params{.error_model = ErrorModel::poisson};
  stream_all(params, [&](const auto& values) { return reference::integrate(m.view(), values, corrections, params); });
  EXPECT_EQ(integrator.profile().of("integrate").count, frames.size());
  // Clipping streams as well, each frame's cycles on its own frame.
  const reference::SigmaClipParams clip{.cycles = 3, .cutoff = 2.0f};
  stream_all(clip, [&](const auto& values) { return reference::sigma_clip(m.view(), values, corrections, clip); });
}

TEST_F(IntegrateTest, StreamUploadsImportedFramesInPlace) {
  std::mt19937 rng(8);
  const std::size_t pixels = 5001;  // odd: a 16-bit frame ends in half a word
  const auto m = random_matrix(pixels, 40, {10, 100, 300}, false, rng);
  const auto corrections = random_corrections(pixels, false, false, rng);
  std::vector<io::Frame> imported;
  for (int i = 0; i < 4; ++i) imported.push_back(random_frame<std::int32_t>(pixels, rng));
  imported.push_back(random_frame<std::uint16_t>(pixels, rng));
  imported.push_back(random_frame<float>(pixels, rng));
  imported.push_back(random_frame<std::int8_t>(pixels, rng));  // converted on the host: copied
  const io::Frame elsewhere = random_frame<std::int32_t>(pixels, rng);
  algorithms::Integrator integrator(context(), m, corrections, 3);
  if (!integrator.import_frames(imported))
    GTEST_SKIP() << context().info().name << " cannot import host memory (VK_EXT_external_memory_host)";
  // Imported frames and one elsewhere, interleaved; each result equals the reference's.
  std::vector<const io::Frame*> order;
  for (const auto& f : imported) order.insert(order.end(), {&f, &elsewhere});
  const reference::SigmaClipParams clip{.integration = {.error_model = ErrorModel::poisson}, .cycles = 3, .cutoff = 2.0f};
  std::size_t next = 0, received = 0;
  integrator.stream([&]() -> const io::Frame* { return next < order.size() ? order[next++] : nullptr; }, clip,
                    [&](std::size_t index, IntegrationResult&& r) {
                      EXPECT_EQ(index, received++);
                      const auto values = algorithms::frame_as_float(*order[index]);
                      EXPECT_EQ(first_difference(r, reference::sigma_clip(m.view(), values, corrections, clip)), "")
                          << "frame " << index << ", " << io::pixel_type_name(order[index]->type);
                    });
  EXPECT_EQ(received, order.size());
  EXPECT_EQ(integrator.frames_read_in_place(), imported.size() - 1) << "every imported frame but the int8 one";
}

// pyFAI's definitions, worked out by hand: two bins over four pixels, bin 0 = pixels {0, 1}
// with coefficients {1, 0.5}, bin 1 = pixel 2; pixel 3 in no bin.
TEST(IntegrateReference, MatchesPyfaiDefinitionsByHand) {
  const std::vector<std::uint32_t> row_start{0, 2, 3, 3}, pixel{0, 1, 2};
  const std::vector<float> coefficient{1.0f, 0.5f, 1.0f};
  const reference::CsrView m{row_start, pixel, coefficient};
  PixelCorrections c;
  c.normalization = {2.0f, 4.0f, 1.0f, 1.0f};
  c.dark = {1.0f, 1.0f, 0.0f, 0.0f};
  const std::vector<float> frame{11.0f, 21.0f, 0.5f, 99.0f};
  const auto r = reference::integrate(m, frame, c, {.error_model = ErrorModel::poisson, .empty = -1.0f});
  // signal 10, 20; variance max(raw, 1) = 11, 21; sum_signal = 10 + 0.5 * 20 = 20
  EXPECT_EQ(r.sum_signal[0], 20.0f);
  EXPECT_EQ(r.sum_variance[0], 11.0f + 0.25f * 21.0f);  // 16.25
  EXPECT_EQ(r.sum_normalization[0], 2.0f + 0.5f * 4.0f);  // 4
  EXPECT_EQ(r.sum_normalization_squared[0], 4.0f + 4.0f);
  EXPECT_EQ(r.count[0], 1.5f);
  EXPECT_EQ(r.intensity[0], 5.0f);
  EXPECT_EQ(r.std[0], std::sqrt(16.25f / 8.0f));
  EXPECT_EQ(r.sem[0], std::sqrt(16.25f) / 4.0f);
  EXPECT_EQ(r.pixels[0], 2u);
  // bin 1: raw 0.5 -> poisson variance 1
  EXPECT_EQ(r.intensity[1], 0.5f);
  EXPECT_EQ(r.sum_variance[1], 1.0f);
  // bin 2 is empty
  EXPECT_EQ(r.intensity[2], -1.0f);
  EXPECT_EQ(r.std[2], -1.0f);
  EXPECT_EQ(r.pixels[2], 0u);
  // azimuthal: mean 5, sum_variance = (1 (10 - 5 * 2))^2 + (0.5 (20 - 5 * 4))^2 = 0
  const auto az = reference::integrate(m, frame, c, {.error_model = ErrorModel::azimuthal});
  EXPECT_EQ(az.sum_variance[0], 0.0f);
}

// One outlier among 200 equal pixels: the first cycle drops it, the second drops nothing.
TEST(IntegrateReference, SigmaClipDropsTheOutlierAndStops) {
  const std::size_t n = 200;
  std::vector<std::uint32_t> row_start{0, static_cast<std::uint32_t>(n)}, pixel(n);
  std::iota(pixel.begin(), pixel.end(), 0u);
  std::vector<float> frame(n);
  for (std::size_t i = 0; i < n; ++i) frame[i] = 100.0f + static_cast<float>(i % 5);  // 100..104
  frame[17] = 1000.0f;
  PixelCorrections c;
  c.normalization.assign(n, 1.0f);
  const reference::CsrView m{row_start, pixel, {}};
  const auto r = reference::sigma_clip(m, frame, c, {.integration = {.error_model = ErrorModel::azimuthal}, .cycles = 5, .cutoff = 3.0f});
  EXPECT_EQ(r.pixels[0], n - 1);
  double mean = 0;
  for (std::size_t i = 0; i < n; ++i)
    if (i != 17) mean += frame[i];
  mean /= static_cast<double>(n - 1);
  EXPECT_NEAR(r.intensity[0], mean, 1e-5 * mean);
  // Without clipping the outlier pulls the mean up by about 4.5.
  const auto plain = reference::integrate(m, frame, c, {.error_model = ErrorModel::azimuthal});
  EXPECT_GT(plain.intensity[0], static_cast<float>(mean) + 4.0f);
}

// Compensated float sums stay within a few float ulps of double precision even over 10^6 values.
TEST(IntegrateReference, CompensatedSumsAgreeWithDouble) {
  const std::size_t n = 1000000;
  std::vector<std::uint32_t> row_start{0, static_cast<std::uint32_t>(n)}, pixel(n);
  std::iota(pixel.begin(), pixel.end(), 0u);
  std::mt19937 rng(3);
  std::uniform_real_distribution<float> u(0.0f, 1000.0f), w(0.5f, 1.0f);
  std::vector<float> frame(n);
  PixelCorrections c;
  c.normalization.resize(n);
  double signal = 0, norm = 0;
  for (std::size_t i = 0; i < n; ++i) {
    frame[i] = u(rng);
    c.normalization[i] = w(rng);
    signal += frame[i];
    norm += c.normalization[i];
  }
  const auto r = reference::integrate({row_start, pixel, {}}, frame, c, {});
  EXPECT_NEAR(r.sum_signal[0], signal, 2e-7 * signal);
  EXPECT_NEAR(r.intensity[0], signal / norm, 2e-7 * signal / norm);
}

TEST(IntegrateReference, ChauvenetCutoffMatchesItsFormula) {
  for (const float count : {0.0f, 3.0f, 10.0f, 1000.0f, 6.2e6f}) {
    const double x = std::max(3.0, static_cast<double>(count));
    const double expected = std::sqrt(2.0 * std::log(x / std::sqrt(2.0 * M_PI)));
    EXPECT_NEAR(reference::chauvenet_cutoff(count), expected, 2e-6 * expected) << count;
  }
}

TEST_F(IntegrateTest, RefusesBadInput) {
  std::mt19937 rng(5);
  const auto m = random_matrix(100, 4, {10}, false, rng);
  const auto corrections = random_corrections(100, false, false, rng);
  algorithms::Integrator integrator(context(), m, corrections, 1);
  const auto wrong = random_frame<std::int32_t>(99, rng);
  EXPECT_EQ(tests::invalid_argument_message([&] { integrator.run(wrong, IntegrationParams{}); }),
            "random frame: 99 pixels, but the geometry has 100");
  const auto frame = random_frame<std::int32_t>(100, rng);
  EXPECT_THROW(integrator.run(frame, SigmaClipParams{.integration = {.error_model = ErrorModel::none}}),
               std::invalid_argument);
  EXPECT_THROW(integrator.run(frame, SigmaClipParams{.cycles = 33}), std::invalid_argument);
  EXPECT_THROW(integrator.run(frame, IntegrationParams{.error_model = ErrorModel::variance}), std::invalid_argument);
  EXPECT_THROW(integrator.run(frame, IntegrationParams{.lanes = 48}), std::invalid_argument);
  auto bad_dark = corrections;
  bad_dark.dark.assign(50, 0.0f);
  EXPECT_EQ(tests::invalid_argument_message([&] { algorithms::Integrator(context(), m, bad_dark, 1); }),
            "the dark image has 50 values but the geometry has 100 pixels");
  // The integrator is still usable after refusing.
  const IntegrationParams poisson{.error_model = ErrorModel::poisson};
  const auto r = integrator.run(frame, poisson);
  EXPECT_EQ(first_difference(r, reference::integrate(m.view(), algorithms::frame_as_float(frame), corrections, poisson)), "");
}

}  // namespace
}  // namespace vulkanite
