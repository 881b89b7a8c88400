#include "algorithms/pixel_corrections.hpp"

#include <cmath>
#include <stdexcept>
#include <string>

namespace vulkanite::algorithms {
namespace {

void check_size(std::size_t size, std::size_t pixels, const io::PixelGeometry& geometry, const char* what) {
  if (size != 0 && size != pixels)
    throw std::invalid_argument(std::string(what) + " has " + std::to_string(size) + " values but the detector has " +
                                std::to_string(pixels) + " pixels (" + std::to_string(geometry.shape[0]) + " x " +
                                std::to_string(geometry.shape[1]) + ")");
}

}  // namespace

reference::PixelCorrections make_pixel_corrections(const io::PixelGeometry& geometry,
                                                   std::span<const std::uint8_t> mask,
                                                   const CorrectionOptions& options) {
  const std::size_t pixels = geometry.shape[0] * geometry.shape[1];
  check_size(mask.size(), pixels, geometry, "the mask");
  check_size(options.flat.size(), pixels, geometry, "the flat field");
  check_size(options.dark.size(), pixels, geometry, "the dark image");
  check_size(options.absorption.size(), pixels, geometry, "the absorption array");
  check_size(options.variance.size(), pixels, geometry, "the variance array");
  if (!std::isfinite(options.normalization_factor))
    throw std::invalid_argument("normalization_factor must be finite, got " +
                                std::to_string(options.normalization_factor));

  io::PixelMap solid_angle, polarization;
  if (options.solid_angle) solid_angle = geometry.solid_angle_map();
  if (options.polarization_factor)
    polarization = geometry.polarization_map({*options.polarization_factor, options.polarization_axis_offset_rad});

  reference::PixelCorrections c;
  c.normalization.resize(pixels);
  for (std::size_t i = 0; i < pixels; ++i) {
    if (!mask.empty() && mask[i]) continue;  // stays 0: left out
    double n = options.normalization_factor;
    if (!options.flat.empty()) {
      const double flat = options.flat[i];
      if (flat == 0.0 || !std::isfinite(flat)) continue;
      n *= flat;
    }
    if (options.solid_angle) n *= solid_angle.values[i];
    if (options.polarization_factor) n *= polarization.values[i];
    if (!options.absorption.empty()) n *= static_cast<double>(options.absorption[i]);
    const auto rounded = static_cast<float>(n);
    c.normalization[i] = std::isfinite(rounded) ? rounded : 0.0f;
  }
  c.dark = options.dark;
  c.variance = options.variance;
  return c;
}

}  // namespace vulkanite::algorithms
