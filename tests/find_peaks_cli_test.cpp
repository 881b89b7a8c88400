// `vulkanite find-peaks`, run as the user runs it: synthetic frames scored against their spots
// with both flavours, a written HDF5 stack + PONI giving reference::peakfinder8's peaks bit for bit,
// the CXI tables, hit list and PNG read back, one-line errors, and the shared Pilatus 6M frame.
// Also the geometry it relies on (io/peakfinder8_geometry): radius maps from a PONI and a
// CrystFEL geometry in OM's convention.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <hdf5.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <sstream>

#include "io/crystfel_geometry.hpp"
#include "io/frame_source.hpp"
#include "io/npy.hpp"
#include "io/peakfinder8_geometry.hpp"
#include "io/poni.hpp"
#include "reference/peakfinder8.hpp"
#include "support/data.hpp"
#include "support/peakfinder8_compare.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"
#include "synthetic/serial_frames.hpp"

namespace vulkanite {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using tests::describe;
using tests::expect_error;
using tests::run_cli;

nlohmann::json run_json(const std::vector<std::string>& args) {
  const auto result = run_cli(args);
  EXPECT_EQ(result.exit_code, 0) << describe(result);
  if (result.exit_code != 0) return {};
  return nlohmann::json::parse(result.out);
}

std::uint32_t bits(float v) { return std::bit_cast<std::uint32_t>(v); }

TEST(FindPeaksCliTest, SyntheticFramesAreFoundByBothFlavours) {
  // 3 frames of 192 x 192 pixels with 20 spots each (10 % of them centred on the frame's edge,
  // where neither finder can start a peak): the seed fixes every bit, so these scores are exact.
  const std::vector<std::string> common{"find-peaks", "--synthetic", "3", "--detector", "192x192", "--spots", "20", "--json"};
  auto cheetah = common, pyfai = common;
  cheetah.insert(cheetah.end(), {"--min-res", "0"});
  pyfai.insert(pyfai.end(), {"--flavour", "pyfai", "--npt", "100", "--error-model", "azimuthal", "--cutoff-pick", "4",
                             "--connected", "3"});
  for (const auto& args : {cheetah, pyfai}) {
    const auto j = run_json(args);
    ASSERT_TRUE(j.contains("summary")) << j.dump();
    const auto& summary = j["summary"];
    EXPECT_EQ(summary["frames"], 3);
    EXPECT_EQ(summary["truth_spots"], 60);
    EXPECT_GE(summary["recall"].get<double>(), 0.9) << args[9];
    EXPECT_GE(summary["precision"].get<double>(), 0.95) << args[9];
    ASSERT_EQ(j["frames"].size(), 3u);
    std::size_t peaks = 0;
    for (const auto& f : j["frames"]) {
      EXPECT_EQ(f["source"], "synthetic");
      EXPECT_EQ(f["peaks"].size(), f["npeaks"].get<std::size_t>());
      peaks += f["npeaks"].get<std::size_t>();
    }
    EXPECT_EQ(summary["peaks"], peaks);
  }
  const auto quiet_json = run_cli({"find-peaks", "--synthetic", "1", "--detector", "64x64", "--spots", "3", "--min-res", "0"});
  ASSERT_EQ(quiet_json.exit_code, 0) << describe(quiet_json);
  EXPECT_EQ(quiet_json.out, "");
  EXPECT_THAT(quiet_json.err, HasSubstr("find-peaks (cheetah): 1 frame, "));
  EXPECT_THAT(quiet_json.err, HasSubstr("recall "));
}

TEST(FindPeaksCliTest, RadiusMapFromThePoniIsTheSyntheticDetectors) {
  for (const std::string detector : {"Pilatus1M", ""}) {
    synthetic::SerialFrameParams p;
    p.detector = detector;
    if (detector.empty()) {
      p.rows = 40, p.columns = 57;
      p.beam_center_fs_px = 13.25;
      p.beam_center_ss_px = -3.7;
    }
    const auto d = synthetic::make_serial_detector(p);
    ASSERT_TRUE(d->poni);
    const auto radius = io::peakfinder8_radius_map(*d->poni, {d->rows, d->columns});
    ASSERT_EQ(radius.size(), d->radius_px.size());
    std::size_t differing = 0;
    for (std::size_t i = 0; i < radius.size(); ++i) differing += bits(radius[i]) != bits(d->radius_px[i]);
    EXPECT_EQ(differing, 0u) << (detector.empty() ? "plain" : detector);
  }
}

TEST(FindPeaksCliTest, CrystfelGeometryGivesOmsRadiusInFloat) {
  // Two panels of 4 x 3 side by side in a 3 x 8 slab; the second is rotated (fs along y).
  const auto geometry = io::parse_crystfel_geometry(
      "res = 10000\nclen = 0.1\n"
      "a/min_fs = 0\na/max_fs = 3\na/min_ss = 0\na/max_ss = 2\na/fs = x\na/ss = y\na/corner_x = -10.3\na/corner_y = 2.7\n"
      "b/min_fs = 4\nb/max_fs = 7\nb/min_ss = 0\nb/max_ss = 2\nb/fs = y\nb/ss = -x\nb/corner_x = 5.1\nb/corner_y = -1.9\n",
      "two.geom");
  const auto radius = io::peakfinder8_radius_map(geometry);
  ASSERT_EQ(radius.size(), 24u);
  // Panel b, pixel (fs 2, ss 1) of the panel = slab (fs 6, ss 1): x = 1 (-1) + 2 (0) + 5.1, y = 1 (0) + 2 (1) - 1.9.
  const float x = static_cast<float>(1.0 * -1.0 + 2.0 * 0.0 + 5.1), y = static_cast<float>(1.0 * 0.0 + 2.0 * 1.0 + -1.9);
  const float xx = x * x, yy = y * y;
  EXPECT_EQ(bits(radius[1 * 8 + 6]), bits(std::sqrt(xx + yy)));
  const float ax = static_cast<float>(2.0 - 10.3), ay = static_cast<float>(1.0 + 2.7);
  const float axx = ax * ax, ayy = ay * ay;
  EXPECT_EQ(bits(radius[1 * 8 + 2]), bits(std::sqrt(axx + ayy)));
}

// `vulkanite simulate` of `frames` 96 x 128 frames with 12 spots into dir/run.h5 (and run.poni,
// run.mask.npy beside it).
fs::path simulate_stack(const tests::TempDir& dir, int frames, int seed) {
  const auto stack = dir.path() / "run.h5";
  const auto made = run_cli({"simulate", "--detector", "96x128", "--frames", std::to_string(frames), "--spots", "12",
                             "--seed", std::to_string(seed), "--out", stack.string()});
  EXPECT_EQ(made.exit_code, 0) << describe(made);
  return stack;
}

TEST(FindPeaksCliTest, CheetahOnAStackWithAPoniGivesTheReferencePeaks) {
  tests::TempDir dir;
  const auto stack = simulate_stack(dir, 2, 5);
  const auto j = run_json({"find-peaks", stack.string(), "--poni", (dir.path() / "run.poni").string(), "--mask",
                           (dir.path() / "run.mask.npy").string(), "--min-res", "0", "--min-snr", "5", "--json"});
  ASSERT_EQ(j["frames"].size(), 2u);

  synthetic::SerialFrameParams p;
  p.detector.clear();
  p.rows = 96, p.columns = 128;
  p.spots.count = 12;
  p.seed = 5;
  const auto d = synthetic::make_serial_detector(p);
  std::vector<std::int8_t> good(d->bad_pixels.size());
  for (std::size_t i = 0; i < good.size(); ++i) good[i] = std::int8_t(1 - d->bad_pixels[i]);
  reference::Peakfinder8Params params;
  params.min_res = 0;
  params.minimum_snr = 5.0f;
  auto source = io::open_frames(stack);
  std::size_t total = 0;
  for (std::size_t f = 0; f < 2; ++f) {
    const auto data = source->read(f).to_float32();
    const auto expected = reference::peakfinder8(d->peakfinder8_layout, data, d->radius_px, good, params);
    const auto& got = j["frames"][f];
    EXPECT_EQ(got["source"], stack.string());
    EXPECT_EQ(got["frame"], f);
    EXPECT_EQ(tests::first_difference(got["peaks"], expected), "") << "frame " << f;
    total += expected.peaks.size();
  }
  EXPECT_GT(total, 10u);
}

// Frames read ahead on several threads (apps/file_frames.cpp) get the valid range whether they
// were read before the range was known (the first frames, masked by the caller's thread) or after
// (masked on the reading threads): the same peaks as reading on one thread, and not those of
// no range at all.
TEST(FindPeaksCliTest, ValidRangeMasksEveryFrameReadAhead) {
  tests::TempDir dir;
  const auto stack = simulate_stack(dir, 24, 9);
  std::vector<std::string> files;
  const auto source = io::open_frames(stack);
  for (std::size_t f = 0; f < source->frame_count(); ++f) {
    const auto frame = source->read(f);
    files.push_back((dir.path() / ("frame" + std::to_string(f) + ".npy")).string());
    io::write_npy<float>(files.back(), frame.shape, frame.to_float32());
  }
  const auto peaks = [&](const std::string& threads, const std::string& range) {
    std::vector<std::string> args{"find-peaks"};
    args.insert(args.end(), files.begin(), files.end());
    args.insert(args.end(), {"--poni", (dir.path() / "run.poni").string(), "--mask", (dir.path() / "run.mask.npy").string(),
                             "--min-res", "0", "--min-snr", "5", "--json", "--read-threads", threads, "--valid-range", range});
    const auto j = run_json(args);
    std::vector<nlohmann::json> frames;
    for (const auto& frame : j["frames"]) frames.push_back(frame["peaks"]);
    return frames;
  };
  const auto one = peaks("1", "0:60"), several = peaks("2", "0:60"), unmasked = peaks("2", "all");
  ASSERT_EQ(one.size(), 24u);
  EXPECT_EQ(several, one);
  // The range removes the brightest spots' centres, in the last frames too (read well after the
  // range was known: two threads hold at most four frames ahead).
  std::size_t changed_late = 0;
  for (std::size_t f = 12; f < 24; ++f) changed_late += unmasked[f] != one[f];
  EXPECT_GE(changed_late, 3u);
}

std::vector<std::int32_t> read_n_peaks(const fs::path& path) {
  std::vector<std::int32_t> values;
  const hid_t file = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  if (file < 0) return values;
  const hid_t dataset = H5Dopen2(file, "/entry_1/result_1/nPeaks", H5P_DEFAULT);
  if (dataset >= 0) {
    const hid_t space = H5Dget_space(dataset);
    hsize_t n = 0;
    H5Sget_simple_extent_dims(space, &n, nullptr);
    values.resize(n);
    H5Dread(dataset, H5T_NATIVE_INT32, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data());
    H5Sclose(space);
    H5Dclose(dataset);
  }
  H5Fclose(file);
  return values;
}

std::uint32_t big_endian(const std::string& bytes, std::size_t at) {
  std::uint32_t v = 0;
  for (std::size_t i = 0; i < 4; ++i) v = (v << 8) | static_cast<unsigned char>(bytes[at + i]);
  return v;
}

TEST(FindPeaksCliTest, CxiTablesHitListAndPng) {
  tests::TempDir dir;
  const auto cxi = dir.path() / "peaks.cxi", hits = dir.path() / "hits.txt", png = dir.path() / "first.png";
  const auto j = run_json({"find-peaks", "--synthetic", "3", "--detector", "80x112", "--spots", "8", "--min-res", "0",
                           "--json", "--cxi", cxi.string(), "--hits", hits.string(), "--min-peaks", "8", "--png",
                           png.string()});
  ASSERT_EQ(j["frames"].size(), 3u);
  std::vector<std::int32_t> expected;
  std::string expected_hits;
  for (const auto& f : j["frames"]) {
    expected.push_back(f["npeaks"].get<std::int32_t>());
    if (expected.back() >= 8) expected_hits += "synthetic " + std::to_string(f["frame"].get<int>()) + " " + std::to_string(expected.back()) + "\n";
  }
  EXPECT_EQ(read_n_peaks(cxi), expected);
  std::ifstream in(hits);
  const std::string hit_text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(hit_text, expected_hits);
  EXPECT_EQ(j["summary"]["hits"].get<std::size_t>(), static_cast<std::size_t>(std::count(hit_text.begin(), hit_text.end(), '\n')));

  std::ifstream image(png, std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(image)), std::istreambuf_iterator<char>());
  ASSERT_GT(bytes.size(), 33u + 12u);
  EXPECT_EQ(bytes.substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8));
  EXPECT_EQ(big_endian(bytes, 8), 13u);  // IHDR's length
  EXPECT_EQ(bytes.substr(12, 4), "IHDR");
  EXPECT_EQ(big_endian(bytes, 16), 112u);  // width: columns
  EXPECT_EQ(big_endian(bytes, 20), 80u);   // height: rows
  EXPECT_EQ(bytes.substr(bytes.size() - 8, 4), "IEND");
}

