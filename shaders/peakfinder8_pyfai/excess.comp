#version 460
// pyFAI's peakfinder8, step 1: per pixel, the background-subtracted intensity I/n - <I>(r) and
// its uncertainty sqrt(std(r)^2 + noise^2), the sigma-clipped mean and std of the radial bins
// interpolated linearly at the pixel's radius r between bin centres (pyFAI's correct_pixel2).
// One invocation per pixel; workgroups loop over the frame (pixel = global id, + all invocations).
// Bindings: 0 frame (pixel words of kPixelType), 1 normalization (per pixel), 2 dark,
//   3 variance, 4 radius (per pixel, NaN = masked), 5 bin centres, 6 sigma-clip results (the
//   Integrator's 9 planes of `bins` values: intensity is plane 5, std plane 6),
//   7 excess (vec2 per pixel: excess, uncertainty).
// Push constants: ExcessPush (C++ twin in algorithms/peakfinder8_pyfai.cpp).
// Specialization constants: 0 workgroup size, 1 pixel type (common/frame_pixels.glsl: 0 float32,
//   1 int32, 2 uint32, 3 int16, 4 uint16).
// Twin: reference::peakfinder8_pyfai_excess (reference/peakfinder8_pyfai.cpp).
#extension GL_GOOGLE_include_directive : require
layout(local_size_x_id = 0) in;
layout(constant_id = 1) const uint kPixelType = 0;
#include "common/exact_math.glsl"

layout(std430, binding = 0) readonly buffer Frame { uint frame_words[]; };
layout(std430, binding = 1) readonly buffer Normalization { float normalization[]; };
layout(std430, binding = 2) readonly buffer Dark { float dark[]; };
layout(std430, binding = 3) readonly buffer Variance { float user_variance[]; };
layout(std430, binding = 4) readonly buffer Radius { float radius[]; };
layout(std430, binding = 5) readonly buffer BinCenters { float bin_centers[]; };
layout(std430, binding = 6) readonly buffer BinResults { float bin_results[]; };
layout(std430, binding = 7) writeonly buffer Excess { vec2 excess[]; };

layout(push_constant) uniform ExcessPush {
  uint pixels;
  uint bins;
  uint flags;        // kHasDark | kHasDummy | kUnitNormalization
  uint error_model;  // 1 variance: the user's variance must be finite
  float dummy;
  float delta_dummy;
  float noise;
  float radius_min;
  float radius_max;
};

const uint kHasDark = 2u;   // same bits as BinPush's flags
const uint kHasDummy = 4u;
const uint kUnitNormalization = 8u;  // every normalization is 1: the array is not read
const uint kIntensityPlane = 5u;
const uint kStdPlane = 6u;

bool is_finite(float x) { return (floatBitsToUint(x) & kInfinityBits) != kInfinityBits; }
float mul(float a, float b) {
  precise float r = a * b;
  return ftz(r);
}
float add(float a, float b) {
  precise float r = a + b;
  return ftz(r);
}
float sub(float a, float b) {
  precise float r = a - b;
  return ftz(r);
}

#include "common/frame_pixels.glsl"

// I / n for a pixel the integration counts with n > 0; `counted` false otherwise (pyFAI: 0).
bool preprocess(uint i, out float ratio) {
  ratio = 0.0;
  float raw = ftz(raw_value(i));
  if (!is_finite(raw)) return false;
  if ((flags & kHasDummy) != 0u) {
    float d = ftz(dummy), delta = ftz(delta_dummy);
    bool is_dummy = delta == 0.0 ? raw == d : abs(sub(raw, d)) <= delta;
    if (is_dummy) return false;
  }
  float n = (flags & kUnitNormalization) != 0u ? 1.0 : ftz(normalization[i]);
  if (!is_finite(n) || n == 0.0) return false;
  float signal = (flags & kHasDark) != 0u ? sub(raw, ftz(dark[i])) : raw;
  bool variance_ok = error_model != 1u || is_finite(ftz(user_variance[i]));
  if (!is_finite(signal) || !variance_ok || !(n > 0.0)) return false;
  ratio = ftz(cr_div(signal, n));
  return true;
}

void main() {
  uint stride = gl_NumWorkGroups.x * gl_WorkGroupSize.x;
  float noise_squared = mul(ftz(noise), ftz(noise));
  float nan = uintBitsToFloat(kCanonicalNan);
  for (uint i = gl_GlobalInvocationID.x; i < pixels; i += stride) {
    float ratio;
    bool counted = preprocess(i, ratio);
    // pyFAI's interpolation; out of range (or masked: NaN radius): infinite background, std 0.
    bool in_range = false, nodes_finite = true;
    float mean = 0.0, std_dev = 0.0;
    float r = ftz(radius[i]);
    if (is_finite(r) && r >= radius_min && r < radius_max) {
      in_range = true;
      float first = ftz(bin_centers[0]);
      float step = sub(ftz(bin_centers[1]), first);
      float top = float(bins - 1u);
      float pos = ftz(cr_div(sub(r, first), step));
      pos = pos < 0.0 ? 0.0 : (pos > top ? top : pos);
      uint index = uint(pos);
      uint low = index + 1u < bins ? index : bins - 1u;
      uint high = index + 1u < bins ? index + 1u : bins - 1u;
      float mean_low = ftz(bin_results[kIntensityPlane * bins + low]);
      float mean_high = ftz(bin_results[kIntensityPlane * bins + high]);
      float std_low = ftz(bin_results[kStdPlane * bins + low]);
      float std_high = ftz(bin_results[kStdPlane * bins + high]);
      nodes_finite = is_finite(mean_low) && is_finite(mean_high) && is_finite(std_low) && is_finite(std_high);
      if (nodes_finite && index + 1u < bins) {
        float delta = sub(pos, float(index));
        float rest = sub(1.0, delta);
        mean = add(mul(mean_low, rest), mul(mean_high, delta));
        std_dev = add(mul(std_low, rest), mul(std_high, delta));
      } else if (nodes_finite) {
        mean = mean_low;  // the upper-most bin: no interpolation
        std_dev = std_low;
      }
    }
    if (!nodes_finite) {
      excess[i] = vec2(nan, nan);  // a bin of NaN (empty = NaN): the pixel takes no part
      continue;
    }
    float value = 0.0;
    if (counted) {
      if (!in_range) value = uintBitsToFloat(0xff800000u);  // I / n - inf
      else value = is_finite(ratio) ? sub(ratio, mean) : ratio;
    }
    excess[i] = vec2(value, cr_sqrt(add(mul(std_dev, std_dev), noise_squared)));
  }
}
