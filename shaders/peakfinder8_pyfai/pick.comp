#version 460
// pyFAI's peakfinder8, step 2a: which pixels are peaks (patch.glsl), one bit per pixel, and how
// many peaks each chunk of gl_WorkGroupSize.x consecutive pixels holds, so that scan.comp can
// place each chunk's peaks in pixel-index order. Workgroups loop over chunks.
// Bindings: 0 excess (vec2 per pixel, from excess.comp), 1 flags (kFlagWords words per chunk,
//   bit t of word w: pixel chunk x size + 32 w + t is a peak), 2 counts (one per chunk).
// Push constants: PeakPush (C++ twin in algorithms/peakfinder8_pyfai.cpp).
// Specialization constants: 0 workgroup size (a multiple of 32).
// Twin: reference::peakfinder8_pyfai_peaks (reference/peakfinder8_pyfai.cpp).
#extension GL_GOOGLE_include_directive : require
layout(local_size_x_id = 0) in;

layout(std430, binding = 0) readonly buffer Excess { vec2 excess[]; };
layout(std430, binding = 1) writeonly buffer Flags { uint flags[]; };
layout(std430, binding = 2) writeonly buffer Counts { uint counts[]; };

layout(push_constant) uniform PeakPush {
  uint rows;
  uint columns;
  uint half_patch;
  uint connected;
  float cutoff_peak;
  uint chunks;
};

#include "peakfinder8_pyfai/patch.glsl"

shared uint chunk_flags[kFlagWords];

void main() {
  uint t = gl_LocalInvocationID.x;
  uint pixels = rows * columns;
  for (uint chunk = gl_WorkGroupID.x; chunk < chunks; chunk += gl_NumWorkGroups.x) {
    if (t < kFlagWords) chunk_flags[t] = 0u;
    barrier();
    uint pixel = chunk * gl_WorkGroupSize.x + t;
    PatchSums sums;
    // The bits are or-ed in any order, but or is exact: the words do not depend on it.
    if (pixel < pixels && evaluate_patch(int(pixel / columns), int(pixel % columns), sums))
      atomicOr(chunk_flags[t / 32u], 1u << (t % 32u));
    barrier();
    if (t < kFlagWords) flags[chunk * kFlagWords + t] = chunk_flags[t];
    if (t == 0u) {
      uint count = 0u;
      for (uint w = 0u; w < kFlagWords; ++w) count += uint(bitCount(chunk_flags[w]));
      counts[chunk] = count;
    }
    barrier();  // chunk_flags is cleared for the next chunk
  }
}
