#pragma once
// Automatic initial parameters for the fit models that `vulkanite fit` can start without --init
// (docs/fit_cli.md): each looks at one fit's data only, on the CPU, in double.
//
//   auto p = algorithms::guess_odmr(frequencies, spectrum, 2);  // b, s, A1, x01, g1, A2, ...
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace vulkanite::algorithms {

// The `odmr` model (b + s x - sum_k A_k g_k^2 / ((x - x0_k)^2 + g_k^2)) from one spectrum, x
// monotonic:
//   - background: the line through the mean of the first and the mean of the last 5 % of the
//     points (at least 3 each), i.e. the spectrum's edges, where no resonance is expected;
//   - dips, deepest first: depth = background - data, smoothed over 3 points; x0 at the deepest
//     point not yet taken, A its depth, g half the width at half depth (linearly interpolated,
//     at least one point spacing); the points within 2.5 g of that dip (and at least 2 spacings)
//     are then taken, so the next dip is a different minimum;
//   - the dips are returned by increasing x0, the order of synthetic/odmr_cube.hpp.
// A dip that finds no positive depth left gets A = 0 at the deepest remaining point (the fit
// will then report it as singular rather than invent a resonance).
std::vector<float> guess_odmr(std::span<const float> x, std::span<const float> y, std::uint32_t dips);

// The `gauss2d` model (A, x0, y0, sigma, b) on the default grid of side x side points: b the
// median of the window's border, A the maximum minus b, (x0, y0) and sigma the centroid and the
// second moment of the counts above b (sigma clamped to [0.5, side / 2]).
std::vector<float> guess_gauss2d(std::span<const float> data, std::size_t side);

}  // namespace vulkanite::algorithms
