#pragma once
// pyFAI's peakfinder8 (pyFAI 2026.9, OCL_PeakFinder.peakfinder8), "pyFAI flavour": CPU twin of
// shaders/peakfinder8_pyfai/*.comp, bit-identical to them. Written from pyFAI's behaviour
// (docs/peakfinder8_pyfai.md), with our exact arithmetic: correctly rounded division and square
// root, no fused multiply-add, explicit ftz, bit tests for NaN.
//
// The steps, each a function below so that the GPU kernels follow them one by one:
//   0. reference::sigma_clip over the 1D radial matrix gives each bin's mean and std.
//   1. peakfinder8_pyfai_excess (excess.comp): per pixel, its background-subtracted intensity
//      I/n - <I>(r) and its uncertainty sqrt(std(r)^2 + noise^2), the bin's mean and std
//      interpolated linearly at the pixel's radius r between bin centres.
//   2. peakfinder8_pyfai_peaks (peaks.comp): a pixel is a peak when it is
//      "intense" (excess > 0 and excess >= cutoff_peak x uncertainty), is the largest positive
//      excess of its patch_size x patch_size patch, the patch holds at least `connected` intense
//      pixels, and no patch pixel is invalid (excess <= 0 with uncertainty <= 0: outside the
//      frame, or masked with noise 0). Per peak: the sum of the positive excesses of the patch,
//      sqrt of the sum of their squared uncertainties, and their centre of mass.
// pyFAI records peaks through atomics (unordered), as peaks.comp does; here they come sorted by
// pixel index, as decode_peakfinder8_pyfai sorts the device's.
#include <cstdint>
#include <optional>
#include <span>
#include <utility>
#include <vector>

#include "reference/integrate.hpp"
#include "reference/sigma_clip.hpp"

namespace vulkanite::reference {

inline constexpr std::uint32_t kPeakfinder8PyfaiMaxPatch = 31;

// OCL_PeakFinder.peakfinder8's keyword arguments, same names and defaults.
struct Peakfinder8PyfaiParams {
  // cutoff_clip (5), cycle (5) and error_model of the sigma clipping run first. pyFAI's own
  // default error model is none, which it warns gives "garbage" without a variance array; we
  // keep reference::SigmaClipParams' default (poisson, pyFAI's sigma_clip_ng fallback).
  SigmaClipParams sigma_clip{};
  // Pick pixels with I - <I> >= cutoff_peak x sqrt(std^2 + noise^2). pyFAI's peakfinder8 calls
  // it cutoff_peak; its sparsify's cutoff_pick is the same test for the sparse pixel list.
  float cutoff_peak = 3.0f;
  float noise = 1.0f;             // added quadratically to the bin's std
  std::uint32_t connected = 2;    // intense pixels (the peak included) the patch must hold
  std::uint32_t patch_size = 3;   // odd: 3 for 3x3, 5 for 5x5, ...
  // pyFAI's radial_range, in the radius' unit: pixels with a radius outside [min, max x (1 +
  // FLT_EPSILON)) get an infinite background (never intense). None: [0, FLT_MAX).
  std::optional<std::pair<double, double>> radial_range;
};

// The [radius_min, radius_max) pyFAI's kernel receives for these parameters.
std::pair<float, float> peakfinder8_pyfai_radius_limits(const Peakfinder8PyfaiParams& params);

// Throws std::invalid_argument naming the parameter: an even, zero or too large patch size
// (1 to kPeakfinder8PyfaiMaxPatch), connected > patch_size^2, noise or cutoff_peak negative or
// not finite, an empty or non-finite radial range, bad sigma-clipping parameters.
void check_params(const Peakfinder8PyfaiParams& params);

// One peak, as pyFAI's structured array (index, intensity, sigma, pos0, pos1).
struct Peakfinder8PyfaiPeak {
  std::uint32_t index = 0;  // flat pixel index of the peak's maximum (row x columns + column)
  float intensity = 0;      // sum of the positive background-subtracted intensities of the patch
  float sigma = 0;          // sqrt of the sum of their squared uncertainties
  float pos0 = 0;           // centre of mass, slow (row) coordinate, pixels
  float pos1 = 0;           // fast (column) coordinate
};

// What the interpolation needs, pyFAI's radius2d, radius1d, averint and std.
struct RadialBackground {
  std::span<const float> radius;       // per pixel; NaN where masked (pyFAI sets it so)
  std::span<const float> bin_centers;  // per bin, evenly spaced, increasing; at least 2 bins
  std::span<const float> mean;         // per bin: IntegrationResult::intensity of sigma_clip
  std::span<const float> std;          // per bin: IntegrationResult::std of sigma_clip
};

// Step 1's output, per pixel.
struct PixelExcess {
  std::vector<float> excess;       // I/n - <I>(r): 0 for invalid pixels, -inf out of range
  std::vector<float> uncertainty;  // sqrt(std(r)^2 + noise^2)
};

// Step 1. `frame` holds the raw values as floats (algorithms::frame_as_float); `corrections`
// and `integration` define pyFAI's preprocessing as for the integration: a pixel counts when
// reference::integrate would count it (raw finite, not the dummy, normalization finite and not
// 0, variance finite) and its normalization is > 0.
PixelExcess peakfinder8_pyfai_excess(std::span<const float> frame, const PixelCorrections& corrections,
                                     const IntegrationParams& integration, const RadialBackground& background,
                                     const Peakfinder8PyfaiParams& params);

// Step 2, over a rows x columns frame (row-major), peaks in pixel-index order.
std::vector<Peakfinder8PyfaiPeak> peakfinder8_pyfai_peaks(std::size_t rows, std::size_t columns,
                                                          const PixelExcess& pixels,
                                                          const Peakfinder8PyfaiParams& params);

// Steps 1 and 2; `sigma_clip` is reference::sigma_clip's result over the 1D radial matrix
// whose bin centres are `bin_centers`. Throws std::invalid_argument for bad parameters or sizes
// that disagree with rows x columns or the bins.
std::vector<Peakfinder8PyfaiPeak> peakfinder8_pyfai(std::size_t rows, std::size_t columns,
                                                    std::span<const float> frame, const PixelCorrections& corrections,
                                                    std::span<const float> radius, std::span<const float> bin_centers,
                                                    const IntegrationResult& sigma_clip,
                                                    const Peakfinder8PyfaiParams& params);

}  // namespace vulkanite::reference
