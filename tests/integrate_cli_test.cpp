// `vulkanite integrate` and `vulkanite sigma-clip`, run as the user runs them, on a 16 x 20
// generic detector written here (PONI 2.1, 100 um pixels, 10 cm, the PONI at the centre): the
// numbers in the outputs (.xy, .npy, .h5) and the one-line messages for bad input.
#include "io/frame_source.hpp"
#include "io/npy.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <sstream>

namespace vulkanite {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::StartsWith;
using tests::describe;
using tests::run_cli;
using tests::expect_error;

constexpr std::size_t kRows = 16, kCols = 20;

fs::path write_poni(const tests::TempDir& dir) {
  const auto path = dir.path() / "small.poni";
  std::ofstream(path) << "poni_version: 2.1\n"
                         "Detector: Detector\n"
                         "Detector_config: {\"pixel1\": 0.0001, \"pixel2\": 0.0001, \"max_shape\": [16, 20], "
                         "\"orientation\": 3}\n"
                         "Distance: 0.1\nPoni1: 0.0008\nPoni2: 0.001\nRot1: 0\nRot2: 0\nRot3: 0\n"
                         "Wavelength: 1e-10\n";
  return path;
}

// `frames` frames of kRows x kCols float32 pixels, frame f filled with values[f].
fs::path write_frames(const tests::TempDir& dir, const std::string& name, const std::vector<float>& values,
                      std::size_t rows = kRows, std::size_t cols = kCols) {
  std::vector<float> pixels;
  for (const float v : values) pixels.insert(pixels.end(), rows * cols, v);
  const auto path = dir.path() / name;
  if (values.size() == 1)
    io::write_npy<float>(path, std::vector<std::size_t>{rows, cols}, pixels);
  else
    io::write_npy<float>(path, std::vector<std::size_t>{values.size(), rows, cols}, pixels);
  return path;
}

struct XyRow {
  double radial, intensity;
};

std::vector<XyRow> read_xy(const fs::path& path, std::string* header = nullptr) {
  std::ifstream in(path);
  std::vector<XyRow> rows;
  for (std::string line; std::getline(in, line);) {
    if (line.starts_with("#")) {
      if (header) *header += line + "\n";
      continue;
    }
    std::istringstream fields(line);
    XyRow row{};
    fields >> row.radial >> row.intensity;
    rows.push_back(row);
  }
  return rows;
}

// The single frame of a results file (.npy, or one dataset of .h5) as floats.
io::Frame read_result(const fs::path& path, const std::string& dataset = "") {
  auto source = path.extension() == ".h5" ? io::open_hdf5(path, dataset) : io::open_frames(path);
  EXPECT_EQ(source->frame_count(), 1u);
  return source->read(0);
}

TEST(IntegrateCliTest, UniformFrameGivesItsValueInEveryBinOfTheXy) {
  tests::TempDir dir;
  const auto poni = write_poni(dir), frame = write_frames(dir, "seven.npy", {7.0f});
  const auto out = dir.path() / "seven.xy";
  const auto result = run_cli({"integrate", frame.string(), "--poni", poni.string(), "--unit", "r_mm", "--npt", "12",
                               "--no-solid-angle", "-o", out.string()});
  ASSERT_EQ(result.exit_code, 0) << describe(result);
  EXPECT_EQ(result.out, "");
  EXPECT_EQ(result.err, "");  // no progress when stderr is not a terminal
  std::string header;
  const auto rows = read_xy(out, &header);
  ASSERT_EQ(rows.size(), 12u);
  // Pixel centres lie between 0.0707 mm (next to the PONI) and 1.2728 mm (a corner); bbox
  // splitting spreads them over their bounding boxes, so no bin is empty.
  for (std::size_t i = 0; i < rows.size(); ++i) {
    EXPECT_NEAR(rows[i].intensity, 7.0, 7e-6) << "bin " << i;
    if (i > 0) {
      EXPECT_GT(rows[i].radial, rows[i - 1].radial);
    }
  }
  EXPECT_GT(rows.front().radial, 0.0);
  EXPECT_LT(rows.back().radial, 1.35);
  EXPECT_THAT(header, HasSubstr("# Unit: r_mm\n"));
  EXPECT_THAT(header, HasSubstr("# Distance Sample to Detector: 0.1 m\n"));
  EXPECT_THAT(header, HasSubstr("# Solid angle correction: False\n"));
  EXPECT_THAT(header, HasSubstr("# Splitting: bbox\n"));
  EXPECT_THAT(header, HasSubstr("# Source: " + frame.string() + "\n"));
}

TEST(IntegrateCliTest, StackToNpyAndFrameRange) {
  tests::TempDir dir;
  const auto poni = write_poni(dir), stack = write_frames(dir, "stack.npy", {1.0f, 2.0f, 3.0f});
  const auto out = dir.path() / "stack.npy.out.npy";
  const auto result = run_cli({"integrate", stack.string(), "--poni", poni.string(), "--unit", "2th_deg", "--npt", "5",
                               "--split", "no", "--no-solid-angle", "--frames", "1:", "-o", out.string()});
  ASSERT_EQ(result.exit_code, 0) << describe(result);
  const auto frame = read_result(out);
  ASSERT_EQ(frame.shape, (std::vector<std::size_t>{2, 5}));
  const auto values = frame.values<float>();
  // Without splitting every bin holds whole pixels: the mean of equal values is exact.
  for (std::size_t bin = 0; bin < 5; ++bin) {
    EXPECT_EQ(values[bin], 2.0f) << "frame 1, bin " << bin;
    EXPECT_EQ(values[5 + bin], 3.0f) << "frame 2, bin " << bin;
  }
}

TEST(IntegrateCliTest, TwoDimensionsToNpyAreAzimuthMajor) {
  tests::TempDir dir;
  const auto poni = write_poni(dir), frame = write_frames(dir, "five.npy", {5.0f});
  const auto out = dir.path() / "cake.npy";
  const auto result = run_cli({"integrate", frame.string(), "--poni", poni.string(), "--unit", "r_mm", "--npt", "6",
                               "--npt-azim", "8", "--split", "no", "--no-solid-angle", "-o", out.string()});
  ASSERT_EQ(result.exit_code, 0) << describe(result);
  auto source = io::open_frames(out);
  ASSERT_EQ(source->frame_count(), 1u);
  const auto cake = source->read(0);
  ASSERT_EQ(cake.shape, (std::vector<std::size_t>{8, 6}));
  std::size_t filled = 0;
  for (const float v : cake.values<float>()) {
    EXPECT_TRUE(v == 5.0f || v == 0.0f) << v;  // pyFAI's empty value is 0
    filled += v == 5.0f;
  }
  EXPECT_GT(filled, 24u);
}

TEST(IntegrateCliTest, H5HoldsEveryOutputWithPoissonErrorsAndMask) {
  tests::TempDir dir;
  const auto poni = write_poni(dir), frame = write_frames(dir, "nine.npy", {9.0f});
  // Mask the first row: 20 of the 320 pixels.
  std::vector<std::uint8_t> mask(kRows * kCols, 0);
  std::fill(mask.begin(), mask.begin() + kCols, 1);
  const auto mask_path = dir.path() / "mask.npy";
  io::write_npy<std::uint8_t>(mask_path, std::vector<std::size_t>{kRows, kCols}, mask);
  const auto out = dir.path() / "nine.h5";
  const auto result = run_cli({"integrate", frame.string(), "--poni", poni.string(), "--unit", "q_nm^-1", "--npt", "4",
                               "--split", "no", "--no-solid-angle", "--error-model", "poisson", "--mask",
                               mask_path.string(), "-o", out.string()});
  ASSERT_EQ(result.exit_code, 0) << describe(result);
  const auto count = read_result(out, "/entry/result/count");
  ASSERT_EQ(count.shape, (std::vector<std::size_t>{1, 4}));
  float pixels = 0;
  for (const float c : count.values<float>()) pixels += c;
  EXPECT_EQ(pixels, 300.0f);
  // Frames kept alive: values() is a view of their pixels.
  const auto intensity_frame = read_result(out, "/entry/result/intensity"), std_frame = read_result(out, "/entry/result/std"),
             sem_frame = read_result(out, "/entry/result/sem"), kept_frame = read_result(out, "/entry/result/pixels");
  const auto intensity = intensity_frame.values<float>(), std_dev = std_frame.values<float>(),
             sem = sem_frame.values<float>(), kept = kept_frame.values<float>();
  const auto counts = count.values<float>();
  for (std::size_t bin = 0; bin < 4; ++bin) {
    if (counts[bin] == 0) continue;
    EXPECT_EQ(intensity[bin], 9.0f);
    // Poisson: variance = max(raw, 1) = 9 per pixel: std = sqrt(9 n / n) = 3, sem = 3 / sqrt(n).
    EXPECT_NEAR(std_dev[bin], 3.0f, 3e-6f);
    EXPECT_NEAR(sem[bin], 3.0 / std::sqrt(static_cast<double>(counts[bin])), 1e-6);
    EXPECT_EQ(kept[bin], counts[bin]);
  }
}

TEST(IntegrateCliTest, SigmaClipDropsTheOutlier) {
  tests::TempDir dir;
  const auto poni = write_poni(dir);
  std::vector<float> pixels(kRows * kCols, 10.0f);
  pixels[5 * kCols + 7] = 1.0e6f;
  const auto frame = dir.path() / "outlier.npy";
  io::write_npy<float>(frame, std::vector<std::size_t>{kRows, kCols}, pixels);
  const auto out = dir.path() / "clipped.h5";
  // One bin over the whole detector. Azimuthal errors: the first cycle's std is about 5.6e4,
  // the outlier lies 18 of them from the mean and the other pixels 0.06: only it goes.
  const auto result = run_cli({"sigma-clip", frame.string(), "--poni", poni.string(), "--unit", "r_mm", "--npt", "1",
                               "--no-solid-angle", "--error-model", "azimuthal", "-o", out.string()});
  ASSERT_EQ(result.exit_code, 0) << describe(result);
  EXPECT_EQ(read_result(out, "/entry/result/intensity").values<float>().front(), 10.0f);
  EXPECT_EQ(read_result(out, "/entry/result/std").values<float>().front(), 0.0f);
  EXPECT_EQ(read_result(out, "/entry/result/pixels_kept").values<float>().front(), 319.0f);

  // With no clipping cycle, the outlier stays in the mean.
  const auto unclipped = dir.path() / "unclipped.npy";
  const auto none = run_cli({"sigma-clip", frame.string(), "--poni", poni.string(), "--unit", "r_mm", "--npt", "1",
                             "--no-solid-angle", "--error-model", "azimuthal", "--cycle", "0", "-o",
                             unclipped.string()});
  ASSERT_EQ(none.exit_code, 0) << describe(none);
  EXPECT_NEAR(read_result(unclipped).values<float>()[0], (319 * 10.0 + 1.0e6) / 320, 1e-2);
}

TEST(IntegrateCliTest, SeveralFramesToXyWriteOneFilePerFrame) {
  tests::TempDir dir;
  const auto poni = write_poni(dir);
  const auto a = write_frames(dir, "a.npy", {4.0f}), b = write_frames(dir, "b.npy", {6.0f});
  const auto out = dir.path() / "pattern.xy";
  const auto result = run_cli({"integrate", a.string(), b.string(), "--poni", poni.string(), "--unit", "r_mm", "--npt",
                               "3", "--split", "no", "--no-solid-angle", "--quiet", "-o", out.string()});
  ASSERT_EQ(result.exit_code, 0) << describe(result);
  EXPECT_FALSE(fs::exists(out));
  const auto first = read_xy(dir.path() / "pattern_0000.xy"), second = read_xy(dir.path() / "pattern_0001.xy");
  ASSERT_EQ(first.size(), 3u);
  ASSERT_EQ(second.size(), 3u);
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(first[i].intensity, 4.0);
    EXPECT_EQ(second[i].intensity, 6.0);
    EXPECT_EQ(first[i].radial, second[i].radial);
  }
}

