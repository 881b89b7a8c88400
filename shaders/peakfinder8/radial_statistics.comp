#version 460
// OM's radial statistics: 5 passes of per-ring mean and standard deviation of the unmasked
// pixels strictly between the previous pass's thresholds, then each ring's thresholds.
// One workgroup per ring (rings = group, group + G, ...).
//
// OM adds a ring's pixels one after the other in float, and a different order would change the
// bits. The workgroup therefore first sums in parallel and keeps that result only when it is
// provably the sequential one: every accepted value an integer and the computed sums of |v| and
// v^2 below 2^24. Then every partial sum, in any order, is an integer below 2^24, hence exact
// (a computed sum of non-negative terms that ends below 2^24 never rounded on the way: rounding
// is monotonic and 2^24 is a float). Photon-counting frames take this path in all but the first
// pass of rings with bright pixels; otherwise invocation 0 walks the ring in OM's order.
// VULKANITE_SUBGROUPS=1: the parallel sums are subgroup sums (any order gives these bits).
//
// Bindings and push constants: common/peakfinder8.glsl (uses frame, pixel ring CSR, ring_values,
// ring_stats). Specialization constants: 0 workgroup size (power of two), 1 pixel type.
// Twin: reference::radial_statistics (reference/peakfinder8.cpp).
#extension GL_GOOGLE_include_directive : require
#if VULKANITE_SUBGROUPS
#extension GL_KHR_shader_subgroup_basic : require
#extension GL_KHR_shader_subgroup_arithmetic : require
#endif
layout(local_size_x_id = 0) in;
layout(constant_id = 1) const uint kPixelType = 0;
#define PEAKFINDER8_RADIAL_STATISTICS
#include "common/peakfinder8.glsl"

const uint kPasses = 5u;                    // reference::kPeakfinder8Iterations
const float kExactBound = 16777216.0;       // 2^24
const uint kSequentialBatch = 16u;
const uint kLoadBatch = 8u;
const uint kFloatMaxBits = 0x7f7fffffu;
const uint kFloatMinBits = 0x00800000u;  // OM's FLT_MIN: the smallest normal, not -FLT_MAX

shared vec3 partial_sums[gl_WorkGroupSize.x];  // |v|, v, v^2
shared uvec2 partial_counts[gl_WorkGroupSize.x];  // accepted, non-integers among them
shared float pass_sum, pass_sum_of_squares;
shared uint pass_count;

