// Per-bin statistics over a CSR pixel -> bin matrix: pyFAI's integration (sums of signal,
// variance, normalization, its square and count; intensity, std, sem) and sigma clipping on top.
// One workgroup handles one bin at a time: lane t visits the bin's entries t, t + L, ... in
// order (in rounds of kBatch, see lane_sums), then the lanes combine along the fixed
// neighbours-first tree, so the bits depend on the lane count L (the workgroup size) only, never
// on the device. Every operation that rounds is
// `precise` and flushed (ftz) where the twin flushes.
//
// Needs, declared before the include: `layout(local_size_x_id = 0) in;`, the constant
// kPixelType (0 float32, 1 int32, 2 uint32, 3 int16, 4 uint16), and the constant kClipping (false:
// integration alone, the clipping code compiled out; it cost the integration kernel 14-18 % on the
// H100 even when it never ran). It declares specialization constants 2 and 3 itself (kFlags,
// kErrorModel).
// VULKANITE_SUBGROUPS=1 (with the GL_KHR_shader_subgroup_basic, _shuffle and _shuffle_relative
// extensions enabled by the includer): the tree's lower levels are shuffles (reduce_bin_sums).
// Twin: reference/bin_statistics.cpp (reference::integrate, reference::sigma_clip).
#ifndef VULKANITE_BIN_STATISTICS_GLSL
#define VULKANITE_BIN_STATISTICS_GLSL

#include "common/reduction.glsl"

layout(std430, binding = 0) readonly buffer Frame { uint frame_words[]; };
layout(std430, binding = 1) readonly buffer RowStart { uint row_start[]; };
layout(std430, binding = 2) readonly buffer Pixel { uint entry_pixel[]; };
layout(std430, binding = 3) readonly buffer Coefficient { float entry_coefficient[]; };
// In entry order (entry_normalization[k] = normalization of entry_pixel[k]): read contiguously.
layout(std430, binding = 4) readonly buffer Normalization { float entry_normalization[]; };
// Dark and user variance in entry order too, when given.
layout(std430, binding = 5) readonly buffer Dark { float entry_dark[]; };
layout(std430, binding = 6) readonly buffer Variance { float entry_variance[]; };
// Nine planes of `bins` values: sum_signal, sum_variance, sum_normalization,
// sum_normalization_squared, count, intensity, std, sem, pixels (uint bits).
layout(std430, binding = 7) writeonly buffer Results { float results[]; };
// The bins by decreasing entry count: workgroup w takes bin_order[w], bin_order[w + G], ... so
// that the largest bins start first and the small ones fill in behind them, instead of a large
// bin starting last and running alone. Which workgroup computes a bin never changes its bits.
layout(std430, binding = 8) readonly buffer BinOrder { uint bin_order[]; };
// Scratch of one value per entry: the frame's raw values in entry order, written by the first pass
// over a bin and read by the passes after it (the azimuthal variance, the clipping cycles). The
// first pass gathers the frame through entry_pixel, and a ring's pixels lie a few per image row,
// so most of each memory sector it loads is other bins' pixels; the later passes then read 4
// contiguous bytes per entry instead (H100, 3-cycle clipping of a Pilatus 6M frame: see
// docs/benchmarks.md). A lane reads back only the entries it wrote itself (it visits the same
// entries in every pass), so program order makes them visible without a barrier.
layout(std430, binding = 9) buffer EntryRaw { float entry_raw[]; };

// What the matrix, the corrections and the operation hold are specialization constants rather
// than push constants: each pipeline then loads only the arrays it uses and the compiler keeps
// registers for those alone, so more workgroups fit on a multiprocessor (H100, 3-cycle clipping
// of a Pilatus 6M frame without corrections: see docs/benchmarks.md). Same bits either way.
layout(constant_id = 2) const uint kFlags = 0u;  // kHasCoefficients | kHasDark | kHasDummy | kUnitNormalization | kCountedSums
layout(constant_id = 3) const uint kErrorModel = 0u;  // 0 none, 1 variance, 2 poisson, 3 azimuthal

