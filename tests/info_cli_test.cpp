// `vulkanite info`, run as the user runs it: on a .npy stack written here, on the broken-file
// corpora, and on the shared Pilatus powder TIFF when present.
#include "io/npy.hpp"
#include "support/data.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>

namespace vulkanite {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::StartsWith;
using tests::describe;
using tests::run_cli;

// Three 2 x 3 float32 frames: frame 1 has a NaN and a negative pixel.
fs::path write_stack(const tests::TempDir& dir) {
  const float nan = std::nanf("");
  const std::vector<float> values{1, 2, 3, 4, 5, 6, -1.5f, nan, 10, 0, 0, 0.5f, 7, 7, 7, 7, 7, 7};
  const auto path = dir.path() / "stack.npy";
  io::write_npy<float>(path, std::vector<std::size_t>{3, 2, 3}, values);
  return path;
}

TEST(InfoCliTest, DescribesEveryFrameOfAStack) {
  tests::TempDir dir;
  const auto path = write_stack(dir);
  const auto result = run_cli({"info", path.string()});
  ASSERT_EQ(result.exit_code, 0) << describe(result);
  EXPECT_EQ(result.err, "");
  EXPECT_EQ(result.out, path.string() + ": NumPy 1.0 <f4, 3 frames\n"
                        "  frame 0: 2 x 3 float32\n"
                        "    min 1, max 6, sum 21\n"
                        "    negative 0, masked 0 (negative; no count_cutoff in the file), NaN 0\n"
                        "    metadata: none\n"
                        "  frame 1: 2 x 3 float32\n"
                        "    min -1.5, max 10, sum 9\n"
                        "    negative 1, masked 1 (negative; no count_cutoff in the file), NaN 1\n"
                        "    metadata: none\n"
                        "  frame 2: 2 x 3 float32\n"
                        "    min 7, max 7, sum 42\n"
                        "    negative 0, masked 0 (negative; no count_cutoff in the file), NaN 0\n"
                        "    metadata: none\n");
}

TEST(InfoCliTest, FramesLimitsTheFramesShown) {
  tests::TempDir dir;
  const auto path = write_stack(dir);
  const auto result = run_cli({"info", "--frames", "1:2", path.string()});
  ASSERT_EQ(result.exit_code, 0) << describe(result);
  EXPECT_THAT(result.out, StartsWith(path.string() + ": NumPy 1.0 <f4, 3 frames (showing 1:2)\n  frame 1:"));
  EXPECT_EQ(result.out.find("frame 0"), std::string::npos);
  EXPECT_EQ(result.out.find("frame 2"), std::string::npos);
  const auto bad = run_cli({"info", "--frames", "2:1", path.string()});
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_THAT(bad.err, HasSubstr("--frames: '2:1' ends before it begins"));
}

TEST(InfoCliTest, JsonParses) {
  tests::TempDir dir;
  const auto path = write_stack(dir);
  const auto result = run_cli({"info", "--json", "--frames", "1:", path.string()});
  ASSERT_EQ(result.exit_code, 0) << describe(result);
  const auto json = nlohmann::json::parse(result.out);
  const auto& file = json.at("files").at(0);
  EXPECT_EQ(file.at("file"), path.string());
  EXPECT_EQ(file.at("format"), "NumPy 1.0 <f4");
  EXPECT_EQ(file.at("frames"), 3);
  const auto& frames = file.at("frame_info");
  ASSERT_EQ(frames.size(), 2u);
  const auto& f = frames.at(0);
  EXPECT_EQ(f.at("index"), 1);
  EXPECT_EQ(f.at("shape"), nlohmann::json({2, 3}));
  EXPECT_EQ(f.at("type"), "float32");
  EXPECT_EQ(f.at("min"), -1.5);
  EXPECT_EQ(f.at("max"), 10.0);
  EXPECT_EQ(f.at("sum"), 9.0);
  EXPECT_EQ(f.at("nan"), 1);
  EXPECT_EQ(f.at("negative"), 1);
  EXPECT_EQ(f.at("masked"), 1);
  EXPECT_EQ(f.at("masked_rule"), "negative");
}

TEST(InfoCliTest, BrokenFileGivesOneLineNamingIt) {
  for (const auto& name : {"tests/data/broken/npy/truncated_data.npy", "tests/data/broken/tiff/corrupt_deflate.tif",
                           "tests/data/broken/tiff/empty.tif"}) {
    const auto path = (fs::path(VULKANITE_SOURCE_DIR) / name).string();
    for (const bool json : {false, true}) {
      const auto result = json ? run_cli({"info", "--json", path}) : run_cli({"info", path});
      EXPECT_NE(result.exit_code, 0) << describe(result);
      EXPECT_EQ(result.out, "") << describe(result);
      EXPECT_THAT(result.err, StartsWith("vulkanite: error: " + path + ": ")) << describe(result);
      EXPECT_EQ(std::count(result.err.begin(), result.err.end(), '\n'), 1) << describe(result);
    }
  }
}

TEST(InfoCliTest, GoodFilesAreListedBesideABrokenOne) {
  tests::TempDir dir;
  const auto good = write_stack(dir);
  const auto broken = (fs::path(VULKANITE_SOURCE_DIR) / "tests/data/broken/npy/fortran_order.npy").string();
  const auto result = run_cli({"info", broken, good.string()});
  EXPECT_EQ(result.exit_code, 1) << describe(result);
  EXPECT_THAT(result.out, StartsWith(good.string() + ": NumPy"));
  EXPECT_THAT(result.err, StartsWith("vulkanite: error: " + broken + ": fortran_order is True"));
}

// libhdf5 1.10.8 segfaults on this file; `info` must still answer with one line naming it.
TEST(InfoCliTest, FileThatCrashesLibhdf5GivesOneLineNamingIt) {
  const auto path = (fs::path(VULKANITE_SOURCE_DIR) / "tests/data/broken/hdf5/corrupt_link_info.h5").string();
  const std::string expected = "vulkanite: error: " + path +
                               ": libhdf5 crashed while reading this file (signal 11, SIGSEGV): the file is corrupt "
                               "or not supported\n";
  for (const bool json : {false, true}) {
    const auto result = json ? run_cli({"info", "--json", path}) : run_cli({"info", path});
    EXPECT_EQ(result.exit_code, 1) << describe(result);
    EXPECT_EQ(result.out, "") << describe(result);
    EXPECT_EQ(result.err, expected) << describe(result);
  }
  tests::TempDir dir;
  const auto good = write_stack(dir);
  const auto both = run_cli({"info", path, good.string()});
  EXPECT_EQ(both.exit_code, 1) << describe(both);
  EXPECT_THAT(both.out, StartsWith(good.string() + ": NumPy"));
  EXPECT_EQ(both.err, expected);
}

TEST(InfoCliTest, MiniCbfHasNoMetrology) {
  const auto path = (fs::path(VULKANITE_SOURCE_DIR) / "tests/data/broken/cbf/valid.cbf").string();
  const auto text = run_cli({"info", path});
  ASSERT_EQ(text.exit_code, 0) << describe(text);
  EXPECT_EQ(text.out.find("metrology"), std::string::npos) << text.out;
  const auto result = run_cli({"info", "--json", path});
  ASSERT_EQ(result.exit_code, 0) << describe(result);
  EXPECT_TRUE(nlohmann::json::parse(result.out).at("files").at(0).at("metrology").is_null());
}

// The CSPAD CBF's 64 ASIC panels, against the geometry dxtbx reads from the same file.
TEST(InfoCliTest, ReportsCspadMetrologyAsDxtbxReadsIt) {
  const std::string name = "cspad/idx-20130301060858401.cbf";
  const std::string dxtbx_name = "cspad/thermolysin_cspad_idx-20130301060858401_dxtbx_geometry.json";
  const auto file = tests::shared_data(name);
  const auto dxtbx_file = tests::shared_data(dxtbx_name);
  if (!file) GTEST_SKIP() << tests::missing_data_message(name);
  if (!dxtbx_file) GTEST_SKIP() << tests::missing_data_message(dxtbx_name);
  std::ifstream in(*dxtbx_file);
  const auto dxtbx = nlohmann::json::parse(in).at("panels");
  ASSERT_EQ(dxtbx.size(), 64u);

  const auto result = run_cli({"info", "--json", file->string()});
  ASSERT_EQ(result.exit_code, 0) << describe(result);
  const auto metrology = nlohmann::json::parse(result.out).at("files").at(0).at("metrology");
  EXPECT_EQ(metrology.at("panel_count"), 64);
  const auto& panels = metrology.at("panels");
  ASSERT_EQ(panels.size(), 64u);
  for (const std::size_t p : {std::size_t{0}, std::size_t{63}}) {
    SCOPED_TRACE("panel " + std::to_string(p));
    EXPECT_EQ(panels.at(p).at("name"), dxtbx.at(p).at("name"));
    EXPECT_EQ(panels.at(p).at("image_size_fast_slow"), dxtbx.at(p).at("image_size_fast_slow"));
    for (int k = 0; k < 3; ++k) {
      EXPECT_NEAR(panels.at(p).at("origin_mm").at(k).get<double>(), dxtbx.at(p).at("origin_mm").at(k).get<double>(), 1e-3);
      EXPECT_NEAR(panels.at(p).at("fast_axis").at(k).get<double>(), dxtbx.at(p).at("fast_axis").at(k).get<double>(), 1e-6);
      EXPECT_NEAR(panels.at(p).at("slow_axis").at(k).get<double>(), dxtbx.at(p).at("slow_axis").at(k).get<double>(), 1e-6);
    }
  }

  const auto text = run_cli({"info", file->string()});
  ASSERT_EQ(text.exit_code, 0) << describe(text);
  const auto& origin = dxtbx.at(0).at("origin_mm");
  char line[160];
  std::snprintf(line, sizeof line, "  metrology: 64 panels, origin of panel 0 (%s) at (%.3f, %.3f, %.3f) mm\n",
                dxtbx.at(0).at("name").get<std::string>().c_str(), origin.at(0).get<double>(), origin.at(1).get<double>(),
                origin.at(2).get<double>());
  EXPECT_THAT(text.out, HasSubstr(std::string("frame\n") + line)) << text.out;
}

TEST(InfoCliTest, DescribesThePilatusPowderTiff) {
  const std::string name = "powder/CeO2_Pilatus1M.tif";
  const auto file = tests::shared_data(name);
  if (!file) GTEST_SKIP() << tests::missing_data_message(name);
  const auto text = run_cli({"info", file->string()});
  ASSERT_EQ(text.exit_code, 0) << describe(text);
  EXPECT_THAT(text.out, HasSubstr(": TIFF, 1 frame\n  frame 0: 1043 x 981 int32\n"
                                  "    min -2, max 621698, sum 126770499\n"
                                  "    negative 73560, masked 73560 (negative or above count_cutoff 1097223), NaN 0\n"));
  EXPECT_THAT(text.out, HasSubstr("      distance_m: 0.21143\n"));
  const auto result = run_cli({"info", "--json", file->string()});
  ASSERT_EQ(result.exit_code, 0) << describe(result);
  const auto f = nlohmann::json::parse(result.out).at("files").at(0).at("frame_info").at(0);
  EXPECT_EQ(f.at("sum"), 126770499);
  EXPECT_EQ(f.at("min"), -2);
  EXPECT_EQ(f.at("max"), 621698);
  EXPECT_EQ(f.at("negative"), 73560);
  EXPECT_EQ(f.at("masked_rule"), "negative or above count_cutoff");
  EXPECT_EQ(f.at("metadata").at("count_cutoff"), 1097223.0);
  EXPECT_EQ(f.at("metadata").at("Model"), "PILATUS 1M-F");
}

}  // namespace
}  // namespace vulkanite
