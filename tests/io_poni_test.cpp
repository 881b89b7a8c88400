// PONI parsing, built-in detectors and per-pixel geometry against pyFAI 2026.9.0.
// The spot values below were printed by pyFAI (scripts/validation/poni_vs_pyfai.py writes the
// arrays they come from); the full-detector comparison runs when VULKANITE_PYFAI_REF points at
// that script's output.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <numbers>
#include <numeric>
#include <thread>

#include <sys/stat.h>

#include "io/detectors.hpp"
#include "io/frame.hpp"
#include "io/pixel_geometry.hpp"
#include "io/poni.hpp"
#include "support/data.hpp"
#include "support/temp_dir.hpp"

namespace vio = vulkanite::io;

namespace {

// ../shared/data/powder/CeO2_Pilatus1M.poni, verbatim (version 1, no detector name).
constexpr const char* kCeO2Poni = R"(# Nota: C-Order, 1 refers to the Y axis, 2 to the X axis 
# Calibration done at Fri Feb 27 13:52:42 2015
PixelSize1: 0.000172
PixelSize2: 0.000172
Distance: 0.208651380603
Poni1: 0.0872948482846
Poni2: 0.0799601126306
Rot1: -0.0184422457059
Rot2: 0.00413760084465
Rot3: -2.77645988275e-08
SplineFile: None
Wavelength: 4.066e-11
)";

constexpr const char* kFe3O4Poni = R"(PixelSize1: 0.000172
PixelSize2: 0.000172
Distance: 0.284634930882
Poni1: 0.08722
Poni2: 0.08342
Rot1: -0.000251
Rot2: 0.000603
Rot3: 0.0
SplineFile: None
Wavelength: 3.344e-11
)";

// ../shared/data/pilatus6m/thau_3_2.poni (version 2).
constexpr const char* kThauPoni = R"(poni_version: 2
Detector: Pilatus6M
Detector_config: {}
Distance: 0.35100000000000003
Poni1: 0.22479712000000002
Poni2: 0.21699691999999998
Rot1: 0.0
Rot2: 0.0
Rot3: 0
Wavelength: 9.6859e-11
)";

// The same geometry as pyFAI 2026.9 saves it (version 2.1).
constexpr const char* kThauPoni21 = R"(# Nota: C-Order, 1 refers to the Y axis, 2 to the X axis
poni_version: 2.1
Detector: Pilatus6M
Detector_config: {"pixel1": 0.000172, "pixel2": 0.000172, "orientation": 3}
Distance: 0.35100000000000003
Poni1: 0.22479712000000002
Poni2: 0.21699691999999998
Rot1: 0.0
Rot2: 0.0
Rot3: 0.0
Wavelength: 9.6859e-11
)";

struct Spot {
  std::size_t row, col;
  double tth_deg, chi_deg, solid_angle, q_nm, r_mm;
};