// Files read ahead on several threads (apps/file_frames.cpp) still come out in the order given.
TEST(IntegrateCliTest, FramesReadAheadKeepTheirOrder) {
  tests::TempDir dir;
  const auto poni = write_poni(dir);
  std::vector<std::string> args{"integrate"};
  for (int f = 1; f <= 9; ++f) args.push_back(write_frames(dir, std::to_string(f) + ".npy", {float(f)}).string());
  const auto out = dir.path() / "all.npy";
  for (const std::string threads : {"1", "4"}) {
    auto run = args;
    run.insert(run.end(), {"--poni", poni.string(), "--unit", "r_mm", "--npt", "3", "--split", "no", "--no-solid-angle",
                           "--quiet", "--read-threads", threads, "-o", out.string()});
    const auto result = run_cli(run);
    ASSERT_EQ(result.exit_code, 0) << describe(result);
    const auto frame = read_result(out);
    ASSERT_EQ(frame.shape, (std::vector<std::size_t>{9, 3})) << threads;
    const auto values = frame.values<float>();
    for (std::size_t i = 0; i < values.size(); ++i) EXPECT_EQ(values[i], float(i / 3 + 1)) << threads << " " << i;
  }
}

// A CBF is not opened before its turn (a run over thousands starts at once): a broken one among
// good frames fails the run when it is reached, naming the file, with threads reading ahead.
TEST(IntegrateCliTest, BrokenFileAmongManyFailsNamingIt) {
  tests::TempDir dir;
  const auto poni = write_poni(dir);
  const auto good = write_frames(dir, "good.npy", {1.0f});
  const auto broken = fs::path(VULKANITE_SOURCE_DIR) / "tests/data/broken/cbf/truncated_binary.cbf";
  const auto out = dir.path() / "out.npy";
  expect_error(run_cli({"integrate", good.string(), broken.string(), good.string(), "--poni", poni.string(),
                        "--read-threads", "2", "-o", out.string()}),
               broken.string() + ": binary section 1: truncated binary data (20 of 73 bytes)");
  EXPECT_FALSE(fs::exists(out));
  expect_error(run_cli({"integrate", good.string(), "--poni", poni.string(), "--read-threads", "0", "-o", out.string()}),
               "--read-threads");
}

