#include "reference/peakfinder8.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

// Every float expression below is evaluated as OM's extension evaluates it on x86-64: float
// operands, each operation rounded to float (the project compiles with -ffp-contract=off, OM's
// build targets baseline x86-64, which has no fused multiply-add). Where OM mixes in double
// (fabs(float) compared with 1e-10, sqrt of a float) the result is the same as the float
// expression written here: float -> double is exact and a double square root or quotient of
// float operands rounded to float is the correctly rounded float result (53 >= 2 x 24 + 2).
namespace vulkanite::reference {

std::int32_t ring_of(float radius) { return static_cast<std::int32_t>(std::nearbyint(radius)); }

namespace {

// OM's FLT_MIN: the smallest positive normal float, not the most negative float.
constexpr float kFloatMin = std::numeric_limits<float>::min();
constexpr float kFloatMax = std::numeric_limits<float>::max();
constexpr int kMaxLocalBgRadius = 1024;

[[noreturn]] void invalid(const std::string& what) { throw std::invalid_argument("peakfinder8: " + what); }

// One pass over the pixels: the sums of the pixels strictly between each ring's thresholds.
struct RingSums {
  std::vector<float> sum, sum_of_squares;
  std::vector<std::int32_t> count;
};

void accept_pixel(RingSums& sums, const RadialStats& stats, std::int32_t ring, float value) {
  if (value < stats.threshold[ring] && value > stats.lower_threshold[ring]) {
    sums.sum[ring] += value;
    sums.sum_of_squares[ring] += value * value;
    sums.count[ring] += 1;
  }
}

RingSums accumulate_rings(std::span<const float> data, std::span<const float> radius, std::span<const std::int8_t> mask,
                          const RadialStats& stats, const RadialSample& sample) {
  const std::size_t rings = stats.threshold.size();
  RingSums sums{std::vector<float>(rings, 0.0f), std::vector<float>(rings, 0.0f), std::vector<std::int32_t>(rings, 0)};
  if (sample.pixel_index.empty()) {
    for (std::size_t i = 0; i < data.size(); ++i)
      if (mask[i] != 0) accept_pixel(sums, stats, ring_of(radius[i]), data[i]);
  } else {
    for (std::size_t k = 0; k < sample.pixel_index.size(); ++k) {
      const auto i = static_cast<std::size_t>(sample.pixel_index[k]);
      if (mask[i] != 0) accept_pixel(sums, stats, sample.radius[k], data[i]);
    }
  }
  return sums;
}

// Mean and standard deviation per ring, then the thresholds of the next pass. A ring that kept
// no pixel gets thresholds (FLT_MIN, FLT_MAX): the next pass takes every positive value in it,
// so a ring whose pixels are all equal alternates between empty and full from pass to pass. A
// negative variance (rounding) is kept as the "sigma" itself, without a square root, as OM does.
void update_thresholds(RadialStats& stats, const RingSums& sums, float minimum_snr, float adc_threshold) {
  for (std::size_t r = 0; r < stats.threshold.size(); ++r) {
    stats.count[r] = sums.count[r];
    if (sums.count[r] == 0) {
      stats.offset[r] = 0.0f;
      stats.sigma[r] = 0.0f;
      stats.threshold[r] = kFloatMax;
      stats.lower_threshold[r] = kFloatMin;
      continue;
    }
    const float n = static_cast<float>(sums.count[r]);
    const float mean = sums.sum[r] / n;
    float sigma = sums.sum_of_squares[r] / n - mean * mean;
    if (sigma >= 0.0f) sigma = std::sqrt(sigma);
    stats.offset[r] = mean;
    stats.sigma[r] = sigma;
    stats.threshold[r] = mean + minimum_snr * sigma;
    stats.lower_threshold[r] = mean - minimum_snr * sigma;
    if (stats.threshold[r] < adc_threshold) stats.threshold[r] = adc_threshold;
  }
}

}  // namespace

std::vector<std::int8_t> peakfinder8_mask(std::span<const float> radius, std::span<const std::int8_t> bad_pixel_map,
                                          std::int32_t min_res, std::int32_t max_res) {
  if (radius.size() != bad_pixel_map.size()) invalid("radius map and bad-pixel map differ in size");
  std::vector<std::int8_t> mask(bad_pixel_map.begin(), bad_pixel_map.end());
  // NumPy compares the float32 radius with the Python int exactly; so does double here.
  for (std::size_t i = 0; i < radius.size(); ++i) {
    const double r = radius[i];
    if (r < static_cast<double>(min_res) || r > static_cast<double>(max_res)) mask[i] = 0;
  }
  return mask;
}

std::int32_t radial_bin_count(std::span<const float> radius) {
  float max_r = -1e9f;
  for (const float r : radius)
    if (r > max_r) max_r = r;
  return static_cast<std::int32_t>(std::ceil(max_r)) + 1;
}

RadialStats radial_statistics(std::span<const float> data, std::span<const float> radius,
                              std::span<const std::int8_t> mask, float minimum_snr, float adc_threshold,
                              const RadialSample& sample) {
  const auto rings = static_cast<std::size_t>(radial_bin_count(radius));
  RadialStats stats{std::vector<float>(rings, 0.0f), std::vector<float>(rings, 0.0f),
                    std::vector<float>(rings, 1e9f), std::vector<float>(rings, -1e9f),
                    std::vector<std::int32_t>(rings, 0)};
  for (int pass = 0; pass < kPeakfinder8Iterations; ++pass)
    update_thresholds(stats, accumulate_rings(data, radius, mask, stats, sample), minimum_snr, adc_threshold);
  return stats;
}

namespace {

// OM's growth pattern, (fs, ss) offsets in its order: the pixel itself first, then the row above
// from left to right, left, right, and the row below from left to right.
constexpr std::array<std::array<std::int32_t, 2>, 9> kNeighbours = {
    {{0, 0}, {-1, -1}, {0, -1}, {1, -1}, {-1, 0}, {1, 0}, {-1, 1}, {0, 1}, {1, 1}}};

// A connected region as it grows: sums of (value - ring offset), plain and weighted by the
// pixel's frame coordinates, in the order the pixels join.
struct Growth {
  std::int32_t count = 0;
  float sum_i = 0.0f, sum_fs = 0.0f, sum_ss = 0.0f;
};

struct Background {
  float offset = 0.0f, sigma = 0.0f, max_value = 0.0f;
};

// The scan's state. `trail` (OM's infs/inss: ASIC-local coordinates of the pixels of the region
// being grown) is never cleared: entries past the current region's end are left over from
// earlier regions, of this ASIC or an earlier one, or still (0, 0) from the start, and OM's
// growth visits one of them (see grow).
class Scan {
 public:
  Scan(const Peakfinder8Layout& layout, std::span<const float> data, std::span<const float> radius,
       std::span<const std::int8_t> mask, const RadialStats& stats, const Peakfinder8Params& params)
      : layout_(layout), data_(data), radius_(radius), mask_(mask), stats_(stats), params_(params),
        state_(layout.pixel_count(), PixelState::free), trail_(layout.pixel_count() + 1, {0, 0}),
        pixels_(static_cast<std::size_t>(params.max_pixel_count), 0) {}