// pyFAI: array_from_unit(shape, "center", unit), solidAngleArray(shape).
constexpr Spot kCeO2Spots[] = {
    {0, 0, 30.437907243716804, -133.54705987209246, 0.6584579594239173, 81.13078646650723, 121.50126060575316},
    {0, 980, 30.225076900874097, -46.07851342844239, 0.6337528126465266, 80.57676251584276, 122.2811750497327},
    {1042, 0, 30.81078033364923, 132.56077261667417, 0.6439389080066494, 82.10074584572851, 123.7607905940549},
    {1042, 980, 30.588235774484122, 47.05739460304379, 0.6201239565696296, 81.52194185996044, 124.50804230126887},
    {500, 490, 0.5891572346049883, -74.94650771415465, 0.999281252310675, 1.5889826797061504, 2.1459830075324833},
    {507, 465, 1.0548748926845704, -166.93990803438285, 0.9999996128765164, 2.845015805997809, 3.8412724065174237},
    {100, 900, 25.576493368546135, -44.924018019487285, 0.7228761542852341, 68.4099050848672, 100.36859037858275},
    {800, 50, 23.440769155313728, 146.59616261590782, 0.7851197468106546, 62.781064797688536, 89.97219267482377},
    {321, 654, 11.797521825770744, -48.80804196842207, 0.932158989298602, 31.762390327510552, 43.67030936148013},
    {1000, 777, 24.941674656401382, 59.258105190649246, 0.7316788348703448, 66.73919270915218, 97.64425180724005},
};
constexpr Spot kFe3O4Spots[] = {
    {0, 0, 22.992029695023948, -133.69121438207654, 0.7807135935614922, 74.89458287521933, 120.74243849220582},
    {0, 980, 23.195908238297847, -45.71460724096568, 0.7768213511167008, 75.54964506044644, 121.95725243114258},
    {1042, 0, 23.55767674372524, 132.22016277716827, 0.7699528870838631, 76.71141803463675, 124.11870382213789},
    {1042, 980, 23.75414153978668, 47.18750494667942, 0.7661494999842465, 77.34201981908879, 125.30075203785384},
    {500, 490, 0.3163283216863331, -56.184539228521814, 0.9999596232985433, 1.0373575992742528, 1.571474289621934},
    {507, 465, 0.689799097127101, -178.30050854067017, 0.9997916688568237, 2.2620956568727686, 3.4269506967071885},
    {100, 900, 19.370024605658607, -44.47810870674156, 0.8398345054217174, 63.21948986537462, 100.05989289759731},
    {800, 50, 17.571771618325645, 146.08565148677937, 0.8663425388933009, 57.39884900822015, 90.14087522365818},
    {321, 654, 8.652203066337504, -47.81781089038045, 0.9663683758103989, 28.346858972908468, 43.31046473244631},
    {1000, 777, 19.07983775350197, 59.32464721437076, 0.8435132865343733, 62.28122001761114, 98.47357005105896},
};
constexpr Spot kThauSpots[] = {
    {0, 0, 41.66294692677326, -133.98811193096316, 0.4169469406107126, 46.13776762814886, 312.3226451394468},
    {2526, 2462, 39.986892574400656, 45.44146913625853, 0.44979220102143125, 44.35933827172141, 294.38716282450366},
    {1306, 1261, 0.013279353959540066, -103.44861505166874, 0.9999999194417747, 0.015034680421983174, 0.08135072710186228},
    {2000, 100, 33.53437358724301, 149.14980072844745, 0.5791646913251558, 37.427502901713815, 232.62478040591634},
    {40, 2400, 39.849424679010795, -48.0358912346857, 0.45250913636084095, 44.21304744385069, 292.95550601362794},
};

void expect_rel(double ours, double pyfai, double tol, const char* what, std::size_t i, std::size_t j) {
  EXPECT_LE(std::abs(ours - pyfai), tol * std::abs(pyfai)) << what << " at (" << i << ", " << j << "): ours "
                                                            << ours << ", pyFAI " << pyfai;
}

template <std::size_t N>
void check_spots(const vio::PixelGeometry& g, const Spot (&spots)[N]) {
  for (const Spot& s : spots) {
    const double d1 = static_cast<double>(s.row) + 0.5, d2 = static_cast<double>(s.col) + 0.5;
    expect_rel(g.radial(d1, d2, vio::RadialUnit::tth_deg), s.tth_deg, 1e-9, "2th_deg", s.row, s.col);
    expect_rel(g.chi_rad(d1, d2) * 180.0 / std::numbers::pi, s.chi_deg, 1e-9, "chi_deg", s.row, s.col);
    expect_rel(g.radial(d1, d2, vio::RadialUnit::q_nm), s.q_nm, 1e-9, "q_nm^-1", s.row, s.col);
    expect_rel(g.radial(d1, d2, vio::RadialUnit::q_A), s.q_nm / 10, 1e-9, "q_A^-1", s.row, s.col);
    expect_rel(g.radial(d1, d2, vio::RadialUnit::r_mm), s.r_mm, 1e-9, "r_mm", s.row, s.col);
  }
  // pyFAI's solidAngleArray builds its pixel indices with numpy.fromfunction(dtype=float32), so its
  // pixel positions, and the result, carry float32 rounding (up to ~6e-8 relative here); ours are double.
  const auto sa = g.solid_angle_map();
  for (const Spot& s : spots) expect_rel(sa.at(s.row, s.col), s.solid_angle, 1e-7, "solid angle", s.row, s.col);
}