TEST(IntegrateCliTest, ProgressGoesToStderrWhenAsked) {
  tests::TempDir dir;
  const auto poni = write_poni(dir), stack = write_frames(dir, "stack.npy", {1.0f, 2.0f});
  const auto out = dir.path() / "p.npy";
  const auto result = run_cli({"integrate", stack.string(), "--poni", poni.string(), "--unit", "r_mm", "--npt", "3",
                               "--progress", "-o", out.string()});
  ASSERT_EQ(result.exit_code, 0) << describe(result);
  EXPECT_EQ(result.out, "");
  EXPECT_THAT(result.err, HasSubstr("2/2 frames  100%"));
  EXPECT_THAT(result.err, HasSubstr("integrated 2 frames on "));
}

TEST(IntegrateCliTest, HelpNamesTheOptions) {
  for (const std::string command : {"integrate", "sigma-clip"}) {
    const auto result = run_cli({command, "--help"});
    EXPECT_EQ(result.exit_code, 0) << describe(result);
    EXPECT_THAT(result.out, HasSubstr("--poni")) << describe(result);
    EXPECT_THAT(result.out, HasSubstr("NAME_0000.xy")) << describe(result);
  }
  EXPECT_THAT(run_cli({"sigma-clip", "--help"}).out, HasSubstr("--cutoff"));
  EXPECT_THAT(run_cli({"integrate", "--help"}).out, HasSubstr("--npt-azim"));
}