TEST(FindPeaksCliTest, BadInputGivesOneLineNamingIt) {
  tests::TempDir dir;
  const auto stack = dir.path() / "s.h5";
  ASSERT_EQ(run_cli({"simulate", "--detector", "20x24", "--spots", "1", "--out", stack.string()}).exit_code, 0);
  const auto poni = (dir.path() / "s.poni").string();
  const auto other = dir.path() / "o.h5";
  ASSERT_EQ(run_cli({"simulate", "--detector", "30x24", "--spots", "1", "--out", other.string()}).exit_code, 0);
  const auto cli = [&](std::vector<std::string> extra) {
    std::vector<std::string> args{"find-peaks", stack.string(), "--poni", poni};
    args.insert(args.end(), extra.begin(), extra.end());
    return run_cli(args);
  };
  expect_error(run_cli({"find-peaks", stack.string()}), "a geometry is required: --poni FILE or --geom FILE.geom");
  expect_error(run_cli({"find-peaks", other.string(), "--poni", poni}),
               other.string() + " frame 0: 30 x 24 pixels, but the geometry (" + poni + ") has 20 x 24");
  expect_error(cli({"--flavour", "dials"}), "--flavour: 'dials' is not cheetah or pyfai");
  expect_error(cli({"--valid-range", "5"}), "--valid-range: '5' is not LOW:HIGH or all");
  expect_error(cli({"--valid-range", "9:1"}), "--valid-range: '9:1' is empty");
  expect_error(cli({"--min-res", "300", "--max-res", "100"}), "--min-res 300 is above --max-res 100");
  expect_error(cli({"--noise", "2"}), "--noise is a parameter of --flavour pyfai, not of --flavour cheetah");
  expect_error(cli({"--flavour", "pyfai", "--min-snr", "4"}), "--min-snr is a parameter of --flavour cheetah");
  expect_error(cli({"--flavour", "pyfai", "--patch-size", "4"}), "--patch-size: 4 is not odd");
  expect_error(run_cli({"find-peaks", stack.string(), "--geom", "x.geom", "--flavour", "pyfai"}),
               "--geom: the pyfai flavour needs a pyFAI geometry (--poni)");
  expect_error(run_cli({"find-peaks", stack.string(), "--synthetic", "2"}), "--synthetic draws its own frames");
  expect_error(run_cli({"find-peaks"}), "frames are required: FILES... or --synthetic N");
  expect_error(cli({"--cxi", (dir.path() / "missing" / "p.cxi").string()}), "--cxi");
}

