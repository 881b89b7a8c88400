// CrystFEL .geom files: parsing, lab coordinates, bad regions and the peakfinder8 layout.
// Expected coordinates are worked out by hand from the files' own numbers (shown in comments).
#include <gtest/gtest.h>

#include <cmath>
#include <numeric>

#include "io/crystfel_geometry.hpp"
#include "io/frame.hpp"
#include "support/data.hpp"
#include "support/invalid_argument.hpp"

namespace vio = vulkanite::io;

namespace {

constexpr const char* kTwoPanels = R"(; a comment
res = 10000          ; pixels per metre
clen = 95.3 mm
photon_energy = 9.5 keV
mask = /mask
mask_good = 0x0000
mask_bad = 0xffff
rigid_group_all = a,b
a/min_fs = 0
a/max_fs = 3
a/min_ss = 0
a/max_ss = 1
a/corner_x = -4
a/corner_y = 10
a/fs = +0.0x -1.0y
a/ss = x
coffset = 0.001      ; applies to b only: b appears after it
b/min_fs = 0
b/max_fs = 3.0
b/min_ss = 2
b/max_ss = 3
b/corner_x = 100.5
b/corner_y = -2
b/fs = x
b/ss = -0.5x +1.0y +0.1z
b/res = 5000
b/max_adu = 4000
adu_per_eV = 0.1
bad_corner/min_fs = 3
bad_corner/max_fs = 3
bad_corner/min_ss = 0
bad_corner/max_ss = 3
bad_corner/panel = b
bad_lab/min_x = -5
bad_lab/max_x = -3.5
bad_lab/min_y = 9.5
bad_lab/max_y = 10.5
)";

std::string error_of(const std::string& text) {
  try {
    vio::parse_crystfel_geometry(text, "x.geom");
  } catch (const vio::FormatError& e) {
    return e.what();
  }
  return "no error";
}

}  // namespace