std::string error_of(const std::string& text) {
  try {
    vio::parse_poni(text, "x.poni");
  } catch (const vio::FormatError& e) {
    return e.what();
  }
  return "no error";
}

}  // namespace

TEST(Poni, ReadsVersion1) {
  const auto p = vio::parse_poni(kCeO2Poni, "CeO2.poni");
  EXPECT_EQ(p.version, "1");
  EXPECT_EQ(p.detector, "");
  EXPECT_EQ(p.pixel1_m, 0.000172);
  EXPECT_EQ(p.pixel2_m, 0.000172);
  EXPECT_EQ(p.distance_m, 0.208651380603);
  EXPECT_EQ(p.poni1_m, 0.0872948482846);
  EXPECT_EQ(p.poni2_m, 0.0799601126306);
  EXPECT_EQ(p.rot1_rad, -0.0184422457059);
  EXPECT_EQ(p.rot2_rad, 0.00413760084465);
  EXPECT_EQ(p.rot3_rad, -2.77645988275e-08);
  EXPECT_EQ(p.wavelength_m, 4.066e-11);
  EXPECT_FALSE(p.shape.has_value());
}

TEST(Poni, ReadsVersion2And21WithDetector) {
  for (const char* text : {kThauPoni, kThauPoni21}) {
    const auto p = vio::parse_poni(text, "thau.poni");
    EXPECT_EQ(p.detector, "Pilatus6M");
    EXPECT_EQ(p.pixel1_m, 172e-6);
    ASSERT_TRUE(p.shape.has_value());
    EXPECT_EQ(*p.shape, (std::array<std::size_t, 2>{2527, 2463}));
    EXPECT_EQ(p.orientation, 3);
    EXPECT_EQ(p.distance_m, 0.35100000000000003);
    EXPECT_EQ(p.poni2_m, 0.21699691999999998);
  }
  EXPECT_EQ(vio::parse_poni(kThauPoni21, "x").version, "2.1");
  // A generic detector whose size is all in the config.
  const auto g = vio::parse_poni(
      "poni_version: 2\nDetector: Detector\nDetector_config: {\"pixel1\": 1e-4, \"pixel2\": 2e-4, \"max_shape\": [10, 20]}\n"
      "Distance: 0.1\nPoni1: 0\nPoni2: 0\nRot1: 0\nRot2: 0\nRot3: 0\n",
      "g.poni");
  EXPECT_EQ(g.pixel1_m, 1e-4);
  EXPECT_EQ(g.pixel2_m, 2e-4);
  EXPECT_EQ(*g.shape, (std::array<std::size_t, 2>{10, 20}));
  EXPECT_FALSE(g.wavelength_m.has_value());
}

TEST(Poni, ReadsSharedFiles) {
  for (const char* rel : {"powder/CeO2_Pilatus1M.poni", "powder/Fe3O4C_M1_map.poni", "pilatus6m/thau_3_2.poni"}) {
    const auto file = vulkanite::tests::shared_data(rel);
    if (!file) GTEST_SKIP() << vulkanite::tests::missing_data_message(rel);
    const auto p = vio::read_poni(*file);
    EXPECT_GT(p.distance_m, 0.2) << rel;
    EXPECT_TRUE(p.wavelength_m.has_value()) << rel;
  }
}

// A PONI file given as `--poni <(...)` is a pipe: it has no size to tell, and is read as it comes.
TEST(Poni, ReadsFromAPipe) {
  const vulkanite::tests::TempDir dir;
  const auto fifo = dir.path() / "calibration.poni";
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0) << std::strerror(errno);
  std::thread writer([&] { std::ofstream(fifo) << kCeO2Poni; });
  const auto read = [&] {
    try {
      return vio::read_poni(fifo);
    } catch (...) {
      std::ifstream unblock(fifo);  // the writer waits for a reader to open the pipe
      writer.join();
      throw;
    }
  };
  const auto p = read();
  writer.join();
  EXPECT_EQ(p.distance_m, 0.208651380603);
  EXPECT_EQ(p.wavelength_m, 4.066e-11);
}

