#pragma once
// Synthetic small 2D Gaussian spots with known parameters and Poisson noise, for testing the
// `gauss2d` fit model and `vulkanite fit --synthetic gauss2d` (docs/fit_cli.md): a grid of
// rows x columns windows of side x side pixels, one spot per window (a localisation-microscopy
// or Bragg-spot cut-out). Truth in the gauss2d model's order: A, x0, y0, sigma, b, with pixel
// (i, j) of a window at x = j, y = i (the fit's default grid: point k at x = k % side,
// y = k / side). The same params give the same bits on every platform (portable_random).
#include <cstddef>
#include <cstdint>
#include <vector>

namespace vulkanite::synthetic {

struct GaussSpotsParams {
  std::size_t rows = 32;
  std::size_t columns = 32;
  std::size_t side = 9;                // pixels per window side
  double amplitude_min = 200, amplitude_max = 2000;  // peak counts above the background
  double sigma_min = 0.9, sigma_max = 1.6;            // pixels
  double background_min = 5, background_max = 20;     // counts per pixel
  double offset_max = 1.0;             // centre within +- this of the window's centre, pixels
  bool poisson_noise = true;           // false: the expected counts themselves
  std::uint64_t seed = 20240807;
};

struct GaussSpots {
  std::size_t rows = 0, columns = 0, points = 0;  // points = side^2
  std::vector<float> data;    // [row, column, point], counts
  std::vector<double> truth;  // [row, column, 5]
};

// Throws std::invalid_argument for an empty grid, a side below 5, or inverted ranges.
GaussSpots make_gauss_spots(const GaussSpotsParams& params);

}  // namespace vulkanite::synthetic