TEST(CrystfelGeometry, GlobalsApplyToLaterPanels) {
  const auto g = vio::parse_crystfel_geometry(kTwoPanels, "two.geom");
  ASSERT_EQ(g.panels.size(), 2u);
  const auto& a = g.panels[0];
  const auto& b = g.panels[1];
  EXPECT_EQ(a.name, "a");
  EXPECT_EQ(a.res, 10000);
  EXPECT_EQ(a.clen_m, 0.0953);
  EXPECT_EQ(a.coffset_m, 0.0);
  EXPECT_EQ(b.coffset_m, 0.001);
  EXPECT_EQ(b.res, 5000);
  EXPECT_EQ(a.fs, (std::array<double, 3>{0, -1, 0}));
  EXPECT_EQ(a.ss, (std::array<double, 3>{1, 0, 0}));
  EXPECT_EQ(b.ss, (std::array<double, 3>{-0.5, 1, 0.1}));
  EXPECT_EQ(a.mask, "/mask");
  EXPECT_EQ(a.mask_bad, 0xffffu);
  EXPECT_EQ(b.max_fs, 3u);
  EXPECT_EQ(b.other.at("max_adu"), "4000");
  EXPECT_EQ(g.other.at("adu_per_eV"), "0.1");
  EXPECT_EQ(g.photon_energy_eV, 9500.0);
  EXPECT_NEAR(*g.wavelength_m(), 1.305096825612634e-10, 1e-22);  // 12398.419843320026 / 9500 A
  EXPECT_EQ(g.slab_shape(), (std::array<std::size_t, 2>{4, 4}));
  ASSERT_EQ(g.notes.size(), 1u);
  EXPECT_EQ(g.notes[0], "rigid_group_all ignored (rigid groups do not change the geometry)");
  ASSERT_EQ(g.bad_regions.size(), 2u);
  EXPECT_EQ(g.bad_regions[0].name, "corner");
  EXPECT_TRUE(g.bad_regions[1].lab);

  const auto m = vio::crystfel_pixel_map(g);
  // a, fs = 2, ss = 1: x = -4 + 2 * 0 + 1 * 1 = -3, y = 10 - 2 = 8 (pixels); / 10000 for metres.
  const std::size_t i = 1 * 4 + 2;
  EXPECT_EQ(m.x_px[i], -3.0);
  EXPECT_EQ(m.y_px[i], 8.0);
  EXPECT_DOUBLE_EQ(m.x_m[i], -3e-4);
  EXPECT_DOUBLE_EQ(m.z_m[i], 0.0953);
  // b, fs = 1, ss = 3 (second row of b): x = 100.5 + 1 - 0.5 = 101, y = -2 + 1 = -1, z = 0.1 px.
  const std::size_t j = 3 * 4 + 1;
  EXPECT_EQ(m.panel[j], 1);
  EXPECT_EQ(m.x_px[j], 101.0);
  EXPECT_EQ(m.y_px[j], -1.0);
  EXPECT_DOUBLE_EQ(m.x_m[j], 101.0 / 5000);
  EXPECT_DOUBLE_EQ(m.z_m[j], 0.0953 + 0.001 + 0.1 / 5000);
  const auto r = vio::crystfel_radius_map(g, vio::RadiusUnit::pixels);
  EXPECT_DOUBLE_EQ(r[j], std::hypot(101.0, 1.0));
  EXPECT_DOUBLE_EQ(vio::crystfel_radius_map(g, vio::RadiusUnit::metres)[i], std::hypot(3e-4, 8e-4));

  const auto bad = vio::crystfel_bad_pixel_mask(g);
  // bad_corner: fs 3 of panel b (rows 2, 3) only; bad_lab: a's pixel (fs 0, ss 0) at (-4, 10).
  const std::vector<std::uint8_t> expected = {1, 0, 0, 0,  //
                                              0, 0, 0, 0,  //
                                              0, 0, 0, 1,  //
                                              0, 0, 0, 1};
  EXPECT_EQ(bad, expected);
  const auto l = vio::peakfinder8_layout(g);
  EXPECT_EQ(l.asic_nx, 4u);
  EXPECT_EQ(l.asic_ny, 2u);
  EXPECT_EQ(l.nasics_x, 1u);
  EXPECT_EQ(l.nasics_y, 2u);
}

TEST(CrystfelGeometry, ClearErrors) {
  EXPECT_EQ(error_of("res = 1\np/min_fs = 0\np/max_fs = 1\np/min_ss = 0\np/max_ss = 1\np/corner_x = 0\n"),
            "x.geom: panel p: missing corner_y");
  EXPECT_EQ(error_of("p/fs = +1.0x -ay\n"), "x.geom: line 1: p/fs: cannot read vector '+1.0x -ay'");
  EXPECT_EQ(error_of("p/min_fs = 1.5\n"), "x.geom: line 1: p/min_fs: not a pixel index: '1.5'");
  EXPECT_EQ(error_of("p/wibble = 1\n"), "x.geom: line 1: p/wibble: unknown panel key");
  EXPECT_EQ(error_of("clen = 1 furlong\n"), "x.geom: line 1: clen: unknown length unit 'furlong' (m, cm, mm)");
  EXPECT_EQ(error_of("res 100\n"), "x.geom: line 1: res 100: expected 'key = value'");
  EXPECT_EQ(error_of("; nothing\n"), "x.geom: no panels");
  EXPECT_EQ(error_of("p/min_fs = 0\np/max_fs = 1\np/min_ss = 0\np/max_ss = 1\np/corner_x = 0\np/corner_y = 0\n"),
            "x.geom: panel p: no res (pixels per metre)");
  EXPECT_EQ(error_of(std::string(kTwoPanels) + "bad_x/panel = c\n"), "x.geom: bad region x: unknown panel c");
}

