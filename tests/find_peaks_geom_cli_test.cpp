// `vulkanite find-peaks --geom` on a multi-panel slab, as a user runs it: a stack of synthetic
// AGIPD slab frames (128 ASICs of 128 x 64 in one 8192 x 128 slab) written to HDF5 with the shared
// agipd_simple_2d.geom gives reference::peakfinder8's peaks bit for bit with OM's layout and radius
// map; a geometry that is no regular grid of panels is a one-line error naming why.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <fstream>

#include "io/crystfel_geometry.hpp"
#include "io/frame_source.hpp"
#include "io/h5_stack_writer.hpp"
#include "io/peakfinder8_geometry.hpp"
#include "reference/peakfinder8.hpp"
#include "support/data.hpp"
#include "support/peakfinder8_compare.hpp"
#include "support/peakfinder8_frames.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"
#include "synthetic/serial_frames.hpp"

namespace vulkanite {
namespace {

using tests::describe;
using tests::run_cli;

TEST(FindPeaksGeomCliTest, CheetahOnAnAgipdSlabGivesTheReferencePeaks) {
  const std::string relative = "geometry/agipd_simple_2d.geom";
  const auto geom = tests::shared_data(relative);
  if (!geom) GTEST_SKIP() << tests::missing_data_message(relative);
  const auto geometry = io::read_crystfel_geometry(*geom);
  const auto l = io::peakfinder8_layout(geometry);
  ASSERT_EQ(geometry.slab_shape(), (std::array<std::size_t, 2>{8192, 128}));

  // Frames on the same grid of ASICs, with a flat background.
  const auto p = tests::flat_tiled_frame_params(l, 150, 3);
  const auto detector = synthetic::make_serial_detector(p);
  tests::TempDir dir;
  const auto stack = dir.path() / "agipd.h5";
  {
    io::H5StackWriter writer(stack, 2, geometry.slab_shape(), io::PixelType::int32);
    for (std::size_t f = 0; f < 2; ++f) writer.write(f, synthetic::make_serial_frame(p, detector, f).frame);
    writer.close();
  }
  // --valid-range all: the generator's dead pixels (-2) stay data, as the reference sees them.
  const auto result = run_cli({"find-peaks", stack.string(), "--geom", geom->string(), "--min-res", "0", "--max-res",
                               "10000", "--valid-range", "all", "--json"});
  ASSERT_EQ(result.exit_code, 0) << describe(result);
  const auto j = nlohmann::json::parse(result.out);
  ASSERT_EQ(j["frames"].size(), 2u);

  const auto radius = io::peakfinder8_radius_map(geometry);
  const auto bad = io::crystfel_bad_pixel_mask(geometry);
  std::vector<std::int8_t> good(bad.size());
  for (std::size_t i = 0; i < good.size(); ++i) good[i] = std::int8_t(1 - bad[i]);
  reference::Peakfinder8Params params;
  params.min_res = 0;
  params.max_res = 10000;
  const reference::Peakfinder8Layout layout{static_cast<std::int32_t>(l.asic_nx), static_cast<std::int32_t>(l.asic_ny),
                                            static_cast<std::int32_t>(l.nasics_x), static_cast<std::int32_t>(l.nasics_y)};
  auto source = io::open_frames(stack);
  std::size_t total = 0;
  for (std::size_t f = 0; f < 2; ++f) {
    const auto expected = reference::peakfinder8(layout, source->read(f).to_float32(), radius, good, params);
    EXPECT_EQ(tests::first_difference(j["frames"][f]["peaks"], expected), "") << "frame " << f;
    total += expected.peaks.size();
  }
  EXPECT_GT(total, 200u);  // most of the 300 spots
}

TEST(FindPeaksGeomCliTest, IrregularGeometryIsAOneLineError) {
  tests::TempDir dir;
  const auto geom = dir.path() / "odd.geom";
  std::ofstream(geom) << "res = 5000\nclen = 0.1\n"
                         "a/min_fs = 0\na/max_fs = 3\na/min_ss = 0\na/max_ss = 1\na/corner_x = 0\na/corner_y = 0\n"
                         "b/min_fs = 0\nb/max_fs = 2\nb/min_ss = 2\nb/max_ss = 3\nb/corner_x = 0\nb/corner_y = 4\n";
  const auto stack = dir.path() / "s.h5";
  {
    io::H5StackWriter writer(stack, 1, {4, 4}, io::PixelType::int32);
    writer.write(0, io::make_frame({4, 4}, io::PixelType::int32, "zeros"));
    writer.close();
  }
  tests::expect_error(run_cli({"find-peaks", stack.string(), "--geom", geom.string()}),
                      "odd.geom: panels do not form a peakfinder8 grid: panel b is 3 x 2, not 4 x 2");
}

}  // namespace
}  // namespace vulkanite
