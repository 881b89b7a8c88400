#pragma once
// CPU twin of shaders/sigma_clip/sigma_clip.comp: pyFAI's sigma_clip_ng (CSR engine) per bin,
// bit-identical to the GPU kernel. Per bin: integrate (reference/integrate.hpp), then up to
// `cycles` times discard the pixels with |s / n - mean| > max(cutoff, chauvenet_cutoff(count)) x std
// and integrate the pixels left; stop early when a cycle discards nothing, or the mean or std
// is not finite. The test is evaluated as |s - mean n| > k std |n| (no division per pixel), and a
// discarded pixel stays discarded because a pixel is kept only while it passes every earlier
// cycle's test: no pixel state is written back, so the frame is left untouched.
#include <cstdint>

#include "reference/integrate.hpp"

namespace vulkanite::reference {

constexpr std::uint32_t kMaxSigmaClipCycles = 32;

struct SigmaClipParams {
  // pyFAI's sigma_clip_ng falls back on the poisson model when none is given; `none` is refused.
  IntegrationParams integration{.error_model = ErrorModel::poisson};
  std::uint32_t cycles = 5;  // pyFAI's max_iter; at most kMaxSigmaClipCycles
  float cutoff = 5.0f;       // pyFAI's thres
};

// Throws std::invalid_argument naming the problem: no error model, too many cycles, a cutoff
// that is negative or not finite, bad lanes.
void check_params(const SigmaClipParams& params);

IntegrationResult sigma_clip(CsrView matrix, std::span<const float> frame, const PixelCorrections& corrections,
                             const SigmaClipParams& params);

// Chauvenet's criterion for `count` pixels, sqrt(2 ln(max(3, count) / sqrt(2 pi))), as pyFAI
// defines it, in a fixed sequence of float operations shared with the GPU (GLSL's log is not
// exact, so each side would otherwise round its own way).
float chauvenet_cutoff(float count);

}  // namespace vulkanite::reference