TEST(CrystfelGeometry, IrregularPanelsHaveNoPeakfinder8Layout) {
  const auto g = vio::parse_crystfel_geometry(
      "res = 1\na/min_fs = 0\na/max_fs = 3\na/min_ss = 0\na/max_ss = 1\na/corner_x = 0\na/corner_y = 0\n"
      "b/min_fs = 0\nb/max_fs = 2\nb/min_ss = 2\nb/max_ss = 3\nb/corner_x = 0\nb/corner_y = 0\n",
      "odd.geom");
  EXPECT_EQ(vulkanite::tests::invalid_argument_message([&] { vio::peakfinder8_layout(g); }),
            "odd.geom: panels do not form a peakfinder8 grid: panel b is 3 x 2, not 4 x 2");
}

// Every file in ../shared/data/geometry: panel count, slab, layout and one pixel worked by hand.
TEST(CrystfelGeometry, SharedFilesParseAndMap) {
  struct Expected {
    const char* file;
    std::size_t panels, bad_regions, ss, fs;           // slab {ss, fs}
    std::size_t asic_nx, asic_ny, nasics_x, nasics_y;
    std::size_t pixel_fs, pixel_ss;                    // a pixel, its lab position in pixels,
    double x_px, y_px, res, z_m;                       // res and z (clen + coffset)
  };
  const Expected files[] = {
      // corner (-1272.37, -1243.8), fs = x, ss = y; clen is a dataset, coffset -0.00064.
      {"pilatus.geom", 1, 16, 2527, 2463, 2463, 2527, 1, 1, 1272, 1244, -0.37, 0.2, 5814.0, -0.00064},
      // corner (-1000, -1000), fs = x, ss = y; clen 0.1.
      {"Eiger16M-binning2-nativefiles.geom", 1, 4, 2167, 2070, 2070, 2167, 1, 1, 10, 20, -990, -980, 13333.3, 0.1},
      // q0a0 corner (443.819, -49.8719), fs (0.004806, 0.999989), ss (-0.999989, 0.004806): fs 10, ss 20
      // -> x = 443.819 + 0.04806 - 19.99978, y = -49.8719 + 9.99989 + 0.09612; coffset 0.573224.
      {"cspad-cxiformat.geom", 64, 0, 1480, 1552, 194, 185, 8, 8, 10, 20, 423.86728, -39.77589, 9090.91, 0.573224},
      // m0 corner (2147.07110898, 1131.30172146), fs (0.000342, -0.999931), ss (-0.998976, -0.00005):
      // fs 100, ss 1 -> x = 2147.07110898 + 0.0342 - 0.998976, y = 1131.30172146 - 99.9931 - 0.00005;
      // z = clen 95.3 mm + m0/coffset -0.000085 m.
      {"jf-swissfel-16M.geom", 32, 4, 16448, 1030, 1030, 514, 1, 32, 100, 1, 2146.10633298, 1031.30857146,
       13333.3, 0.0953 - 0.000085},
      // p0a0 corner (-525, 625), fs = -y, ss = x: fs 5, ss 3 -> (-522, 620); clen 0.13, coffset 0.
      {"agipd_simple_2d.geom", 128, 0, 8192, 128, 128, 64, 1, 128, 5, 3, -522, 620, 5000.0, 0.13},
      // p0a0 corner (436.241, 428.658), fs (-0.003266, -0.999993), ss (0.999994, -0.003263): fs 2, ss 1
      // -> x = 436.241 - 0.006532 + 0.999994, y = 428.658 - 1.999986 - 0.003263; no clen, coffset -0.215382.
      {"epix10k2M.geom", 64, 0, 5632, 384, 192, 176, 2, 32, 2, 1, 437.234462, 426.654751, 10000.0, -0.215382},
      // q0a0 corner (443.093698, -29.943585), fs (0.004451, 0.99999), ss (-0.99999, 0.004451): fs 1, ss 1
      // -> x = 443.093698 + 0.004451 - 0.99999, y = -29.943585 + 0.99999 + 0.004451; coffset 0.5824888.
      {"jungfrau4M.geom", 64, 0, 1480, 1552, 194, 185, 8, 8, 1, 1, 442.098159, -28.939144, 9097.52, 0.5824888},
  };
  for (const auto& e : files) {
    SCOPED_TRACE(e.file);
    const std::string rel = std::string("geometry/") + e.file;
    const auto path = vulkanite::tests::shared_data(rel);
    if (!path) GTEST_SKIP() << vulkanite::tests::missing_data_message(rel);
    const auto g = vio::read_crystfel_geometry(*path);
    EXPECT_EQ(g.panels.size(), e.panels);
    EXPECT_EQ(g.bad_regions.size(), e.bad_regions);
    EXPECT_EQ(g.slab_shape(), (std::array<std::size_t, 2>{e.ss, e.fs}));
    const auto l = vio::peakfinder8_layout(g);
    EXPECT_EQ(l.asic_nx, e.asic_nx);
    EXPECT_EQ(l.asic_ny, e.asic_ny);
    EXPECT_EQ(l.nasics_x, e.nasics_x);
    EXPECT_EQ(l.nasics_y, e.nasics_y);
    const auto m = vio::crystfel_pixel_map(g);
    const std::size_t i = e.pixel_ss * e.fs + e.pixel_fs;
    EXPECT_NEAR(m.x_px[i], e.x_px, 1e-9);
    EXPECT_NEAR(m.y_px[i], e.y_px, 1e-9);
    EXPECT_NEAR(m.x_m[i], e.x_px / e.res, 1e-12);
    EXPECT_NEAR(m.z_m[i], e.z_m, 1e-12);
    const auto bad = vio::crystfel_bad_pixel_mask(g);
    // Every slab pixel is in some panel in these files, so only bad regions mark pixels.
    const auto masked = std::accumulate(bad.begin(), bad.end(), std::size_t{0});
    EXPECT_EQ(masked > 0, e.bad_regions > 0);
  }
}

