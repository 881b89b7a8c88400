#version 460
// One invocation per component that has a seed (its root's entry in the list of joinable
// pixels): grows OM's region from the seed in OM's order, estimates the local background,
// re-integrates and applies OM's filters, then writes the region (accepted or not) and its
// pixels in the order they joined, for the host to order and check.
//
// Regions cannot interact here: a component's joinable neighbours are its own pixels, and the
// background only reads pixels below threshold, which no region ever takes. The one coupling in
// OM, the stale trail entry visited past each region's end, is left to the host: this kernel
// skips that visit, and the host proves for each region that OM's visit joins nothing (or falls
// back on the sequential scan).
//
// Bindings and push constants: common/peakfinder8.glsl. Specialization constants: 0 workgroup
// size, 1 pixel type. Twin: Scan::grow, Scan::local_background and Scan::try_candidate in
// reference/peakfinder8.cpp, every float operation in the same order.
#extension GL_GOOGLE_include_directive : require
layout(local_size_x_id = 0) in;
layout(constant_id = 1) const uint kPixelType = 0;
#define PEAKFINDER8_GROW_REGIONS
#include "common/peakfinder8.glsl"

// OM's growth order (fs, ss): the pixel itself, the row above, left, right, the row below.
const ivec2 kNeighbours[9] = ivec2[](ivec2(0, 0), ivec2(-1, -1), ivec2(0, -1), ivec2(1, -1), ivec2(-1, 0),
                                     ivec2(1, 0), ivec2(-1, 1), ivec2(0, 1), ivec2(1, 1));
// OM compares |x| with the double 1e-10: for a float x, |x| < 1e-10 exactly when |x| is below
// the float nearest 1e-10 (which lies above 1e-10).
const uint kTinyBits = 0x2edbe6ffu;
float tiny() { return uintBitsToFloat(kTinyBits); }
const uint kNegativeInfinityBits = 0xff800000u;
const uint kReintegrationBatch = 16u;

struct Background {
  float offset, sigma, max_value;
};

// `cfs`, `css`: the centre in ASIC coordinates; `asic_fs`, `asic_ss`: the ASIC's first pixel.
// Pixels of the background square loaded per batch: one row of it at a time (4R wide), values
// and background bits together, so that a row costs one memory round trip rather than 4R; the
// sums then run in OM's order from registers.
const int kBackgroundBatch = 16;

Background local_background(int cfs, int css, int asic_fs, int asic_ss, int centre_index) {
  const int r2 = 2 * local_bg_radius;
  float sum = 0.0, sum_of_squares = 0.0, max_value = 0.0;
  uint n = 0u;
  for (int dss = -r2; dss < r2; ++dss) {
    for (int dfs0 = -r2; dfs0 < r2; dfs0 += kBackgroundBatch) {
      float values[kBackgroundBatch];
      bool use[kBackgroundBatch];
      for (int b = 0; b < kBackgroundBatch; ++b) {
        const int dfs = dfs0 + b, fs = cfs + dfs, ss = css + dss;
        use[b] = dfs < r2 && fs >= 0 && fs < int(asic_nx) && ss >= 0 && ss < int(asic_ny) && dfs * dfs + dss * dss <= r2 * r2;
        values[b] = 0.0;
        if (use[b]) {
          const uint j = uint(asic_fs + fs) + uint(asic_ss + ss) * width;
          values[b] = raw_value(j);
          // Pixels below threshold are never taken by a region: OM's "free" test is implied.
          use[b] = background_bit(j);
        }
      }
      for (int b = 0; b < kBackgroundBatch; ++b) {
        if (!use[b]) continue;
        const float v = values[b];
        n += 1u;
        precise float square = v * v;
        precise float a = sum + v;
        precise float c = sum_of_squares + square;
        sum = a;
        sum_of_squares = c;
        if (v > max_value) max_value = v;
      }
    }
  }
  Background bg;
  bg.max_value = max_value;
  if (n != 0u) {
    const float count = float(n);
    bg.offset = cr_div(sum, count);
    precise float mean_square = bg.offset * bg.offset;
    precise float variance = cr_div(sum_of_squares, count) - mean_square;
    bg.sigma = variance >= 0.0 ? cr_sqrt(variance) : 0.01;
  } else {
    // The ring offset at the centre pixel (clamped into the frame, as the reference does).
    const uint i = centre_index < 0 || uint(centre_index) >= pixels ? pixels - 1u : uint(centre_index);
    bg.offset = ring_offset(pixel_ring[i] & kRingBits);
    bg.sigma = 0.01;
  }
  return bg;
}

