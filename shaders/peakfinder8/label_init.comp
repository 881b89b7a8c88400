#version 460
// Marks the pixels that may start or join a region ("joinable": unmasked, strictly above their
// ring's threshold): their bits in pixel_bits, each labelling itself, their value minus the
// ring's offset, and the list of them; and the pixels that may count in a local background.
// Also resets the per-root seed and size of those pixels, and flags infinite values in unmasked
// pixels (OM would turn a NaN centre into an int; the host refuses such frames, as
// reference::peakfinder8 does). Only joinable pixels get a label: the later kernels test the
// bits, so this is the last pass that touches every pixel.
// Bindings and push constants: common/peakfinder8.glsl. Specialization constants: 0 workgroup
// size (a multiple of 32), 1 pixel type, 2 pixels per invocation (at most 32).
// Twin: Scan::joins in reference/peakfinder8.cpp.
#extension GL_GOOGLE_include_directive : require
layout(local_size_x_id = 0) in;
layout(constant_id = 1) const uint kPixelType = 0;
#define PEAKFINDER8_LABEL_INIT
#include "common/peakfinder8.glsl"

// Each invocation takes kPixelsPerInvocation pixels, all their loads issued before any is used:
// with one pixel each, the frame's 6 million invocations waited out a memory round trip (the
// pixel's ring, then its threshold) per pixel.
layout(constant_id = 2) const uint kPixelsPerInvocation = 4;
const uint kChunk = gl_WorkGroupSize.x * kPixelsPerInvocation;
const uint kWords = kChunk / 32u;
shared uvec2 bits[kWords];  // joinable, background
shared uint group_count, group_base;

void main() {
  const uint t = gl_LocalInvocationID.x;
  const uint n = kPixelsPerInvocation;
  // Whole workgroups step together (barriers below); `base` is a multiple of 32.
  for (uint base = gl_WorkGroupID.x * kChunk; base < pixels; base += gl_NumWorkGroups.x * kChunk) {
    for (uint w = t; w < kWords; w += gl_WorkGroupSize.x) bits[w] = uvec2(0u);
    if (t == 0u) group_count = 0u;
    barrier();
    // Pixel j of this invocation: base + t + j * workgroup size (coalesced for each j).
    uint words[kPixelsPerInvocation];
    float values[kPixelsPerInvocation], thresholds[kPixelsPerInvocation];
    for (uint j = 0u; j < n; ++j) {
      const uint i = base + t + j * gl_WorkGroupSize.x;
      words[j] = i < pixels ? pixel_ring[i] : kMasked;
      values[j] = i < pixels ? raw_value(i) : 0.0;
    }
    for (uint j = 0u; j < n; ++j)
      thresholds[j] = (words[j] & kMasked) == 0u ? ring_threshold(words[j] & kRingBits) : 0.0;
    uint joins = 0u, positions[kPixelsPerInvocation];
    for (uint j = 0u; j < n; ++j) {
      positions[j] = 0u;
      if ((words[j] & kMasked) != 0u) continue;
      const uint i = base + t + j * gl_WorkGroupSize.x, local = t + j * gl_WorkGroupSize.x;
      const float v = values[j];
      if (isinf(v)) atomicOr(counters[2], kInfinite);
      if (v < thresholds[j]) atomicOr(bits[local >> 5].y, 1u << (local & 31u));
      if (!(v > thresholds[j])) continue;
      joins |= 1u << j;
      atomicOr(bits[local >> 5].x, 1u << (local & 31u));
      positions[j] = atomicAdd(group_count, 1u);
      precise float value = v - ring_offset(words[j] & kRingBits);
      joinable_value[i] = value;
      label[i] = i;
      seed[i] = kNone;
      region_size[i] = 0u;
    }
    barrier();
    if (t == 0u && group_count != 0u) group_base = atomicAdd(counters[3], group_count);
    for (uint w = t; w < kWords; w += gl_WorkGroupSize.x)
      if (base + 32u * w < pixels) pixel_bits[(base >> 5) + w] = bits[w];
    barrier();
    for (uint j = 0u; j < n; ++j)
      if ((joins & (1u << j)) != 0u) joinable_list[group_base + positions[j]] = base + t + j * gl_WorkGroupSize.x;
    barrier();  // bits and group_count are reset by the next step
  }
}