TEST(CrystfelGeometry, SharedFileDetails) {
  const auto pil = vulkanite::tests::shared_data("geometry/pilatus.geom");
  if (!pil) GTEST_SKIP() << vulkanite::tests::missing_data_message("geometry/pilatus.geom");
  const auto g = vio::read_crystfel_geometry(*pil);
  EXPECT_EQ(g.photon_energy_eV, 9800.0);
  EXPECT_EQ(g.panels[0].clen_path, "/LCLS/detectorPosition");
  EXPECT_FALSE(g.panels[0].clen_m.has_value());
  const auto bad = vio::crystfel_bad_pixel_mask(g);
  // bad_beamstop: x = -1272.37 + fs in [-2000, 100] -> fs <= 1372; y = -1243.8 + ss in [-40, 100] -> ss 1204..1343.
  EXPECT_EQ(bad[1204 * 2463 + 0], 1);
  EXPECT_EQ(bad[1343 * 2463 + 1372], 1);
  EXPECT_EQ(bad[1344 * 2463 + 1372], 0);
  EXPECT_EQ(bad[1300 * 2463 + 1373], 0);
  EXPECT_EQ(bad[1203 * 2463 + 0], 0);
  EXPECT_EQ(bad[0 * 2463 + 487], 1);  // bad_v1: fs 487..493
  EXPECT_EQ(bad[0 * 2463 + 494], 0);
  const auto jf = vulkanite::tests::shared_data("geometry/jf-swissfel-16M.geom");
  if (!jf) GTEST_SKIP() << vulkanite::tests::missing_data_message("geometry/jf-swissfel-16M.geom");
  const auto j = vio::read_crystfel_geometry(*jf);
  EXPECT_EQ(j.photon_energy_eV, 4570.0);
  EXPECT_EQ(j.panels[0].mask_file, "run47.JF06T32V01.mask.h5");
  EXPECT_EQ(j.panels[0].mask_good, 1u);
  const auto jbad = vio::crystfel_bad_pixel_mask(j);
  EXPECT_EQ(jbad[7710 * 1030 + 890], 1);   // bad_bs_1 on m15
  EXPECT_EQ(jbad[7709 * 1030 + 890], 0);   // m14: outside the region
  EXPECT_EQ(std::accumulate(jbad.begin(), jbad.end(), std::size_t{0}),
            std::size_t{140 * 61 + 73 * 118 + 136 * 51 + 61 * 128});
}
