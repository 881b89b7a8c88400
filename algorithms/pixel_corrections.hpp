#pragma once
// The per-pixel corrections of azimuthal integration that do not change from frame to frame,
// gathered once per geometry into reference::PixelCorrections, with pyFAI's definitions
// (pyFAI 2026.9 preproc: signal = raw - dark,
//  normalization = normalization_factor x flat x solid angle x polarization x absorption).
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "io/pixel_geometry.hpp"
#include "reference/integrate.hpp"

namespace vulkanite::algorithms {

// Defaults are pyFAI's integrate1d_ng / integrate2d_ng defaults. Empty vectors: not used.
struct CorrectionOptions {
  bool solid_angle = true;                    // correctSolidAngle: pyFAI's relative solidAngleArray
  std::optional<double> polarization_factor;  // None in pyFAI: no polarization correction
  double polarization_axis_offset_rad = 0;
  std::vector<float> flat, dark, absorption, variance;  // one value per pixel each
  double normalization_factor = 1.0;
};

// normalization[i] = normalization_factor x flat x solid angle x polarization x absorption,
// evaluated in double and rounded once to float; 0 (pixel left out) for masked pixels, for
// pixels whose flat is 0 or not finite, and where the product is not finite. dark and variance
// are copied. `mask`: empty, or one byte per pixel, non-zero = masked.
// Throws std::invalid_argument naming the array whose size does not match the detector.
reference::PixelCorrections make_pixel_corrections(const io::PixelGeometry& geometry,
                                                   std::span<const std::uint8_t> mask,
                                                   const CorrectionOptions& options);

}  // namespace vulkanite::algorithms
