#pragma once
// Per-pixel radial and azimuthal positions, solid angle and polarization for a flat detector
// described by a PONI, computed in double precision with pyFAI's conventions
// (pyFAI/geometry/core.py, pyFAI 2026.9):
//   - pixel centres at ((i + 0.5) pixel1, (j + 0.5) pixel2), corners at integer indices;
//   - (t1, t2, t3) = rot3 . rot2 . rot1 . (p1 - poni1, p2 - poni2, distance), with pyFAI's
//     left-handed rotations about axes 1 and 2 and right-handed rotation about axis 3;
//   - 2theta = atan2(hypot(t1, t2), t3), chi = atan2(t1, t2) in (-pi, pi], r = hypot(t1, t2),
//     q = 4 pi sin(2theta / 2) / wavelength;
//   - solid angle (pyFAI's solidAngleArray, relative to the PONI) = cos(a)^3 with
//     cos(a) = distance / sqrt(distance^2 + p1^2 + p2^2) in the detector plane: pyFAI leaves the
//     tilts out of the incidence angle, and so do we to match it;
//   - polarization = 0.5 (1 + cos^2 2theta - factor cos(2 (chi + axis_offset)) (1 - cos^2 2theta)).
// Detector orientations 1, 2, 4 (pyFAI >= 2024) flip the image index before all of the above, as
// pyFAI's Detector does; corners keep pyFAI's order in the image's own index space.
#include <array>
#include <cstddef>
#include <string>
#include <vector>

#include "io/poni.hpp"

namespace vulkanite::io {

enum class RadialUnit { tth_deg, tth_rad, q_nm, q_A, r_mm, r_m };
enum class AzimuthalUnit { chi_deg, chi_rad };

// "2th_deg", "2th_rad", "q_nm^-1", "q_A^-1", "r_mm", "r_m" (pyFAI's unit names); throws otherwise.
RadialUnit parse_radial_unit(const std::string& name);
const char* radial_unit_name(RadialUnit unit);

struct Polarization {
  double factor = 0.99;           // (Ih - Iv) / (Ih + Iv); pyFAI's usual synchrotron value
  double axis_offset_rad = 0.0;   // polarization plane versus the detector's x axis
};

// rows x columns, row-major; `corners` has 4 corners x (radial, azimuthal) per pixel.
struct PixelMap {
  std::array<std::size_t, 2> shape{};
  std::vector<double> values;
  double at(std::size_t row, std::size_t col) const { return values[row * shape[1] + col]; }
};

struct PixelGeometry {
  Poni poni;
  std::array<std::size_t, 2> shape{};  // {rows, columns}

  // Shape from the PONI's detector; throws std::invalid_argument if it has none.
  explicit PixelGeometry(Poni p);
  PixelGeometry(Poni p, std::array<std::size_t, 2> detector_shape);

  // The index on the physical detector of image index (d1, d2), after the orientation's flips.
  std::array<double, 2> physical_index(double d1, double d2) const;
  // Lab position (t1, t2, t3) in metres of a point at fractional pixel index (d1, d2):
  // the centre of pixel (i, j) is (i + 0.5, j + 0.5).
  std::array<double, 3> position(double d1, double d2) const;
  double radial(double d1, double d2, RadialUnit unit) const;
  double chi_rad(double d1, double d2) const;

  PixelMap radial_map(RadialUnit unit) const;
  PixelMap azimuthal_map(AzimuthalUnit unit = AzimuthalUnit::chi_rad) const;
  PixelMap solid_angle_map() const;  // pyFAI's solidAngleArray(absolute=False)
  PixelMap polarization_map(Polarization p) const;
  // shape {rows, columns}, values [(row * columns + col) * 8 + corner * 2 + {0: radial, 1: chi_rad}],
  // corners in pyFAI's order (i, j), (i + 1, j), (i + 1, j + 1), (i, j + 1).
  PixelMap corner_map(RadialUnit unit) const;
};

}  // namespace vulkanite::io