// read_whole_file reads a regular file in one read of its size: every byte, NULs included.
TEST(Poni, WholeFileReadKeepsEveryByte) {
  const vulkanite::tests::TempDir dir;
  std::string bytes(100000, '\0');
  for (std::size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<char>(i * 7919 % 251);
  std::ofstream(dir.path() / "binary", std::ios::binary) << bytes;
  EXPECT_EQ(vio::read_whole_file(dir.path() / "binary"), bytes);
  std::ofstream(dir.path() / "empty");
  EXPECT_EQ(vio::read_whole_file(dir.path() / "empty"), "");
  EXPECT_THROW(vio::read_whole_file(dir.path() / "absent"), vio::FormatError);
}

TEST(Poni, NamesMissingAndGarbledKeys) {
  const std::string good = kFe3O4Poni;
  auto without = [&](const std::string& line) {
    std::string t = good;
    t.erase(t.find(line), line.size() + 1);
    return t;
  };
  EXPECT_EQ(error_of(without("Distance: 0.284634930882")), "x.poni: missing Distance");
  EXPECT_EQ(error_of(without("Rot3: 0.0")), "x.poni: missing Rot3");
  std::string garbled = good;
  garbled.replace(garbled.find("Rot1: -0.000251"), 15, "Rot1: -0.0002x1");
  EXPECT_EQ(error_of(garbled), "x.poni: line 6: Rot1: not a number: '-0.0002x1'");
  EXPECT_EQ(error_of("PixelSize1: 1e-4\nPixelSize2: 1e-4\nDistance 0.1\n"),
            "x.poni: line 3: expected 'key: value', got 'Distance 0.1'");
  EXPECT_EQ(error_of("Distance: 0.1\nPoni1: 0\nPoni2: 0\nRot1: 0\nRot2: 0\nRot3: 0\n"),
            "x.poni: no pixel size (PixelSize1/2, a known Detector or Detector_config pixel1/2)");
  EXPECT_EQ(error_of("poni_version: 3\n"), "x.poni: line 1: unsupported poni_version '3' (known: 1, 2, 2.1)");
  EXPECT_EQ(error_of("poni_version: 2\nDetector: Pilatus1M\nDistance: 0.1\n"),
            "x.poni: missing Detector_config (required by poni_version 2)");
  EXPECT_EQ(error_of("poni_version: 2\nDetector: Pilatus1M\nDetector_config: {\"pixel1\": \n").substr(0, 54),
            "x.poni: line 3: Detector_config is not JSON: [json.exc");
  EXPECT_EQ(error_of("poni_version: 2\nDetector: Pilatus1M\nDetector_config: {\"orientation\": 7}\nDistance: 0.1\n"),
            "x.poni: orientation 7 is not one of 1..4");
  EXPECT_EQ(error_of("Detector: Perkin\n").substr(0, 44), "x.poni: unknown detector 'Perkin' (known: Pi");
}

TEST(PixelGeometry, MatchesPyFAISpotValuesVersion1WithTilts) {
  check_spots(vio::PixelGeometry(vio::parse_poni(kCeO2Poni, "CeO2"), {1043, 981}), kCeO2Spots);
  check_spots(vio::PixelGeometry(vio::parse_poni(kFe3O4Poni, "Fe3O4"), {1043, 981}), kFe3O4Spots);
}

// pyFAI 2026.9 with Pilatus1M(orientation=k) gives exactly the orientation-3 arrays flipped
// (checked there with numpy: max difference 0 for 2theta, chi and solid angle).
TEST(PixelGeometry, OrientationsFlipTheImage) {
  auto poni = vio::parse_poni(
      "poni_version: 2.1\nDetector: Pilatus1M\nDetector_config: {\"orientation\": 2}\nDistance: 0.284634930882\n"
      "Poni1: 0.08722\nPoni2: 0.08342\nRot1: -0.000251\nRot2: 0.000603\nRot3: 0.0\nWavelength: 3.344e-11\n",
      "o2.poni");
  ASSERT_EQ(poni.orientation, 2);
  for (int orientation : {1, 2, 4}) {
    poni.orientation = orientation;
    const vio::PixelGeometry g(poni);
    const bool flip1 = orientation != 4, flip2 = orientation != 2;
    for (const Spot& s : kFe3O4Spots) {
      const std::size_t i = flip1 ? 1042 - s.row : s.row, j = flip2 ? 980 - s.col : s.col;
      const double d1 = static_cast<double>(i) + 0.5, d2 = static_cast<double>(j) + 0.5;
      expect_rel(g.radial(d1, d2, vio::RadialUnit::tth_deg), s.tth_deg, 1e-9, "2th_deg", i, j);
      expect_rel(g.chi_rad(d1, d2) * 180.0 / std::numbers::pi, s.chi_deg, 1e-9, "chi_deg", i, j);
    }
  }
}

TEST(PixelGeometry, MatchesPyFAISpotValuesPilatus6M) {
  for (const char* text : {kThauPoni, kThauPoni21}) {
    const vio::PixelGeometry g(vio::parse_poni(text, "thau"));
    EXPECT_EQ(g.shape, (std::array<std::size_t, 2>{2527, 2463}));
    for (const Spot& s : kThauSpots) {
      const double d1 = static_cast<double>(s.row) + 0.5, d2 = static_cast<double>(s.col) + 0.5;
      expect_rel(g.radial(d1, d2, vio::RadialUnit::tth_deg), s.tth_deg, 1e-9, "2th_deg", s.row, s.col);
      expect_rel(g.chi_rad(d1, d2) * 180.0 / std::numbers::pi, s.chi_deg, 1e-9, "chi_deg", s.row, s.col);
      expect_rel(g.radial(d1, d2, vio::RadialUnit::r_mm), s.r_mm, 1e-9, "r_mm", s.row, s.col);
    }
  }
}

TEST(PixelGeometry, CornersPolarizationAndUnits) {
  const vio::PixelGeometry g(vio::parse_poni(kFe3O4Poni, "Fe3O4"), {1043, 981});
  // pyFAI corner_array(unit="2th_rad", scale=False)[507, 465] (float32 in pyFAI).
  const double kCorners[4][2] = {{0.012353667989373207, -3.0882084369659424},
                                 {0.012336188927292824, -3.1371402740478516},
                                 {0.011731996200978756, -3.136910915374756},
                                 {0.011750373989343643, -3.0854642391204834}};
  const auto c = g.corner_map(vio::RadialUnit::tth_rad);
  for (int k = 0; k < 4; ++k)
    for (int a = 0; a < 2; ++a)
      EXPECT_NEAR(c.values[(507 * 981 + 465) * 8 + k * 2 + a], kCorners[k][a], 1e-6 * std::abs(kCorners[k][a]))
          << "corner " << k << " component " << a;
  // pyFAI polarization(factor=-0.5, axis_offset=0.3), float32 there.
  const auto p = g.polarization_map({-0.5, 0.3});
  EXPECT_NEAR(p.at(100, 900), 0.9609373211860657, 1e-7);
  EXPECT_NEAR(p.at(800, 50), 0.9734396934509277, 1e-7);
  EXPECT_EQ(vio::parse_radial_unit("q_A^-1"), vio::RadialUnit::q_A);
  EXPECT_STREQ(vio::radial_unit_name(vio::RadialUnit::tth_deg), "2th_deg");
  EXPECT_THROW(vio::parse_radial_unit("q_pm^-1"), std::invalid_argument);
  auto no_wavelength = g.poni;
  no_wavelength.wavelength_m.reset();
  EXPECT_THROW(vio::PixelGeometry(no_wavelength, {2, 2}).radial_map(vio::RadialUnit::q_nm), std::invalid_argument);
  EXPECT_THROW(vio::PixelGeometry(vio::parse_poni(kFe3O4Poni, "x")), std::invalid_argument);  // no shape
}

TEST(Detector, ShapesPixelSizesAndGapsMatchPyFAI) {
  struct Expected {
    const char* name;
    std::size_t rows, cols;
    double pixel;
    std::size_t gap_pixels;  // pyFAI: detector_factory(name).mask.sum()
  };
  const Expected expected[] = {
      {"Pilatus100k", 195, 487, 172e-6, 0},        {"Pilatus300k", 619, 487, 172e-6, 16558},
      {"Pilatus1M", 1043, 981, 172e-6, 73533},      {"Pilatus2M", 1679, 1475, 172e-6, 197365},
      {"Pilatus6M", 2527, 2463, 172e-6, 526101},    {"Eiger1M", 1065, 1030, 75e-6, 38110},
      {"Eiger4M", 2167, 2070, 75e-6, 250330},       {"Eiger9M", 3269, 3110, 75e-6, 637030},
      {"Eiger16M", 4371, 4150, 75e-6, 1198210},
  };
  ASSERT_EQ(vio::builtin_detectors().size(), std::size(expected));
  for (const auto& e : expected) {
    const auto d = vio::detector_by_name(e.name);
    EXPECT_EQ(d.shape, (std::array<std::size_t, 2>{e.rows, e.cols})) << e.name;
    EXPECT_EQ(d.pixel1_m, e.pixel) << e.name;
    EXPECT_EQ(d.pixel2_m, e.pixel) << e.name;
    const auto mask = vio::module_gap_mask(d);
    ASSERT_EQ(mask.size(), e.rows * e.cols);
    EXPECT_EQ(std::accumulate(mask.begin(), mask.end(), std::size_t{0}), e.gap_pixels) << e.name;
  }
  const auto p6 = vio::detector_by_name("pilatus_6m");
  const auto m = vio::module_gap_mask(p6);
  EXPECT_EQ(m[194 * 2463 + 0], 0);   // last row of the first module
  EXPECT_EQ(m[195 * 2463 + 0], 1);   // first gap row
  EXPECT_EQ(m[211 * 2463 + 0], 1);   // last gap row
  EXPECT_EQ(m[212 * 2463 + 0], 0);
  EXPECT_EQ(m[0 * 2463 + 486], 0);
  EXPECT_EQ(m[0 * 2463 + 487], 1);
  EXPECT_EQ(m[0 * 2463 + 493], 1);
  EXPECT_EQ(m[0 * 2463 + 494], 0);
  EXPECT_EQ(vio::detector_by_name("Eiger 16M").name, "Eiger16M");
  EXPECT_THROW(vio::detector_by_name("Eiger32M"), std::invalid_argument);
}

// ---- Full-detector comparison with arrays pyFAI wrote (scripts/validation/poni_vs_pyfai.py) ----
namespace {

// Little-endian float64 C-order .npy as numpy.save writes it.
std::vector<double> read_npy_f64(const std::filesystem::path& path, std::vector<std::size_t>& shape) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw std::runtime_error(path.string() + ": cannot open");
  char magic[8];
  f.read(magic, 8);
  if (std::memcmp(magic, "\x93NUMPY", 6) != 0) throw std::runtime_error(path.string() + ": not .npy");
  std::size_t header_len = 0;
  if (magic[6] == 1) {
    unsigned char b[2];
    f.read(reinterpret_cast<char*>(b), 2);
    header_len = b[0] | (b[1] << 8);
  } else {
    unsigned char b[4];
    f.read(reinterpret_cast<char*>(b), 4);
    header_len = b[0] | (b[1] << 8) | (b[2] << 16) | (static_cast<std::size_t>(b[3]) << 24);
  }
  std::string header(header_len, ' ');
  f.read(header.data(), static_cast<std::streamsize>(header_len));
  if (header.find("'<f8'") == std::string::npos || header.find("'fortran_order': False") == std::string::npos)
    throw std::runtime_error(path.string() + ": expected C-order <f8: " + header);
  shape.clear();
  const auto open = header.find('(', header.find("'shape'"));
  std::string dims = header.substr(open + 1, header.find(')', open) - open - 1);
  std::size_t n = 1, pos = 0;
  while (pos < dims.size()) {
    const auto comma = dims.find(',', pos);
    const std::string tok = dims.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
    if (tok.find_first_of("0123456789") != std::string::npos) {
      shape.push_back(std::stoul(tok));
      n *= shape.back();
    }
    if (comma == std::string::npos) break;
    pos = comma + 1;
  }
  std::vector<double> v(n);
  f.read(reinterpret_cast<char*>(v.data()), static_cast<std::streamsize>(n * sizeof(double)));
  if (!f) throw std::runtime_error(path.string() + ": truncated");
  return v;
}

// Largest |ours - pyFAI| / max(|pyFAI|, floor), floor = 1e-3 x the array's largest |value|, so
// values that cross zero (chi near 0, 2theta at the PONI) are judged on the array's scale.
struct Difference {
  double max_rel = 0.0, max_abs = 0.0;
};
Difference compare(const std::vector<double>& ours, const std::vector<double>& ref, bool corners) {
  double scale = 0.0;
  for (double r : ref) scale = std::max(scale, std::abs(r));
  const double floor = 1e-3 * scale;
  Difference d;
  for (std::size_t i = 0; i < ref.size(); ++i) {
    double diff = std::abs(ours[i] - ref[i]);
    // chi is periodic: pyFAI's float32 corners may put -pi where we have +pi.
    if (corners && i % 2 == 1 && diff > std::numbers::pi) diff = std::abs(diff - 2 * std::numbers::pi);
    d.max_abs = std::max(d.max_abs, diff);
    d.max_rel = std::max(d.max_rel, diff / std::max(std::abs(ref[i]), floor));
  }
  return d;
}

}  // namespace

