// pyFAI's peakfinder8 on a real frame, the driver of scripts/validation/peakfinder8_pyfai_vs_pyfai.py:
// with VULKANITE_PYFAI_PF8 naming a folder holding case.json (written by the script), runs
// algorithms::Peakfinder8Pyfai and reference::peakfinder8_pyfai on the frame with the settings
// of the shared data's pyFAI peak lists (Pilatus 6M, mask (I < 0) | (I > 65000), 1D r_mm
// matrix without splitting, no solid angle), requires them to agree bit for bit, and writes
// <name>_vulkanite.csv (the peaks) and <name>_background.csv (the sigma-clipped mean and std
// per bin) for the script to compare with pyFAI. Skipped without the variable.
#include "algorithms/peakfinder8_pyfai.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <bit>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "algorithms/frame_words.hpp"
#include "algorithms/integration_matrix.hpp"
#include "algorithms/pixel_corrections.hpp"
#include "io/frame_source.hpp"
#include "io/pixel_geometry.hpp"
#include "io/poni.hpp"
#include "reference/peakfinder8_pyfai.hpp"
#include "reference/sigma_clip.hpp"
#include "support/gpu_test.hpp"

namespace vulkanite {
namespace {

using reference::Peakfinder8PyfaiPeak;

reference::ErrorModel parse_error_model(const std::string& name) {
  if (name == "poisson") return reference::ErrorModel::poisson;
  if (name == "azimuthal") return reference::ErrorModel::azimuthal;
  throw std::invalid_argument("error model " + name + ": poisson or azimuthal");
}

void write_peaks(const std::filesystem::path& path, const std::vector<Peakfinder8PyfaiPeak>& peaks) {
  std::FILE* f = std::fopen(path.c_str(), "w");
  ASSERT_NE(f, nullptr) << path;
  std::fprintf(f, "# index,intensity,sigma,pos0_slow_px,pos1_fast_px\n");
  for (const auto& p : peaks)
    std::fprintf(f, "%u,%.9g,%.9g,%.9g,%.9g\n", p.index, static_cast<double>(p.intensity),
                 static_cast<double>(p.sigma), static_cast<double>(p.pos0), static_cast<double>(p.pos1));
  std::fclose(f);
}

class Peakfinder8PyfaiPilatus : public tests::GpuTest {};

TEST_F(Peakfinder8PyfaiPilatus, PeaksForThePyfaiComparison) {
  const char* env = std::getenv("VULKANITE_PYFAI_PF8");
  if (!env || !*env)
    GTEST_SKIP() << "VULKANITE_PYFAI_PF8 is not set (scripts/validation/peakfinder8_pyfai_vs_pyfai.py sets it)";
  const std::filesystem::path dir(env);
  const auto meta = nlohmann::json::parse(std::ifstream(dir / "case.json"));

  const io::Frame frame = io::open_frames(meta["frame"].get<std::string>())->read(0);
  const io::PixelGeometry geometry(io::read_poni(meta["poni"].get<std::string>()));
  ASSERT_EQ(frame.shape.size(), 2u);
  ASSERT_EQ(frame.shape[0], geometry.shape[0]);
  ASSERT_EQ(frame.shape[1], geometry.shape[1]);
  const auto values = algorithms::frame_as_float(frame);
  const float mask_max = meta["mask_max"].get<float>();
  std::vector<std::uint8_t> mask(values.size());
  for (std::size_t i = 0; i < values.size(); ++i) mask[i] = values[i] < 0.0f || values[i] > mask_max;

  const auto unit = io::parse_radial_unit(meta["unit"].get<std::string>());
  const auto matrix = algorithms::build_integration_matrix(
      geometry, mask, {.radial_bins = meta["bins"].get<std::size_t>(), .unit = unit, .splitting = algorithms::Splitting::no});
  const auto corrections = algorithms::make_pixel_corrections(geometry, mask, {.solid_angle = false});
  const auto radius = algorithms::peakfinder8_pyfai_radius(geometry, mask, unit);
  const std::size_t rows = geometry.shape[0], columns = geometry.shape[1];
  algorithms::Peakfinder8Pyfai finder(context(), matrix, corrections, {rows, columns}, radius);

  nlohmann::json summary = nlohmann::json::array();
  for (const auto& c : meta["cases"]) {
    const std::string name = c["name"].get<std::string>();
    reference::Peakfinder8PyfaiParams p;
    p.sigma_clip.integration.error_model = parse_error_model(c["error_model"].get<std::string>());
    p.sigma_clip.cycles = c["cycle"].get<std::uint32_t>();
    p.sigma_clip.cutoff = c["cutoff_clip"].get<float>();
    p.cutoff_peak = c["cutoff_peak"].get<float>();
    p.noise = c["noise"].get<float>();
    p.connected = c["connected"].get<std::uint32_t>();
    p.patch_size = c["patch_size"].get<std::uint32_t>();

    const auto t0 = std::chrono::steady_clock::now();
    const auto gpu = finder.run(frame, p);
    const auto t1 = std::chrono::steady_clock::now();
    const auto clip = reference::sigma_clip(matrix.view(), values, corrections, p.sigma_clip);
    const auto cpu = reference::peakfinder8_pyfai(rows, columns, values, corrections, radius, finder.bin_centers(), clip, p);
    const auto t2 = std::chrono::steady_clock::now();

    std::size_t differing = gpu.size() == cpu.size() ? 0 : std::max(gpu.size(), cpu.size());
    for (std::size_t k = 0; differing == 0 && k < gpu.size(); ++k)
      if (gpu[k].index != cpu[k].index || std::bit_cast<std::uint32_t>(gpu[k].intensity) != std::bit_cast<std::uint32_t>(cpu[k].intensity) ||
          std::bit_cast<std::uint32_t>(gpu[k].sigma) != std::bit_cast<std::uint32_t>(cpu[k].sigma) ||
          std::bit_cast<std::uint32_t>(gpu[k].pos0) != std::bit_cast<std::uint32_t>(cpu[k].pos0) ||
          std::bit_cast<std::uint32_t>(gpu[k].pos1) != std::bit_cast<std::uint32_t>(cpu[k].pos1))
        differing = k + 1;
    EXPECT_EQ(differing, 0u) << name << ": GPU and reference differ (first at peak " << differing << ")";

    write_peaks(dir / (name + "_vulkanite.csv"), gpu);
    std::FILE* f = std::fopen((dir / (name + "_background.csv")).c_str(), "w");
    ASSERT_NE(f, nullptr);
    std::fprintf(f, "# center,mean,std,pixels\n");
    for (std::size_t b = 0; b < matrix.bins(); ++b)
      std::fprintf(f, "%.9g,%.9g,%.9g,%u\n", static_cast<double>(finder.bin_centers()[b]),
                   static_cast<double>(clip.intensity[b]), static_cast<double>(clip.std[b]), clip.pixels[b]);
    std::fclose(f);
    summary.push_back({{"name", name},
                       {"peaks", gpu.size()},
                       {"gpu_equals_reference", differing == 0},
                       {"gpu_run_s", std::chrono::duration<double>(t1 - t0).count()},
                       {"reference_s", std::chrono::duration<double>(t2 - t1).count()}});
    std::printf("[ pyFAI pf8] %s: %zu peaks, GPU %s reference\n", name.c_str(), gpu.size(),
                differing == 0 ? "==" : "!=");
  }
  std::ofstream(dir / "summary.json") << summary.dump(2) << "\n";
}

}  // namespace
}  // namespace vulkanite
