#version 460
// Marks the pixels that may start or join a region (unmasked, strictly above their ring's
// threshold): each labels itself, the others get kNone. Also resets the per-root seed and size
// of those pixels, and flags infinite values in unmasked pixels (OM would turn a NaN centre into
// an int; the host refuses such frames, as reference::peakfinder8 does).
// Bindings and push constants: common/peakfinder8.glsl. Specialization constants: 0 workgroup
// size, 1 pixel type. Twin: Scan::joins in reference/peakfinder8.cpp.
#extension GL_GOOGLE_include_directive : require
layout(local_size_x_id = 0) in;
layout(constant_id = 1) const uint kPixelType = 0;
#include "common/peakfinder8.glsl"

void main() {
  const uint stride = gl_NumWorkGroups.x * gl_WorkGroupSize.x;
  for (uint i = gl_GlobalInvocationID.x; i < pixels; i += stride) {
    const uint word = pixel_ring[i];
    bool join = false;
    if ((word & kMasked) == 0u) {
      const float v = raw_value(i);
      join = v > ring_threshold(word & kRingBits);
      if (isinf(v)) atomicOr(counters[2], kInfinite);
    }
    label[i] = join ? i : kNone;
    if (join) {
      seed[i] = kNone;
      region_size[i] = 0u;
    }
  }
}