TEST(FindPeaksCliTest, Pilatus6MFrameWithBothFlavours) {
  const std::string relative = "pilatus6m/thau_3_2_0001.cbf.bz2";
  const auto bz2 = tests::shared_data(relative), poni = tests::shared_data("pilatus6m/thau_3_2.poni");
  const auto listed = tests::shared_data("pilatus6m/thau_3_2_0001_pyfai_pf8_cut3_noise1_conn3_patch3.csv");
  if (!bz2 || !poni || !listed) GTEST_SKIP() << tests::missing_data_message(relative);
  tests::TempDir dir;
  const auto cbf = dir.path() / "thau_3_2_0001.cbf";
  ASSERT_EQ(std::system(("bunzip2 -c '" + bz2->string() + "' > '" + cbf.string() + "'").c_str()), 0);

  // OM's example Pilatus settings (the defaults), the header's count cutoff: OM gives 385 peaks with
  // the header's beam position as the corner (docs/peakfinder8.md); the PONI's centre (pyFAI's
  // setFit2D) sits half a pixel from it, which moves a couple of peaks.
  const auto cheetah = run_json({"find-peaks", cbf.string(), "--poni", poni->string(), "--json"});
  ASSERT_EQ(cheetah["frames"].size(), 1u);
  const auto n = cheetah["frames"][0]["npeaks"].get<std::size_t>();
  EXPECT_GT(n, 340u);
  EXPECT_LT(n, 430u);
  EXPECT_EQ(cheetah["header"]["valid_range"], "0:115896");

  // pyFAI's peakfinder8 with the settings of the shared list (pyFAI 0.21.3): the same 627 peaks,
  // centroids within the list's 6 significant digits.
  const auto pyfai = run_json({"find-peaks", cbf.string(), "--poni", poni->string(), "--flavour", "pyfai",
                               "--valid-range", "0:65000", "--error-model", "azimuthal", "--cycle", "3", "--cutoff-pick",
                               "3", "--noise", "1", "--connected", "3", "--patch-size", "3", "--json"});
  const auto& peaks = pyfai["frames"][0]["peaks"];
  std::ifstream in(*listed);
  std::size_t rows = 0, matched = 0;
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] == '#') continue;
    double pos0 = 0, pos1 = 0;
    char comma = 0;
    std::istringstream(line) >> pos0 >> comma >> pos1;
    ++rows;
    for (const auto& p : peaks)
      if (std::abs(p["pos0"].get<double>() - pos0) <= 0.01 && std::abs(p["pos1"].get<double>() - pos1) <= 0.01) {
        ++matched;
        break;
      }
  }
  EXPECT_EQ(rows, 627u);
  EXPECT_EQ(peaks.size(), 627u);
  EXPECT_EQ(matched, 627u);
}

}  // namespace
}  // namespace vulkanite
