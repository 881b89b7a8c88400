#pragma once
// The sparse pixel -> bin matrix of azimuthal integration (CSR, one row per output bin), built
// on the host once per geometry exactly as pyFAI 2026.9 builds its own (setup_sparse_integrator
// with algo="CSR", scale=False): same bin edges, same positions, same splitting coefficients, so
// that the same pixels land in the same bins. Both the GPU kernels and their references consume
// it through reference::CsrView.
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <utility>
#include <vector>

#include "io/pixel_geometry.hpp"
#include "reference/integrate.hpp"

namespace vulkanite::algorithms {

enum class Splitting { no, bbox, full };  // pyFAI's "no", "bbox", "full"

struct IntegrationMatrixOptions {
  std::size_t radial_bins = 1000;    // pyFAI's npt / npt_rad
  std::size_t azimuthal_bins = 0;    // pyFAI's npt_azim; 0 means 1D
  io::RadialUnit unit = io::RadialUnit::q_nm;  // pyFAI's default unit
  Splitting splitting = Splitting::bbox;       // pyFAI's default for integrate1d_ng
  std::optional<std::pair<double, double>> radial_range;     // in `unit`
  std::optional<std::pair<double, double>> azimuthal_range;  // degrees, as pyFAI takes it
};

struct IntegrationMatrix {
  std::size_t radial_bins = 0;
  std::size_t azimuthal_bins = 0;         // 0 for 1D
  std::size_t pixels = 0;                 // columns: rows x columns of the image
  std::vector<std::uint32_t> row_start;   // bins + 1 entries; bin b is [row_start[b], row_start[b+1])
  std::vector<std::uint32_t> pixel;       // flat pixel index of each entry
  std::vector<float> coefficient;         // fraction of the pixel in the bin; empty when all are 1
  std::vector<double> radial_centers;     // in the unit of the options
  std::vector<double> azimuthal_centers;  // degrees; empty for 1D
  // Bins are ordered azimuth-major for 2D (bin = azimuthal * radial_bins + radial), so the
  // result reshapes to pyFAI's (npt_azim, npt_rad) intensity array.

  std::size_t bins() const { return row_start.empty() ? 0 : row_start.size() - 1; }
  reference::CsrView view() const { return {row_start, pixel, coefficient}; }
};

// `mask`: empty, or one byte per pixel, non-zero = masked (pyFAI's convention); masked pixels
// are left out of the matrix. Throws std::invalid_argument for impossible options (no bins, an
// empty range, a mask of the wrong size) naming the option.
IntegrationMatrix build_integration_matrix(const io::PixelGeometry& geometry, std::span<const std::uint8_t> mask,
                                           const IntegrationMatrixOptions& options);

}  // namespace vulkanite::algorithms
