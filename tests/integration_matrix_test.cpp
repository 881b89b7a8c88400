// The pixel -> bin matrix of azimuthal integration (algorithms::build_integration_matrix) and the
// per-pixel corrections (algorithms::make_pixel_corrections): properties on small detectors
// built here, error messages, and, when VULKANITE_PYFAI_CSR names the output of
// scripts/validation/export_pyfai_csr.py, pyFAI 2026.9's own CSR arrays entry for entry.
#include "algorithms/integration_matrix.hpp"
#include "algorithms/pixel_corrections.hpp"
#include "support/invalid_argument.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <bit>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>
#include <numbers>
#include <numeric>
#include <optional>
#include <string>
#include <vector>

#include "io/detectors.hpp"
#include "io/frame_source.hpp"
#include "io/pixel_geometry.hpp"
#include "io/poni.hpp"
#include "support/data.hpp"

namespace vulkanite {
namespace {

using algorithms::build_integration_matrix;
using algorithms::IntegrationMatrix;
using algorithms::IntegrationMatrixOptions;
using algorithms::Splitting;
using io::RadialUnit;

constexpr double kDeg = 180.0 / std::numbers::pi;

// 40 x 30 pixels of 1 mm at 0.1 m, 1 A; `poni2_m` places the beam: 0.015 (inside, chi over the
// whole circle) or -0.01 (left of the detector: 2theta > 0 everywhere, chi within +-90 degrees).
io::PixelGeometry small_detector(double poni2_m = 0.015) {
  io::Poni p;
  p.pixel1_m = p.pixel2_m = 1e-3;
  p.distance_m = 0.1;
  p.poni1_m = 0.0203;
  p.poni2_m = poni2_m;
  p.rot1_rad = 0.01;
  p.rot2_rad = -0.02;
  p.rot3_rad = 0.03;
  p.wavelength_m = 1e-10;
  return io::PixelGeometry(p, {40, 30});
}

// Per pixel: the bins it lands in and their coefficients.
struct PixelEntries {
  std::vector<std::size_t> bins;
  std::vector<float> coefficients;
};

std::vector<PixelEntries> by_pixel(const IntegrationMatrix& m) {
  std::vector<PixelEntries> out(m.pixels);
  for (std::size_t b = 0; b < m.bins(); ++b)
    for (std::uint32_t e = m.row_start[b]; e < m.row_start[b + 1]; ++e) {
      out[m.pixel[e]].bins.push_back(b);
      out[m.pixel[e]].coefficients.push_back(m.coefficient.empty() ? 1.0f : m.coefficient[e]);
    }
  return out;
}

void expect_rows_ascending(const IntegrationMatrix& m) {
  ASSERT_EQ(m.row_start.size(), m.bins() + 1);
  EXPECT_EQ(m.row_start.front(), 0u);
  EXPECT_EQ(m.row_start.back(), m.pixel.size());
  for (std::size_t b = 0; b < m.bins(); ++b)
    for (std::uint32_t e = m.row_start[b] + 1; e < m.row_start[b + 1]; ++e)
      ASSERT_LT(m.pixel[e - 1], m.pixel[e]) << "row " << b << " is not in pixel order";
}

TEST(IntegrationMatrix, NoSplittingPutsEachPixelOnceInTheBinOfItsCentre) {
  const auto g = small_detector();
  std::vector<std::uint8_t> mask(g.shape[0] * g.shape[1], 0);
  for (std::size_t i = 0; i < mask.size(); i += 7) mask[i] = 1;
  const auto m =
      build_integration_matrix(g, mask, {.radial_bins = 50, .unit = RadialUnit::tth_deg, .splitting = Splitting::no});
  EXPECT_EQ(m.bins(), 50u);
  EXPECT_EQ(m.azimuthal_bins, 0u);
  EXPECT_TRUE(m.coefficient.empty()) << "every coefficient is 1 without splitting";
  expect_rows_ascending(m);
  const auto tth = g.radial_map(RadialUnit::tth_deg);
  // Default range: from the smallest to the largest centre of the unmasked pixels, the top
  // nudged up by one float32 epsilon (pyFAI's calc_upper_bound).
  double lo = 1e300, hi = 0;
  for (std::size_t i = 0; i < mask.size(); ++i)
    if (!mask[i]) lo = std::min(lo, tth.values[i]), hi = std::max(hi, tth.values[i]);
  const double width = (hi * (1 + 0x1p-23) - lo) / 50;
  ASSERT_EQ(m.radial_centers.size(), 50u);
  EXPECT_NEAR(m.radial_centers.front(), lo + 0.5 * width, 1e-12);
  EXPECT_NEAR(m.radial_centers.back(), hi * (1 + 0x1p-23) - 0.5 * width, 1e-12);
  const auto entries = by_pixel(m);
  for (std::size_t i = 0; i < mask.size(); ++i) {
    if (mask[i]) {
      EXPECT_TRUE(entries[i].bins.empty()) << "masked pixel " << i << " is in the matrix";
      continue;
    }
    ASSERT_EQ(entries[i].bins.size(), 1u) << "pixel " << i;
    const std::size_t b = entries[i].bins[0];
    EXPECT_LE(std::abs(tth.values[i] - m.radial_centers[b]), 0.5 * width * (1 + 1e-9)) << "pixel " << i;
  }
}

TEST(IntegrationMatrix, RadialRangeDropsPixelsOutsideAndSetsTheCentres) {
  const auto g = small_detector();
  const auto q = g.radial_map(RadialUnit::q_A);
  const auto m = build_integration_matrix(
      g, {}, {.radial_bins = 10, .unit = RadialUnit::q_A, .splitting = Splitting::no, .radial_range = {{0.2, 1.2}}});
  // pyFAI: lo = 0.2 / 0.1 nm^-1, hi = (1.2 / 0.1) (1 + 2^-23) nm^-1, centres back in A^-1.
  const double lo = 0.2 / 0.1, hi = 1.2 / 0.1 * (1 + 0x1p-23), width = (hi - lo) / 10;
  for (std::size_t k = 0; k < 10; ++k)
    EXPECT_NEAR(m.radial_centers[k], (lo + (static_cast<double>(k) + 0.5) * width) * 0.1, 1e-13) << k;
  EXPECT_NEAR(m.radial_centers[0], 0.25, 1e-6);
  EXPECT_NEAR(m.radial_centers[9], 1.15, 1e-6);
  // pyFAI truncates the fractional bin number toward zero (<Py_ssize_t> cast) before testing it
  // against 0: a pixel less than one bin width below the range lands in bin 0. Kept on purpose.
  const auto entries = by_pixel(m);
  std::size_t inside = 0, just_below = 0;
  for (std::size_t i = 0; i < q.values.size(); ++i) {
    const double f = (q.values[i] / 0.1 - lo) / width;
    const bool in = f > -1.0 && f < 10.0;
    inside += in;
    just_below += in && q.values[i] < 0.2;
    EXPECT_EQ(entries[i].bins.size(), in ? 1u : 0u) << "pixel " << i << " at q " << q.values[i];
  }
  EXPECT_GT(inside, 200u);
  EXPECT_LT(inside, q.values.size());
  EXPECT_GT(just_below, 0u);
}

TEST(IntegrationMatrix, BoundingBoxCoefficientsOfAPixelSumToOne) {
  const auto g = small_detector(-0.01);  // beam off the detector: every box lies inside the range
  for (const auto unit : {RadialUnit::tth_deg, RadialUnit::q_nm, RadialUnit::r_mm}) {
    const auto m = build_integration_matrix(g, {}, {.radial_bins = 64, .unit = unit, .splitting = Splitting::bbox});
    ASSERT_FALSE(m.coefficient.empty());
    expect_rows_ascending(m);
    std::size_t split = 0;
    for (const auto& p : by_pixel(m)) {
      ASSERT_FALSE(p.bins.empty());
      split += p.bins.size() > 1;
      for (std::size_t k = 1; k < p.bins.size(); ++k) EXPECT_EQ(p.bins[k], p.bins[k - 1] + 1) << "bins are contiguous";
      const double sum = std::accumulate(p.coefficients.begin(), p.coefficients.end(), 0.0);
      EXPECT_NEAR(sum, 1.0, 1e-6);
      for (float c : p.coefficients) EXPECT_TRUE(c >= 0.0f && c <= 1.0f) << c;
    }
    EXPECT_GT(split, m.pixels / 4) << "a 64-bin histogram splits many of 1200 pixels";
  }
}

TEST(IntegrationMatrix, FullSplittingCoefficientsOfAPixelSumToOne) {
  const auto g = small_detector(-0.01);
  for (const std::size_t azimuthal_bins : {0, 7}) {
    const auto m = build_integration_matrix(
        g, {},
        {.radial_bins = 40, .azimuthal_bins = azimuthal_bins, .unit = RadialUnit::q_nm, .splitting = Splitting::full});
    ASSERT_FALSE(m.coefficient.empty());
    expect_rows_ascending(m);
    std::size_t split = 0;
    for (const auto& p : by_pixel(m)) {
      ASSERT_FALSE(p.bins.empty());
      split += p.bins.size() > 1;
      EXPECT_NEAR(std::accumulate(p.coefficients.begin(), p.coefficients.end(), 0.0), 1.0, 1e-6);
      // pyFAI's 2D areas are summed in float32: a cell the pixel barely touches may come out a
      // few 1e-7 below zero, and pyFAI keeps it; so do we.
      for (float c : p.coefficients) EXPECT_TRUE(c >= -1e-6f && c <= 1.0f + 1e-6f) << c;
    }
    EXPECT_GT(split, m.pixels / 4);
  }
}

TEST(IntegrationMatrix, TwoDimensionalBinsAreAzimuthMajor) {
  const auto g = small_detector(-0.01);
  const auto tth = g.radial_map(RadialUnit::tth_deg);
  const auto chi = g.azimuthal_map(io::AzimuthalUnit::chi_deg);
  const std::size_t nr = 12, na = 9;
  const auto no = build_integration_matrix(
      g, {}, {.radial_bins = nr, .azimuthal_bins = na, .unit = RadialUnit::tth_deg, .splitting = Splitting::no});
  EXPECT_EQ(no.bins(), nr * na);
  ASSERT_EQ(no.azimuthal_centers.size(), na);
  const double wr = no.radial_centers[1] - no.radial_centers[0], wa = no.azimuthal_centers[1] - no.azimuthal_centers[0];
  const auto entries = by_pixel(no);
  for (std::size_t i = 0; i < no.pixels; ++i) {
    ASSERT_EQ(entries[i].bins.size(), 1u);
    const std::size_t a = entries[i].bins[0] / nr, r = entries[i].bins[0] % nr;
    EXPECT_LE(std::abs(tth.values[i] - no.radial_centers[r]), 0.5 * wr * (1 + 1e-9)) << i;
    EXPECT_LE(std::abs(chi.values[i] - no.azimuthal_centers[a]), 0.5 * wa * (1 + 1e-9)) << i;
  }
  const auto bbox = build_integration_matrix(
      g, {}, {.radial_bins = nr, .azimuthal_bins = na, .unit = RadialUnit::tth_deg, .splitting = Splitting::bbox});
  expect_rows_ascending(bbox);
  for (const auto& p : by_pixel(bbox))
    EXPECT_NEAR(std::accumulate(p.coefficients.begin(), p.coefficients.end(), 0.0), 1.0, 1e-6);
}

TEST(IntegrationMatrix, AzimuthalRangeIn1DKeepsOnlyPixelsInside) {
  const auto g = small_detector();  // beam inside: chi covers the circle
  const auto chi = g.azimuthal_map(io::AzimuthalUnit::chi_deg);
  const auto m = build_integration_matrix(
      g, {},
      {.radial_bins = 20, .unit = RadialUnit::r_mm, .splitting = Splitting::no, .azimuthal_range = {{-100.0, 45.0}}});
  const auto entries = by_pixel(m);
  std::size_t kept = 0;
  for (std::size_t i = 0; i < m.pixels; ++i) {
    // pyFAI converts the range to radians through deg2rad: compare in radians.
    const double c = chi.values[i] / kDeg;
    const bool in = c >= -100.0 / 180.0 * std::numbers::pi && c <= 45.0 / 180.0 * std::numbers::pi;
    EXPECT_EQ(entries[i].bins.size(), in ? 1u : 0u) << "pixel " << i << " at chi " << chi.values[i];
    kept += in;
  }
  EXPECT_GT(kept, 300u);
  EXPECT_LT(kept, 700u);
  // -180..180 (pyFAI wraps 180 to -180, then adds 2 pi) is the whole circle.
  const auto all = build_integration_matrix(
      g, {},
      {.radial_bins = 20, .unit = RadialUnit::r_mm, .splitting = Splitting::no, .azimuthal_range = {{-180.0, 180.0}}});
  EXPECT_EQ(all.pixel.size(), all.pixels);
}

TEST(IntegrationMatrix, MaskedPixelsAreLeftOutWithSplittingToo) {
  const auto g = small_detector();
  std::vector<std::uint8_t> mask(g.shape[0] * g.shape[1], 0);
  for (std::size_t i = 0; i < mask.size(); i += 3) mask[i] = 255;
  const auto m = build_integration_matrix(
      g, mask, {.radial_bins = 30, .azimuthal_bins = 8, .unit = RadialUnit::q_nm, .splitting = Splitting::bbox});
  for (std::uint32_t p : m.pixel) EXPECT_EQ(mask[p], 0) << "masked pixel " << p << " is in the matrix";
  const auto entries = by_pixel(m);
  for (std::size_t i = 0; i < mask.size(); ++i)
    if (!mask[i]) {
      EXPECT_FALSE(entries[i].bins.empty()) << i;
    }
}

TEST(IntegrationMatrix, RejectsImpossibleOptionsNamingThem) {
  const auto g = small_detector();
  const auto build = [&](IntegrationMatrixOptions o, std::vector<std::uint8_t> mask = {}) {
    return [=] { build_integration_matrix(g, mask, o); };
  };
  EXPECT_EQ(tests::invalid_argument_message(build({.radial_bins = 0})), "radial_bins must be at least 1");
  EXPECT_EQ(tests::invalid_argument_message(build({}, std::vector<std::uint8_t>(17))),
            "the mask has 17 values but the detector has 1200 pixels (40 x 30)");
  EXPECT_EQ(tests::invalid_argument_message(build({.radial_range = {{2.0, 1.0}}})),
            "radial_range [2.000000, 1.000000] is empty or inverted: the lower bound must be below the upper one");
  EXPECT_EQ(tests::invalid_argument_message(build({.radial_range = {{1.0, 1.0}}})),
            "radial_range [1.000000, 1.000000] is empty or inverted: the lower bound must be below the upper one");
  EXPECT_EQ(tests::invalid_argument_message(build({.radial_range = {{0.0, std::numeric_limits<double>::quiet_NaN()}}})),
            "radial_range must be finite, got [0.000000, nan]");
  EXPECT_EQ(tests::invalid_argument_message(build({.azimuthal_bins = 4, .azimuthal_range = {{0.0, INFINITY}}})),
            "azimuthal_range must be finite, got [0.000000, inf]");
  EXPECT_EQ(tests::invalid_argument_message(build({}, std::vector<std::uint8_t>(1200, 1))),
            "every pixel is masked: give radial_range (and azimuthal_range for 2D) explicitly");
  io::Poni no_wavelength = g.poni;
  no_wavelength.wavelength_m.reset();
  EXPECT_EQ(tests::invalid_argument_message([&] { build_integration_matrix(io::PixelGeometry(no_wavelength, g.shape), {}, {}); }),
            "q needs a wavelength and the PONI has none");
  // Every pixel masked but both ranges given: an empty matrix, as pyFAI builds it.
  const auto empty = build_integration_matrix(g, std::vector<std::uint8_t>(1200, 1),
                                              {.radial_bins = 5, .radial_range = {{0.0, 10.0}}});
  EXPECT_EQ(empty.bins(), 5u);
  EXPECT_TRUE(empty.pixel.empty());
}

TEST(PixelCorrections, MultipliesTheFactorsInDoubleAndLeavesOutBadPixels) {
  const auto g = small_detector();
  const std::size_t n = g.shape[0] * g.shape[1];
  algorithms::CorrectionOptions o;
  o.polarization_factor = 0.95;
  o.polarization_axis_offset_rad = 0.2;
  o.normalization_factor = 3.0;
  o.flat.assign(n, 0.5f);
  o.flat[5] = 0.0f;
  o.flat[6] = std::numeric_limits<float>::quiet_NaN();
  o.absorption.assign(n, 0.75f);
  o.dark.assign(n, 2.0f);
  o.variance.assign(n, 4.0f);
  std::vector<std::uint8_t> mask(n, 0);
  mask[7] = 1;
  const auto c = algorithms::make_pixel_corrections(g, mask, o);
  const auto sa = g.solid_angle_map();
  const auto pol = g.polarization_map({0.95, 0.2});
  ASSERT_EQ(c.normalization.size(), n);
  for (std::size_t i = 0; i < n; ++i) {
    const float expected =
        (i >= 5 && i <= 7) ? 0.0f : static_cast<float>(3.0 * 0.5 * sa.values[i] * pol.values[i] * 0.75);
    EXPECT_EQ(c.normalization[i], expected) << i;
  }
  EXPECT_EQ(c.dark, o.dark);
  EXPECT_EQ(c.variance, o.variance);

  const auto plain = algorithms::make_pixel_corrections(g, {}, {.solid_angle = false});
  EXPECT_EQ(plain.normalization, std::vector<float>(n, 1.0f));
  EXPECT_TRUE(plain.dark.empty());
  EXPECT_TRUE(plain.variance.empty());
  const auto solid = algorithms::make_pixel_corrections(g, {}, {});
  for (std::size_t i = 0; i < n; ++i) EXPECT_EQ(solid.normalization[i], static_cast<float>(sa.values[i]));
}

TEST(PixelCorrections, NamesTheArrayOfTheWrongSize) {
  const auto g = small_detector();
  const auto with = [&](auto set) {
    algorithms::CorrectionOptions o;
    set(o);
    return [=] { algorithms::make_pixel_corrections(g, {}, o); };
  };
  EXPECT_EQ(tests::invalid_argument_message(with([](auto& o) { o.flat.resize(3); })),
            "the flat field has 3 values but the detector has 1200 pixels (40 x 30)");
  EXPECT_EQ(tests::invalid_argument_message(with([](auto& o) { o.dark.resize(1201); })),
            "the dark image has 1201 values but the detector has 1200 pixels (40 x 30)");
  EXPECT_EQ(tests::invalid_argument_message(with([](auto& o) { o.absorption.resize(1); })),
            "the absorption array has 1 values but the detector has 1200 pixels (40 x 30)");
  EXPECT_EQ(tests::invalid_argument_message(with([](auto& o) { o.variance.resize(2); })),
            "the variance array has 2 values but the detector has 1200 pixels (40 x 30)");
  EXPECT_EQ(tests::invalid_argument_message([&] { algorithms::make_pixel_corrections(g, std::vector<std::uint8_t>(9), {}); }),
            "the mask has 9 values but the detector has 1200 pixels (40 x 30)");
}

// ---- pyFAI's own matrices ---------------------------------------------------------------

template <class T>
std::vector<T> read_npy(const std::filesystem::path& path) {
  const auto frame = io::open_npy(path)->read(0);
  const auto values = frame.values<T>();
  return {values.begin(), values.end()};
}

// Distance in float32 units in the last place (both finite).
std::int64_t ulps(float a, float b) {
  const auto key = [](float f) {
    const auto i = static_cast<std::int64_t>(std::bit_cast<std::int32_t>(f));
    return i < 0 ? std::numeric_limits<std::int32_t>::min() - i : i;
  };
  return std::abs(key(a) - key(b));
}

std::int64_t ulps(double a, double b) {
  const auto key = [](double f) {
    const auto i = std::bit_cast<std::int64_t>(f);
    return i < 0 ? std::numeric_limits<std::int64_t>::min() - i : i;
  };
  return std::abs(key(a) - key(b));
}

Splitting parse_split(const std::string& s) {
  if (s == "no") return Splitting::no;
  if (s == "bbox") return Splitting::bbox;
  return Splitting::full;
}

void compare_case(const std::filesystem::path& dir) {
  SCOPED_TRACE(dir.filename().string());
  const auto meta = nlohmann::json::parse(std::ifstream(dir / "case.json"));
  std::optional<std::filesystem::path> poni_file;
  if (meta.contains("poni_file") && !meta["poni_file"].is_null()) {
    poni_file = dir / meta["poni_file"].get<std::string>();
  } else {
    poni_file = tests::shared_data(meta["poni"].get<std::string>());
    if (!poni_file) GTEST_SKIP() << tests::missing_data_message(meta["poni"].get<std::string>());
  }
  const io::PixelGeometry g(io::read_poni(*poni_file),
                            {meta["shape"][0].get<std::size_t>(), meta["shape"][1].get<std::size_t>()});
  IntegrationMatrixOptions o;
  o.radial_bins = meta["npt"].get<std::size_t>();
  o.azimuthal_bins = meta["npt_azim"].is_null() ? 0 : meta["npt_azim"].get<std::size_t>();
  o.unit = io::parse_radial_unit(meta["unit"].get<std::string>());
  o.splitting = parse_split(meta["split"].get<std::string>());
  if (!meta["radial_range"].is_null()) o.radial_range = {{meta["radial_range"][0], meta["radial_range"][1]}};
  if (!meta["azimuth_range"].is_null()) o.azimuthal_range = {{meta["azimuth_range"][0], meta["azimuth_range"][1]}};
  std::vector<std::uint8_t> mask;
  if (!meta["mask"].is_null()) {
    mask = read_npy<std::uint8_t>(dir / meta["mask"].get<std::string>());
    if (g.poni.detector == "Pilatus6M") {  // pyFAI's mask is our module_gap_mask
      EXPECT_EQ(mask, io::module_gap_mask(io::detector_by_name("Pilatus6M")));
    }
  }

  const auto t0 = std::chrono::steady_clock::now();
  const auto m = build_integration_matrix(g, mask, o);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

  const auto indptr = read_npy<std::int32_t>(dir / "indptr.npy");
  const auto indices = read_npy<std::int32_t>(dir / "indices.npy");
  const auto data = read_npy<float>(dir / "data.npy");
  const auto radial = read_npy<double>(dir / "radial.npy");
  const std::size_t nr = o.radial_bins, na = std::max<std::size_t>(1, o.azimuthal_bins);
  ASSERT_EQ(indptr.size(), nr * na + 1);
  ASSERT_EQ(m.bins(), nr * na);
  ASSERT_EQ(m.pixel.size(), indices.size()) << "number of entries";

  // pyFAI's 2D full splitting accumulates areas in a buffer made by numpy.empty and zeroed only
  // after each pixel (splitpixel_common calc_lut_2d): the first pixel it processes, the smallest
  // index in the matrix, starts from whatever that memory held. Its coefficients are undefined in
  // pyFAI; they are counted apart (its bins must still match).
  std::optional<std::uint32_t> undefined_pixel;
  if (o.splitting == Splitting::full && o.azimuthal_bins && !indices.empty())
    undefined_pixel = static_cast<std::uint32_t>(*std::min_element(indices.begin(), indices.end()));
  std::size_t undefined_entries = 0;

  // pyFAI's 2D rows are radial-major (radial * npt_azim + azimuthal); ours azimuth-major.
  std::size_t coefficient_diffs = 0, rows_differing = 0;
  std::int64_t max_ulps = 0;
  double max_abs = 0.0;
  for (std::size_t a = 0; a < na; ++a)
    for (std::size_t r = 0; r < nr; ++r) {
      const std::size_t ours = a * nr + r, theirs = r * na + a;
      const std::size_t b = m.row_start[ours], e = m.row_start[ours + 1];
      const auto tb = static_cast<std::size_t>(indptr[theirs]), te = static_cast<std::size_t>(indptr[theirs + 1]);
      if (e - b != te - tb ||
          !std::equal(m.pixel.begin() + b, m.pixel.begin() + e, indices.begin() + tb,
                      [](std::uint32_t x, std::int32_t y) { return x == static_cast<std::uint32_t>(y); })) {
        ++rows_differing;
        continue;
      }
      for (std::size_t k = 0; k < e - b; ++k) {
        const float c = m.coefficient.empty() ? 1.0f : m.coefficient[b + k], t = data[tb + k];
        if (c != t && undefined_pixel == m.pixel[b + k]) {
          ++undefined_entries;
        } else if (c != t) {
          if (coefficient_diffs < 5)
            std::printf("[ pyFAI    ]   pixel %u in bin (radial %zu, azimuthal %zu): ours %.9g, pyFAI %.9g\n",
                        m.pixel[b + k], r, a, static_cast<double>(c), static_cast<double>(t));
          ++coefficient_diffs;
          max_ulps = std::max(max_ulps, ulps(c, t));
          max_abs = std::max(max_abs, std::abs(static_cast<double>(c) - t));
        }
      }
    }
  EXPECT_EQ(rows_differing, 0u) << "rows whose pixels differ from pyFAI's";
  EXPECT_LE(max_ulps, 1) << "coefficients differ by more than one float32 ulp";

  std::int64_t centre_ulps = 0;
  ASSERT_EQ(m.radial_centers.size(), radial.size());
  for (std::size_t k = 0; k < radial.size(); ++k)
    centre_ulps = std::max(centre_ulps, ulps(m.radial_centers[k], radial[k]));
  if (o.azimuthal_bins) {
    const auto azimuthal = read_npy<double>(dir / "azimuthal.npy");
    ASSERT_EQ(m.azimuthal_centers.size(), azimuthal.size());
    for (std::size_t k = 0; k < azimuthal.size(); ++k)
      centre_ulps = std::max(centre_ulps, ulps(m.azimuthal_centers[k], azimuthal[k]));
  }
  EXPECT_EQ(centre_ulps, 0) << "bin centres differ from pyFAI's";
  std::printf(
      "[ pyFAI    ] %s: %zu entries, %zu bins, built in %.3f s; rows differing %zu; coefficients "
      "differing %zu (max %lld ulp, max |diff| %.3g); centres max %lld ulp%s\n",
      dir.filename().c_str(), m.pixel.size(), m.bins(), seconds, rows_differing, coefficient_diffs,
      static_cast<long long>(max_ulps), max_abs, static_cast<long long>(centre_ulps),
      undefined_entries ? ("; " + std::to_string(undefined_entries) + " entries of pixel " +
                           std::to_string(*undefined_pixel) + " differ (pyFAI's uninitialised buffer)")
                              .c_str()
                        : "");
}

TEST(IntegrationMatrixPyFAI, SameMatricesAsPyFAI) {
  const char* dir = std::getenv("VULKANITE_PYFAI_CSR");
  if (!dir || !*dir)
    GTEST_SKIP() << "VULKANITE_PYFAI_CSR is not set (run scripts/validation/export_pyfai_csr.py to make the "
                    "reference matrices, then point the variable at its output folder)";
  std::vector<std::filesystem::path> cases;
  for (const auto& entry : std::filesystem::directory_iterator(dir))
    if (std::filesystem::exists(entry.path() / "case.json")) cases.push_back(entry.path());
  std::sort(cases.begin(), cases.end());
  ASSERT_FALSE(cases.empty()) << "no case folders under " << dir;
  for (const auto& c : cases) compare_case(c);
}

}  // namespace
}  // namespace vulkanite
