#include "io/peakfinder8_geometry.hpp"

#include <cmath>
#include <stdexcept>
#include <string>

#include "io/pixel_geometry.hpp"

namespace vulkanite::io {
namespace {

// poni / pixel - 0.5 in OM's pixel coordinates. A PONI written from a beam centre b stores
// (b + 0.5) pixel, and dividing by the pixel size gives b back only to within a few ulps
// (489.99999999999994 for 490 with 172 um pixels), which flips the float32 rounding of a pixel's
// radius now and then. A centre within 1e-9 px of a multiple of 2^-20 px is taken to be that
// multiple: integers, halves and quarters (detector centres, generated PONIs) come back exactly,
// and any other centre moves by less than 1e-9 px.
double beam_center_px(double poni_m, double pixel_m) {
  const double b = poni_m / pixel_m - 0.5;
  const double snapped = std::round(b * 1048576.0) / 1048576.0;
  return std::abs(snapped - b) < 1e-9 ? snapped : b;
}

}  // namespace

std::vector<float> peakfinder8_radius_map(const Poni& poni, std::array<std::size_t, 2> shape) {
  if (!(poni.pixel1_m > 0.0) || !(poni.pixel2_m > 0.0) || !std::isfinite(poni.pixel1_m) ||
      !std::isfinite(poni.pixel2_m))
    throw std::invalid_argument("PONI pixel sizes must be positive to make a radius map");
  const auto [rows, columns] = shape;
  std::vector<float> radius(rows * columns);
  const bool flat = poni.rot1_rad == 0.0 && poni.rot2_rad == 0.0 && poni.rot3_rad == 0.0 && poni.orientation == 3;
  if (flat) {
    // The synthetic generator's arithmetic, term for term, so that a PONI it wrote gives back its
    // radius map bit for bit.
    const double beam_fs = beam_center_px(poni.poni2_m, poni.pixel2_m), beam_ss = beam_center_px(poni.poni1_m, poni.pixel1_m);
    const double aspect = poni.pixel1_m / poni.pixel2_m;
    for (std::size_t ss = 0; ss < rows; ++ss) {
      double dy = double(ss) - beam_ss;
      if (aspect != 1.0) dy *= aspect;
      for (std::size_t fs = 0; fs < columns; ++fs) {
        const double dx = double(fs) - beam_fs;
        radius[ss * columns + fs] = static_cast<float>(std::sqrt(dx * dx + dy * dy));
      }
    }
    return radius;
  }
  const PixelGeometry geometry(poni, shape);
  for (std::size_t ss = 0; ss < rows; ++ss)
    for (std::size_t fs = 0; fs < columns; ++fs) {
      const auto t = geometry.position(double(ss) + 0.5, double(fs) + 0.5);
      radius[ss * columns + fs] = static_cast<float>(std::hypot(t[0], t[1]) / poni.pixel2_m);
    }
  return radius;
}

std::vector<float> peakfinder8_radius_map(const CrystfelGeometry& geometry) {
  const auto shape = geometry.slab_shape();
  std::vector<float> radius(shape[0] * shape[1], 0.0f);
  for (const auto& p : geometry.panels) {
    for (std::size_t ss = 0; ss < p.height(); ++ss)
      for (std::size_t fs = 0; fs < p.width(); ++fs) {
        // OM's order: ss term, fs term, then the corner, in double (numpy's int x float).
        const double x = double(ss) * p.ss[0] + double(fs) * p.fs[0] + p.corner_x;
        const double y = double(ss) * p.ss[1] + double(fs) * p.fs[1] + p.corner_y;
        const float xf = static_cast<float>(x), yf = static_cast<float>(y);
        // float32 throughout, each product and the sum rounded (numpy.square, +, sqrt on float32).
        const float xx = xf * xf, yy = yf * yf;
        const float sum = xx + yy;
        radius[(p.min_ss + ss) * shape[1] + p.min_fs + fs] = std::sqrt(sum);
      }
  }
  return radius;
}

}  // namespace vulkanite::io
