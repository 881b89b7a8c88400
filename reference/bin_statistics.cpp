// The per-bin engine behind reference::integrate and reference::sigma_clip, step for step the
// twin of shaders/common/bin_statistics.glsl: lane t of a bin's L lanes visits the bin's entries
// t, t + L, t + 2L, ... in order, in rounds of kBinBatch entries summed plainly and folded into
// the lane's compensated sums; the lanes' partial sums then combine along the fixed
// neighbours-first tree of shaders/common/reduction.glsl. Every float operation is IEEE
// binary32 with ftz applied where the shader applies it (inputs, products, sums), divisions and
// square roots are correctly rounded (cr_div, cr_sqrt).
#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <stdexcept>
#include <string>

#include "reference/exact_math.hpp"
#include "reference/integrate.hpp"
#include "reference/reduction.hpp"
#include "reference/sigma_clip.hpp"

namespace vulkanite::reference {

namespace {

using Pixel = PreprocessedPixel;

bool finite(float x) { return (std::bit_cast<std::uint32_t>(x) & 0x7f800000u) != 0x7f800000u; }
float mul(float a, float b) { return ftz(a * b); }
float sub(float a, float b) { return ftz(a - b); }
float add(float a, float b) { return ftz(a + b); }
float total(SumPair p) { return ftz(p[0] + p[1]); }

}  // namespace

PreprocessedPixel preprocess_pixel(std::span<const float> frame, const PixelCorrections& c, const IntegrationParams& p,
                                   std::size_t i) {
  PreprocessedPixel out;
  const float raw = ftz(frame[i]);
  if (!finite(raw)) return out;
  if (p.dummy) {
    const float dummy = ftz(*p.dummy), delta = ftz(p.delta_dummy);
    const bool is_dummy = delta == 0.0f ? raw == dummy : std::fabs(sub(raw, dummy)) <= delta;
    if (is_dummy) return out;
  }
  out.normalization = ftz(c.normalization[i]);
  if (!finite(out.normalization) || out.normalization == 0.0f) return out;
  out.signal = c.dark.empty() ? raw : sub(raw, ftz(c.dark[i]));
  switch (p.error_model) {
    case ErrorModel::variance: out.variance = ftz(c.variance[i]); break;
    case ErrorModel::poisson: out.variance = std::max(raw, 1.0f); break;
    default: out.variance = 0.0f;
  }
  out.valid = finite(out.signal) && finite(out.variance);
  return out;
}

namespace {

// Plain flushed sums of one lane's round of kBinBatch entries.
struct RoundSums {
  float signal = 0, variance = 0, normalization = 0, normalization_squared = 0, count = 0;
};

// Compensated sums of one lane, or of a subtree of lanes; `pixels` counts the entries exactly.
struct BinSums {
  SumPair signal{}, variance{}, normalization{}, normalization_squared{}, count{};
  std::uint32_t pixels = 0;
};

BinSums combine(const BinSums& a, const BinSums& b) {
  return {compensated_combine(a.signal, b.signal),
          compensated_combine(a.variance, b.variance),
          compensated_combine(a.normalization, b.normalization),
          compensated_combine(a.normalization_squared, b.normalization_squared),
          compensated_combine(a.count, b.count),
          a.pixels + b.pixels};
}

// The tests of the sigma-clipping cycles run so far; a pixel is kept while it passes all.
struct ClipHistory {
  std::array<float, kMaxSigmaClipCycles> mean{}, threshold{};
  std::uint32_t cycles = 0;
  bool keeps(const Pixel& px) const {
    for (std::uint32_t j = 0; j < cycles; ++j) {
      const float deviation = std::fabs(sub(px.signal, mul(mean[j], px.normalization)));
      if (deviation > mul(threshold[j], std::fabs(px.normalization))) return false;
    }
    return true;
  }
};

struct Bin {
  CsrView matrix;
  std::span<const float> frame;
  const PixelCorrections* corrections;
  const IntegrationParams* params;
  std::uint32_t lanes, first, last;

