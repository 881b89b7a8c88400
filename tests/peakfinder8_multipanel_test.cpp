// peakfinder8 (original flavour) on the multi-panel detectors of the shared CrystFEL geometries
// (CSPAD, the Jungfrau 4M and 16M files, ePix10k 2M, AGIPD; docs/peakfinder8.md, "Multi-panel
// detectors"):
//   - io's layout and radius map are OM's: the layout and a fingerprint of OM's float32 radius map
//     (om.lib.geometry, OM 23.8.3) recorded by scripts/validation/peakfinder8_multipanel_om.py;
//   - geometries that are no regular grid of equal panels are refused with a message naming why;
//   - slab frames with spots, some straddling ASIC borders, give the reference's peaks bit for bit
//     on the GPU, and a spot across a border gives one peak per ASIC, as OM grows per ASIC.
// Frames are a few panels of each geometry (its real panels, corners and vectors), so that the
// GPU run stays short on llvmpipe; the whole slab's radius map is checked against OM's.
#include "algorithms/peakfinder8.hpp"

#include "algorithms/frame_words.hpp"
#include "io/crystfel_geometry.hpp"
#include "io/peakfinder8_geometry.hpp"
#include "synthetic/peak_scoring.hpp"
#include "synthetic/serial_frames.hpp"

