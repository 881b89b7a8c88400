// The GPU peakfinder8 (original flavour) against its reference, which is itself bit-identical to
// OM's C++ (tests/peakfinder8_reference_test.cpp): every field of every peak and every ring
// statistic compared as float bits, on random frames of several layouts and on the hand-made
// frames of OM's stale-trail oddity, where the host must notice and run OM's scan itself.
#include "algorithms/peakfinder8.hpp"

#include "algorithms/frame_words.hpp"

#include "support/gpu_test.hpp"
#include "support/peakfinder8_frames.hpp"
#include "support/peakfinder8_compare.hpp"
#include "support/peakfinder8_om.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstring>
#include <iostream>
#include <sstream>

namespace vulkanite {
namespace {

using reference::Peakfinder8Layout;
using reference::Peakfinder8Params;
using ::testing::HasSubstr;
using tests::first_difference;

class Peakfinder8Gpu : public tests::GpuTest {};

template <class T>
io::Frame make_frame(const Peakfinder8Layout& layout, const std::vector<T>& values) {
  io::Frame frame = io::make_frame({static_cast<std::size_t>(layout.ss_size()), static_cast<std::size_t>(layout.fs_size())},
                                   io::pixel_type_of<T>(), "test frame");
  std::memcpy(frame.data.data(), values.data(), values.size() * sizeof(T));
  return frame;
}

struct RandomFramesSeen {
  std::size_t peaks = 0, sequential = 0, frames = 0;
};

// Random frames of seeds [0, seeds) through `context`: each frame's radial statistics and peaks
// equal the reference's, bit for bit.
RandomFramesSeen expect_random_frames_bit_for_bit(runtime::Context& context, std::uint32_t seeds) {
  struct Case {
    Peakfinder8Layout layout;
    std::int32_t gap;
  };
  const Case cases[] = {{{64, 64, 1, 1}, 0},  {{128, 96, 1, 1}, 0}, {{32, 24, 2, 2}, 3},
                        {{40, 30, 3, 2}, 5},  {{97, 93, 2, 4}, 4},  {{300, 280, 1, 1}, 0}};
  RandomFramesSeen seen;
  for (std::uint32_t seed = 0; seed < seeds; ++seed) {
    const Case& c = cases[seed % std::size(cases)];
    const float gain = seed % 4 == 3 ? 0.37f : 1.0f;  // non-integer values: OM's order in every pass
    const tests::Peakfinder8RandomFrame f(c.layout, seed, gain, c.gap);
    algorithms::Peakfinder8 finder(context, f.layout, f.radius, f.bad_pixel_map, f.params);
    const auto mask = reference::peakfinder8_mask(f.radius, f.bad_pixel_map, f.params.min_res, f.params.max_res);
    // Integer frames also go through as int32, the type of photon-counting detectors (the hot
    // pixels' fractions truncated).
    std::vector<io::Frame> inputs{make_frame(f.layout, f.data)};
    if (gain == 1.0f && std::none_of(f.data.begin(), f.data.end(), [](float v) { return std::isnan(v); })) {
      std::vector<std::int32_t> counts(f.data.begin(), f.data.end());
      inputs.push_back(make_frame(f.layout, counts));
    }
    for (const auto& input : inputs) {
      const auto data = algorithms::frame_as_float(input);
      const auto stats = reference::radial_statistics(data, f.radius, mask, f.params.minimum_snr, f.params.adc_threshold);
      const auto expected = reference::peakfinder8(f.layout, data, f.radius, f.bad_pixel_map, f.params);
      const auto out = finder.run(input);
      SCOPED_TRACE("seed " + std::to_string(seed) + " " + io::pixel_type_name(input.type));
      EXPECT_EQ(first_difference(out.radial, stats), "");
      EXPECT_EQ(first_difference(out.peaks, expected), "");
      seen.peaks += out.peaks.peaks.size();
      seen.sequential += out.sequential ? 1 : 0;
      ++seen.frames;
    }
  }
  return seen;
}

TEST_F(Peakfinder8Gpu, RandomFramesGiveTheReferencesPeaksBitForBit) {
  const RandomFramesSeen seen = expect_random_frames_bit_for_bit(context(), 16);
  EXPECT_GT(seen.peaks, 200u);                 // the frames do have peaks
  EXPECT_LT(seen.sequential, seen.frames / 4);  // and the parallel path is the usual one
}

// radial_statistics' shared-memory tree, which devices without subgroup arithmetic run. Seed 3's
// frame has non-integer values: its passes take OM's order.
TEST_F(Peakfinder8Gpu, WithoutSubgroupsRandomFramesGiveTheReferencesPeaks) {
  EXPECT_GT(expect_random_frames_bit_for_bit(context_without_subgroups(), 4).peaks, 10u);  // 18 peaks in these frames
}

TEST_F(Peakfinder8Gpu, ZeroedTrailEntryFallsBackOnOmsScan) {
  // The first region of the frame visits trail entry (0, 0): the bright corner pixel joins it.
  tests::Peakfinder8TestFrame frame({.asic_nx = 16, .asic_ny = 16});
  frame.bright(0, 0);
  frame.bright(8, 8);
  algorithms::Peakfinder8 finder(context(), frame.layout, frame.radius, frame.mask, tests::small_peakfinder8_params());
  const auto out = finder.run(make_frame(frame.layout, frame.data));
  EXPECT_TRUE(out.sequential);
  EXPECT_EQ(first_difference(out.peaks, frame.find(tests::small_peakfinder8_params())), "");
  ASSERT_EQ(out.peaks.peaks.size(), 1u);
  EXPECT_EQ(out.peaks.peaks[0].pixel_count, 2);
  EXPECT_EQ(finder.sequential_frames(), 1u);

  // Without the corner pixel nothing joins from afar, and the GPU's regions stand.
  frame.data[0] = 9.0f;
  const auto plain = finder.run(make_frame(frame.layout, frame.data));
  EXPECT_FALSE(plain.sequential);
  EXPECT_EQ(first_difference(plain.peaks, frame.find(tests::small_peakfinder8_params())), "");
  ASSERT_EQ(plain.peaks.peaks.size(), 1u);
  EXPECT_EQ(plain.peaks.peaks[0].pixel_count, 1);
}

TEST_F(Peakfinder8Gpu, StaleEntryOfAnotherAsicFallsBackOnOmsScan) {
  tests::Peakfinder8TestFrame frame({.asic_nx = 16, .asic_ny = 16, .nasics_x = 2});
  frame.bright(5, 5);
  frame.bright(6, 5);
  frame.bright(16 + 3, 3);
  frame.bright(16 + 7, 6);
  algorithms::Peakfinder8 finder(context(), frame.layout, frame.radius, frame.mask, tests::small_peakfinder8_params());
  const auto out = finder.run(make_frame(frame.layout, frame.data));
  EXPECT_TRUE(out.sequential);
  const auto expected = frame.find(tests::small_peakfinder8_params());
  EXPECT_EQ(first_difference(out.peaks, expected), "");
  ASSERT_EQ(out.peaks.peaks.size(), 2u);
  EXPECT_EQ(out.peaks.peaks[1].pixel_count, 2);  // the disconnected pixel joined, as in OM

  // Moved one pixel away from the stale position, the second pixel is a peak of its own.
  frame.data[static_cast<std::size_t>(16 + 7 + 6 * 32)] = 9.0f;
  frame.bright(16 + 12, 12);
  const auto apart = finder.run(make_frame(frame.layout, frame.data));
  EXPECT_FALSE(apart.sequential);
  EXPECT_EQ(first_difference(apart.peaks, frame.find(tests::small_peakfinder8_params())), "");
  EXPECT_EQ(apart.peaks.peaks.size(), 3u);
}

TEST_F(Peakfinder8Gpu, FastModeSampleGivesTheReferencesStatistics) {
  const tests::Peakfinder8RandomFrame f({128, 96, 1, 1}, 7, 1.0f, 0);
  std::vector<std::int32_t> index, ring;
  std::mt19937 rng(3);
  for (std::int32_t i = 0; i < static_cast<std::int32_t>(f.data.size()); ++i)
    if (rng() % 7 == 0) {
      index.push_back(i);
      ring.push_back(reference::ring_of(f.radius[static_cast<std::size_t>(i)]));
    }
  std::shuffle(index.begin(), index.end(), rng);  // OM's sample order is random
  for (std::size_t k = 0; k < index.size(); ++k) ring[k] = reference::ring_of(f.radius[static_cast<std::size_t>(index[k])]);
  const reference::RadialSample sample{index, ring};
  algorithms::Peakfinder8 finder(context(), f.layout, f.radius, f.bad_pixel_map, f.params, sample);
  const auto out = finder.run(make_frame(f.layout, f.data));
  EXPECT_EQ(first_difference(out.peaks, reference::peakfinder8(f.layout, f.data, f.radius, f.bad_pixel_map, f.params, sample)),
            "");
}

// Rings of 6400 entries (stripes 40 pixels wide) whose statistics go in OM's order (every pass of
// the non-integer frame; the first of the integer frame's ring whose pixel of 5000 alone puts
// v^2 past 2^24), and long thin regions: a line of 620 pixels and a line up the ASIC's left
// border. Thin, so that every ring's statistics still settle.
TEST_F(Peakfinder8Gpu, LongRingsAndLargeRegionsGiveTheReferencesBits) {
  // gain 1.13: values that are not integers, whose float sums round (the order shows in the bits)
  for (const float gain : {1.0f, 1.13f}) {
    SCOPED_TRACE("gain " + std::to_string(gain));
    tests::Peakfinder8TestFrame f({.asic_nx = 640, .asic_ny = 160});
    for (std::size_t i = 0; i < f.radius.size(); ++i) f.radius[i] = static_cast<float>(i % 640 / 40);
    for (std::int32_t fs = 10; fs < 630; ++fs) f.bright(fs, 50, 100.0f + static_cast<float>(fs % 7));
    for (std::int32_t ss = 100; ss < 141; ++ss) f.bright(0, ss, 120.0f + static_cast<float>(ss % 5));
    f.bright(1, 140, 130.0f);
    f.bright(300, 120, 5000.0f);
    for (std::int32_t k = 0; k < 12; ++k) {
      f.bright(20 + 50 * k, 80, 300.0f);
      f.bright(21 + 50 * k, 81, 200.0f);
    }
    for (auto& v : f.data) v *= gain;
    auto params = tests::small_peakfinder8_params();
    params.max_pixel_count = 2000;
    algorithms::Peakfinder8 finder(context(), f.layout, f.radius, f.mask, params);
    const auto out = finder.run(make_frame(f.layout, f.data));
    EXPECT_FALSE(out.sequential);  // the GPU's regions, not the host's scan
    const auto mask = reference::peakfinder8_mask(f.radius, f.mask, params.min_res, params.max_res);
    EXPECT_EQ(first_difference(out.radial, reference::radial_statistics(f.data, f.radius, mask, params.minimum_snr,
                                                                        params.adc_threshold)),
              "");
    const auto expected = f.find(params);
    EXPECT_EQ(first_difference(out.peaks, expected), "");
    const auto largest = std::max_element(expected.peaks.begin(), expected.peaks.end(),
                                          [](const auto& a, const auto& b) { return a.pixel_count < b.pixel_count; });
    ASSERT_NE(largest, expected.peaks.end());
    EXPECT_EQ(largest->pixel_count, 620);
    EXPECT_EQ(expected.peaks.size(), 15u);
  }
}

// The frames of scripts/validation/peakfinder8_vs_om.py (real Pilatus 6M and CSPAD, hand-made,
// synthetic): the GPU's lists equal OM's bit for bit.
TEST_F(Peakfinder8Gpu, PeakListsEqualOmsBitForBit) {
  const auto root = tests::om_peaks_directory();
  if (!root) GTEST_SKIP() << tests::kOmPeaksMissing;
  std::size_t sequential = 0;
  tests::compare_with_om(*root, "gpu", [&](const tests::OmCase& c) {
    algorithms::Peakfinder8 finder(context(), c.layout, c.radius, c.bad_pixel_map, c.params, c.sample(), 1);
    const auto out = finder.run(make_frame(c.layout, c.data));
    sequential += out.sequential ? 1 : 0;
    return out.peaks.peaks;
  });
  std::cout << "frames that took OM's sequential scan on the host: " << sequential << "\n";
}

TEST_F(Peakfinder8Gpu, RefusesBadInputWithClearErrors) {
  tests::Peakfinder8TestFrame frame({.asic_nx = 16, .asic_ny = 16});
  const auto params = tests::small_peakfinder8_params();
  algorithms::Peakfinder8 finder(context(), frame.layout, frame.radius, frame.mask, params);
  const std::vector<float> small(100, 1.0f);
  EXPECT_THAT([&] { finder.run(make_frame({10, 10, 1, 1}, small)); },
              ::testing::ThrowsMessage<std::invalid_argument>(HasSubstr("100 pixels, but the peakfinder8 layout has 256")));
  frame.data[37] = INFINITY;
  EXPECT_THAT([&] { finder.run(make_frame(frame.layout, frame.data)); },
              ::testing::ThrowsMessage<std::invalid_argument>(HasSubstr("infinite value at unmasked pixel 37")));
  frame.radius[5] = NAN;
  EXPECT_THAT([&] { algorithms::Peakfinder8(context(), frame.layout, frame.radius, frame.mask, params); },
              ::testing::ThrowsMessage<std::invalid_argument>(HasSubstr("is not finite or rounds below 0")));
  EXPECT_THAT([&] { algorithms::Peakfinder8(context(), {0, 16, 1, 1}, frame.radius, frame.mask, params); },
              ::testing::ThrowsMessage<std::invalid_argument>(HasSubstr("layout sizes must be at least 1")));
  // Still usable after a refused frame.
  frame.data[37] = 9.0f;
  frame.bright(8, 8);
  EXPECT_EQ(finder.run(make_frame(frame.layout, frame.data)).peaks.peaks.size(), 1u);
}

}  // namespace
}  // namespace vulkanite