// C++ twin: algorithms::BinPush (algorithms/integrate.cpp).
layout(push_constant) uniform BinPush {
  uint bins;
  float dummy;
  float delta_dummy;
  float empty;
  uint cycles;  // sigma-clipping cycles; 0 integrates
  float cutoff;
};

const uint kHasCoefficients = 1u;
const uint kHasDark = 2u;
const uint kHasDummy = 4u;
const uint kUnitNormalization = 8u;  // every entry's normalization is 1: not read
const uint kCountedSums = 16u;  // see counted_sums

bool is_finite(float x) { return (floatBitsToUint(x) & kInfinityBits) != kInfinityBits; }
float mul(float a, float b) {
  precise float r = a * b;
  return ftz(r);
}
float sub(float a, float b) {
  precise float r = a - b;
  return ftz(r);
}
float total(vec2 pair) { return add_ftz(pair.x, pair.y); }

#include "common/frame_pixels.glsl"

struct PixelValue {
  float signal, variance, normalization;
  bool valid;
};

// Whether passes follow the first over a bin, so that it keeps the raw values in entry_raw.
bool caching_raw() { return (kClipping && cycles > 0u) || kErrorModel == 3u; }

// pyFAI's preproc of entry k, whose raw value is `raw`: signal = raw - dark, variance per model;
// invalid when the raw value is not finite or is the dummy, or the normalization is 0 or not
// finite. Every load comes first, unconditionally, so that a lane's loads for several entries
// overlap.
PixelValue pixel_value(uint k, float raw) {
  float n = (kFlags & kUnitNormalization) != 0u ? 1.0 : ftz(entry_normalization[k]);
  float dark_value = (kFlags & kHasDark) != 0u ? ftz(entry_dark[k]) : 0.0;
  float user = kErrorModel == 1u ? ftz(entry_variance[k]) : 0.0;
  PixelValue px = PixelValue(0.0, 0.0, 0.0, false);
  if (!is_finite(raw)) return px;
  if ((kFlags & kHasDummy) != 0u) {
    float d = ftz(dummy), delta = ftz(delta_dummy);
    bool is_dummy = delta == 0.0 ? raw == d : abs(sub(raw, d)) <= delta;
    if (is_dummy) return px;
  }
  if (!is_finite(n) || n == 0.0) return px;
  px.normalization = n;
  px.signal = (kFlags & kHasDark) != 0u ? sub(raw, dark_value) : raw;
  px.variance = kErrorModel == 1u ? user : (kErrorModel == 2u ? max(raw, 1.0) : 0.0);
  px.valid = is_finite(px.signal) && is_finite(px.variance);
  return px;
}

struct BinSums {
  vec2 signal, variance, normalization, normalization_squared, count;
  uint pixels;
};

// Which sums a tree carries: all of them, or the azimuthal variance pass's one.
const uint kAllSums = 0u;
const uint kVarianceSum = 1u;

// Whether the sums of normalization, of its square and the count are the pixel count: with
// kCountedSums every entry adds exactly 1 to each, so each is an integer below 2^24 (the host
// checks the bins' sizes), exact in float in any order and with zero compensation, and
// float(pixels) gives its bits. Neither the lanes nor the tree then carry them: 3 of the 5
// compensated sums, the arithmetic and shuffles that bound the tree (H100: see docs/benchmarks.md).
bool counted_sums() { return (kFlags & kCountedSums) != 0u; }

// Whether field group f rides in a tree of `sums`: 0 signal, 1 variance, 2 normalization, its
// square and the count, 3 pixels.
bool carries(uint sums, uint f) {
  if (sums == kVarianceSum) return f == 1u;
  return f != 2u || !counted_sums();
}

shared vec2 bin_scratch[5][gl_WorkGroupSize.x];
shared uint pixel_scratch[gl_WorkGroupSize.x];

