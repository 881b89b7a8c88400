#version 460
// Marks the pixels that may start or join a region ("joinable": unmasked, strictly above their
// ring's threshold): their bits in pixel_bits, each labelling itself, their value minus the
// ring's offset, and the list of them; and the pixels that may count in a local background.
// Also resets the per-root seed and size of those pixels, and flags infinite values in unmasked
// pixels (OM would turn a NaN centre into an int; the host refuses such frames, as
// reference::peakfinder8 does). Only joinable pixels get a label: the later kernels test the
// bits, so this is the last pass that touches every pixel.
// Bindings and push constants: common/peakfinder8.glsl. Specialization constants: 0 workgroup
// size (a multiple of 32), 1 pixel type. Twin: Scan::joins in reference/peakfinder8.cpp.
#extension GL_GOOGLE_include_directive : require
layout(local_size_x_id = 0) in;
layout(constant_id = 1) const uint kPixelType = 0;
#include "common/peakfinder8.glsl"

const uint kWords = gl_WorkGroupSize.x / 32u;
shared uvec2 bits[kWords];  // joinable, background
shared uint group_count, group_base;

void main() {
  const uint t = gl_LocalInvocationID.x;
  const uint stride = gl_NumWorkGroups.x * gl_WorkGroupSize.x;
  // Whole workgroups step together (barriers below); `base` is a multiple of 32.
  for (uint base = gl_WorkGroupID.x * gl_WorkGroupSize.x; base < pixels; base += stride) {
    if (t < kWords) bits[t] = uvec2(0u);
    if (t == 0u) group_count = 0u;
    barrier();
    const uint i = base + t;
    bool join = false;
    if (i < pixels) {
      const uint word = pixel_ring[i];
      if ((word & kMasked) == 0u) {
        const uint ring = word & kRingBits;
        const float v = raw_value(i);
        const float threshold = ring_threshold(ring);
        join = v > threshold;
        if (v < threshold) atomicOr(bits[t >> 5].y, 1u << (t & 31u));
        if (isinf(v)) atomicOr(counters[2], kInfinite);
        if (join) {
          precise float value = v - ring_offset(ring);
          joinable_value[i] = value;
        }
      }
    }
    uint position = 0u;
    if (join) {
      atomicOr(bits[t >> 5].x, 1u << (t & 31u));
      position = atomicAdd(group_count, 1u);
      label[i] = i;
      seed[i] = kNone;
      region_size[i] = 0u;
    }
    barrier();
    if (t == 0u && group_count != 0u) group_base = atomicAdd(counters[3], group_count);
    if (t < kWords && base + 32u * t < pixels) pixel_bits[(base >> 5) + t] = bits[t];
    barrier();
    if (join) joinable_list[group_base + position] = i;
    barrier();  // bits and group_count are reset by the next step
  }
}