  void run(Peakfinder8Result& result) {
    for (aiss_ = 0; aiss_ < layout_.nasics_y; ++aiss_)
      for (aifs_ = 0; aifs_ < layout_.nasics_x; ++aifs_)
        // Pixels on an ASIC's border never start a region (they may join one).
        for (std::int32_t ss = 1; ss < layout_.asic_ny - 1; ++ss)
          for (std::int32_t fs = 1; fs < layout_.asic_nx - 1; ++fs)
            if (joins(index(fs, ss))) try_candidate(fs, ss, result);
  }

  std::span<const PixelState> states() const { return state_; }

 private:
  std::int32_t width() const { return layout_.fs_size(); }
  std::int32_t global_fs(std::int32_t fs) const { return fs + aifs_ * layout_.asic_nx; }
  std::int32_t global_ss(std::int32_t ss) const { return ss + aiss_ * layout_.asic_ny; }
  std::size_t index(std::int32_t fs, std::int32_t ss) const {
    return static_cast<std::size_t>(global_fs(fs)) + static_cast<std::size_t>(global_ss(ss)) * width();
  }
  bool inside_asic(std::int32_t fs, std::int32_t ss) const {
    return fs >= 0 && fs < layout_.asic_nx && ss >= 0 && ss < layout_.asic_ny;
  }
  // Above its ring's threshold (strictly), not yet taken by any region, and not masked.
  bool joins(std::size_t i) const {
    return data_[i] > stats_.threshold[ring_of(radius_[i])] && state_[i] == PixelState::free && mask_[i] != 0;
  }

