// `vulkanite fit`, run as the user runs it: the synthetic cubes with their truth report, every
// output array read back, data files with the points last or first giving the same fits, JSON,
// HDF5, a model given with --expr, and the one-line messages for bad input.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <cmath>

#include "io/frame_source.hpp"
#include "io/npy.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"
#include "synthetic/odmr_cube.hpp"

namespace vulkanite {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::MatchesRegex;
using tests::describe;
using tests::expect_error;
using tests::run_cli;

// An .npy array of 2 or 3 dimensions read back as io reads it: its shape and pixel type.
std::pair<std::vector<std::size_t>, io::PixelType> npy_shape(const fs::path& path) {
  auto source = io::open_frames(path);
  auto frame = source->read(0);
  auto shape = frame.shape;
  if (source->frame_count() > 1 || shape.size() == 2) shape.insert(shape.begin(), source->frame_count());
  return {shape, frame.type};
}

TEST(FitCliTest, SyntheticOdmrCubeWritesEveryArrayAndReportsTheTruth) {
  tests::TempDir dir;
  const auto prefix = (dir.path() / "odmr").string();
  const auto result = run_cli({"fit", "--synthetic", "odmr2", "--size", "4x5", "--out", prefix});
  ASSERT_EQ(result.exit_code, 0) << describe(result);
  EXPECT_EQ(result.out, "");
  EXPECT_THAT(result.err, MatchesRegex("fitted 20 fits \\(odmr, 2 dips, 200 points, lsq\\): 20 converged in [0-9.]+ s, "
                                       "[0-9]+ fits/s on .*\ntruth: [0-9]+ of 160 fitted parameters .* within 3 "
                                       "standard errors.*\nwrote 7 files: .*odmr_params.npy, ...\n"));
  using io::PixelType;
  EXPECT_EQ(npy_shape(prefix + "_params.npy"), std::make_pair(std::vector<std::size_t>{4, 5, 8}, PixelType::float32));
  EXPECT_EQ(npy_shape(prefix + "_errors.npy"), std::make_pair(std::vector<std::size_t>{4, 5, 8}, PixelType::float32));
  EXPECT_EQ(npy_shape(prefix + "_initial.npy"), std::make_pair(std::vector<std::size_t>{4, 5, 8}, PixelType::float32));
  EXPECT_EQ(npy_shape(prefix + "_truth.npy"), std::make_pair(std::vector<std::size_t>{4, 5, 8}, PixelType::float64));
  EXPECT_EQ(npy_shape(prefix + "_states.npy"), std::make_pair(std::vector<std::size_t>{1, 4, 5}, PixelType::uint8));
  EXPECT_EQ(npy_shape(prefix + "_chi2.npy"), std::make_pair(std::vector<std::size_t>{1, 4, 5}, PixelType::float32));
  EXPECT_EQ(npy_shape(prefix + "_iterations.npy"), std::make_pair(std::vector<std::size_t>{1, 4, 5}, PixelType::uint32));
  const auto states = io::open_frames(prefix + "_states.npy")->read(0);
  for (const auto s : states.values<std::uint8_t>()) EXPECT_EQ(s, 0);
}

TEST(FitCliTest, FastModeSaysSoAndRecoversTheTruth) {
  const auto result = run_cli({"fit", "--synthetic", "odmr2", "--size", "4x5", "--fast"});
  ASSERT_EQ(result.exit_code, 0) << describe(result);
  EXPECT_THAT(result.err, MatchesRegex("fitted 20 fits \\(odmr, 2 dips, 200 points, lsq, fast\\): 20 converged in .*\n"
                                       "truth: [0-9]+ of 160 fitted parameters .* within 3 standard errors.*\n"));
}

TEST(FitCliTest, PointsLastOrFirstGiveTheSameFitsAsJson) {
  tests::TempDir dir;
  const auto cube = synthetic::make_odmr_cube({.rows = 3, .columns = 4, .dips = 2});
  std::vector<float> transposed(cube.data.size());
  for (std::size_t n = 0; n < 12; ++n)
    for (std::size_t k = 0; k < cube.points; ++k) transposed[k * 12 + n] = cube.data[n * cube.points + k];
  const auto last = dir.path() / "last.npy", first = dir.path() / "first.npy", x = dir.path() / "x.npy";
  io::write_npy<float>(last, std::vector<std::size_t>{3, 4, cube.points}, cube.data);
  io::write_npy<float>(first, std::vector<std::size_t>{cube.points, 3, 4}, transposed);
  io::write_npy<float>(x, std::vector<std::size_t>{cube.points}, cube.frequencies);
  const auto a = run_cli({"fit", last.string(), "--model", "odmr", "--dips", "2", "--x", x.string(), "--json", "--quiet"});
  const auto b = run_cli({"fit", first.string(), "--axis", "first", "--model", "odmr", "--dips", "2", "--x", x.string(),
                          "--json", "--quiet"});
  ASSERT_EQ(a.exit_code, 0) << describe(a);
  ASSERT_EQ(b.exit_code, 0) << describe(b);
  EXPECT_EQ(a.err, "");
  const auto ja = nlohmann::json::parse(a.out), jb = nlohmann::json::parse(b.out);
  EXPECT_EQ(ja["fits"], jb["fits"]);
  EXPECT_EQ(ja["model"], "odmr");
  EXPECT_EQ(ja["dips"], 2);
  EXPECT_EQ(ja["shape"], nlohmann::json({3, 4}));
  EXPECT_EQ(ja["parameter_names"], nlohmann::json({"b", "slope", "A1", "x0_1", "gamma1", "A2", "x0_2", "gamma2"}));
  ASSERT_EQ(ja["fits"].size(), 12u);
  const auto& fit = ja["fits"][7];
  EXPECT_EQ(fit["index"], nlohmann::json({1, 3}));
  EXPECT_EQ(fit["state"], "converged");
  for (std::size_t j = 0; j < 8; ++j) {
    const double truth = cube.truth[7 * 8 + j], p = fit["parameters"][j], e = fit["errors"][j];
    EXPECT_LE(std::fabs(p - truth), 5 * e) << "parameter " << j;
  }
}

TEST(FitCliTest, Hdf5OutputHoldsTheSameArrays) {
  tests::TempDir dir;
  const auto file = dir.path() / "spots.h5";
  const auto result = run_cli({"fit", "--synthetic", "gauss2d", "--size", "3x2", "--estimator", "mle", "--out",
                               file.string(), "--quiet"});
  ASSERT_EQ(result.exit_code, 0) << describe(result);
  EXPECT_EQ(result.err, "");
  const auto params = io::open_hdf5(file, "/fit/parameters");
  ASSERT_EQ(params->frame_count(), 3u);
  EXPECT_EQ(params->read(0).shape, (std::vector<std::size_t>{2, 5}));
  const auto truth = io::open_hdf5(file, "/fit/truth")->read(2).to_float32();
  const auto fitted = params->read(2).to_float32();
  EXPECT_NEAR(fitted[3], truth[3], 0.2);  // sigma of spot (2, 0), pixels
}

// The gauss1d model typed as an expression: the same fits as --model gauss1d to float rounding,
// reported under the expression's parameter names.
TEST(FitCliTest, ExpressionFitsAsTheBuiltInModel) {
  tests::TempDir dir;
  const auto data = dir.path() / "peaks.npy", x = dir.path() / "x.npy";
  std::vector<float> values, xs;
  for (std::size_t k = 0; k < 40; ++k) xs.push_back(0.5f * static_cast<float>(k));
  for (std::size_t n = 0; n < 6; ++n)
    for (const float v : xs) {
      const double u = (v - (9.0 + 0.2 * static_cast<double>(n))) / 2.5;
      values.push_back(static_cast<float>(120 * std::exp(-0.5 * u * u) + 7));
    }
  io::write_npy<float>(data, std::vector<std::size_t>{2, 3, 40}, values);
  io::write_npy<float>(x, std::vector<std::size_t>{40}, xs);
  const auto e = run_cli({"fit", data.string(), "--x", x.string(), "--expr", "p[0]*exp(-0.5*((x-p[1])/p[2])^2) + p[3]",
                          "--init", "100,10,2,5", "--json"});
  const auto b = run_cli({"fit", data.string(), "--x", x.string(), "--model", "gauss1d", "--init", "100,10,2,5",
                          "--json", "--quiet"});
  ASSERT_EQ(e.exit_code, 0) << describe(e);
  ASSERT_EQ(b.exit_code, 0) << describe(b);
  EXPECT_THAT(e.err, MatchesRegex("fitted 6 fits \\(expression p\\[0\\]\\*exp\\(.*\\) \\+ p\\[3\\], 40 points, lsq\\): "
                                  "6 converged in .*\n"));
  const auto je = nlohmann::json::parse(e.out), jb = nlohmann::json::parse(b.out);
  EXPECT_EQ(je["model"], "expression");
  EXPECT_EQ(je["expression"], "p[0]*exp(-0.5*((x-p[1])/p[2])^2) + p[3]");
  EXPECT_EQ(je["parameter_names"], nlohmann::json({"p[0]", "p[1]", "p[2]", "p[3]"}));
  ASSERT_EQ(je["fits"].size(), 6u);
  for (std::size_t n = 0; n < 6; ++n) {
    EXPECT_EQ(je["fits"][n]["state"], "converged");
    for (std::size_t j = 0; j < 4; ++j) {
      const double pe = je["fits"][n]["parameters"][j], pb = jb["fits"][n]["parameters"][j];
      EXPECT_NEAR(pe, pb, 1e-4 * std::fabs(pb)) << "fit " << n << " p[" << j << "]";
    }
    EXPECT_NEAR(double(je["fits"][n]["parameters"][1]), 9.0 + 0.2 * static_cast<double>(n), 1e-4);
  }
}

TEST(FitCliTest, BadInputGivesOneLineErrors) {
  tests::TempDir dir;
  const auto good = dir.path() / "good.npy", nan = dir.path() / "nan.npy", flat = dir.path() / "flat.npy";
  std::vector<float> values(2 * 3 * 20, 1.0f);
  io::write_npy<float>(good, std::vector<std::size_t>{2, 3, 20}, values);
  values[(1 * 3 + 2) * 20 + 17] = NAN;
  io::write_npy<float>(nan, std::vector<std::size_t>{2, 3, 20}, values);
  io::write_npy<float>(flat, std::vector<std::size_t>{120}, values);
  const auto g = good.string();
  expect_error(run_cli({"fit", g, "--expr", "a * exp(-x / t) + b"}),
               "--expr: unknown name 'a' at column 1 (x, y, pi, p[i] or a function call)");
  expect_error(run_cli({"fit", g, "--expr", "p[0]*x + p[2]", "--init", "1,2,3"}),
               "--expr: p[1] does not appear; every parameter p[0] to p[2] must");
  expect_error(run_cli({"fit", g, "--expr", "p[0]*x + p[1]"}),
               "--init or --init-file is needed for --expr (p[0], p[1]): expressions have no automatic guess");
  expect_error(run_cli({"fit", g, "--expr", "p[0]*x + p[1]", "--init", "1,2,3"}),
               "--init: 3 values; the expression has 2 parameters (p[0], p[1])");
  expect_error(run_cli({"fit", g, "--expr", "p[0]*x", "--model", "linear1d"}),
               "--expr replaces --model: give one or the other");
  expect_error(run_cli({"fit", g}), "--model (gauss1d, gauss2d,");
  expect_error(run_cli({"fit", g, "--model", "voigt"}), "--model: unknown model 'voigt' (gauss1d, gauss2d,");
  expect_error(run_cli({"fit", g, "--model", "gauss1d", "--init", "1,2,3"}),
               "--init: 3 values; model gauss1d has 4 parameters (A, x0, sigma, b)");
  expect_error(run_cli({"fit", g, "--model", "gauss1d"}), "--init or --init-file is needed for model gauss1d");
  expect_error(run_cli({"fit", nan.string(), "--model", "odmr"}), "nan.npy: value [1, 2, 17] is not finite");
  expect_error(run_cli({"fit", flat.string(), "--model", "odmr"}), "1-D array; [y, x, point] or [fit, point] needed");
  expect_error(run_cli({"fit", g, "--model", "odmr", "--x", flat.string()}),
               "--x: flat.npy holds 120 values; the model needs 20 (one per point)");
  expect_error(run_cli({"fit", g, "--model", "odmr", "--dips", "9"}), "--dips: the odmr model takes 1 to 8 dips, not 9");
  expect_error(run_cli({"fit", g, "--model", "odmr", "--dips", "7"}), "needs more than its 23 parameters");
  expect_error(run_cli({"fit", g, "--model", "linear1d", "--init", "1,2", "--weights", g}),
               "--weights needs --estimator wlsq");
  expect_error(run_cli({"fit", g, "--model", "linear1d", "--init", "1,x"}), "--init: 'x' is not a number");
  expect_error(run_cli({"fit", g, "--model", "linear1d", "--init", "1,2", "--lower", "0"}),
               "--lower: 1 values for 2 parameters");
  expect_error(run_cli({"fit", g, "--model", "linear1d", "--init", "1,2", "--fix", "2"}), "--fix: parameter 2 of 2");
  expect_error(run_cli({"fit", "--synthetic", "odmr3"}), "--synthetic: unknown cube 'odmr3' (odmr2, odmr8, gauss2d)");
  expect_error(run_cli({"fit", "--synthetic", "odmr2", "--size", "4by4"}), "--size: '4by4' is not ROWSxCOLUMNS");
  expect_error(run_cli({"fit", "--model", "odmr"}), "a data file (or --synthetic) is required");
}

}  // namespace
}  // namespace vulkanite