void store_bin_sums(uint i, BinSums s, uint sums) {
  if (carries(sums, 0u)) bin_scratch[0][i] = s.signal;
  if (carries(sums, 1u)) bin_scratch[1][i] = s.variance;
  if (carries(sums, 2u)) {
    bin_scratch[2][i] = s.normalization;
    bin_scratch[3][i] = s.normalization_squared;
    bin_scratch[4][i] = s.count;
  }
  if (carries(sums, 3u)) pixel_scratch[i] = s.pixels;
}

BinSums load_bin_sums(uint i, uint sums) {
  BinSums s = BinSums(vec2(0.0), vec2(0.0), vec2(0.0), vec2(0.0), vec2(0.0), 0u);
  if (carries(sums, 0u)) s.signal = bin_scratch[0][i];
  if (carries(sums, 1u)) s.variance = bin_scratch[1][i];
  if (carries(sums, 2u)) {
    s.normalization = bin_scratch[2][i];
    s.normalization_squared = bin_scratch[3][i];
    s.count = bin_scratch[4][i];
  }
  if (carries(sums, 3u)) s.pixels = pixel_scratch[i];
  return s;
}

BinSums combine_bin_sums(BinSums a, BinSums b, uint sums) {
  if (carries(sums, 0u)) a.signal = compensated_combine(a.signal, b.signal);
  if (carries(sums, 1u)) a.variance = compensated_combine(a.variance, b.variance);
  if (carries(sums, 2u)) {
    a.normalization = compensated_combine(a.normalization, b.normalization);
    a.normalization_squared = compensated_combine(a.normalization_squared, b.normalization_squared);
    a.count = compensated_combine(a.count, b.count);
  }
  if (carries(sums, 3u)) a.pixels += b.pixels;
  return a;
}

// The tree's result: the counted sums filled in from the pixel count.
BinSums with_counted_sums(BinSums s, uint sums) {
  if (sums == kAllSums && counted_sums()) {
    vec2 n = vec2(float(s.pixels), 0.0);
    s.normalization = n;
    s.normalization_squared = n;
    s.count = n;
  }
  return s;
}

// The lanes' sums along the fixed neighbours-first tree through shared memory; every lane gets
// the bin's sums. `t`: the lane's place in the tree.
BinSums shared_memory_tree(BinSums s, uint t, uint sums) {
  store_bin_sums(t, s, sums);
  for (uint stride = 1u; stride < gl_WorkGroupSize.x; stride <<= 1) {
    barrier();
    if ((t & (2u * stride - 1u)) == 0u)
      store_bin_sums(t, combine_bin_sums(load_bin_sums(t, sums), load_bin_sums(t + stride, sums), sums), sums);
  }
  barrier();
  BinSums r = load_bin_sums(0u, sums);
  barrier();  // the scratch is reused right after
  return with_counted_sums(r, sums);
}

#if VULKANITE_SUBGROUPS
// Whether every subgroup of the workgroup is full, so that a subgroup's lanes are consecutive
// places of the tree. The spec does not promise it without VK_EXT_subgroup_size_control's
// full-subgroups flag (every device we know fills them); where it fails, or the workgroup is
// smaller than a subgroup, the shared-memory tree runs instead. Uniform over the workgroup.
bool full_subgroups() { return gl_NumSubgroups * gl_SubgroupSize == gl_WorkGroupSize.x; }

// The lane's place in the tree: subgroups in order, lanes in order within them, whatever the
// implementation's mapping of local invocation ids to subgroups.
uint lane() {
  return full_subgroups() ? gl_SubgroupID * gl_SubgroupSize + gl_SubgroupInvocationID : gl_LocalInvocationID.x;
}

BinSums shuffle_down(BinSums s, uint delta, uint sums) {
  if (carries(sums, 0u)) s.signal = subgroupShuffleDown(s.signal, delta);
  if (carries(sums, 1u)) s.variance = subgroupShuffleDown(s.variance, delta);
  if (carries(sums, 2u)) {
    s.normalization = subgroupShuffleDown(s.normalization, delta);
    s.normalization_squared = subgroupShuffleDown(s.normalization_squared, delta);
    s.count = subgroupShuffleDown(s.count, delta);
  }
  if (carries(sums, 3u)) s.pixels = subgroupShuffleDown(s.pixels, delta);
  return s;
}