TEST(PoniPyFAIReference, FullDetectorsAgreeTo1e6Relative) {
  const char* dir = std::getenv("VULKANITE_PYFAI_REF");
  if (!dir || !*dir)
    GTEST_SKIP() << "VULKANITE_PYFAI_REF not set: run scripts/validation/poni_vs_pyfai.py to make the reference";
  int compared = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    const auto ref = entry.path();
    if (!std::filesystem::exists(ref / "resaved.poni")) continue;
    std::ifstream shape_file(ref / "shape.txt");
    std::array<std::size_t, 2> shape{};
    shape_file >> shape[0] >> shape[1];
    // The PONI as this pyFAI re-saved it (version 2.1); the original files are read in Poni tests.
    const vio::PixelGeometry g(vio::read_poni(ref / "resaved.poni"), shape);
    const auto check = [&](const std::string& name, const std::vector<double>& ours) {
      std::vector<std::size_t> s;
      const auto theirs = read_npy_f64(ref / (name + ".npy"), s);
      ASSERT_EQ(theirs.size(), ours.size()) << name;
      const auto d = compare(ours, theirs, name.rfind("corners", 0) == 0);
      std::printf("%-16s %-22s max rel %.3e  max abs %.3e\n", ref.filename().c_str(), name.c_str(), d.max_rel,
                  d.max_abs);
      EXPECT_LE(d.max_rel, 1e-6) << ref.filename() << " " << name;
    };
    for (auto u : {vio::RadialUnit::tth_deg, vio::RadialUnit::tth_rad, vio::RadialUnit::q_nm, vio::RadialUnit::q_A,
                   vio::RadialUnit::r_mm})
      check(vio::radial_unit_name(u), g.radial_map(u).values);
    check("chi_deg", g.azimuthal_map(vio::AzimuthalUnit::chi_deg).values);
    check("solid_angle", g.solid_angle_map().values);
    check("polarization_0.99", g.polarization_map({0.99, 0.0}).values);
    check("polarization_-0.5_0.3", g.polarization_map({-0.5, 0.3}).values);
    check("corners_2th_rad", g.corner_map(vio::RadialUnit::tth_rad).values);
    check("corners_q_nm^-1", g.corner_map(vio::RadialUnit::q_nm).values);
    ++compared;
  }
  EXPECT_GT(compared, 0) << "no reference folders in " << dir;
}
