#pragma once
// Frames for the peakfinder8 tests (reference and GPU): a hand-made frame with one ring and
// single bright pixels, and random frames with the features that exercise OM's oddities.
#include "io/crystfel_geometry.hpp"
#include "reference/peakfinder8.hpp"
#include "synthetic/serial_frames.hpp"

#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

namespace vulkanite::tests {

// One ring (radius 0 everywhere), a flat background of 9, 10 and 11 (mean 10, sigma 0.816: the
// ring's threshold settles at 14.9 after the first pass drops the peaks) and bright pixels.
struct Peakfinder8TestFrame {
  reference::Peakfinder8Layout layout;
  std::vector<float> data, radius;
  std::vector<std::int8_t> mask;

  explicit Peakfinder8TestFrame(reference::Peakfinder8Layout l) : layout(l) {
    const auto n = layout.pixel_count();
    data.resize(n);
    radius.assign(n, 0.0f);
    mask.assign(n, 1);
    for (std::size_t i = 0; i < n; ++i) {
      const auto fs = i % static_cast<std::size_t>(layout.fs_size()), ss = i / static_cast<std::size_t>(layout.fs_size());
      data[i] = static_cast<float>(9 + (fs + 2 * ss) % 3);
    }
  }
  void bright(std::int32_t fs, std::int32_t ss, float value = 100.0f) {
    data[static_cast<std::size_t>(fs + ss * layout.fs_size())] = value;
  }
  reference::Peakfinder8Result find(const reference::Peakfinder8Params& params) const {
    return reference::peakfinder8(layout, data, radius, mask, params);
  }
};

inline reference::Peakfinder8Params small_peakfinder8_params() {
  reference::Peakfinder8Params p;
  p.min_res = 0;
  p.local_bg_radius = 2;
  return p;
}

// A random frame in the spirit of scripts/validation/peakfinder8_vs_om.py: Poisson background
// with a radial profile and a ring, Gaussian spots (some on ASIC borders), hot and dead pixels,
// sometimes a masked rectangle, NaN pixels or a low dose; `gain` != 1 gives non-integer values.
struct Peakfinder8RandomFrame {
  reference::Peakfinder8Layout layout;
  std::vector<float> data, radius;
  std::vector<std::int8_t> bad_pixel_map;
  reference::Peakfinder8Params params;

