// pyFAI's peakfinder8, the patch test shared by pick.comp and write.comp: whether pixel
// (row, column) is a peak, and its patch sums. The excess buffer (vec2 per pixel: excess,
// uncertainty, from excess.comp) and PeakPush must be declared before the include.
// Twin: evaluate_patch in reference/peakfinder8_pyfai.cpp.
#ifndef VULKANITE_PEAKFINDER8_PYFAI_PATCH_GLSL
#define VULKANITE_PEAKFINDER8_PYFAI_PATCH_GLSL

#include "common/exact_math.glsl"

// Chunk of the frame one workgroup handles in pick.comp and write.comp: gl_WorkGroupSize.x
// consecutive pixels, one bit each in the flags (a multiple of 32 pixels).
const uint kFlagWords = gl_WorkGroupSize.x / 32u;

float mul(float a, float b) {
  precise float r = a * b;
  return ftz(r);
}
float add(float a, float b) {
  precise float r = a + b;
  return ftz(r);
}

// Sign and NaN tests on the bits: a Vulkan device may assume that comparisons see no NaN.
// Values are flushed, so "> 0" is: sign clear, not +0, not NaN.
bool positive(float x) {
  uint bits = floatBitsToUint(x);
  return (bits & kSignBit) == 0u && bits != 0u && !bits_is_nan(bits);
}
bool not_positive(float x) { return !bits_is_nan(floatBitsToUint(x)) && !positive(x); }

// pyFAI reads (-1, 0) outside the frame: not intense, and no uncertainty, so it voids the patch.
vec2 neighbour(int row, int column) {
  if (row < 0 || column < 0 || row >= int(rows) || column >= int(columns)) return vec2(-1.0, 0.0);
  return excess[uint(row) * columns + uint(column)];
}

struct PatchSums {
  float intensity, variance, moment0, moment1;
};

// Row by row, column by column, in pyFAI's order: the sums are sequential float additions.
bool evaluate_patch(int row, int column, out PatchSums sums) {
  sums = PatchSums(0.0, 0.0, 0.0, 0.0);
  vec2 centre = neighbour(row, column);
  float cutoff = ftz(cutoff_peak);
  if (!positive(centre.x) || !(centre.x >= mul(cutoff, centre.y))) return false;
  int half_width = int(half_patch);
  float local_max = centre.x;
  uint intense = 0u;
  for (int i = -half_width; i <= half_width; ++i) {
    for (int j = -half_width; j <= half_width; ++j) {
      vec2 v = neighbour(row + i, column + j);
      if (positive(v.x)) {
        if (v.x >= mul(cutoff, v.y)) intense += 1u;
        local_max = max(local_max, v.x);
        sums.moment0 = add(sums.moment0, mul(float(i), v.x));
        sums.moment1 = add(sums.moment1, mul(float(j), v.x));
        sums.intensity = add(sums.intensity, v.x);
        sums.variance = add(sums.variance, mul(v.y, v.y));
      } else if (not_positive(v.y)) {
        return false;  // outside the frame, or masked with noise 0: pyFAI voids the patch
      }
    }
  }
  return centre.x == local_max && intense >= connected;
}

#endif
