// `vulkanite simulate`, run as the user runs it: the HDF5 stack, the truth table, the PONI, the
// radius map and the mask read back through io's readers and compared with the library's own
// frames, and the one-line messages for bad flags.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "io/frame_source.hpp"
#include "io/poni.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"
#include "synthetic/serial_frames.hpp"

namespace vulkanite {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::StartsWith;
using tests::describe;
using tests::run_cli;
using tests::expect_error;

std::vector<std::vector<std::string>> read_csv(const fs::path& path) {
  std::ifstream in(path);
  std::vector<std::vector<std::string>> rows;
  for (std::string line; std::getline(in, line);) {
    std::vector<std::string> fields;
    std::istringstream stream(line);
    for (std::string field; std::getline(stream, field, ',');) fields.push_back(field);
    rows.push_back(fields);
  }
  return rows;
}

TEST(SimulateCliTest, PlainDetectorStackTruthGeometryAndMaskReadBack) {
  tests::TempDir dir;
  const auto out = dir.path() / "run.h5";
  const auto result = run_cli(
      {"simulate", "--detector", "40x56", "--frames", "3", "--spots", "5", "--seed", "11", "--out", out.string()});
  ASSERT_EQ(result.exit_code, 0) << describe(result);
  EXPECT_EQ(result.out, "");
  EXPECT_EQ(result.err, "");  // no progress when stderr is not a terminal

  synthetic::SerialFrameParams params;
  params.detector.clear();
  params.rows = 40;
  params.columns = 56;
  params.spots.count = 5;
  params.seed = 11;
  const auto detector = synthetic::make_serial_detector(params);

  auto stack = io::open_frames(out);
  EXPECT_EQ(stack->format(), "HDF5 NXmx /entry/data/data");
  ASSERT_EQ(stack->frame_count(), 3u);
  std::vector<synthetic::SerialFrame> expected;
  for (std::size_t i = 0; i < 3; ++i) {
    expected.push_back(synthetic::make_serial_frame(params, detector, i));
    const auto frame = stack->read(i);
    EXPECT_EQ(frame.shape, (std::vector<std::size_t>{40, 56}));
    EXPECT_EQ(frame.type, io::PixelType::int32);
    EXPECT_EQ(frame.data, expected.back().frame.data) << "frame " << i;
    EXPECT_DOUBLE_EQ(frame.metadata.wavelength_m.value_or(0), 1e-10);
    EXPECT_DOUBLE_EQ(frame.metadata.distance_m.value_or(0), 0.2);
    EXPECT_DOUBLE_EQ(frame.metadata.pixel_size_fast_m.value_or(0), 172e-6);
  }

  const auto truth = read_csv(dir.path() / "run.truth.csv");
  ASSERT_EQ(truth.size(), 1u + 15u);
  EXPECT_EQ(truth[0], (std::vector<std::string>{"frame", "fs", "ss", "intensity", "recorded_intensity", "sigma_px",
                                                "panel", "on_border"}));
  for (std::size_t row = 1; row < truth.size(); ++row) {
    const std::size_t frame = (row - 1) / 5, spot = (row - 1) % 5;
    const auto& s = expected[frame].spots[spot];
    ASSERT_EQ(truth[row].size(), 8u);
    EXPECT_EQ(truth[row][0], std::to_string(frame));
    EXPECT_EQ(std::stod(truth[row][1]), s.fs);  // shortest round-trip text: exact
    EXPECT_EQ(std::stod(truth[row][2]), s.ss);
    EXPECT_EQ(std::stod(truth[row][3]), s.intensity);
  }

  const auto poni = io::read_poni(dir.path() / "run.poni");
  ASSERT_TRUE(detector->poni);
  EXPECT_EQ(poni.detector, "");
  EXPECT_EQ(poni.shape, (std::array<std::size_t, 2>{40, 56}));
  EXPECT_EQ(poni.pixel1_m, 172e-6);
  EXPECT_EQ(poni.poni1_m, detector->poni->poni1_m);
  EXPECT_EQ(poni.poni2_m, detector->poni->poni2_m);
  EXPECT_EQ(poni.distance_m, 0.2);
  EXPECT_EQ(poni.wavelength_m, 1e-10);

  const auto radius = io::open_frames(dir.path() / "run.radius.npy")->read(0);
  ASSERT_EQ(radius.shape, (std::vector<std::size_t>{40, 56}));
  const auto r = radius.values<float>();
  EXPECT_TRUE(std::equal(r.begin(), r.end(), detector->radius_px.begin()));
  const auto mask = io::open_frames(dir.path() / "run.mask.npy")->read(0);
  const auto m = mask.values<std::uint8_t>();
  EXPECT_TRUE(std::equal(m.begin(), m.end(), detector->bad_pixels.begin()));
}

TEST(SimulateCliTest, BuiltInDetectorHasGapsAndANamedPoniAndShowsProgressWhenAsked) {
  tests::TempDir dir;
  const auto out = dir.path() / "pilatus.h5";
  const auto result = run_cli(
      {"simulate", "--detector", "pilatus_1m", "--frames", "2", "--spots", "20", "--progress", "--out", out.string()});
  ASSERT_EQ(result.exit_code, 0) << describe(result);
  EXPECT_EQ(result.out, "");
  EXPECT_THAT(result.err, HasSubstr("2/2 frames"));
  EXPECT_THAT(result.err, HasSubstr("simulated 2 frames of 1043 x 981 pixels (40 spots) in "));
  const auto frame = io::open_frames(out)->read(1);
  const auto v = frame.values<std::int32_t>();
  EXPECT_EQ(v[487], -1);             // first gap column of the first module row
  EXPECT_EQ(v[195 * 981 + 10], -1);  // first gap row
  EXPECT_EQ(io::read_poni(dir.path() / "pilatus.poni").detector, "Pilatus1M");
}

TEST(SimulateCliTest, BadFlagsGiveOneLineErrors) {
  tests::TempDir dir;
  const auto out = (dir.path() / "x.h5").string();
  expect_error(run_cli({"simulate", "--detector", "Pilatus7M", "--out", out}),
               "--detector: unknown detector 'Pilatus7M' (known: Pilatus100k");
  expect_error(run_cli({"simulate", "--detector", "2x64", "--out", out}), "--detector: 2x64: at least 3 x 3 pixels");
  expect_error(run_cli({"simulate", "--out", (dir.path() / "x.tiff").string()}), "must end in .h5 or .hdf5");
  expect_error(run_cli({"simulate", "--spots=-1", "--out", out}), "--spots");
  expect_error(run_cli({"simulate", "--frames", "0", "--out", out}), "--frames");
  expect_error(run_cli({"simulate"}), "--out");
  expect_error(run_cli({"simulate", "--detector", "16x16", "--spots", "500", "--out", out}),
               "--spots: cannot place 500 spots");
  expect_error(run_cli({"simulate", "--detector", "16x16", "--out", (dir.path() / "missing" / "x.h5").string()}),
               "missing");
}

}  // namespace
}  // namespace vulkanite
