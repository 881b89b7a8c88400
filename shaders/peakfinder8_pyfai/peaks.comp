#version 460
// pyFAI's peakfinder8, step 2: per pixel, whether it is a peak (the maximum of its patch, with
// at least `connected` intense pixels in it) and, for a peak, its record in the next free slot:
// index (uint bits), intensity, sigma, pos0 (slow), pos1 (fast), 5 words per peak. Slots are
// claimed with an atomic counter, so the records lie in no particular order; the host sorts them
// by index (decode_peakfinder8_pyfai). That replaced a flag pass, a prefix sum over chunks in one
// workgroup and a writing pass (115 us on the H100 for a Pilatus 6M frame): peaks are a few
// hundred among millions of pixels, so contention on the counter costs nothing.
// One invocation per pixel; workgroups loop over the frame (pixel = global id, + all invocations).
// Bindings: 0 excess (vec2 per pixel, from excess.comp), 1 total (one word, zero before the
//   dispatch: the peaks found), 2 peaks (5 words per slot; as many slots as pixels, so none is
//   ever lost).
// Push constants: PeakPush (C++ twin in algorithms/peakfinder8_pyfai.cpp).
// Specialization constants: 0 workgroup size.
// Twin: reference::peakfinder8_pyfai_peaks and its evaluate_patch (reference/peakfinder8_pyfai.cpp).
#extension GL_GOOGLE_include_directive : require
layout(local_size_x_id = 0) in;
#include "common/exact_math.glsl"

layout(std430, binding = 0) readonly buffer Excess { vec2 excess[]; };
layout(std430, binding = 1) buffer Total { uint total[]; };
layout(std430, binding = 2) writeonly buffer Peaks { uint peaks[]; };

layout(push_constant) uniform PeakPush {
  uint rows;
  uint columns;
  uint half_patch;
  uint connected;
  float cutoff_peak;
};

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
bool evaluate_patch(int row, int column, vec2 centre, out PatchSums sums) {
  sums = PatchSums(0.0, 0.0, 0.0, 0.0);
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

void main() {
  uint pixels = rows * columns;
  uint stride = gl_NumWorkGroups.x * gl_WorkGroupSize.x;
  for (uint pixel = gl_GlobalInvocationID.x; pixel < pixels; pixel += stride) {
    int row = int(pixel / columns), column = int(pixel % columns);
    PatchSums s;
    if (!evaluate_patch(row, column, excess[pixel], s)) continue;
    uint slot = atomicAdd(total[0], 1u);
    float pos0 = add(ftz(cr_div(s.moment0, s.intensity)), float(row));
    float pos1 = add(ftz(cr_div(s.moment1, s.intensity)), float(column));
    peaks[5u * slot + 0u] = pixel;
    peaks[5u * slot + 1u] = floatBitsToUint(canonical(s.intensity));
    peaks[5u * slot + 2u] = floatBitsToUint(cr_sqrt(s.variance));
    peaks[5u * slot + 3u] = floatBitsToUint(canonical(pos0));
    peaks[5u * slot + 4u] = floatBitsToUint(canonical(pos1));
  }
}
