#include "synthetic/gauss_spots.hpp"

#include <stdexcept>

#include "synthetic/portable_random.hpp"

namespace vulkanite::synthetic {

GaussSpots make_gauss_spots(const GaussSpotsParams& p) {
  if (p.rows == 0 || p.columns == 0) throw std::invalid_argument("synthetic Gaussian spots: empty grid");
  if (p.side < 5) throw std::invalid_argument("synthetic Gaussian spots: windows of at least 5 x 5 pixels");
  if (!(p.amplitude_min <= p.amplitude_max && p.sigma_min > 0 && p.sigma_min <= p.sigma_max &&
        p.background_min >= 0 && p.background_min <= p.background_max && p.offset_max >= 0))
    throw std::invalid_argument("synthetic Gaussian spots: a range with minimum above maximum");
  GaussSpots spots;
  spots.rows = p.rows;
  spots.columns = p.columns;
  spots.points = p.side * p.side;
  spots.data.reserve(p.rows * p.columns * spots.points);
  const double centre = 0.5 * static_cast<double>(p.side - 1);
  for (std::size_t r = 0; r < p.rows; ++r) {
    for (std::size_t c = 0; c < p.columns; ++c) {
      // One stream per window: any spot can be regenerated alone with the same bits.
      Rng rng = Rng::stream(p.seed, {r, c});
      const double a = rng.uniform(p.amplitude_min, p.amplitude_max);
      const double x0 = centre + rng.uniform(-p.offset_max, p.offset_max);
      const double y0 = centre + rng.uniform(-p.offset_max, p.offset_max);
      const double sigma = rng.uniform(p.sigma_min, p.sigma_max);
      const double b = rng.uniform(p.background_min, p.background_max);
      spots.truth.insert(spots.truth.end(), {a, x0, y0, sigma, b});
      const double inv_two_s2 = 1.0 / (2.0 * sigma * sigma);
      for (std::size_t k = 0; k < spots.points; ++k) {
        const double dx = static_cast<double>(k % p.side) - x0, dy = static_cast<double>(k / p.side) - y0;
        const double expected = a * portable_exp(-(dx * dx + dy * dy) * inv_two_s2) + b;
        spots.data.push_back(static_cast<float>(p.poisson_noise ? static_cast<double>(poisson(rng, expected)) : expected));
      }
    }
  }
  return spots;
}

}  // namespace vulkanite::synthetic