TEST(IntegrateCliTest, BadInputGivesOneLineNamingIt) {
  tests::TempDir dir;
  const auto poni = write_poni(dir), frame = write_frames(dir, "f.npy", {1.0f});
  const auto small = write_frames(dir, "small.npy", {1.0f}, 10, 12);
  const auto out = (dir.path() / "out.xy").string();
  const auto cli = [&](std::vector<std::string> extra) {
    std::vector<std::string> args{"integrate", frame.string(), "--poni", poni.string(), "-o", out};
    args.insert(args.end(), extra.begin(), extra.end());
    return run_cli(args);
  };
  expect_error(run_cli({"integrate", frame.string(), "-o", out}), "--poni is required");
  expect_error(run_cli({"integrate", small.string(), "--poni", poni.string(), "-o", out}),
               small.string() + ": 10 x 12 pixels, but the geometry (" + poni.string() + ") has 16 x 20");
  expect_error(cli({"--mask", small.string()}), "--mask " + small.string() + ": 10 x 12 pixels, but the geometry has 16 x 20");
  expect_error(cli({"--unit", "furlong"}), "--unit: unknown radial unit 'furlong'");
  expect_error(cli({"--npt", "0"}), "--npt");
  expect_error(cli({"--radial-range", "5"}), "--radial-range: '5' is not LOW:HIGH");
  expect_error(cli({"--radial-range", "2:1"}), "--radial-range: '2:1' is empty: LOW must be below HIGH");
  expect_error(cli({"--split", "halves"}), "--split: 'halves' is not no, bbox or full");
  expect_error(cli({"--error-model", "gauss"}), "--error-model: 'gauss' is not none, poisson or azimuthal");
  expect_error(cli({"--npt-azim", "4"}), ".xy holds 1D results");
  expect_error(cli({"--dark", (dir.path() / "missing.npy").string()}), (dir.path() / "missing.npy").string() + ": cannot open");
  expect_error(run_cli({"integrate", frame.string(), "--poni", poni.string(), "-o", (dir.path() / "x.txt").string()}),
               "unknown format '.txt'");
  expect_error(run_cli({"sigma-clip", frame.string(), "--poni", poni.string(), "-o", out, "--error-model", "none"}),
               "sigma clipping needs poisson, azimuthal or --variance");
  EXPECT_FALSE(fs::exists(out));
}

}  // namespace
}  // namespace vulkanite
