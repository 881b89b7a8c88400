#include "io/pixel_geometry.hpp"

#include <cmath>
#include <numbers>
#include <stdexcept>

namespace vulkanite::io {
namespace {

using Matrix = std::array<std::array<double, 3>, 3>;

Matrix multiply(const Matrix& a, const Matrix& b) {
  Matrix c{};
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 3; ++j)
      for (int k = 0; k < 3; ++k) c[i][j] += a[i][k] * b[k][j];
  return c;
}

// pyFAI's Geometry.rotation_matrix: rot3 . rot2 . rot1.
Matrix rotation(const Poni& p) {
  const double c1 = std::cos(p.rot1_rad), s1 = std::sin(p.rot1_rad);
  const double c2 = std::cos(p.rot2_rad), s2 = std::sin(p.rot2_rad);
  const double c3 = std::cos(p.rot3_rad), s3 = std::sin(p.rot3_rad);
  const Matrix r1{{{1, 0, 0}, {0, c1, s1}, {0, -s1, c1}}};      // left-handed about axis 1
  const Matrix r2{{{c2, 0, -s2}, {0, 1, 0}, {s2, 0, c2}}};      // left-handed about axis 2
  const Matrix r3{{{c3, -s3, 0}, {s3, c3, 0}, {0, 0, 1}}};      // right-handed about axis 3
  return multiply(r3, multiply(r2, r1));
}

double wavelength_or_throw(const Poni& p) {
  if (!p.wavelength_m || !(*p.wavelength_m > 0.0))
    throw std::invalid_argument("q needs a wavelength and the PONI has none");
  return *p.wavelength_m;
}

double radial_from(double tth, double r_m, RadialUnit unit, const Poni& p) {
  switch (unit) {
    case RadialUnit::tth_rad: return tth;
    case RadialUnit::tth_deg: return tth * (180.0 / std::numbers::pi);
    case RadialUnit::r_m: return r_m;
    case RadialUnit::r_mm: return r_m * 1e3;
    case RadialUnit::q_nm: return 4e-9 * std::numbers::pi * std::sin(0.5 * tth) / wavelength_or_throw(p);
    case RadialUnit::q_A: return 4e-10 * std::numbers::pi * std::sin(0.5 * tth) / wavelength_or_throw(p);
  }
  throw std::logic_error("radial_from: unknown unit");
}

}  // namespace

RadialUnit parse_radial_unit(const std::string& name) {
  for (auto u : {RadialUnit::tth_deg, RadialUnit::tth_rad, RadialUnit::q_nm, RadialUnit::q_A, RadialUnit::r_mm,
                 RadialUnit::r_m})
    if (name == radial_unit_name(u)) return u;
  throw std::invalid_argument("unknown radial unit '" + name + "' (known: 2th_deg, 2th_rad, q_nm^-1, q_A^-1, r_mm, r_m)");
}

const char* radial_unit_name(RadialUnit unit) {
  switch (unit) {
    case RadialUnit::tth_deg: return "2th_deg";
    case RadialUnit::tth_rad: return "2th_rad";
    case RadialUnit::q_nm: return "q_nm^-1";
    case RadialUnit::q_A: return "q_A^-1";
    case RadialUnit::r_mm: return "r_mm";
    case RadialUnit::r_m: return "r_m";
  }
  return "?";
}

PixelGeometry::PixelGeometry(Poni p) : poni(std::move(p)) {
  if (!poni.shape) throw std::invalid_argument("the PONI names no detector shape: pass the shape");
  shape = *poni.shape;
  if (poni.orientation < 1 || poni.orientation > 4)
    throw std::invalid_argument("detector orientation " + std::to_string(poni.orientation) + " is not one of 1..4");
}

PixelGeometry::PixelGeometry(Poni p, std::array<std::size_t, 2> detector_shape)
    : poni(std::move(p)), shape(detector_shape) {
  if (poni.orientation < 1 || poni.orientation > 4)
    throw std::invalid_argument("detector orientation " + std::to_string(poni.orientation) + " is not one of 1..4");
}

std::array<double, 2> PixelGeometry::physical_index(double d1, double d2) const {
  // pyFAI's Detector._reorder_indexes_from_orientation: 1 flips both axes, 2 the slow axis,
  // 4 the fast axis; 3 (BottomRight) is the identity. Edges map to edges: d -> size - d.
  const bool flip1 = poni.orientation == 1 || poni.orientation == 2;
  const bool flip2 = poni.orientation == 1 || poni.orientation == 4;
  return {flip1 ? static_cast<double>(shape[0]) - d1 : d1, flip2 ? static_cast<double>(shape[1]) - d2 : d2};
}

