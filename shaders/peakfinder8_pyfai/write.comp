#version 460
// pyFAI's peakfinder8, step 2c: each peak's record at its place in pixel-index order: slot =
// its chunk's offset (scan.comp) + the peaks before it in the chunk (popcounts of the flags).
// Record: index (uint bits), intensity, sigma, pos0 (slow), pos1 (fast), 5 words per peak.
// Bindings: 0 excess (vec2 per pixel), 1 flags, 2 offsets (one per chunk), 3 peaks (5 words per
//   slot; as many slots as pixels, so none is ever lost).
// Push constants: PeakPush. Specialization constants: 0 workgroup size (as pick.comp's).
// Twin: reference::peakfinder8_pyfai_peaks (reference/peakfinder8_pyfai.cpp).
#extension GL_GOOGLE_include_directive : require
layout(local_size_x_id = 0) in;

layout(std430, binding = 0) readonly buffer Excess { vec2 excess[]; };
layout(std430, binding = 1) readonly buffer Flags { uint flags[]; };
layout(std430, binding = 2) readonly buffer Offsets { uint offsets[]; };
layout(std430, binding = 3) writeonly buffer Peaks { uint peaks[]; };

layout(push_constant) uniform PeakPush {
  uint rows;
  uint columns;
  uint half_patch;
  uint connected;
  float cutoff_peak;
  uint chunks;
};

#include "peakfinder8_pyfai/patch.glsl"

void main() {
  uint t = gl_LocalInvocationID.x;
  uint word = t / 32u, bit = t % 32u;
  for (uint chunk = gl_WorkGroupID.x; chunk < chunks; chunk += gl_NumWorkGroups.x) {
    uint own = flags[chunk * kFlagWords + word];
    if ((own & (1u << bit)) == 0u) continue;
    uint rank = uint(bitCount(own & ((1u << bit) - 1u)));
    for (uint w = 0u; w < word; ++w) rank += uint(bitCount(flags[chunk * kFlagWords + w]));
    uint slot = offsets[chunk] + rank;
    uint pixel = chunk * gl_WorkGroupSize.x + t;
    int row = int(pixel / columns), column = int(pixel % columns);
    PatchSums s;
    evaluate_patch(row, column, s);  // true: pick.comp flagged it with the same test
    float pos0 = add(ftz(cr_div(s.moment0, s.intensity)), float(row));
    float pos1 = add(ftz(cr_div(s.moment1, s.intensity)), float(column));
    peaks[5u * slot + 0u] = pixel;
    peaks[5u * slot + 1u] = floatBitsToUint(canonical(s.intensity));
    peaks[5u * slot + 2u] = floatBitsToUint(cr_sqrt(s.variance));
    peaks[5u * slot + 3u] = floatBitsToUint(canonical(pos0));
    peaks[5u * slot + 4u] = floatBitsToUint(canonical(pos1));
  }
}