BinSums shuffle_first(BinSums s, uint sums) {
  if (carries(sums, 0u)) s.signal = subgroupShuffle(s.signal, 0u);
  if (carries(sums, 1u)) s.variance = subgroupShuffle(s.variance, 0u);
  if (carries(sums, 2u)) {
    s.normalization = subgroupShuffle(s.normalization, 0u);
    s.normalization_squared = subgroupShuffle(s.normalization_squared, 0u);
    s.count = subgroupShuffle(s.count, 0u);
  }
  if (carries(sums, 3u)) s.pixels = subgroupShuffle(s.pixels, 0u);
  return s;
}

// The same tree with its levels inside a subgroup done by shuffles, without barriers: lane i
// takes lane i + stride's node, and the lanes the tree keeps (i a multiple of 2 stride) only read
// lanes that hold one. The subgroups' nodes then meet in shared memory, and the upper levels are
// shuffles again in the first subgroup alone when they fit in one, which leaves the root in
// shared memory for every lane: 2 barriers instead of log2(lanes) + 2 (H100, 256 lanes: 3-cycle
// clipping 273 -> 243 us, same bits), and the other subgroups skip the upper levels' arithmetic.
// `sums`: kAllSums, or kVarianceSum for the variance pass (only the variance is meaningful then).
BinSums reduce_bin_sums(BinSums s, uint sums) {
  if (!full_subgroups()) return shared_memory_tree(s, gl_LocalInvocationID.x, sums);
  for (uint stride = 1u; stride < gl_SubgroupSize; stride <<= 1)
    s = combine_bin_sums(s, shuffle_down(s, stride, sums), sums);
  const uint blocks = gl_NumSubgroups;
  if (blocks == 1u) return with_counted_sums(shuffle_first(s, sums), sums);
  if (gl_SubgroupInvocationID == 0u) store_bin_sums(gl_SubgroupID, s, sums);
  barrier();
  if (blocks <= gl_SubgroupSize) {
    // The root goes to slot `blocks`, past the nodes: the next tree's nodes are stored before
    // its first barrier, which every lane reaches only after reading this root, and its root
    // after that barrier, so no barrier is needed after the read.
    if (gl_SubgroupID == 0u) {
      s = load_bin_sums(min(gl_SubgroupInvocationID, blocks - 1u), sums);
      for (uint stride = 1u; stride < blocks; stride <<= 1) s = combine_bin_sums(s, shuffle_down(s, stride, sums), sums);
      if (gl_SubgroupInvocationID == 0u) store_bin_sums(blocks, s, sums);
    }
    barrier();
    return with_counted_sums(load_bin_sums(blocks, sums), sums);
  }
  // More subgroups than lanes in one (llvmpipe: 8 lanes).
  const uint t = lane();
  for (uint stride = 1u; stride < blocks; stride <<= 1) {
    if (t < blocks && (t & (2u * stride - 1u)) == 0u)
      store_bin_sums(t, combine_bin_sums(load_bin_sums(t, sums), load_bin_sums(t + stride, sums), sums), sums);
    barrier();
  }
  s = load_bin_sums(0u, sums);
  barrier();  // the scratch is reused right after
  return with_counted_sums(s, sums);
}
#else
uint lane() { return gl_LocalInvocationID.x; }
BinSums reduce_bin_sums(BinSums s, uint sums) { return shared_memory_tree(s, gl_LocalInvocationID.x, sums); }
#endif