  // One pass over the bin's entries, lane by lane, in rounds of kBinBatch entries whose plain
  // sums fold into the lane's compensated sums, then the tree. `visit` adds one entry to a round.
  template <class Visit>
  BinSums pass(const ClipHistory& history, Visit visit) const {
    std::vector<BinSums> acc(lanes);
    for (std::uint32_t t = 0; t < lanes; ++t) {
      BinSums a;
      for (std::uint32_t k0 = first + t; k0 < last; k0 += kBinBatch * lanes) {
        RoundSums round;
        for (std::uint32_t b = 0; b < kBinBatch; ++b) {
          const std::uint32_t k = k0 + b * lanes;
          if (k >= last) break;
          const float c = matrix.coefficient.empty() ? 1.0f : ftz(matrix.coefficient[k]);
          if (!(c > 0.0f)) continue;
          const Pixel px = preprocess_pixel(frame, *corrections, *params, matrix.pixel[k]);
          if (!px.valid || !history.keeps(px)) continue;
          visit(round, c, px);
          a.pixels += 1;
        }
        a.signal = compensated_add(a.signal, round.signal);
        a.variance = compensated_add(a.variance, round.variance);
        a.normalization = compensated_add(a.normalization, round.normalization);
        a.normalization_squared = compensated_add(a.normalization_squared, round.normalization_squared);
        a.count = compensated_add(a.count, round.count);
      }
      acc[t] = a;
    }
    for (std::uint32_t s = 1; s < lanes; s <<= 1)
      for (std::uint32_t t = 0; t < lanes; t += 2 * s) acc[t] = combine(acc[t], acc[t + s]);
    return acc[0];
  }