#include "support/data.hpp"
#include "support/gpu_test.hpp"
#include "support/invalid_argument.hpp"
#include "support/peakfinder8_compare.hpp"
#include "support/peakfinder8_frames.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <iostream>
#include <numbers>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace vulkanite {
namespace {

using tests::first_difference;

// The fingerprint scripts/validation/peakfinder8_multipanel_om.py computes on OM's map: a
// wrap-around sum of splitmix64(bits | index << 32), so that a value moved to another pixel
// changes it as much as a changed value.
std::uint64_t radius_hash(const std::vector<float>& radius) {
  std::uint64_t sum = 0;
  for (std::size_t i = 0; i < radius.size(); ++i) {
    std::uint64_t z = std::uint64_t(std::bit_cast<std::uint32_t>(radius[i])) | (std::uint64_t(i) << 32);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    sum += z ^ (z >> 31);
  }
  return sum;
}

std::optional<io::CrystfelGeometry> shared_geometry(const std::string& file) {
  const auto path = tests::shared_data("geometry/" + file);
  if (!path) return std::nullopt;
  return io::read_crystfel_geometry(*path);
}

TEST(Peakfinder8MultipanelGeometry, LayoutAndRadiusMapAreOms) {
  struct Om {
    const char* file;
    io::Peakfinder8Layout layout;
    std::uint64_t radius_hash;
  };
  // OM 23.8.3's GeometryInformation on each file (jf-swissfel-16M.geom: on a copy OM can read,
  // see the script; its units and ".0" do not change the pixel maps).
  const Om om[] = {
      {"cspad-cxiformat.geom", {194, 185, 8, 8}, 0x22d38730ad246835ULL},
      {"jungfrau4M.geom", {194, 185, 8, 8}, 0xf8a60434faedb076ULL},
      {"jf-swissfel-16M.geom", {1030, 514, 1, 32}, 0xa1f2a51e689be385ULL},
      {"epix10k2M.geom", {192, 176, 2, 32}, 0xe8ae38ea76cabd0aULL},
      {"agipd_simple_2d.geom", {128, 64, 1, 128}, 0x876f7c1fa4c6bbbfULL},
      {"pilatus.geom", {2463, 2527, 1, 1}, 0x71237b47de525383ULL},
      {"Eiger16M-binning2-nativefiles.geom", {2070, 2167, 1, 1}, 0x43680971effeb95bULL},
  };
  for (const auto& o : om) {
    const auto g = shared_geometry(o.file);
    if (!g) GTEST_SKIP() << tests::missing_data_message(std::string("geometry/") + o.file);
    const auto l = io::peakfinder8_layout(*g);
    EXPECT_EQ(l.asic_nx, o.layout.asic_nx) << o.file;
    EXPECT_EQ(l.asic_ny, o.layout.asic_ny) << o.file;
    EXPECT_EQ(l.nasics_x, o.layout.nasics_x) << o.file;
    EXPECT_EQ(l.nasics_y, o.layout.nasics_y) << o.file;
    EXPECT_EQ(radius_hash(io::peakfinder8_radius_map(*g)), o.radius_hash) << o.file;
  }
}

std::string layout_error(const io::CrystfelGeometry& g) {
  return tests::invalid_argument_message([&] { io::peakfinder8_layout(g); });
}

io::CrystfelPanel& panel_named(io::CrystfelGeometry& g, const std::string& name) {
  for (auto& p : g.panels)
    if (p.name == name) return p;
  throw std::logic_error("no panel " + name);
}

TEST(Peakfinder8MultipanelGeometry, IrregularPanelsAreRefusedNamingWhy) {
  // OM computes the layout without checking (first panel's size, slab size // panel size) and
  // hands OM's C++ a slab whose row length is not asic_nx x nasics_x, or ASICs that are not the
  // panels: its peaks are meaningless. io refuses such geometries instead.
  auto cspad = shared_geometry("cspad-cxiformat.geom");
  auto agipd = shared_geometry("agipd_simple_2d.geom");
  if (!cspad || !agipd) GTEST_SKIP() << tests::missing_data_message("geometry/cspad-cxiformat.geom");
  const std::string prefix = cspad->source + ": panels do not form a peakfinder8 grid: ";

  auto narrow = *cspad;  // one panel a column short: panels of different sizes
  panel_named(narrow, "q0a1").max_fs -= 1;
  EXPECT_EQ(layout_error(narrow), prefix + "panel q0a1 is 193 x 185, not 194 x 185");

  auto missing = *cspad;  // a panel left out: a hole in the slab
  missing.panels.erase(missing.panels.begin() + 5);
  EXPECT_EQ(layout_error(missing), prefix + "the panels leave holes in the slab");

  auto shifted = *cspad;  // a panel moved by one pixel in the slab, off the grid (and overlapping)
  panel_named(shifted, "q3a15").min_ss -= 1;
  panel_named(shifted, "q3a15").max_ss -= 1;
  EXPECT_EQ(layout_error(shifted), prefix + "panel q3a15 is off the grid");

  auto short_first = *agipd;  // the first panel a row short: 8192 rows are no whole number of them
  short_first.panels.front().max_ss -= 1;
  EXPECT_EQ(layout_error(short_first),
            agipd->source + ": panels do not form a peakfinder8 grid: the slab is not a whole number of panels");
}

// The panels of the first nasics_y x nasics_x cells of the geometry's grid, unchanged (corners,
// vectors), so that their radius map is the full slab's top-left corner. Bad regions are left out:
// they are checked with the whole geometry (io tests), and may name panels that are not kept.
io::CrystfelGeometry crop(const io::CrystfelGeometry& g, std::size_t nasics_x, std::size_t nasics_y) {
  const auto l = io::peakfinder8_layout(g);
  io::CrystfelGeometry out = g;
  out.panels.clear();
  out.bad_regions.clear();
  for (const auto& p : g.panels)
    if (p.min_fs / l.asic_nx < nasics_x && p.min_ss / l.asic_ny < nasics_y) out.panels.push_back(p);
  return out;
}

reference::Peakfinder8Layout reference_layout(const io::Peakfinder8Layout& l) {
  return {static_cast<std::int32_t>(l.asic_nx), static_cast<std::int32_t>(l.asic_ny),
          static_cast<std::int32_t>(l.nasics_x), static_cast<std::int32_t>(l.nasics_y)};
}

// A Gaussian spot of `total` counts centred at (fs, ss), added to an int32 frame, rounded: it
// falls on whichever ASICs it covers, as a spot on the slab between two ASICs that touch.
void add_spot(io::Frame& frame, double fs, double ss, double total, double sigma) {
  const auto rows = static_cast<std::int64_t>(frame.shape[0]), columns = static_cast<std::int64_t>(frame.shape[1]);
  auto* data = reinterpret_cast<std::int32_t*>(frame.data.data());
  for (auto y = std::max<std::int64_t>(0, std::int64_t(ss) - 6); y < std::min(rows, std::int64_t(ss) + 8); ++y)
    for (auto x = std::max<std::int64_t>(0, std::int64_t(fs) - 6); x < std::min(columns, std::int64_t(fs) + 8); ++x) {
      const double d2 = (double(x) - fs) * (double(x) - fs) + (double(y) - ss) * (double(y) - ss);
      data[y * columns + x] += static_cast<std::int32_t>(
          std::lround(total / (2 * std::numbers::pi * sigma * sigma) * std::exp(-d2 / (2 * sigma * sigma))));
    }
}

struct Straddle {
  double fs = 0, ss = 0;
  bool across_fs = false;  // the border is between two ASICs side by side (else one above the other)
};

class Peakfinder8Multipanel : public tests::GpuTest {};

TEST_F(Peakfinder8Multipanel, SlabFramesGiveTheReferencesPeaksAndOnePeakPerAsicAcrossBorders) {
  struct Case {
    const char* file;
    std::size_t nasics_x, nasics_y;  // of the real grid, kept from its top-left corner
  };
  const Case cases[] = {{"cspad-cxiformat.geom", 3, 2},
                        {"jungfrau4M.geom", 3, 2},
                        {"jf-swissfel-16M.geom", 1, 2},
                        {"epix10k2M.geom", 2, 3},
                        {"agipd_simple_2d.geom", 1, 6}};
  std::uint64_t seed = 11;
  for (const auto& c : cases) {
    SCOPED_TRACE(c.file);
    const auto full = shared_geometry(c.file);
    if (!full) GTEST_SKIP() << tests::missing_data_message(std::string("geometry/") + c.file);
    const auto g = crop(*full, c.nasics_x, c.nasics_y);
    const auto l = io::peakfinder8_layout(g);
    ASSERT_EQ(l.nasics_x, c.nasics_x);
    ASSERT_EQ(l.nasics_y, c.nasics_y);
    const auto radius = io::peakfinder8_radius_map(g);
    {  // the crop's radius map is the whole slab's corner, bit for bit
      const auto whole = io::peakfinder8_radius_map(*full);
      const auto columns = full->slab_shape()[1], width = l.asic_nx * l.nasics_x;
      std::size_t differing = 0;
      for (std::size_t i = 0; i < radius.size(); ++i)
        differing += std::bit_cast<std::uint32_t>(radius[i]) !=
                     std::bit_cast<std::uint32_t>(whole[(i / width) * columns + i % width]);
      EXPECT_EQ(differing, 0u);
    }

    // The generator's spots and defects on the same grid of ASICs, with a flat background;
    // another frame per geometry.
    const auto p = tests::flat_tiled_frame_params(
        l, static_cast<std::int32_t>(std::max<std::size_t>(30, radius.size() / 4000)), seed++);
    auto frame = synthetic::make_serial_frame(p, 0);

    // Bright spots centred on ASIC borders, away from the generator's spots.
    std::vector<Straddle> straddles;
    const auto clear_of_spots = [&](double fs, double ss) {
      for (const auto& s : frame.spots)
        if (std::hypot(s.fs - fs, s.ss - ss) < 14) return false;
      return true;
    };
    for (std::size_t k = 0; k < 2; ++k) {
      const bool across_fs = k == 0 && l.nasics_x > 1;
      for (double along = 0.3; along < 0.95; along += 0.05) {
        const double fs = across_fs ? double(l.asic_nx) - 0.5 : along * double(l.asic_nx);
        const double ss = across_fs ? along * double(l.asic_ny) : double(l.asic_ny) - 0.5;
        if (!clear_of_spots(fs, ss)) continue;
        bool apart = true;
        for (const auto& s : straddles) apart = apart && std::hypot(s.fs - fs, s.ss - ss) > 20;
        if (!apart) continue;
        straddles.push_back({fs, ss, across_fs});
        add_spot(frame.frame, fs, ss, 20000.0, 1.2);
        break;
      }
    }
    ASSERT_EQ(straddles.size(), 2u);

    std::vector<std::int8_t> good(radius.size());
    for (std::size_t i = 0; i < good.size(); ++i) good[i] = std::int8_t(1 - frame.detector->bad_pixels[i]);
    reference::Peakfinder8Params params;
    params.min_res = 0;
    params.max_res = 10000;
    const auto layout = reference_layout(l);
    const auto data = algorithms::frame_as_float(frame.frame);
    const auto expected = reference::peakfinder8(layout, data, radius, good, params);
    algorithms::Peakfinder8 finder(context(), layout, radius, good, params);
    const auto out = finder.run(frame.frame);
    EXPECT_EQ(first_difference(out.peaks, expected), "");

    // Recall of the generator's spots away from ASIC borders (and from the added spots).
    std::vector<synthetic::PeakPosition> found, truth;
    for (const auto& peak : out.peaks.peaks) found.push_back({peak.fs, peak.ss});
    for (const auto& s : frame.spots)
      if (!s.on_border) truth.push_back({s.fs, s.ss});  // none is near an added spot (placed 14 px away)
    const auto score = synthetic::score_peaks(found, truth);
    EXPECT_GE(truth.size(), 20u);
    EXPECT_GE(score.recall, 0.9) << score.missed.size() << " of " << truth.size() << " missed";

    // A spot across a border is two peaks, one in each ASIC: OM grows regions inside an ASIC, and
    // each side has pixels off the ASIC's outermost row or column to start from.
    const auto asic_of = [&](double fs, double ss) {
      return std::size_t(std::lround(ss)) / l.asic_ny * l.nasics_x + std::size_t(std::lround(fs)) / l.asic_nx;
    };
    for (const auto& st : straddles) {
      std::vector<std::size_t> asics;
      for (const auto& peak : out.peaks.peaks)
        if (std::hypot(peak.fs - st.fs, peak.ss - st.ss) < 4) asics.push_back(asic_of(peak.fs, peak.ss));
      ASSERT_EQ(asics.size(), 2u) << "spot at (" << st.fs << ", " << st.ss << ")";
      EXPECT_NE(asics[0], asics[1]);
      EXPECT_EQ(asics[0], asic_of(st.across_fs ? st.fs - 1 : st.fs, st.across_fs ? st.ss : st.ss - 1));
      EXPECT_EQ(asics[1], asic_of(st.across_fs ? st.fs + 1 : st.fs, st.across_fs ? st.ss : st.ss + 1));
    }
    // The same frame read as one ASIC (OM's layout for a one-panel geometry) merges each of them.
    const reference::Peakfinder8Layout one{layout.fs_size(), layout.ss_size(), 1, 1};
    const auto merged = reference::peakfinder8(one, data, radius, good, params);
    for (const auto& st : straddles) {
      std::size_t near = 0;
      for (const auto& peak : merged.peaks) near += std::hypot(peak.fs - st.fs, peak.ss - st.ss) < 4 ? 1 : 0;
      EXPECT_EQ(near, 1u) << "one ASIC, spot at (" << st.fs << ", " << st.ss << ")";
    }
    std::cout << c.file << ": " << l.nasics_x << " x " << l.nasics_y << " ASICs of " << l.asic_nx << " x " << l.asic_ny
              << ", " << out.peaks.peaks.size() << " peaks (GPU == reference), recall " << score.recall << " of "
              << truth.size() << " spots, " << (out.sequential ? "sequential" : "parallel") << "\n";
  }
}

}  // namespace
}  // namespace vulkanite