// A lane takes its entries in rounds of kBatch (entries k0, k0 + L, ..., k0 + (kBatch - 1) L):
// it loads the round's entries before it adds any (one memory round trip per entry would leave
// the pass latency-bound), adds them in entry order with plain flushed float sums, and folds
// those into its compensated sums once per round: a quarter of the compensation arithmetic
// (9 % faster on the H100), and a round's plain sum of 4 values loses at most 3 ulps before it
// is folded, so the accuracy stays that of compensated sums to within a few ulps. kBatch is part
// of the bits (as L is): the reference takes its entries in the same rounds.
const uint kBatch = 4u;  // reference: kBinBatch

// A round's pixel indices (entries k0, k0 + L, ..., k0 + (kBatch - 1) L; 0 past `last`), which
// only the first pass reads (0 in the others).
void load_pixels(uint k0, uint last, bool first_pass, out uint pixel[kBatch]) {
  uint lanes = gl_WorkGroupSize.x;
  for (uint b = 0u; b < kBatch; ++b) {
    uint k = k0 + b * lanes;
    pixel[b] = first_pass && k < last ? entry_pixel[k] : 0u;
  }
}

// A round's raw values (entries k0, k0 + L, ..., k0 + (kBatch - 1) L; 0 past `last`): gathered
// from the frame through `pixel` by the bin's first pass, read back from entry_raw by the others.
void load_raw(uint k0, uint last, uint pixel[kBatch], bool first_pass, out float raw[kBatch]) {
  uint lanes = gl_WorkGroupSize.x;
  for (uint b = 0u; b < kBatch; ++b) {
    uint k = k0 + b * lanes;
    raw[b] = 0.0;
    if (k < last) raw[b] = first_pass ? ftz(raw_value(pixel[b])) : entry_raw[k];
  }
}

// The round's weights (0 past `last`) and values from its raw values; the first pass keeps the
// raw values in entry_raw when passes follow.
void load_round(uint k0, uint last, float raw[kBatch], bool first_pass, out float c[kBatch],
                out PixelValue batch[kBatch]) {
  uint lanes = gl_WorkGroupSize.x;
  for (uint b = 0u; b < kBatch; ++b) {
    uint k = k0 + b * lanes;
    c[b] = 0.0;
    batch[b] = PixelValue(0.0, 0.0, 0.0, false);
    if (k < last) {
      if (first_pass && caching_raw()) entry_raw[k] = raw[b];
      c[b] = (kFlags & kHasCoefficients) != 0u ? ftz(entry_coefficient[k]) : 1.0;
      batch[b] = pixel_value(k, raw[b]);
    }
  }
}

// lane_sums' passes over a bin's entries.
const uint kFirstPass = 0u;     // gathers the frame (load_raw) and sums
const uint kSumPass = 1u;       // sums again, from entry_raw, after a clipping cycle marked pixels
const uint kVariancePass = 2u;  // the azimuthal model's second pass: only sum (c (s - mean n))^2