  BinSums sums(const ClipHistory& history) const {
    const bool azimuthal = params->error_model == ErrorModel::azimuthal;
    BinSums s = pass(history, [&](RoundSums& r, float c, const Pixel& px) {
      const float cn = mul(c, px.normalization);
      r.signal = add(r.signal, mul(c, px.signal));
      if (!azimuthal) r.variance = add(r.variance, mul(mul(c, c), px.variance));
      r.normalization = add(r.normalization, cn);
      r.normalization_squared = add(r.normalization_squared, mul(cn, cn));
      r.count = add(r.count, c);
    });
    if (azimuthal && s.pixels > 0) {
      // pyFAI's azimuthal variance, sum (c n)^2 (s / n - mean)^2, as sum (c (s - mean n))^2.
      const float mean = cr_div(total(s.signal), total(s.normalization));
      s.variance = pass(history, [&](RoundSums& r, float c, const Pixel& px) {
                     const float d = mul(c, sub(px.signal, mul(mean, px.normalization)));
                     r.variance = add(r.variance, mul(d, d));
                   }).variance;
    }
    return s;
  }
};

struct Moments {
  float mean, std;
};

Moments moments(const BinSums& s) {
  return {cr_div(total(s.signal), total(s.normalization)),
          cr_sqrt(cr_div(total(s.variance), total(s.normalization_squared)))};
}

void check_inputs(CsrView m, std::span<const float> frame, const PixelCorrections& c, const IntegrationParams& p) {
  if (m.row_start.empty()) throw std::invalid_argument("integration matrix without bins");
  if (m.row_start.back() != m.pixel.size() || (!m.coefficient.empty() && m.coefficient.size() != m.pixel.size()))
    throw std::invalid_argument("integration matrix: row_start, pixel and coefficient sizes disagree");
  const auto check_size = [&](const std::vector<float>& v, const char* name, bool needed) {
    if (needed && v.size() != frame.size())
      throw std::invalid_argument(std::string(name) + " has " + std::to_string(v.size()) + " values for a frame of " +
                                  std::to_string(frame.size()) + " pixels");
  };
  check_size(c.normalization, "the normalization array", true);
  check_size(c.dark, "the dark image", !c.dark.empty());
  check_size(c.variance, "the variance array", p.error_model == ErrorModel::variance);
  for (const auto pixel : m.pixel)
    if (pixel >= frame.size())
      throw std::invalid_argument("integration matrix refers to pixel " + std::to_string(pixel) + " of a frame of " +
                                  std::to_string(frame.size()) + " pixels");
  check_params(p);
}

IntegrationResult bin_statistics(CsrView m, std::span<const float> frame, const PixelCorrections& c,
                                 const IntegrationParams& p, std::uint32_t cycles, float cutoff) {
  check_inputs(m, frame, c, p);
  const std::size_t bins = m.row_start.size() - 1;
  const std::uint32_t lanes = p.lanes != 0 ? p.lanes : integration_lanes(m);
  const bool with_error = p.error_model != ErrorModel::none;
  IntegrationResult r;
  for (auto* v : {&r.sum_signal, &r.sum_variance, &r.sum_normalization, &r.sum_normalization_squared, &r.count,
                  &r.intensity, &r.std, &r.sem})
    v->resize(bins);
  r.pixels.resize(bins);
  for (std::size_t b = 0; b < bins; ++b) {
    const Bin bin{m, frame, &c, &p, lanes, m.row_start[b], m.row_start[b + 1]};
    ClipHistory history;
    BinSums s = bin.sums(history);
    Moments mo = moments(s);
    for (std::uint32_t cycle = 0; cycle < cycles; ++cycle) {
      if (s.pixels == 0 || !finite(mo.mean) || !finite(mo.std)) break;
      const float k = std::max(cutoff, chauvenet_cutoff(total(s.count)));
      history.mean[history.cycles] = mo.mean;
      history.threshold[history.cycles] = mul(k, mo.std);
      history.cycles += 1;
      const std::uint32_t before = s.pixels;
      s = bin.sums(history);
      mo = moments(s);
      if (s.pixels == before) break;  // nothing discarded: the next cycle would change nothing
    }
    r.sum_signal[b] = canonical(total(s.signal));
    r.sum_variance[b] = canonical(total(s.variance));
    r.sum_normalization[b] = canonical(total(s.normalization));
    r.sum_normalization_squared[b] = canonical(total(s.normalization_squared));
    r.count[b] = canonical(total(s.count));
    r.pixels[b] = s.pixels;
    const bool filled = s.pixels > 0;
    r.intensity[b] = canonical(filled ? mo.mean : p.empty);
    r.std[b] = canonical(filled && with_error ? mo.std : p.empty);
    r.sem[b] = canonical(filled && with_error ? cr_div(cr_sqrt(r.sum_variance[b]), r.sum_normalization[b]) : p.empty);
  }
  return r;
}

}  // namespace

void check_params(const IntegrationParams& params) {
  // 1024: the largest workgroup any Vulkan device offers (a device offering fewer refuses the
  // kernel with its limit in the message).
  if (params.lanes != 0 && (params.lanes > 1024 || (params.lanes & (params.lanes - 1)) != 0))
    throw std::invalid_argument("lanes per bin must be a power of two up to 1024, not " + std::to_string(params.lanes));
}

void check_params(const SigmaClipParams& params) {
  if (params.integration.error_model == ErrorModel::none)
    throw std::invalid_argument("sigma clipping needs an error model (poisson, azimuthal or variance), not none");
  if (params.cycles > kMaxSigmaClipCycles)
    throw std::invalid_argument("sigma clipping: at most " + std::to_string(kMaxSigmaClipCycles) + " cycles, not " +
                                std::to_string(params.cycles));
  if (!(params.cutoff >= 0.0f) || !finite(params.cutoff))
    throw std::invalid_argument("sigma clipping: the cutoff must be a finite number >= 0");
  check_params(params.integration);
}

std::uint32_t integration_lanes(CsrView matrix) {
  const std::size_t bins = matrix.row_start.empty() ? 1 : std::max<std::size_t>(1, matrix.row_start.size() - 1);
  const std::size_t per_bin = matrix.pixel.size() / bins;
  // About 16 entries per lane; at least one subgroup-sized group, at most 256 (every device's limit).
  return static_cast<std::uint32_t>(std::clamp<std::size_t>(std::bit_ceil(std::max<std::size_t>(1, per_bin / 16)), 32, 256));
}

IntegrationResult integrate(CsrView matrix, std::span<const float> frame, const PixelCorrections& corrections,
                            const IntegrationParams& params) {
  return bin_statistics(matrix, frame, corrections, params, 0, 0.0f);
}

IntegrationResult sigma_clip(CsrView matrix, std::span<const float> frame, const PixelCorrections& corrections,
                             const SigmaClipParams& params) {
  check_params(params);
  return bin_statistics(matrix, frame, corrections, params.integration, params.cycles, params.cutoff);
}

float chauvenet_cutoff(float count) {
  // ln(x) = e ln 2 + 2 atanh(f / (2 + f)), x = 2^e (1 + f) with 1 + f in [sqrt(1/2), sqrt(2)]:
  // |f / (2 + f)| < 0.172, so six odd terms of the series reach float precision. Constants are
  // written as exact binary32 values (hex) so that no compiler rounds a decimal differently.
  const float x = cr_div(std::max(3.0f, count), 0x1.40d932p+1f);  // sqrt(2 pi)
  if (!finite(x)) return x;
  const std::uint32_t bits = std::bit_cast<std::uint32_t>(x);
  int e = static_cast<int>(bits >> 23) - 127;
  float m = std::bit_cast<float>((bits & 0x7fffffu) | 0x3f800000u);
  if (m > 0x1.6a09e6p+0f) {  // sqrt(2)
    m = m * 0.5f;
    e += 1;
  }
  const float f = m - 1.0f;
  const float s = cr_div(f, 2.0f + f);
  const float z = s * s;
  float series = 0x1.745d18p-3f;  // 2/11, then 2/9, 2/7, 2/5, 2/3, 2
  for (const float coefficient : {0x1.c71c72p-3f, 0x1.24924ap-2f, 0x1.99999ap-2f, 0x1.555556p-1f, 2.0f})
    series = series * z + coefficient;
  const float ln = static_cast<float>(e) * 0x1.62e43p-1f + series * s;  // ln 2
  return cr_sqrt(2.0f * ln);
}

}  // namespace vulkanite::reference