std::array<double, 3> PixelGeometry::position(double d1_image, double d2_image) const {
  const Matrix r = rotation(poni);
  const auto [d1, d2] = physical_index(d1_image, d2_image);
  const double p1 = d1 * poni.pixel1_m - poni.poni1_m;
  const double p2 = d2 * poni.pixel2_m - poni.poni2_m;
  const double p3 = poni.distance_m;
  return {r[0][0] * p1 + r[0][1] * p2 + r[0][2] * p3, r[1][0] * p1 + r[1][1] * p2 + r[1][2] * p3,
          r[2][0] * p1 + r[2][1] * p2 + r[2][2] * p3};
}

double PixelGeometry::radial(double d1, double d2, RadialUnit unit) const {
  const auto [t1, t2, t3] = position(d1, d2);
  const double r = std::sqrt(t1 * t1 + t2 * t2);
  return radial_from(std::atan2(r, t3), r, unit, poni);
}

double PixelGeometry::chi_rad(double d1, double d2) const {
  const auto [t1, t2, t3] = position(d1, d2);
  return std::atan2(t1, t2);
}

PixelMap PixelGeometry::radial_map(RadialUnit unit) const {
  PixelMap m{shape, std::vector<double>(shape[0] * shape[1])};
  for (std::size_t i = 0; i < shape[0]; ++i)
    for (std::size_t j = 0; j < shape[1]; ++j)
      m.values[i * shape[1] + j] = radial(static_cast<double>(i) + 0.5, static_cast<double>(j) + 0.5, unit);
  return m;
}

PixelMap PixelGeometry::azimuthal_map(AzimuthalUnit unit) const {
  const double scale = unit == AzimuthalUnit::chi_deg ? 180.0 / std::numbers::pi : 1.0;
  PixelMap m{shape, std::vector<double>(shape[0] * shape[1])};
  for (std::size_t i = 0; i < shape[0]; ++i)
    for (std::size_t j = 0; j < shape[1]; ++j)
      m.values[i * shape[1] + j] = scale * chi_rad(static_cast<double>(i) + 0.5, static_cast<double>(j) + 0.5);
  return m;
}

PixelMap PixelGeometry::solid_angle_map() const {
  const double d = poni.distance_m;
  PixelMap m{shape, std::vector<double>(shape[0] * shape[1])};
  for (std::size_t i = 0; i < shape[0]; ++i) {
    for (std::size_t j = 0; j < shape[1]; ++j) {
      const auto [d1, d2] = physical_index(static_cast<double>(i) + 0.5, static_cast<double>(j) + 0.5);
      const double p1 = d1 * poni.pixel1_m - poni.poni1_m;
      const double p2 = d2 * poni.pixel2_m - poni.poni2_m;
      const double cosa = d / std::sqrt(d * d + (p1 * p1 + p2 * p2));
      m.values[i * shape[1] + j] = cosa * cosa * cosa;
    }
  }
  return m;
}

PixelMap PixelGeometry::polarization_map(Polarization pol) const {
  PixelMap m{shape, std::vector<double>(shape[0] * shape[1])};
  for (std::size_t i = 0; i < shape[0]; ++i)
    for (std::size_t j = 0; j < shape[1]; ++j) {
      const double d1 = static_cast<double>(i) + 0.5, d2 = static_cast<double>(j) + 0.5;
      const auto [t1, t2, t3] = position(d1, d2);
      const double c = std::cos(std::atan2(std::sqrt(t1 * t1 + t2 * t2), t3));
      const double cos2 = c * c;
      const double chi = std::atan2(t1, t2);
      m.values[i * shape[1] + j] =
          0.5 * (1.0 + cos2 - pol.factor * std::cos(2.0 * (chi + pol.axis_offset_rad)) * (1.0 - cos2));
    }
  return m;
}

PixelMap PixelGeometry::corner_map(RadialUnit unit) const {
  // Corners are shared between neighbours: compute the (rows + 1) x (columns + 1) grid once.
  const std::size_t gr = shape[0] + 1, gc = shape[1] + 1;
  std::vector<double> rad(gr * gc), chi(gr * gc);
  for (std::size_t i = 0; i < gr; ++i)
    for (std::size_t j = 0; j < gc; ++j) {
      const auto [t1, t2, t3] = position(static_cast<double>(i), static_cast<double>(j));
      const double r = std::sqrt(t1 * t1 + t2 * t2);
      rad[i * gc + j] = radial_from(std::atan2(r, t3), r, unit, poni);
      chi[i * gc + j] = std::atan2(t1, t2);
    }
  PixelMap m{shape, std::vector<double>(shape[0] * shape[1] * 8)};
  constexpr int kDi[4] = {0, 1, 1, 0}, kDj[4] = {0, 0, 1, 1};
  for (std::size_t i = 0; i < shape[0]; ++i)
    for (std::size_t j = 0; j < shape[1]; ++j)
      for (int c = 0; c < 4; ++c) {
        const std::size_t g = (i + kDi[c]) * gc + j + kDj[c];
        double* out = &m.values[((i * shape[1] + j) * 4 + c) * 2];
        out[0] = rad[g];
        out[1] = chi[g];
      }
  return m;
}

}  // namespace vulkanite::io