  Growth grow(std::int32_t seed_fs, std::int32_t seed_ss);
  void visit(std::int32_t p, Growth& growth);
  Background local_background(std::int32_t fs, std::int32_t ss, std::size_t com_index) const;
  void try_candidate(std::int32_t seed_fs, std::int32_t seed_ss, Peakfinder8Result& result);

  const Peakfinder8Layout& layout_;
  std::span<const float> data_, radius_;
  std::span<const std::int8_t> mask_;
  const RadialStats& stats_;
  const Peakfinder8Params& params_;
  std::vector<PixelState> state_;
  std::vector<std::array<std::int32_t, 2>> trail_;
  std::vector<std::int32_t> pixels_;  // flat indices of the region's first max_pixel_count pixels
  std::int32_t aifs_ = 0, aiss_ = 0;
};

// Visits the 3 x 3 neighbourhood of trail entry p. The entry is read again for every neighbour:
// when p is the region's end, the first pixel that joins overwrites entry p, and the remaining
// neighbours are taken around that pixel instead.
void Scan::visit(std::int32_t p, Growth& growth) {
  for (const auto& [dfs, dss] : kNeighbours) {
    const std::int32_t fs = trail_[p][0] + dfs, ss = trail_[p][1] + dss;
    if (!inside_asic(fs, ss)) continue;
    const std::size_t i = index(fs, ss);
    if (!joins(i)) continue;
    const float value = data_[i] - stats_.offset[ring_of(radius_[i])];
    growth.sum_i += value;
    growth.sum_fs += value * static_cast<float>(global_fs(fs));
    growth.sum_ss += value * static_cast<float>(global_ss(ss));
    trail_[growth.count] = {fs, ss};
    state_[i] = PixelState::candidate;
    if (growth.count < params_.max_pixel_count) pixels_[growth.count] = static_cast<std::int32_t>(i);
    growth.count += 1;
  }
}

// Passes over the trail until a pass adds nothing. Each pass visits entries 0 .. count
// inclusive, count being re-read as it grows: the last visit is of the entry one past the
// region, a stale one, so pixels around a stale position (an earlier region's pixel, possibly
// of another ASIC, or (0, 0)) join the region although they do not touch it.
Growth Scan::grow(std::int32_t seed_fs, std::int32_t seed_ss) {
  Growth growth;
  trail_[0] = {seed_fs, seed_ss};
  std::int32_t before = 0;
  do {
    before = growth.count;
    for (std::int32_t p = 0; p <= growth.count; ++p) visit(p, growth);
  } while (before != growth.count);
  return growth;
}

// OM's "ring": the square [-2R, 2R) x [-2R, 2R) around the region's rounded centre (one more
// pixel on the negative side), cut to the disk of radius 2R (R = local_bg_radius) and to the
// ASIC; the pixels below their ring's threshold, free and unmasked, count. The region's own
// pixels are no longer free. OM tests sqrt(d2) > 2R in float; for 2R <= 2048 that is d2 > 4R^2.
Background Scan::local_background(std::int32_t fs, std::int32_t ss, std::size_t com_index) const {
  const std::int32_t width_2r = 2 * params_.local_bg_radius;
  float sum = 0.0f, sum_of_squares = 0.0f, max_value = 0.0f;
  std::int32_t n = 0;
  for (std::int32_t dss = -width_2r; dss < width_2r; ++dss)
    for (std::int32_t dfs = -width_2r; dfs < width_2r; ++dfs) {
      if (!inside_asic(fs + dfs, ss + dss) || dfs * dfs + dss * dss > width_2r * width_2r) continue;
      const std::size_t i = index(fs + dfs, ss + dss);
      const float value = data_[i];
      if (value < stats_.threshold[ring_of(radius_[i])] && state_[i] == PixelState::free && mask_[i] != 0) {
        n += 1;
        sum += value;
        sum_of_squares += value * value;
        if (value > max_value) max_value = value;
      }
    }
  Background background{.max_value = max_value};
  if (n != 0) {
    background.offset = sum / static_cast<float>(n);
    const float variance = sum_of_squares / static_cast<float>(n) - background.offset * background.offset;
    background.sigma = variance >= 0.0f ? std::sqrt(variance) : 0.01f;
  } else {
    // No background pixel: the ring offset at the centre pixel. OM reads outside the frame
    // when that centre lies outside it (only possible with negative weights); clamped here.
    const std::size_t i = com_index < data_.size() ? com_index : data_.size() - 1;
    background.offset = stats_.offset[ring_of(radius_[i])];
    background.sigma = 0.01f;
  }
  return background;
}

void Scan::try_candidate(std::int32_t seed_fs, std::int32_t seed_ss, Peakfinder8Result& result) {
  const Growth growth = grow(seed_fs, seed_ss);
  // A rejected region keeps its pixels marked: they neither start nor join later regions, and
  // stay out of later backgrounds.
  if (growth.count < params_.min_pixel_count || growth.count > params_.max_pixel_count) return;
  if (static_cast<double>(std::fabs(growth.sum_i)) < 1e-10) return;
  const float first_fs = growth.sum_fs / std::fabs(growth.sum_i);
  const float first_ss = growth.sum_ss / std::fabs(growth.sum_i);
  const std::int32_t centre_fs = static_cast<std::int32_t>(std::nearbyint(first_fs));
  const std::int32_t centre_ss = static_cast<std::int32_t>(std::nearbyint(first_ss));
  const std::int64_t centre_index = std::int64_t{centre_fs} + std::int64_t{centre_ss} * width();
  const Background background =
      local_background(centre_fs - aifs_ * layout_.asic_nx, centre_ss - aiss_ * layout_.asic_ny,
                       centre_index < 0 ? data_.size() : static_cast<std::size_t>(centre_index));

  // Re-integration with the local background, in growth order; the centre now weights the raw
  // values. The maximum starts at 0.
  float total = 0.0f, total_raw = 0.0f, max_value = 0.0f, sum_fs = 0.0f, sum_ss = 0.0f;
  for (std::int32_t k = 0; k < growth.count; ++k) {
    const auto i = static_cast<std::size_t>(pixels_[k]);
    const float raw = data_[i];
    const float value = raw - background.offset;
    total += value;
    total_raw += raw;
    sum_fs += raw * static_cast<float>(i % static_cast<std::size_t>(width()));
    sum_ss += raw * static_cast<float>(i / static_cast<std::size_t>(width()));
    if (value > max_value) max_value = value;
  }
  if (static_cast<double>(std::fabs(total_raw)) < 1e-10) return;
  const float com_fs = sum_fs / std::fabs(total_raw);
  const float com_ss = sum_ss / std::fabs(total_raw);
  const float snr = static_cast<double>(std::fabs(background.sigma)) > 1e-10 ? total / background.sigma : 0.0f;
  if (snr < params_.minimum_snr) return;  // a NaN SNR passes
  if (max_value < background.max_value - background.offset) return;
  const float fs_lo = static_cast<float>(aifs_ * layout_.asic_nx);
  const float fs_hi = static_cast<float>((aifs_ + 1) * layout_.asic_nx - 1);
  const float ss_lo = static_cast<float>(aiss_ * layout_.asic_ny);
  const float ss_hi = static_cast<float>((aiss_ + 1) * layout_.asic_ny - 1);
  if (com_fs < fs_lo || com_fs > fs_hi || com_ss < ss_lo || com_ss > ss_hi) return;

  for (std::int32_t k = 0; k < growth.count; ++k) state_[static_cast<std::size_t>(pixels_[k])] = PixelState::peak;
  // Peaks past max_num_peaks are still found and marked (later backgrounds skip their pixels)
  // but not returned.
  if (result.found < params_.max_num_peaks) {
    Peak8 peak;
    peak.fs = com_fs;
    peak.ss = com_ss;
    peak.total_intensity = total;
    peak.max_intensity = max_value;
    peak.snr = snr;
    peak.background = background.offset;
    peak.pixel_count = growth.count;
    peak.sigma = background.sigma;
    peak.com_index = static_cast<std::int32_t>(std::nearbyint(com_fs)) +
                     static_cast<std::int32_t>(std::nearbyint(com_ss)) * width();
    result.peaks.push_back(peak);
  }
  result.found += 1;
}

}  // namespace

Peakfinder8Result find_peaks(const Peakfinder8Layout& layout, std::span<const float> data,
                             std::span<const float> radius, std::span<const std::int8_t> mask,
                             const RadialStats& stats, const Peakfinder8Params& params,
                             std::span<PixelState> pixel_states) {
  if (!pixel_states.empty() && pixel_states.size() != layout.pixel_count())
    invalid("pixel_states must hold one entry per pixel");
  Scan scan(layout, data, radius, mask, stats, params);
  Peakfinder8Result result;
  scan.run(result);
  std::copy_n(scan.states().begin(), pixel_states.size(), pixel_states.begin());
  return result;
}

namespace {

void check_data_size(const Peakfinder8Layout& layout, std::span<const float> data) {
  if (data.size() != layout.pixel_count())
    invalid("data, radius map and mask must each hold " + std::to_string(layout.pixel_count()) +
            " pixels (the layout's)");
}

}  // namespace

void check_peakfinder8_setup(const Peakfinder8Layout& layout, std::span<const float> radius,
                             std::span<const std::int8_t> mask, const Peakfinder8Params& params,
                             const RadialSample& sample) {
  if (layout.asic_nx < 1 || layout.asic_ny < 1 || layout.nasics_x < 1 || layout.nasics_y < 1)
    invalid("layout sizes must be at least 1");
  if (std::int64_t{layout.asic_nx} * layout.nasics_x * layout.asic_ny * layout.nasics_y >=
      std::int64_t{std::numeric_limits<std::int32_t>::max()})
    invalid("frame too large for OM's int pixel indices");
  const std::size_t n = layout.pixel_count();
  if (radius.size() != n || mask.size() != n)
    invalid("data, radius map and mask must each hold " + std::to_string(n) + " pixels (the layout's)");
  if (params.max_num_peaks < 0 || params.max_pixel_count < 0) invalid("max_num_peaks and max_pixel_count must be >= 0");
  if (params.local_bg_radius < 0 || params.local_bg_radius > kMaxLocalBgRadius)
    invalid("local_bg_radius must be in [0, " + std::to_string(kMaxLocalBgRadius) + "]");
  for (std::size_t i = 0; i < n; ++i) {
    if (!std::isfinite(radius[i]) || ring_of(radius[i]) < 0)
      invalid("radius map value " + std::to_string(radius[i]) + " at pixel " + std::to_string(i) +
              " is not finite or rounds below 0");
  }
  if (sample.pixel_index.size() != sample.radius.size())
    invalid("fast-mode sample: pixel_index and radius differ in size");
  const std::int32_t rings = radial_bin_count(radius);
  for (std::size_t k = 0; k < sample.pixel_index.size(); ++k)
    if (sample.pixel_index[k] < 0 || static_cast<std::size_t>(sample.pixel_index[k]) >= n || sample.radius[k] < 0 ||
        sample.radius[k] >= rings)
      invalid("fast-mode sample entry " + std::to_string(k) + " is outside the frame or the rings");
}

Peakfinder8Result peakfinder8(const Peakfinder8Layout& layout, std::span<const float> data,
                              std::span<const float> radius, std::span<const std::int8_t> bad_pixel_map,
                              const Peakfinder8Params& params, const RadialSample& sample) {
  check_peakfinder8_setup(layout, radius, bad_pixel_map, params, sample);
  check_data_size(layout, data);
  const auto mask = peakfinder8_mask(radius, bad_pixel_map, params.min_res, params.max_res);
  for (std::size_t i = 0; i < data.size(); ++i)
    if (mask[i] != 0 && std::isinf(data[i])) invalid("infinite value at unmasked pixel " + std::to_string(i) + " (mask it)");
  const auto stats = radial_statistics(data, radius, mask, params.minimum_snr, params.adc_threshold, sample);
  return find_peaks(layout, data, radius, mask, stats, params);
}

}  // namespace vulkanite::reference
