#pragma once
// The radius map peakfinder8 (original flavour) takes, from the geometry files users have: OM
// computes it from a CrystFEL geometry (om.lib.geometry: each pixel's lab x, y in pixels, then
// sqrt(x^2 + y^2) in float32); a pyFAI PONI describes the same detector with another pixel
// convention, which is converted here. docs/find_peaks_cli.md, "Geometry".
//
// Pixel convention (docs/peakfinder8.md, oddity 19; synthetic/serial_frames.hpp): pixel (fs, ss)
// = data[ss][fs] sits at corner + fs fs_vec + ss ss_vec, no half-pixel shift, so its centre is at
// integer coordinates. pyFAI places the same centre at (ss + 0.5, fs + 0.5) pixel sizes from the
// detector's corner, so the beam centre in OM's coordinates is poni / pixel_size - 0.5.
#include <array>
#include <cstddef>
#include <vector>

#include "io/crystfel_geometry.hpp"
#include "io/poni.hpp"

namespace vulkanite::io {

// One value per pixel of a {rows, columns} frame, row-major: the pixel centre's distance from the
// beam, in units of the fast-axis pixel size, rounded once to float32. Without tilts or flips
// (rotations 0, orientation 3) it is sqrt(dfs^2 + dss^2) in double with dfs = fs - (poni2 /
// pixel2 - 0.5) and dss = (ss - (poni1 / pixel1 - 0.5)) pixel1 / pixel2 (a centre within 1e-9 px
// of a multiple of 2^-20 px snapped to it, undoing the division's rounding): the bits of
// synthetic::SerialDetector::radius_px for the PONI it writes. With them, hypot(t1, t2) / pixel2
// of io::PixelGeometry's lab position of the centre: the distance from the beam axis, as OM's
// pixel maps give for a tilted CrystFEL panel. Throws std::invalid_argument for pixel sizes that
// are not positive.
std::vector<float> peakfinder8_radius_map(const Poni& poni, std::array<std::size_t, 2> shape);

// OM's radius map for a CrystFEL geometry over its slab (slab_shape()): per panel, x = ss ssx +
// fs fsx + corner_x (ss, fs counted from the panel's min_ss, min_fs) in double, stored as
// float32, the same for y; then sqrt(x^2 + y^2) with each operation rounded to float32, as
// numpy computes it on OM's float32 maps. Pixels outside every panel are 0 (OM's maps start as
// zeros); they are bad pixels (crystfel_bad_pixel_mask).
std::vector<float> peakfinder8_radius_map(const CrystfelGeometry& geometry);

}  // namespace vulkanite::io
