// pyFAI's peakfinder8, CPU twin of shaders/peakfinder8_pyfai/{excess,pick,scan,write}.comp.
// Every float operation is binary32 in the shaders' order, flushed (ftz) where they flush;
// divisions and square roots are correctly rounded (cr_div, cr_sqrt); NaN and sign tests are
// done on the bits, as the shaders must (a Vulkan device may assume no NaN in comparisons).
#include "reference/peakfinder8_pyfai.hpp"

#include <algorithm>
#include <bit>
#include <cfloat>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

#include "reference/exact_math.hpp"

namespace vulkanite::reference {
namespace {

constexpr float kInfinity = std::numeric_limits<float>::infinity();
const float kNan = std::bit_cast<float>(kCanonicalNan);

bool finite(float x) { return (std::bit_cast<std::uint32_t>(x) & 0x7f800000u) != 0x7f800000u; }
bool is_nan(float x) { return (std::bit_cast<std::uint32_t>(x) & 0x7fffffffu) > 0x7f800000u; }
// x > 0 for a flushed value (no subnormals): sign clear, not +0, not NaN.
bool positive(float x) {
  const auto bits = std::bit_cast<std::uint32_t>(x);
  return (bits & 0x80000000u) == 0 && bits != 0 && !is_nan(x);
}
// x <= 0, NaN excluded.
bool not_positive(float x) { return !is_nan(x) && !positive(x); }
float mul(float a, float b) { return ftz(a * b); }
float add(float a, float b) { return ftz(a + b); }
float sub(float a, float b) { return ftz(a - b); }

struct Interpolated {
  bool in_range = false;  // false: pyFAI's infinite background, zero std
  bool finite = true;     // false: a node's mean or std is not finite (an `empty` of NaN)
  float mean = 0, std = 0;
};

// pyFAI's linear interpolation of the bin's mean and std at radius r between bin centres;
// beyond the last centre, the last bin's values.
Interpolated interpolate(float radius, const RadialBackground& b, float radius_min, float radius_max) {
  const float r = ftz(radius);
  if (!finite(r) || !(r >= radius_min) || !(r < radius_max)) return {};
  const auto bins = static_cast<std::uint32_t>(b.bin_centers.size());
  const float first = ftz(b.bin_centers[0]);
  const float step = sub(ftz(b.bin_centers[1]), first);
  const float top = static_cast<float>(bins - 1);
  float pos = ftz(cr_div(sub(r, first), step));
  pos = pos < 0.0f ? 0.0f : (pos > top ? top : pos);  // pyFAI's clamp; pos is never NaN here
  const auto index = static_cast<std::uint32_t>(pos);
  const std::uint32_t low = index + 1 < bins ? index : bins - 1;
  const std::uint32_t high = index + 1 < bins ? index + 1 : bins - 1;
  const float mean_low = ftz(b.mean[low]), mean_high = ftz(b.mean[high]);
  const float std_low = ftz(b.std[low]), std_high = ftz(b.std[high]);
  if (!finite(mean_low) || !finite(mean_high) || !finite(std_low) || !finite(std_high))
    return {true, false, 0.0f, 0.0f};
  if (index + 1 < bins) {
    const float delta = sub(pos, static_cast<float>(index));
    const float rest = sub(1.0f, delta);
    return {true, true, add(mul(mean_low, rest), mul(mean_high, delta)), add(mul(std_low, rest), mul(std_high, delta))};
  }
  return {true, true, mean_low, std_low};  // the upper-most bin: no interpolation
}

void check_background(std::size_t pixels, const RadialBackground& b) {
  if (b.radius.size() != pixels)
    throw std::invalid_argument("peakfinder8 (pyFAI): the radius array has " + std::to_string(b.radius.size()) +
                                " values for a frame of " + std::to_string(pixels) + " pixels");
  if (b.bin_centers.size() < 2)
    throw std::invalid_argument("peakfinder8 (pyFAI): at least 2 radial bins are needed to interpolate, not " +
                                std::to_string(b.bin_centers.size()));
  if (b.mean.size() != b.bin_centers.size() || b.std.size() != b.bin_centers.size())
    throw std::invalid_argument("peakfinder8 (pyFAI): " + std::to_string(b.bin_centers.size()) +
                                " bin centres but " + std::to_string(b.mean.size()) + " means and " +
                                std::to_string(b.std.size()) + " standard deviations");
  const float first = ftz(b.bin_centers[0]), second = ftz(b.bin_centers[1]);
  if (!finite(first) || !finite(second) || !(second > first) || !finite(sub(second, first)))
    throw std::invalid_argument("peakfinder8 (pyFAI): the bin centres must be finite and increasing");
}

// The excess and uncertainty pyFAI reads at (row, column): (-1, 0) outside the frame.
struct Neighbour {
  float excess, uncertainty;
};

struct Frame2d {
  std::size_t rows, columns;
  const PixelExcess* pixels;
  Neighbour at(std::ptrdiff_t row, std::ptrdiff_t column) const {
    if (row < 0 || column < 0 || row >= static_cast<std::ptrdiff_t>(rows) ||
        column >= static_cast<std::ptrdiff_t>(columns))
      return {-1.0f, 0.0f};
    const std::size_t i = static_cast<std::size_t>(row) * columns + static_cast<std::size_t>(column);
    return {pixels->excess[i], pixels->uncertainty[i]};
  }
};

struct PatchSums {
  float intensity = 0, variance = 0, moment0 = 0, moment1 = 0;
};

// The twin of evaluate_patch in shaders/peakfinder8_pyfai/peaks.comp: whether (row, column) is
// a peak, and its patch sums, accumulated row by row, column by column, as pyFAI does.
bool evaluate_patch(const Frame2d& f, std::ptrdiff_t row, std::ptrdiff_t column, const Peakfinder8PyfaiParams& p,
                    PatchSums& sums) {
  const Neighbour centre = f.at(row, column);
  const float cutoff = ftz(p.cutoff_peak);
  if (!positive(centre.excess) || !(centre.excess >= mul(cutoff, centre.uncertainty))) return false;
  const auto half = static_cast<std::ptrdiff_t>(p.patch_size / 2);
  float local_max = centre.excess;
  std::uint32_t intense = 0;
  sums = {};
  for (std::ptrdiff_t i = -half; i <= half; ++i) {
    for (std::ptrdiff_t j = -half; j <= half; ++j) {
      const Neighbour v = f.at(row + i, column + j);
      if (positive(v.excess)) {
        if (v.excess >= mul(cutoff, v.uncertainty)) intense += 1;
        local_max = std::max(local_max, v.excess);
        sums.moment0 = add(sums.moment0, mul(static_cast<float>(i), v.excess));
        sums.moment1 = add(sums.moment1, mul(static_cast<float>(j), v.excess));
        sums.intensity = add(sums.intensity, v.excess);
        sums.variance = add(sums.variance, mul(v.uncertainty, v.uncertainty));
      } else if (not_positive(v.uncertainty)) {
        return false;  // pyFAI: a pixel without uncertainty (outside the frame, masked) voids the patch
      }
    }
  }
  return centre.excess == local_max && intense >= p.connected;
}

}  // namespace

std::pair<float, float> peakfinder8_pyfai_radius_limits(const Peakfinder8PyfaiParams& params) {
  if (!params.radial_range) return {0.0f, FLT_MAX};
  const auto [a, b] = *params.radial_range;
  // pyFAI: radius_max = float32(max(radial_range) * EPS32), EPS32 = 1 + float32 epsilon, in double.
  // Flushed, as every value the kernels compare.
  return {ftz(static_cast<float>(std::min(a, b))), ftz(static_cast<float>(std::max(a, b) * (1.0 + FLT_EPSILON)))};
}

void check_params(const Peakfinder8PyfaiParams& p) {
  if (p.patch_size % 2 == 0 || p.patch_size > kPeakfinder8PyfaiMaxPatch)
    throw std::invalid_argument("peakfinder8 (pyFAI): patch_size must be odd, from 1 to " +
                                std::to_string(kPeakfinder8PyfaiMaxPatch) + ", not " + std::to_string(p.patch_size));
  if (p.connected > p.patch_size * p.patch_size)
    throw std::invalid_argument("peakfinder8 (pyFAI): connected (" + std::to_string(p.connected) +
                                ") cannot exceed the " + std::to_string(p.patch_size * p.patch_size) +
                                " pixels of a " + std::to_string(p.patch_size) + "x" + std::to_string(p.patch_size) +
                                " patch");
  if (!(p.noise >= 0.0f) || !finite(p.noise))
    throw std::invalid_argument("peakfinder8 (pyFAI): noise must be a finite number >= 0, not " +
                                std::to_string(p.noise));
  if (!(p.cutoff_peak >= 0.0f) || !finite(p.cutoff_peak))
    throw std::invalid_argument("peakfinder8 (pyFAI): cutoff_peak must be a finite number >= 0, not " +
                                std::to_string(p.cutoff_peak));
  if (p.radial_range) {
    const auto [a, b] = *p.radial_range;
    if (!std::isfinite(a) || !std::isfinite(b) || a == b)
      throw std::invalid_argument("peakfinder8 (pyFAI): the radial range must be two different finite values");
  }
  check_params(p.sigma_clip);
}

PixelExcess peakfinder8_pyfai_excess(std::span<const float> frame, const PixelCorrections& corrections,
                                     const IntegrationParams& integration, const RadialBackground& background,
                                     const Peakfinder8PyfaiParams& params) {
  check_params(params);
  check_background(frame.size(), background);
  if (corrections.normalization.size() != frame.size() ||
      (!corrections.dark.empty() && corrections.dark.size() != frame.size()) ||
      (integration.error_model == ErrorModel::variance && corrections.variance.size() != frame.size()))
    throw std::invalid_argument("peakfinder8 (pyFAI): the corrections do not have one value per pixel");
  const auto [radius_min, radius_max] = peakfinder8_pyfai_radius_limits(params);
  const float noise = ftz(params.noise);
  const float noise_squared = mul(noise, noise);
  PixelExcess out;
  out.excess.resize(frame.size());
  out.uncertainty.resize(frame.size());
  for (std::size_t i = 0; i < frame.size(); ++i) {
    const PreprocessedPixel px = preprocess_pixel(frame, corrections, integration, i);
    const bool counted = px.valid && px.normalization > 0.0f;  // pyFAI: (norm > 0) ? I / norm - bg : 0
    const Interpolated bg = interpolate(background.radius[i], background, radius_min, radius_max);
    if (!bg.finite) {
      // pyFAI would compute with NaN (an `empty` of NaN) and the pixel would take no part: say so.
      out.excess[i] = kNan;
      out.uncertainty[i] = kNan;
      continue;
    }
    float excess = 0.0f;
    if (counted) {
      const float ratio = ftz(cr_div(px.signal, px.normalization));
      if (!bg.in_range) excess = -kInfinity;  // I / n - inf
      else excess = finite(ratio) ? sub(ratio, bg.mean) : ratio;
    }
    out.excess[i] = canonical(excess);
    out.uncertainty[i] = cr_sqrt(add(mul(bg.std, bg.std), noise_squared));
  }
  return out;
}

std::vector<Peakfinder8PyfaiPeak> peakfinder8_pyfai_peaks(std::size_t rows, std::size_t columns,
                                                          const PixelExcess& pixels,
                                                          const Peakfinder8PyfaiParams& params) {
  check_params(params);
  if (pixels.excess.size() != rows * columns || pixels.uncertainty.size() != rows * columns)
    throw std::invalid_argument("peakfinder8 (pyFAI): " + std::to_string(pixels.excess.size()) +
                                " excess values for a frame of " + std::to_string(rows) + " x " +
                                std::to_string(columns) + " pixels");
  const Frame2d frame{rows, columns, &pixels};
  std::vector<Peakfinder8PyfaiPeak> peaks;
  for (std::size_t row = 0; row < rows; ++row) {
    for (std::size_t column = 0; column < columns; ++column) {
      PatchSums s;
      if (!evaluate_patch(frame, static_cast<std::ptrdiff_t>(row), static_cast<std::ptrdiff_t>(column), params, s))
        continue;
      peaks.push_back({static_cast<std::uint32_t>(row * columns + column), canonical(s.intensity),
                       cr_sqrt(s.variance), canonical(add(ftz(cr_div(s.moment0, s.intensity)), static_cast<float>(row))),
                       canonical(add(ftz(cr_div(s.moment1, s.intensity)), static_cast<float>(column)))});
    }
  }
  return peaks;
}

std::vector<Peakfinder8PyfaiPeak> peakfinder8_pyfai(std::size_t rows, std::size_t columns,
                                                    std::span<const float> frame, const PixelCorrections& corrections,
                                                    std::span<const float> radius, std::span<const float> bin_centers,
                                                    const IntegrationResult& sigma_clip,
                                                    const Peakfinder8PyfaiParams& params) {
  if (frame.size() != rows * columns)
    throw std::invalid_argument("peakfinder8 (pyFAI): a frame of " + std::to_string(frame.size()) +
                                " pixels is not " + std::to_string(rows) + " x " + std::to_string(columns));
  const RadialBackground background{radius, bin_centers, sigma_clip.intensity, sigma_clip.std};
  const auto excess = peakfinder8_pyfai_excess(frame, corrections, params.sigma_clip.integration, background, params);
  return peakfinder8_pyfai_peaks(rows, columns, excess, params);
}

}  // namespace vulkanite::reference
