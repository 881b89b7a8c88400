// Declarations shared by the original-flavour peakfinder8 kernels (shaders/peakfinder8/*.comp):
// every kernel binds the same buffers, so the host binds one list for all of them.
//
// The frame's pixels go through four steps (docs/peakfinder8.md, "On the GPU"):
//   radial_statistics  5 passes of per-ring mean and sigma      (reference::radial_statistics)
//   label_init         pixels above their ring's threshold ("joinable"): a bit each, one label
//                      each, and a list of them (the only pass over the whole frame after the
//                      statistics: the passes below visit the list, a few thousand pixels)
//   label_merge        8-connected components of joinable pixels within an ASIC (union-find)
//   label_resolve      each component's root, size and first interior pixel (its seed)
//   grow_regions       one invocation per component: OM's growth from the seed, local
//                      background, re-integration and filters   (reference::find_peaks, per region)
// The host then puts the regions in OM's scan order and checks the one effect that can couple
// them (OM's stale trail entry; algorithms/peakfinder8.cpp).
//
// Includers declare kPixelType (specialization constant 1) and the workgroup size first.
// C++ twin of the push constants: Peakfinder8Push in algorithms/peakfinder8.cpp.
#ifndef VULKANITE_PEAKFINDER8_GLSL
#define VULKANITE_PEAKFINDER8_GLSL

#include "common/exact_math.glsl"

struct Region {
  uint seed;          // flat index of the pixel the region grew from
  uint count;         // pixels in the region (OM's num_pix_in_peak)
  uint trail_offset;  // where its pixels, in the order they joined, start in trail_out
  uint accepted;      // 1 when it passed every filter
  float fs, ss, total_intensity, max_intensity, snr, background, sigma;
  int com_index;
};

// Each kernel declares read-only what it only reads (a kernel defines its PEAKFINDER8_* name
// before including this file): on an H100, grow_regions took 150 us with the buffers label_init
// writes declared writable, 92 us with them read-only, whose loads may be cached.
#ifdef PEAKFINDER8_RADIAL_STATISTICS
#define PEAKFINDER8_RING_STATS_ACCESS
#else
#define PEAKFINDER8_RING_STATS_ACCESS readonly
#endif
#ifdef PEAKFINDER8_LABEL_INIT
#define PEAKFINDER8_JOINABLE_ACCESS
#else
#define PEAKFINDER8_JOINABLE_ACCESS readonly
#endif
// Labels are shared between invocations only while the union-find links components; each
// region's growth touches its own component's labels alone.
#ifdef PEAKFINDER8_GROW_REGIONS
#define PEAKFINDER8_LABEL_ACCESS
#else
#define PEAKFINDER8_LABEL_ACCESS coherent
#endif

layout(std430, binding = 0) readonly buffer Frame { uint frame_words[]; };
// Per pixel: its ring (the radius rounded half to even) | kMasked when the mask excludes it.
layout(std430, binding = 1) readonly buffer PixelRing { uint pixel_ring[]; };
// The unmasked pixels of each ring in the order OM sums them (CSR: ring r holds entries
// ring_start[r] .. ring_start[r + 1]).
layout(std430, binding = 2) readonly buffer RingStart { uint ring_start[]; };
layout(std430, binding = 3) readonly buffer RingPixel { uint ring_pixel[]; };
// Per entry: the pixel's value, gathered in the first pass (read back only by the invocation
// that wrote it).
layout(std430, binding = 4) buffer RingValues { float ring_values[]; };
// Five planes of `rings` values: offset, sigma, threshold, lower threshold, count (uint bits).
layout(std430, binding = 5) PEAKFINDER8_RING_STATS_ACCESS buffer RingStats { float ring_stats[]; };
// Per joinable pixel (unwritten elsewhere): the component label (a smaller flat index of the same
// component; the root labels itself). grow_regions sets kTaken on the pixels a region takes.
layout(std430, binding = 6) PEAKFINDER8_LABEL_ACCESS buffer Label { uint label[]; };
layout(std430, binding = 7) coherent buffer Seed { uint seed[]; };         // per root
layout(std430, binding = 8) coherent buffer Size { uint region_size[]; };  // per root
// 0 regions written, 1 trail entries reserved, 2 flags (kOverflow, kInfinite), 3 joinable pixels.
layout(std430, binding = 9) coherent buffer Counters { uint counters[]; };
// Scratch of the growth: per trail entry, the pixel and its raw value (float bits).
layout(std430, binding = 10) buffer Trail { uvec2 trail[]; };
layout(std430, binding = 11) writeonly buffer Regions { Region regions[]; };
layout(std430, binding = 12) writeonly buffer TrailOut { uint trail_out[]; };
// Bit i % 32 of element i / 32: x, pixel i is joinable; y, pixel i may count in a local background
// (unmasked and strictly below its ring's threshold; no region ever takes such a pixel).
layout(std430, binding = 13) PEAKFINDER8_JOINABLE_ACCESS buffer PixelBits { uvec2 pixel_bits[]; };
// The joinable pixels, counters[3] of them, in no particular order.
layout(std430, binding = 14) PEAKFINDER8_JOINABLE_ACCESS buffer JoinableList { uint joinable_list[]; };
// Per joinable pixel (unwritten elsewhere): its value minus its ring's offset, what OM sums as
// a region grows.
layout(std430, binding = 15) PEAKFINDER8_JOINABLE_ACCESS buffer JoinableValue { float joinable_value[]; };

layout(push_constant) uniform Peakfinder8Push {
  uint pixels;
  uint width;  // fs size of the whole frame
  uint asic_nx;
  uint asic_ny;
  uint rings;
  int min_pixel_count;
  int max_pixel_count;
  int local_bg_radius;
  float minimum_snr;
  float adc_threshold;
  uint region_capacity;
  uint trail_capacity;
};

const uint kNone = 0xffffffffu;
const uint kTaken = 0x80000000u;
const uint kMasked = 0x80000000u;
const uint kRingBits = 0x7fffffffu;
const uint kOverflow = 1u;
const uint kInfinite = 2u;

#include "common/frame_pixels.glsl"

float ring_offset(uint ring) { return ring_stats[ring]; }
float ring_threshold(uint ring) { return ring_stats[2u * rings + ring]; }

// What label_init found: pixel i may start or join a region; may count in a local background.
bool joinable_bit(uint i) { return (pixel_bits[i >> 5].x & (1u << (i & 31u))) != 0u; }
bool background_bit(uint i) { return (pixel_bits[i >> 5].y & (1u << (i & 31u))) != 0u; }

// The root of i's component: labels point to smaller indices of the same component.
uint find_root(uint i) {
  uint l = label[i] & ~kTaken;
  while (l != i) {
    i = l;
    l = label[i] & ~kTaken;
  }
  return i;
}

#endif
