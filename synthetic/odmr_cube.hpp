#pragma once
// Synthetic widefield ODMR cubes with known parameters, for testing the `odmr` fit model
// (reference/fit_models.hpp) and `vulkanite fit --synthetic odmr2|odmr8` (docs/fit_cli.md).
//
// Each pixel holds the CW-ODMR spectrum of an NV ensemble: a linear background minus Lorentzian
// dips at the electron-spin resonances of a magnetic field B that varies smoothly over the image,
//   f(x) = b + s x - sum_k A_k gamma_k^2 / ((x - x0_k)^2 + gamma_k^2),   x in GHz,
// then shot noise (Poisson counts). The dips sit at D +- gamma_e |B . n| (zero-field splitting
// D = 2.870 GHz, gamma_e = 28.025 GHz/T, strain neglected):
//   - 2 dips: one NV orientation, B along it, |B| from 2 to 5 mT over the image;
//   - 8 dips: the four <111> orientations of diamond, B of 4.5 to 6 mT in a general direction
//     chosen so that the four projections stay distinct (adjacent resonances >= 25 MHz apart,
//     more than four widths).
// Dips are listed by increasing frequency, so truth, fits and the automatic initial guess
// (algorithms/fit_guess.hpp) all use the same order. Truth parameters are in the `odmr` model's
// order: b, s, then A_k, x0_k, gamma_k for each dip.
//
// The same params give the same bits on every platform: the smooth variations are polynomials of
// the pixel position, the noise comes from synthetic/portable_random.hpp, and only IEEE + - * /
// and sqrt are used (no libm).
#include <cstddef>
#include <cstdint>
#include <vector>

namespace vulkanite::synthetic {

struct OdmrCubeParams {
  std::size_t rows = 16;
  std::size_t columns = 16;
  std::uint32_t dips = 2;       // 2 or 8
  std::size_t points = 200;     // frequencies, evenly spaced over [start_ghz, stop_ghz]
  double start_ghz = 2.65;
  double stop_ghz = 3.09;
  double counts = 1e5;          // background counts per point at the image centre
  double contrast = 0.02;       // typical dip depth / background (varies by -30 % .. +30 %)
  double width_ghz = 0.006;     // typical half width at half maximum (varies 5 to 7 MHz)
  bool shot_noise = true;       // false: the expected counts themselves
  std::uint64_t seed = 20240806;
};

struct OdmrCube {
  std::size_t rows = 0, columns = 0, points = 0;
  std::uint32_t parameters = 0;   // 2 + 3 dips
  std::vector<float> frequencies;  // points, GHz
  std::vector<float> data;         // [row, column, point], counts
  std::vector<double> truth;       // [row, column, parameter]
};

// Throws std::invalid_argument for dips other than 2 or 8, an empty image, fewer than 10 points,
// or a frequency range that is empty or misses the resonances.
OdmrCube make_odmr_cube(const OdmrCubeParams& params);

}  // namespace vulkanite::synthetic