void grow(uint root) {
  const uint s = seed[root];
  const uint base = atomicAdd(counters[1], region_size[root]);
  const int asic_fs = int((s % width) - (s % width) % asic_nx);
  const int asic_ss = int((s / width) - (s / width) % asic_ny);

  // Growth: visit the trail's entries in order, appending the free joinable neighbours. The
  // sums of raw values that the re-integration needs do not depend on the background, so they
  // run here, in the same (growth) order; only the background-subtracted total waits for it.
  uint count = 0u;
  float sum_i = 0.0, sum_fs = 0.0, sum_ss = 0.0;
  float total_raw = 0.0, com_fs = 0.0, com_ss = 0.0, max_raw = uintBitsToFloat(kNegativeInfinityBits);
  trail[base] = uvec2(s, 0u);
  for (uint p = 0u; p == 0u || p < count; ++p) {
    const uint centre = trail[base + p].x;
    const int cfs = int(centre % width), css = int(centre / width);
    // All nine neighbours' bits, labels and values at once (a label or value is only meaningful
    // where the joinable bit is set): one memory round trip per visit. Within one visit the nine
    // are distinct pixels, so a join does not change what was read for the others.
    uint labels[9], indices[9];
    bool free[9];
    float values[9], raws[9];
    for (uint k = 0u; k < 9u; ++k) {
      const int fs = cfs + kNeighbours[k].x, ss = css + kNeighbours[k].y;
      const bool inside = fs >= asic_fs && fs < asic_fs + int(asic_nx) && ss >= asic_ss && ss < asic_ss + int(asic_ny);
      indices[k] = inside ? uint(fs) + uint(ss) * width : 0u;
      free[k] = inside && joinable_bit(indices[k]);
      labels[k] = label[indices[k]];
      values[k] = joinable_value[indices[k]];
      raws[k] = raw_value(indices[k]);
    }
    for (uint k = 0u; k < 9u; ++k) {
      if (!free[k] || (labels[k] & kTaken) != 0u) continue;
      const uint j = indices[k];
      label[j] = labels[k] | kTaken;
      const float fs = float(j % width), ss = float(j / width);
      precise float value = values[k];
      precise float weighted_fs = value * fs;
      precise float weighted_ss = value * ss;
      precise float a = sum_i + value;
      precise float b = sum_fs + weighted_fs;
      precise float c = sum_ss + weighted_ss;
      sum_i = a;
      sum_fs = b;
      sum_ss = c;
      precise float raw = raws[k];
      precise float raw_fs = raw * fs;
      precise float raw_ss = raw * ss;
      precise float d = total_raw + raw;
      precise float e = com_fs + raw_fs;
      precise float f = com_ss + raw_ss;
      total_raw = d;
      com_fs = e;
      com_ss = f;
      if (raw > max_raw) max_raw = raw;
      trail[base + count] = uvec2(j, floatBitsToUint(raw));
      if (base + count < trail_capacity) trail_out[base + count] = j;
      count += 1u;
    }
  }

  Region r;
  r.seed = s;
  r.count = count;
  r.trail_offset = base;
  r.accepted = 0u;
  r.fs = r.ss = r.total_intensity = r.max_intensity = r.snr = r.background = r.sigma = 0.0;
  r.com_index = 0;
  if (int(count) >= min_pixel_count && int(count) <= max_pixel_count && abs(sum_i) >= tiny()) {
    const int centre_fs = int(roundEven(cr_div(sum_fs, abs(sum_i))));
    const int centre_ss = int(roundEven(cr_div(sum_ss, abs(sum_i))));
    const Background bg =
        local_background(centre_fs - asic_fs, centre_ss - asic_ss, asic_fs, asic_ss, centre_fs + centre_ss * int(width));

    // Re-integration with the local background, in growth order, from the raw values the trail
    // kept. The largest value - offset is the largest raw value's: rounding is monotonic.
    float total = 0.0;
    for (uint k0 = 0u; k0 < count; k0 += kReintegrationBatch) {
      float raw[kReintegrationBatch];
      for (uint b = 0u; b < kReintegrationBatch; ++b) raw[b] = k0 + b < count ? uintBitsToFloat(trail[base + k0 + b].y) : 0.0;
      for (uint b = 0u; b < kReintegrationBatch && k0 + b < count; ++b) {
        precise float value = raw[b] - bg.offset;
        precise float a = total + value;
        total = a;
      }
    }
    precise float largest = max_raw - bg.offset;
    const float max_value = largest > 0.0 ? largest : 0.0;  // OM starts its maximum at 0
    if (abs(total_raw) >= tiny()) {
      const float peak_fs = cr_div(com_fs, abs(total_raw));
      const float peak_ss = cr_div(com_ss, abs(total_raw));
      const float snr = abs(bg.sigma) >= tiny() ? cr_div(total, bg.sigma) : 0.0;
      precise float background_max = bg.max_value - bg.offset;
      const bool inside = peak_fs >= float(asic_fs) && peak_fs <= float(asic_fs + int(asic_nx) - 1) &&
                          peak_ss >= float(asic_ss) && peak_ss <= float(asic_ss + int(asic_ny) - 1);
      // `!(snr < minimum_snr)`: a NaN SNR passes, as in OM.
      if (!(snr < minimum_snr) && !(max_value < background_max) && inside) {
        r.accepted = 1u;
        r.fs = peak_fs;
        r.ss = peak_ss;
        r.total_intensity = total;
        r.max_intensity = max_value;
        r.snr = snr;
        r.background = bg.offset;
        r.sigma = bg.sigma;
        r.com_index = int(roundEven(peak_fs)) + int(roundEven(peak_ss)) * int(width);
      }
    }
  }

  const uint slot = atomicAdd(counters[0], 1u);
  if (slot < region_capacity) {
    regions[slot] = r;
  } else {
    atomicOr(counters[2], kOverflow);
  }
  if (base + count > trail_capacity) atomicOr(counters[2], kOverflow);
}

// One entry of label_init's list of joinable pixels per kSpread invocations; the roots among
// them grow. Packed one per invocation, the few hundred roots of a frame's few thousand entries
// grew side by side in a few dozen workgroups: 164 us on an H100, against 150 us spread out
// (measured before the read-only declarations of common/peakfinder8.glsl).
const uint kSpread = 32u;

void main() {
  const uint stride = gl_NumWorkGroups.x * gl_WorkGroupSize.x;
  const uint entries = counters[3];
  for (uint g = gl_GlobalInvocationID.x; g / kSpread < entries; g += stride) {
    if (g % kSpread != 0u) continue;
    const uint i = joinable_list[g / kSpread];
    if (label[i] == i && seed[i] != kNone) grow(i);
  }
}