// The lane's sums over its entries of [first, last), before the tree; `mean`: the bin's mean for
// kVariancePass. Pixels that clipping discarded are marked invalid in entry_raw
// (mark_discarded), so no test is needed here.
BinSums lane_sums(uint first, uint last, uint pass, float mean) {
  const bool first_pass = pass == kFirstPass;
  BinSums a = BinSums(vec2(0.0), vec2(0.0), vec2(0.0), vec2(0.0), vec2(0.0), 0u);
  bool azimuthal = kErrorModel == 3u;
  uint lanes = gl_WorkGroupSize.x;
  // Loads run ahead of the sums: a round's raw values are loaded before the previous round is
  // summed, and the first pass loads pixel indices a round before that, so that a lane has two
  // rounds of loads in flight and a round never waits on the index and then the pixel.
  const uint step = kBatch * lanes;
  uint pixel[kBatch];
  float raw[kBatch];
  load_pixels(first + lane(), last, first_pass, pixel);
  load_raw(first + lane(), last, pixel, first_pass, raw);
  load_pixels(first + lane() + step, last, first_pass, pixel);
  for (uint k0 = first + lane(); k0 < last; k0 += step) {
    float next_raw[kBatch];
    load_raw(k0 + step, last, pixel, first_pass, next_raw);
    load_pixels(k0 + 2u * step, last, first_pass, pixel);
    float c[kBatch];
    PixelValue batch[kBatch];
    load_round(k0, last, raw, first_pass, c, batch);
    raw = next_raw;
    float signal = 0.0, variance = 0.0, normalization = 0.0, normalization_squared = 0.0, count = 0.0;
    for (uint b = 0u; b < kBatch; ++b) {
      PixelValue px = batch[b];
      if (!(c[b] > 0.0) || !px.valid) continue;
      if (pass == kVariancePass) {
        float d = mul(c[b], sub(px.signal, mul(mean, px.normalization)));
        variance = add_ftz(variance, mul(d, d));
      } else {
        float cn = mul(c[b], px.normalization);
        signal = add_ftz(signal, mul(c[b], px.signal));
        if (!azimuthal) variance = add_ftz(variance, mul(mul(c[b], c[b]), px.variance));
        if (!counted_sums()) {
          normalization = add_ftz(normalization, cn);
          normalization_squared = add_ftz(normalization_squared, mul(cn, cn));
          count = add_ftz(count, c[b]);
        }
      }
      a.pixels += 1u;
    }
    a.signal = compensated_add(a.signal, signal);
    a.variance = compensated_add(a.variance, variance);
    if (!counted_sums()) {
      a.normalization = compensated_add(a.normalization, normalization);
      a.normalization_squared = compensated_add(a.normalization_squared, normalization_squared);
      a.count = compensated_add(a.count, count);
    }
  }
  return a;
}

// The bin's sums `s` (from the tree) with, for the azimuthal model, the variance about the bin's
// mean: a second pass.
BinSums with_azimuthal_variance(uint first, uint last, BinSums s) {
  if (kErrorModel == 3u && s.pixels > 0u) {
    float mean = cr_div(total(s.signal), total(s.normalization));
    s.variance = reduce_bin_sums(lane_sums(first, last, kVariancePass, mean), kVarianceSum).variance;
  }
  return s;
}

// A clipping cycle's test on the lane's entries: marks in entry_raw (NaN: invalid) the kept
// pixels that fail it, and says whether it marked any. A pixel is kept by a cycle while
// |s - mean n| <= threshold |n|; once marked it is out of every later pass, so each cycle tests
// its own threshold only: the same pixels as testing every cycle so far (reference::ClipHistory).
// Marking apart from summing: a cycle then sums again only on the lanes that marked (bin_statistics);
// marking and summing in one pass on every lane was slower (H100: 3-cycle clipping 110 -> 121 us).
bool mark_discarded(uint first, uint last, float clip_mean, float clip_threshold) {
  bool marked = false;
  uint lanes = gl_WorkGroupSize.x;
  uint no_pixels[kBatch];
  for (uint b = 0u; b < kBatch; ++b) no_pixels[b] = 0u;
  for (uint k0 = first + lane(); k0 < last; k0 += kBatch * lanes) {
    float raw[kBatch], c[kBatch];
    PixelValue batch[kBatch];
    load_raw(k0, last, no_pixels, false, raw);
    load_round(k0, last, raw, false, c, batch);
    for (uint b = 0u; b < kBatch; ++b) {
      PixelValue px = batch[b];
      if (!(c[b] > 0.0) || !px.valid) continue;
      float deviation = abs(sub(px.signal, mul(clip_mean, px.normalization)));
      if (deviation > mul(clip_threshold, abs(px.normalization))) {
        entry_raw[k0 + b * lanes] = uintBitsToFloat(kCanonicalNan);
        marked = true;
      }
    }
  }
  return marked;
}

shared uint any_lane;
bool any_in_workgroup(bool value) {
  if (gl_LocalInvocationID.x == 0u) any_lane = 0u;
  barrier();
  if (value) atomicOr(any_lane, 1u);
  barrier();
  bool any = any_lane != 0u;
  barrier();  // reset by the next call
  return any;
}

