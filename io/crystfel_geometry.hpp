#pragma once
// CrystFEL .geom files (CrystFEL's "crystfel_geometry(5)"): panels with their place in the data
// slab (min/max fs/ss, inclusive), corner and fs/ss vectors in pixels, res (pixels per metre),
// clen/coffset, photon energy, mask settings and bad regions. As in CrystFEL, a key written
// outside any panel applies to the panels that first appear after it. Rigid groups and other
// keys that do not change the geometry are kept as notes and ignored.
#include <array>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace vulkanite::io {

struct CrystfelPanel {
  std::string name;
  std::size_t min_fs = 0, max_fs = 0, min_ss = 0, max_ss = 0;  // inclusive, in the data slab
  double corner_x = 0.0, corner_y = 0.0;                        // pixels
  std::array<double, 3> fs{1.0, 0.0, 0.0};                      // pixels in the lab per fs step
  std::array<double, 3> ss{0.0, 1.0, 0.0};
  double res = 0.0;                       // pixels per metre
  std::optional<double> clen_m;           // numeric clen; absent when the file names a dataset
  std::string clen_path;                  // "/LCLS/detectorPosition"
  double coffset_m = 0.0;
  bool no_index = false;
  std::string data, mask, mask_file;      // datasets as written
  std::optional<std::uint32_t> mask_good, mask_bad;
  std::vector<std::string> dims;          // dim0, dim1, ... as written ("%", "ss", "fs")
  std::map<std::string, std::string> other;  // CrystFEL keys kept verbatim (max_adu, adu_per_eV, ...)

  std::size_t width() const { return max_fs - min_fs + 1; }
  std::size_t height() const { return max_ss - min_ss + 1; }
};

struct CrystfelBadRegion {
  std::string name;                       // "bad_beamstop" -> "beamstop"
  bool lab = false;                       // true: min_x..max_x, min_y..max_y in pixels (lab)
  double min_x = 0, max_x = 0, min_y = 0, max_y = 0;
  std::size_t min_fs = 0, max_fs = 0, min_ss = 0, max_ss = 0;  // slab, inclusive
  std::string panel;                      // restricts an fs/ss region to one panel
};

struct CrystfelGeometry {
  std::vector<CrystfelPanel> panels;
  std::vector<CrystfelBadRegion> bad_regions;
  std::optional<double> photon_energy_eV;
  std::string photon_energy_path;         // when the energy is read from the data file
  std::map<std::string, std::string> other;  // global keys kept verbatim (adu_per_eV, ...)
  std::vector<std::string> notes;         // what was ignored and why ("rigid_group_q0 ignored")
  std::string source;

  // {ss, fs} extent of the slab: one more than the largest max_ss / max_fs.
  std::array<std::size_t, 2> slab_shape() const;
  std::optional<double> wavelength_m() const;  // from photon_energy_eV
};

// Throws FormatError naming the file, line and key ("x.geom: line 12: q0a0/fs: cannot read 'abc'").
CrystfelGeometry parse_crystfel_geometry(const std::string& text, const std::string& source);
CrystfelGeometry read_crystfel_geometry(const std::filesystem::path& path);

// Per-pixel lab positions over the slab, row-major {ss, fs}. Following OM's and Cheetah's pixel
// maps, pixel (fs, ss) of a panel sits at corner + (fs - min_fs) * fs_vec + (ss - min_ss) * ss_vec
// (no half-pixel shift), divided by res for metres; z = clen + coffset + that sum's z / res, with
// clen taken as 0 when the file only names a dataset for it. Pixels outside every panel: NaN,
// panel index -1.
struct CrystfelPixelMap {
  std::array<std::size_t, 2> shape{};
  std::vector<double> x_m, y_m, z_m;
  std::vector<double> x_px, y_px;         // the same in pixels (before dividing by res)
  std::vector<std::int32_t> panel;
};
CrystfelPixelMap crystfel_pixel_map(const CrystfelGeometry& geometry);

enum class RadiusUnit { pixels, metres };
// sqrt(x^2 + y^2) per slab pixel (NaN outside panels).
std::vector<double> crystfel_radius_map(const CrystfelGeometry& geometry, RadiusUnit unit);

// 1 where a bad region covers the pixel or no panel does; lab regions test the pixel's (x, y) in pixels.
std::vector<std::uint8_t> crystfel_bad_pixel_mask(const CrystfelGeometry& geometry);

// peakfinder8's view of the slab: nasics_y x nasics_x ASICs of asic_ny x asic_nx pixels each.
struct Peakfinder8Layout {
  std::size_t asic_nx = 0, asic_ny = 0, nasics_x = 0, nasics_y = 0;
};
// Throws std::invalid_argument when the panels do not tile the slab as a regular grid.
Peakfinder8Layout peakfinder8_layout(const CrystfelGeometry& geometry);

}  // namespace vulkanite::io
