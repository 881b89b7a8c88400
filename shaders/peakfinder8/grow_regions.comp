#version 460
// One invocation (the first of a workgroup) per component that has a seed (its root's entry in
// the list of joinable pixels): grows OM's region from the seed in OM's order, estimates the local background,
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
// size (one list entry per workgroup, whatever its size), 1 pixel type. Twin: Scan::grow, Scan::local_background and Scan::try_candidate in
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
// The square's positions are taken row by row (OM's order) kBackgroundBatch at a time, values and
// background bits together, so that a batch costs one memory round trip (two rows of the usual
// 16 x 16 square: 8 round trips, not 16 as with a batch per row); the sums then run in OM's order
// from registers.
const int kBackgroundBatch = 32;

Background local_background(int cfs, int css, int asic_fs, int asic_ss, int centre_index) {
  const int r2 = 2 * local_bg_radius, side = 2 * r2;
  float sum = 0.0, sum_of_squares = 0.0, max_value = 0.0;
  uint n = 0u;
  // (dfs, dss) of the batch's first position; the positions run row-major over the square.
  int dfs0 = -r2, dss0 = -r2;
  for (int q0 = 0; q0 < side * side; q0 += kBackgroundBatch) {
    float values[kBackgroundBatch];
    bool use[kBackgroundBatch];
    int dfs = dfs0, dss = dss0;
    for (int b = 0; b < kBackgroundBatch; ++b) {
      const int fs = cfs + dfs, ss = css + dss;
      use[b] = q0 + b < side * side && fs >= 0 && fs < int(asic_nx) && ss >= 0 && ss < int(asic_ny) &&
               dfs * dfs + dss * dss <= r2 * r2;
      values[b] = 0.0;
      if (use[b]) {
        const uint j = uint(asic_fs + fs) + uint(asic_ss + ss) * width;
        values[b] = raw_value(j);
        // Pixels below threshold are never taken by a region: OM's "free" test is implied.
        use[b] = background_bit(j);
      }
      if (++dfs == r2) {
        dfs = -r2;
        ++dss;
      }
    }
    dfs0 = dfs;
    dss0 = dss;
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

// Each region's trail and taken marks live in its workgroup's shared memory, not in global
// memory: the visits form one dependent chain (a visit reads the entry an earlier one appended,
// then its neighbours' marks), and a global load of either sat on that chain every visit. Trail
// entries from kSharedTrail on, and pixels outside the window around the seed, use the global
// trail and the labels' kTaken bit as before: each pixel's mark has one home, fixed by where it lies.
const uint kSharedTrail = 512u;
shared uvec2 trail_position[kSharedTrail];  // (fs, ss) of the frame
shared float trail_raw[kSharedTrail];
// Taken marks of a window of kWindow x kWindow pixels, kWindowLeft columns left of the seed and
// kWindowUp rows above it: the seed is its component's first interior pixel in scan order, so the
// rows above hold only border pixels of the component.
const int kWindow = 64, kWindowLeft = 32, kWindowUp = 1;
const uint kWindowWords = uint(kWindow * kWindow) / 32u;
shared uint taken_window[kWindowWords];

void grow(uint root) {
  const uint s = seed[root];
  const uint base = atomicAdd(counters[1], region_size[root]);
  const int seed_fs = int(s % width), seed_ss = int(s / width);
  const int asic_fs = seed_fs - seed_fs % int(asic_nx);
  const int asic_ss = seed_ss - seed_ss % int(asic_ny);
  for (uint w = 0u; w < kWindowWords; ++w) taken_window[w] = 0u;

  // Growth: visit the trail's entries in order, appending the free joinable neighbours. The
  // sums of raw values that the re-integration needs do not depend on the background, so they
  // run here, in the same (growth) order; only the background-subtracted total waits for it.
  uint count = 0u;
  float sum_i = 0.0, sum_fs = 0.0, sum_ss = 0.0;
  float total_raw = 0.0, com_fs = 0.0, com_ss = 0.0, max_raw = uintBitsToFloat(kNegativeInfinityBits);
  trail_position[0] = uvec2(seed_fs, seed_ss);
  for (uint p = 0u; p == 0u || p < count; ++p) {
    int cfs, css;
    if (p < kSharedTrail) {
      cfs = int(trail_position[p].x);
      css = int(trail_position[p].y);
    } else {
      const uint centre = trail[base + p].x;
      cfs = int(centre % width);
      css = int(centre / width);
    }
    // All nine neighbours' bits, marks and values at once (a mark or value is only meaningful
    // where the joinable bit is set): one memory round trip per visit. Within one visit the nine
    // are distinct pixels, so a join does not change what was read for the others.
    uint marks[9], indices[9];
    bool free[9], windowed[9];
    float values[9], raws[9];
    for (uint k = 0u; k < 9u; ++k) {
      const int fs = cfs + kNeighbours[k].x, ss = css + kNeighbours[k].y;
      const bool inside = fs >= asic_fs && fs < asic_fs + int(asic_nx) && ss >= asic_ss && ss < asic_ss + int(asic_ny);
      const int wx = fs - seed_fs + kWindowLeft, wy = ss - seed_ss + kWindowUp;
      windowed[k] = wx >= 0 && wx < kWindow && wy >= 0 && wy < kWindow;
      const uint bit = windowed[k] ? uint(wx + wy * kWindow) : 0u;
      indices[k] = inside ? uint(fs) + uint(ss) * width : 0u;
      free[k] = inside && joinable_bit(indices[k]);
      marks[k] = windowed[k] ? (taken_window[bit >> 5] >> (bit & 31u)) << 31 : label[indices[k]];
      values[k] = joinable_value[indices[k]];
      raws[k] = raw_value(indices[k]);
    }
    for (uint k = 0u; k < 9u; ++k) {
      if (!free[k] || (marks[k] & kTaken) != 0u) continue;
      const uint j = indices[k];
      const int fs_index = cfs + kNeighbours[k].x, ss_index = css + kNeighbours[k].y;
      if (windowed[k]) {
        const uint bit = uint(fs_index - seed_fs + kWindowLeft + (ss_index - seed_ss + kWindowUp) * kWindow);
        taken_window[bit >> 5] |= 1u << (bit & 31u);
      } else {
        label[j] = marks[k] | kTaken;
      }
      const float fs = float(fs_index), ss = float(ss_index);  // j % width, j / width
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
      if (count < kSharedTrail) {
        trail_position[count] = uvec2(fs_index, ss_index);
        trail_raw[count] = raw;
      } else {
        trail[base + count] = uvec2(j, floatBitsToUint(raw));
      }
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
      for (uint b = 0u; b < kReintegrationBatch; ++b) {
        const uint k = k0 + b;
        raw[b] = k >= count ? 0.0 : k < kSharedTrail ? trail_raw[k] : uintBitsToFloat(trail[base + k].y);
      }
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

// One entry of label_init's list of joinable pixels per workgroup (32 invocations, set by the
// host), whose first invocation grows the region when the entry is a root with a seed. One entry
// per workgroup, not per 32 invocations of workgroups of 256: such a workgroup holds the
// registers of all 256 until its last region is grown, and the 686 of them that the benchmark
// frame's 5486 entries need fit on an H100 at once only below about 42 registers per invocation
// (a visit holds 45 values); a workgroup whose entry is no root ends at once.
// Packed one per invocation, the few hundred roots of a frame's few thousand entries grew side by
// side in a few dozen workgroups: 164 us on an H100, against 150 us spread out (measured before
// the read-only declarations of common/peakfinder8.glsl).
void main() {
  if (gl_LocalInvocationID.x != 0u) return;
  const uint entries = counters[3];
  for (uint e = gl_WorkGroupID.x; e < entries; e += gl_NumWorkGroups.x) {
    const uint i = joinable_list[e];
    if (label[i] == i && seed[i] != kNone) grow(i);
  }
}
