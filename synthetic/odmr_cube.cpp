#include "synthetic/odmr_cube.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <stdexcept>
#include <string>

#include "synthetic/portable_random.hpp"

namespace vulkanite::synthetic {
namespace {

constexpr double kZeroFieldGhz = 2.870;
constexpr double kGhzPerMilliTesla = 0.028025;

// Position in the image mapped to [-1, 1] (0 for a single row or column), so that the field and
// the line shapes vary over the same range whatever the image size.
double unit_coordinate(std::size_t i, std::size_t n) {
  if (n < 2) return 0.0;
  return (2.0 * static_cast<double>(i) - static_cast<double>(n - 1)) / static_cast<double>(n - 1);
}

// Resonances of pixel (u, v) in GHz, increasing.
std::vector<double> resonances(std::uint32_t dips, double u, double v) {
  std::vector<double> f;
  if (dips == 2) {
    const double b_parallel = 3.5 + 0.8 * u + 0.5 * v + 0.2 * u * v;  // 2.0 .. 5.0 mT
    f = {kZeroFieldGhz - kGhzPerMilliTesla * b_parallel, kZeroFieldGhz + kGhzPerMilliTesla * b_parallel};
    return f;
  }
  // A general direction near (1, 2.3, 4.2): projections on the four <111> axes of about 0.89,
  // 0.65, 0.34 and 0.11 of |B|, so no two orientations share a resonance anywhere in the image.
  const std::array<double, 3> direction{1.0 + 0.1 * u, 2.3 + 0.1 * v, 4.2};
  const double norm = std::sqrt(direction[0] * direction[0] + direction[1] * direction[1] + direction[2] * direction[2]);
  const double magnitude = 5.25 + 0.5 * u + 0.25 * v;  // 4.5 .. 6.0 mT
  constexpr std::array<std::array<double, 3>, 4> kAxes{{{1, 1, 1}, {1, -1, -1}, {-1, 1, -1}, {-1, -1, 1}}};
  const double inv_sqrt3 = 1.0 / std::sqrt(3.0);
  for (const auto& n : kAxes) {
    const double dot = direction[0] * n[0] + direction[1] * n[1] + direction[2] * n[2];
    const double b_parallel = magnitude * std::fabs(dot) * inv_sqrt3 / norm;
    f.push_back(kZeroFieldGhz - kGhzPerMilliTesla * b_parallel);
    f.push_back(kZeroFieldGhz + kGhzPerMilliTesla * b_parallel);
  }
  std::sort(f.begin(), f.end());
  return f;
}

// Truth of pixel (u, v) in the odmr model's order.
std::vector<double> pixel_truth(const OdmrCubeParams& p, double u, double v) {
  const double level = p.counts * (1.0 - 0.1 * (u * u + v * v));  // illumination falls off by 20 %
  const double slope = -0.1 * level * (1.0 + 0.5 * u);             // counts per GHz
  const double centre = 0.5 * (p.start_ghz + p.stop_ghz);
  std::vector<double> truth{level - slope * centre, slope};
  const auto f = resonances(p.dips, u, v);
  for (std::size_t k = 0; k < f.size(); ++k) {
    const double sign = k % 2 == 0 ? 1.0 : -1.0;
    const double contrast = p.contrast * (1.0 + 0.3 * (0.7 * sign * u + 0.3 * v));
    const double width = p.width_ghz * (1.0 + (0.6 * v + 0.4 * sign * u * v) / 6.0);
    truth.insert(truth.end(), {contrast * level, f[k], width});
  }
  return truth;
}

double odmr_value(const std::vector<double>& p, double x) {
  double f = p[0] + p[1] * x;
  for (std::size_t j = 2; j + 2 < p.size(); j += 3) {
    const double dx = x - p[j + 1], g2 = p[j + 2] * p[j + 2];
    f -= p[j] * g2 / (dx * dx + g2);
  }
  return f;
}

}  // namespace

OdmrCube make_odmr_cube(const OdmrCubeParams& p) {
  if (p.dips != 2 && p.dips != 8)
    throw std::invalid_argument("synthetic ODMR cubes have 2 or 8 dips, not " + std::to_string(p.dips));
  if (p.rows == 0 || p.columns == 0) throw std::invalid_argument("synthetic ODMR cube: empty image");
  if (p.points < 10) throw std::invalid_argument("synthetic ODMR cube: at least 10 frequencies needed");
  if (!(p.start_ghz < 2.72 && p.stop_ghz > 3.02))
    throw std::invalid_argument("synthetic ODMR cube: the frequencies must cover 2.72 to 3.02 GHz");
  OdmrCube cube;
  cube.rows = p.rows;
  cube.columns = p.columns;
  cube.points = p.points;
  cube.parameters = 2 + 3 * p.dips;
  const double step = (p.stop_ghz - p.start_ghz) / static_cast<double>(p.points - 1);
  for (std::size_t i = 0; i < p.points; ++i)
    cube.frequencies.push_back(static_cast<float>(p.start_ghz + step * static_cast<double>(i)));
  cube.data.reserve(p.rows * p.columns * p.points);
  cube.truth.reserve(p.rows * p.columns * cube.parameters);
  for (std::size_t r = 0; r < p.rows; ++r) {
    for (std::size_t c = 0; c < p.columns; ++c) {
      const auto truth = pixel_truth(p, unit_coordinate(c, p.columns), unit_coordinate(r, p.rows));
      cube.truth.insert(cube.truth.end(), truth.begin(), truth.end());
      // One stream per pixel: any pixel can be regenerated alone with the same bits.
      Rng rng = Rng::stream(p.seed, {r, c});
      for (const float x : cube.frequencies) {
        // The model at the frequency the fitter sees (the float), so the truth is exact for it.
        const double expected = odmr_value(truth, static_cast<double>(x));
        const double counts = p.shot_noise ? static_cast<double>(poisson(rng, expected)) : expected;
        cube.data.push_back(static_cast<float>(counts));
      }
    }
  }
  return cube;
}

}  // namespace vulkanite::synthetic