// Chauvenet's criterion: the twin of reference::chauvenet_cutoff, operation for operation.
float chauvenet_cutoff(float count) {
  float x = cr_div(max(3.0, count), uintBitsToFloat(0x40206c99u));  // sqrt(2 pi)
  if (!is_finite(x)) return x;
  uint bits = floatBitsToUint(x);
  int e = int(bits >> 23) - 127;
  precise float m = uintBitsToFloat((bits & 0x7fffffu) | 0x3f800000u);
  if (m > uintBitsToFloat(0x3fb504f3u)) {  // sqrt(2)
    m = m * 0.5;
    e += 1;
  }
  precise float f = m - 1.0;
  precise float two_plus_f = 2.0 + f;
  float s = cr_div(f, two_plus_f);
  precise float z = s * s;
  precise float series = uintBitsToFloat(0x3e3a2e8cu);  // 2/11
  series = series * z + uintBitsToFloat(0x3e638e39u);    // 2/9
  series = series * z + uintBitsToFloat(0x3e924925u);    // 2/7
  series = series * z + uintBitsToFloat(0x3ecccccdu);    // 2/5
  series = series * z + uintBitsToFloat(0x3f2aaaabu);    // 2/3
  series = series * z + 2.0;
  precise float ln = float(e) * uintBitsToFloat(0x3f317218u) + series * s;  // ln 2
  precise float twice = 2.0 * ln;
  return cr_sqrt(twice);
}

void write_plane(uint plane, uint bin, float value) { results[plane * bins + bin] = canonical(value); }

// Integrates bin `bin`, then runs up to `cycles` sigma-clipping cycles, and writes its results.
// A cycle recomputes only the sums of the lanes whose entries it discarded: a lane's sums are a
// function of its kept entries alone, so the others' are the same bits as before. A cycle that
// discards nothing ends the clipping with the sums unchanged, as the reference's
// `s.pixels == before` does.
void bin_statistics(uint bin) {
  uint first = row_start[bin], last = row_start[bin + 1u];
  BinSums mine = lane_sums(first, last, kFirstPass, 0.0);
  BinSums s = with_azimuthal_variance(first, last, reduce_bin_sums(mine, kAllSums));
  float mean = cr_div(total(s.signal), total(s.normalization));
  float std_dev = cr_sqrt(cr_div(total(s.variance), total(s.normalization_squared)));
  for (uint cycle = 0u; kClipping && cycle < cycles; ++cycle) {
    if (s.pixels == 0u || !is_finite(mean) || !is_finite(std_dev)) break;
    // Every lane holds the bin's sums (reduce_bin_sums), so every lane computes the same test.
    float k = max(cutoff, chauvenet_cutoff(total(s.count)));
    bool marked = mark_discarded(first, last, mean, mul(k, std_dev));
    if (!any_in_workgroup(marked)) break;
    if (marked) mine = lane_sums(first, last, kSumPass, 0.0);
    s = with_azimuthal_variance(first, last, reduce_bin_sums(mine, kAllSums));
    mean = cr_div(total(s.signal), total(s.normalization));
    std_dev = cr_sqrt(cr_div(total(s.variance), total(s.normalization_squared)));
  }
  if (gl_LocalInvocationID.x == 0u) {
    bool filled = s.pixels > 0u, with_error = kErrorModel != 0u;
    float sum_variance = total(s.variance), sum_normalization = total(s.normalization);
    write_plane(0u, bin, total(s.signal));
    write_plane(1u, bin, sum_variance);
    write_plane(2u, bin, sum_normalization);
    write_plane(3u, bin, total(s.normalization_squared));
    write_plane(4u, bin, total(s.count));
    write_plane(5u, bin, filled ? mean : empty);
    write_plane(6u, bin, filled && with_error ? std_dev : empty);
    write_plane(7u, bin, filled && with_error ? cr_div(cr_sqrt(sum_variance), sum_normalization) : empty);
    results[8u * bins + bin] = uintBitsToFloat(s.pixels);
  }
}

#endif