void main() {
  const uint t = gl_LocalInvocationID.x;
  for (uint ring = gl_WorkGroupID.x; ring < rings; ring += gl_NumWorkGroups.x) {
    const uint begin = ring_start[ring], end = ring_start[ring + 1u];
    float upper = 1e9, lower = -1e9, offset = 0.0, sigma = 0.0;
    uint count = 0u;
    for (uint pass = 0u; pass < kPasses; ++pass) {
      vec3 sums = vec3(0.0);
      uvec2 counts = uvec2(0u);
      // kLoadBatch entries per invocation loaded before any is added: one memory round trip per
      // batch, not per entry. Entry k belongs to the same invocation in every pass.
      for (uint k0 = begin + t; k0 < end; k0 += kLoadBatch * gl_WorkGroupSize.x) {
        float values[kLoadBatch];
        if (pass == 0u) {
          uint pixel[kLoadBatch];
          for (uint b = 0u; b < kLoadBatch; ++b) {
            const uint k = k0 + b * gl_WorkGroupSize.x;
            pixel[b] = k < end ? ring_pixel[k] : 0u;
          }
          for (uint b = 0u; b < kLoadBatch; ++b) values[b] = raw_value(pixel[b]);
          for (uint b = 0u; b < kLoadBatch; ++b) {
            const uint k = k0 + b * gl_WorkGroupSize.x;
            if (k < end) ring_values[k] = values[b];
          }
        } else {
          for (uint b = 0u; b < kLoadBatch; ++b) {
            const uint k = k0 + b * gl_WorkGroupSize.x;
            values[b] = k < end ? ring_values[k] : 0.0;
          }
        }
        for (uint b = 0u; b < kLoadBatch; ++b) {
          const float v = values[b];
          if (k0 + b * gl_WorkGroupSize.x < end && v < upper && v > lower) {
            precise float square = v * v;
            precise vec3 next = sums + vec3(abs(v), v, square);
            sums = next;
            counts += uvec2(1u, v == trunc(v) ? 0u : 1u);
          }
        }
      }
#if VULKANITE_SUBGROUPS
      // Any order of the adds gives the same bits where the parallel sums are kept (see above),
      // so the implementation's subgroup sums serve, and one barrier is left per pass.
      sums = subgroupAdd(sums);
      counts = subgroupAdd(counts);
      if (subgroupElect()) {
        partial_sums[gl_SubgroupID] = sums;
        partial_counts[gl_SubgroupID] = counts;
      }
      barrier();
      if (t == 0u) {
        for (uint j = 1u; j < gl_NumSubgroups; ++j) {
          precise vec3 s = partial_sums[0] + partial_sums[j];
          partial_sums[0] = s;
          partial_counts[0] += partial_counts[j];
        }
#else
      partial_sums[t] = sums;
      partial_counts[t] = counts;
      for (uint stride = gl_WorkGroupSize.x / 2u; stride > 0u; stride >>= 1) {
        barrier();
        if (t < stride) {
          precise vec3 s = partial_sums[t] + partial_sums[t + stride];
          partial_sums[t] = s;
          partial_counts[t] += partial_counts[t + stride];
        }
      }
      barrier();
      if (t == 0u) {
#endif
        const vec3 s = partial_sums[0];
        if (partial_counts[0].y == 0u && s.x < kExactBound && s.z < kExactBound) {
          pass_sum = s.y;
          pass_sum_of_squares = s.z;
        } else {
          // OM's order: the ring's pixels one after the other (frame order, or the sample's).
          // Loads a batch ahead of the adds: one memory round trip per batch, not per pixel.
          float sum = 0.0, sum_of_squares = 0.0;
          for (uint k0 = begin; k0 < end; k0 += kSequentialBatch) {
            float values[kSequentialBatch];
            for (uint b = 0u; b < kSequentialBatch; ++b)
              values[b] = k0 + b < end ? raw_value(ring_pixel[k0 + b]) : 0.0;
            for (uint b = 0u; b < kSequentialBatch && k0 + b < end; ++b) {
              const float v = values[b];
              if (v < upper && v > lower) {
                precise float square = v * v;
                precise float a = sum + v;
                precise float c = sum_of_squares + square;
                sum = a;
                sum_of_squares = c;
              }
            }
          }
          pass_sum = sum;
          pass_sum_of_squares = sum_of_squares;
        }
        pass_count = partial_counts[0].x;
      }
      barrier();
      // Every invocation updates the thresholds the same way (reference: update_thresholds).
      count = pass_count;
      if (count == 0u) {
        offset = 0.0;
        sigma = 0.0;
        upper = uintBitsToFloat(kFloatMaxBits);
        lower = uintBitsToFloat(kFloatMinBits);
      } else {
        const float n = float(count);
        offset = cr_div(pass_sum, n);
        precise float mean_square = offset * offset;
        precise float variance = cr_div(pass_sum_of_squares, n) - mean_square;
        sigma = variance >= 0.0 ? cr_sqrt(variance) : variance;  // OM keeps a negative variance
        precise float spread = minimum_snr * sigma;
        precise float up = offset + spread;
        precise float down = offset - spread;
        upper = up < adc_threshold ? adc_threshold : up;
        lower = down;
      }
      barrier();  // pass_* are rewritten by the next pass
    }
    if (t == 0u) {
      ring_stats[ring] = offset;
      ring_stats[rings + ring] = sigma;
      ring_stats[2u * rings + ring] = upper;
      ring_stats[3u * rings + ring] = lower;
      ring_stats[4u * rings + ring] = uintBitsToFloat(count);
    }
  }
}
