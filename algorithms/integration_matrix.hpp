#pragma once
// The sparse pixel -> bin matrix of azimuthal integration (CSR, one row per output bin), built
// on the host once per geometry exactly as pyFAI 2026.9 builds its own (setup_sparse_integrator
// with algo="CSR", scale=False): same bin edges, same positions, same splitting coefficients, so
// that the same pixels land in the same bins with the same float32 coefficients, each row listing
// its pixels in ascending order as pyFAI's does. Both the GPU kernels and their references
// consume it through reference::CsrView. Checked entry for entry against pyFAI's own arrays:
// docs/integration_matrix.md.
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
// are left out of the matrix. Ranges left out default to pyFAI's: from the smallest to the
// largest position of the unmasked pixels (their boxes or corners when splitting), the top nudged
// up by one float32 epsilon. pyFAI's quirks are kept, since the point is its very matrix: a pixel
// less than one bin below the radial range still lands in bin 0 (its bin number is truncated
// toward zero), zero and slightly negative full-splitting coefficients stay in, and so on
// (docs/integration_matrix.md). Throws std::invalid_argument, naming the option, for no bins, an
// empty, inverted or non-finite range, a mask of the wrong size, q without a wavelength, every
// pixel masked with a range left to find, or a matrix of more than 2^32 - 1 entries.
IntegrationMatrix build_integration_matrix(const io::PixelGeometry& geometry, std::span<const std::uint8_t> mask,
                                           const IntegrationMatrixOptions& options);

}  // namespace vulkanite::algorithms