  Peakfinder8RandomFrame(reference::Peakfinder8Layout l, std::uint32_t seed, float gain, std::int32_t gap)
      : layout(l) {
    std::mt19937 rng(seed);
    std::uniform_real_distribution<double> unit(0.0, 1.0);
    const std::int32_t nx = l.fs_size(), ny = l.ss_size();
    const auto n = l.pixel_count();
    data.resize(n);
    radius.resize(n);
    bad_pixel_map.assign(n, 1);
    const double cx = (0.3 + 0.4 * unit(rng)) * (nx + gap * l.nasics_x);
    const double cy = (0.3 + 0.4 * unit(rng)) * (ny + gap * l.nasics_y);
    std::vector<double> expected(n);
    double scale = 0;
    for (std::size_t i = 0; i < n; ++i) {
      const auto fs = static_cast<std::int32_t>(i % static_cast<std::size_t>(nx));
      const auto ss = static_cast<std::int32_t>(i / static_cast<std::size_t>(nx));
      const double x = fs + (fs / l.asic_nx) * gap - cx, y = ss + (ss / l.asic_ny) * gap - cy;
      radius[i] = static_cast<float>(std::sqrt(x * x + y * y));
      scale = std::max(scale, static_cast<double>(radius[i]));
    }
    const double dose = unit(rng) < 0.25 ? 0.01 : 1.0;
    for (std::size_t i = 0; i < n; ++i) {
      const double r = radius[i];
      expected[i] = dose * (3 + 40 * std::exp(-r / (0.3 * scale)) + 15 * std::exp(-std::pow((r - 0.6 * scale) / 3.0, 2)));
    }
    const auto spots = std::min<std::size_t>(3000, n / static_cast<std::size_t>(250 + 2250 * unit(rng)) + 3);
    for (std::size_t s = 0; s < spots; ++s) {
      double sx = -1 + (nx + 1) * unit(rng), sy = -1 + (ny + 1) * unit(rng);
      if (unit(rng) < 0.15) sx = std::floor(unit(rng) * (l.nasics_x + 1)) * l.asic_nx - 1.5 + 2 * unit(rng);
      const double width = 0.4 + 1.2 * unit(rng);
      const double amplitude = std::exp(5 + 1.2 * std::normal_distribution<double>()(rng));
      for (auto y = std::max(0, static_cast<int>(sy - 5 * width)); y < std::min(ny, static_cast<int>(sy + 5 * width) + 2); ++y)
        for (auto x = std::max(0, static_cast<int>(sx - 5 * width)); x < std::min(nx, static_cast<int>(sx + 5 * width) + 2); ++x)
          expected[static_cast<std::size_t>(x + y * nx)] +=
              amplitude * std::exp(-((x - sx) * (x - sx) + (y - sy) * (y - sy)) / (2 * width * width));
    }
    for (std::size_t i = 0; i < n; ++i)
      data[i] = static_cast<float>(static_cast<double>(std::poisson_distribution<int>(expected[i])(rng)) * gain);
    std::uniform_int_distribution<std::size_t> pixel(0, n - 1);
    for (std::size_t k = 0; k < std::max<std::size_t>(1, n / 5000); ++k) {  // hot pixels, half of them known
      const auto i = pixel(rng);
      data[i] = static_cast<float>(1e3 + 1e5 * unit(rng));
      if (k % 2 == 0) bad_pixel_map[i] = 0;
    }
    for (std::size_t k = 0; k < std::max<std::size_t>(1, n / 3000); ++k) {  // dead: 0 unmasked, -1 masked
      const auto i = pixel(rng);
      const bool negative = unit(rng) < 0.5;
      data[i] = negative ? -1.0f : 0.0f;
      if (negative) bad_pixel_map[i] = 0;
    }
    if (unit(rng) < 0.3) {  // a beam-stop shadow
      const auto y0 = static_cast<std::int32_t>(unit(rng) * ny), x0 = static_cast<std::int32_t>(unit(rng) * nx);
      for (auto y = y0; y < std::min(ny, y0 + ny / 8); ++y)
        for (auto x = x0; x < std::min(nx, x0 + nx / 8); ++x) bad_pixel_map[static_cast<std::size_t>(x + y * nx)] = 0;
    }
    if (unit(rng) < 0.1)
      for (int k = 0; k < 5; ++k) data[pixel(rng)] = std::nanf("");
    const float adc[] = {10.0f, 20.0f, 35.5f, 50.0f, 0.0f};
    const float snr[] = {5.0f, 4.0f, 6.0f, 7.25f};
    const std::int32_t max_pixels[] = {200, 50, 20, 300};
    params.max_num_peaks = unit(rng) < 0.3 ? (unit(rng) < 0.5 ? 3 : 20) : 2048;
    params.adc_threshold = adc[rng() % 5];
    params.minimum_snr = snr[rng() % 4];
    params.min_pixel_count = 1 + static_cast<std::int32_t>(rng() % 3);
    params.max_pixel_count = max_pixels[rng() % 4];
    params.local_bg_radius = 2 + static_cast<std::int32_t>(rng() % 4);
    params.min_res = unit(rng) < 0.5 ? 0 : static_cast<std::int32_t>(0.1 * scale);
    params.max_res = unit(rng) < 0.5 ? 2000 : static_cast<std::int32_t>(0.8 * scale);
  }
};

// The generator's frames on a geometry's grid of ASICs (io::peakfinder8_layout), `spots` spots,
// with a flat background of 10 counts: the generator's own radius is not the geometry's, so a
// radial background would not follow OM's rings.
inline synthetic::SerialFrameParams flat_tiled_frame_params(const io::Peakfinder8Layout& l, std::int32_t spots,
                                                            std::uint64_t seed) {
  synthetic::SerialFrameParams p;
  p.detector.clear();
  p.tiled = synthetic::TiledLayout{l.asic_nx, l.asic_ny, l.nasics_x, l.nasics_y, 0};
  p.background.constant = 10.0;
  p.background.level = 0.0;
  p.background.ring_amplitude = 0.0;
  p.spots.count = spots;
  p.seed = seed;
  return p;
}

}  // namespace vulkanite::tests
