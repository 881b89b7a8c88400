// peakfinder8, original flavour (algorithms::Peakfinder8), on Pilatus 6M frames (2527 x 2463
// int32, module gaps at -1 and masked) with OM's example Pilatus parameters and the thaumatin
// beam centre of ../shared/data/pilatus6m:
//   - GPU time per frame already on the GPU (timestamps; every kernel, without the host's ordering
//     of the regions);
//   - end-to-end streaming from host memory (upload, kernels, readback of regions, host ordering
//     and stale-trail proof), several frames in flight: frames/s;
//   - the reference (one CPU thread) as the CPU baseline; OM's own C++ is timed beside it by
//     scripts/validation/peakfinder8_vs_om.py --time;
//   - the built-in synthetic serial frame generator (the demo's and the tests' frames), one thread.
#include "algorithms/integration_matrix.hpp"
#include "algorithms/peakfinder8.hpp"
#include "algorithms/peakfinder8_pyfai.hpp"
#include "algorithms/pixel_corrections.hpp"
#include "bench/gpu_bench.hpp"
#include "io/detectors.hpp"
#include "runtime/transfer.hpp"
#include "synthetic/serial_frames.hpp"

#include <chrono>
#include <cmath>
#include <random>
#include <string>
#include <vector>

namespace vulkanite::bench {
namespace {

constexpr std::int32_t kWidth = 2463, kHeight = 2527;
constexpr double kBeamFs = 1261.61, kBeamSs = 1306.96;  // thau_3_2_0001.cbf's header

// Protein-crystal-like counts: a radial background with a solvent ring, Poisson noise, a few
// hundred Gaussian Bragg spots, -1 in the module gaps.
struct Pilatus6m {
  std::vector<float> radius;
  std::vector<std::int8_t> bad_pixel_map;
  std::vector<io::Frame> frames;

  Pilatus6m() {
    const auto gaps = io::module_gap_mask(io::detector_by_name("Pilatus6M"));
    const std::size_t n = std::size_t{kWidth} * kHeight;
    radius.resize(n);
    bad_pixel_map.resize(n);
    for (std::size_t i = 0; i < n; ++i) {
      // OM's pixel maps: pixel (fs, ss) at corner + fs, ss (no half-pixel shift).
      const double x = static_cast<double>(i % kWidth) - kBeamFs, y = static_cast<double>(i / kWidth) - kBeamSs;
      radius[i] = static_cast<float>(std::sqrt(x * x + y * y));
      bad_pixel_map[i] = gaps[i] ? 0 : 1;
    }
    for (std::uint32_t seed = 1; seed <= 4; ++seed) frames.push_back(frame(gaps, seed));
  }

  io::Frame frame(const std::vector<std::uint8_t>& gaps, std::uint32_t seed) const {
    io::Frame f = io::make_frame({kHeight, kWidth}, io::PixelType::int32, "synthetic Pilatus 6M frame");
    auto* values = reinterpret_cast<std::int32_t*>(f.data.data());
    std::mt19937 rng(seed);
    std::vector<double> expected(radius.size());
    for (std::size_t i = 0; i < radius.size(); ++i) {
      const double r = radius[i];
      expected[i] = 2.0 + 12.0 * std::exp(-r / 700.0) + 4.0 * std::exp(-std::pow((r - 520.0) / 40.0, 2));
    }
    std::uniform_real_distribution<double> unit(0.0, 1.0);
    for (int s = 0; s < 600; ++s) {
      const double cx = unit(rng) * kWidth, cy = unit(rng) * kHeight, width = 0.6 + 0.8 * unit(rng);
      const double amplitude = std::exp(4.0 + 1.2 * std::normal_distribution<double>()(rng));
      for (int y = std::max(0, int(cy) - 5); y < std::min(kHeight, int(cy) + 6); ++y)
        for (int x = std::max(0, int(cx) - 5); x < std::min(kWidth, int(cx) + 6); ++x)
          expected[std::size_t(x) + std::size_t(y) * kWidth] +=
              amplitude * std::exp(-((x - cx) * (x - cx) + (y - cy) * (y - cy)) / (2 * width * width));
    }
    for (std::size_t i = 0; i < radius.size(); ++i)
      values[i] = gaps[i] ? -1 : std::poisson_distribution<int>(expected[i])(rng);
    return f;
  }
};

const Pilatus6m& shared() {
  static const Pilatus6m s;
  return s;
}

const reference::Peakfinder8Layout kLayout{kWidth, kHeight, 1, 1};

void gpu_resident(benchmark::State& state, const Harness& harness) {
  auto& context = harness.context;
  const auto& s = shared();
  algorithms::Peakfinder8 finder(context, kLayout, s.radius, s.bad_pixel_map, {}, {}, 1);
  runtime::Transfer transfer(context);
  std::vector<runtime::Array<std::int32_t>> frames;
  for (const auto& f : s.frames) {
    frames.emplace_back(context, f.pixel_count());
    transfer.upload(f.values<std::int32_t>(), frames.back());
  }
  const GpuWork work{{"peakfinder8_radial_statistics", "peakfinder8_label_init", "peakfinder8_label_merge",
                      "peakfinder8_label_resolve", "peakfinder8_grow_regions"},
                     static_cast<double>(s.frames[0].data.size()),
                     harness.cpu_device() ? 1u : 20u};
  measure_gpu(state, harness, work, [&](runtime::Sequence& sequence, std::uint64_t i) {
    finder.record(sequence, frames[i % frames.size()], io::PixelType::int32);
    sequence.barrier();
  });
  state.counters["frames_per_s"] = benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}

// pyFAI's flavour with the settings of the shared reference lists: 1000 bins in r_mm without
// splitting or corrections, azimuthal error model, 3 clipping cycles, cutoff 3, noise 1,
// connected 3, patch 3.
void gpu_resident_pyfai(benchmark::State& state, const Harness& harness) {
  auto& context = harness.context;
  const auto& s = shared();
  io::Poni poni;
  poni.version = "2";
  poni.detector = "Pilatus6M";
  poni.pixel1_m = poni.pixel2_m = 172e-6;
  poni.shape = std::array<std::size_t, 2>{kHeight, kWidth};
  poni.distance_m = 0.351;
  poni.poni1_m = (kBeamSs + 0.5) * 172e-6;  // OM's pixel coordinates are pyFAI's minus half a pixel
  poni.poni2_m = (kBeamFs + 0.5) * 172e-6;
  poni.wavelength_m = 0.96859e-10;
  const io::PixelGeometry geometry(poni);
  std::vector<std::uint8_t> mask(s.bad_pixel_map.size());
  for (std::size_t i = 0; i < mask.size(); ++i) mask[i] = s.bad_pixel_map[i] == 0 ? 1 : 0;
  const auto matrix = algorithms::build_integration_matrix(
      geometry, mask, {.radial_bins = 1000, .unit = io::RadialUnit::r_mm, .splitting = algorithms::Splitting::no});
  algorithms::CorrectionOptions none;
  none.solid_angle = false;
  const auto corrections = algorithms::make_pixel_corrections(geometry, mask, none);
  const auto radius = algorithms::peakfinder8_pyfai_radius(geometry, mask, io::RadialUnit::r_mm);
  algorithms::Peakfinder8Pyfai finder(context, matrix, corrections, {kHeight, kWidth}, radius);
  reference::Peakfinder8PyfaiParams params;
  params.sigma_clip = {.integration = {.error_model = reference::ErrorModel::azimuthal}, .cycles = 3};
  params.cutoff_peak = 3;
  params.noise = 1;
  params.connected = 3;
  params.patch_size = 3;
  runtime::Transfer transfer(context);
  std::vector<runtime::Array<std::int32_t>> frames;
  for (const auto& f : s.frames) {
    frames.emplace_back(context, f.pixel_count());
    transfer.upload(f.values<std::int32_t>(), frames.back());
  }
  const GpuWork work{{"sigma_clip", "peakfinder8_pyfai_excess", "peakfinder8_pyfai_peaks"},
                     static_cast<double>(s.frames[0].data.size()),
                     harness.cpu_device() ? 1u : 20u};
  measure_gpu(state, harness, work, [&](runtime::Sequence& sequence, std::uint64_t i) {
    finder.record(sequence, frames[i % frames.size()], io::PixelType::int32, params);
    sequence.barrier();
  });
  state.counters["frames_per_s"] = benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}

void gpu_streaming(benchmark::State& state, const Harness& harness, std::size_t in_flight) {
  const auto& s = shared();
  algorithms::Peakfinder8 finder(harness.context, kLayout, s.radius, s.bad_pixel_map, {}, {}, in_flight);
  std::uint64_t peaks = 0, frames = 0;
  measure_stream(state, harness, s.frames, [&](const std::function<const io::Frame*()>& next) {
    finder.stream(next, [&](std::size_t, algorithms::Peakfinder8Output&& out) {
      peaks += out.peaks.peaks.size();
      ++frames;
    });
  });
  state.counters["peaks_per_frame"] = static_cast<double>(peaks) / static_cast<double>(frames);
  state.counters["sequential_frames"] = static_cast<double>(finder.sequential_frames());
}

void cpu_reference(benchmark::State& state) {
  const auto& s = shared();
  const auto values = s.frames[0].to_float32();
  std::uint64_t reps = 0, peaks = 0;
  const auto start = std::chrono::steady_clock::now();
  for (auto _ : state) {
    peaks += reference::peakfinder8(kLayout, values, s.radius, s.bad_pixel_map, {}).peaks.size();
    ++reps;
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  report_throughput(state, static_cast<double>(s.frames[0].data.size()), reps, seconds, std::nullopt);
  state.counters["frames_per_s"] = static_cast<double>(reps) / seconds;
  state.counters["peaks_per_frame"] = static_cast<double>(peaks) / static_cast<double>(reps);
}

void synthetic_frame(benchmark::State& state) {
  synthetic::SerialFrameParams params;
  params.detector = "Pilatus6M";
  std::uint64_t frames = 0;
  for (auto _ : state) benchmark::DoNotOptimize(synthetic::make_serial_frame(params, frames++));
  state.counters["frames_per_s"] = benchmark::Counter(static_cast<double>(frames), benchmark::Counter::kIsRate);
}

}  // namespace

void register_benchmarks(const Harness& harness) {
  const auto& h = harness;
  add("gpu_resident/pilatus6m_int32/peakfinder8", true, [&h](benchmark::State& s) { gpu_resident(s, h); });
  add("gpu_resident/pilatus6m_int32/peakfinder8_pyfai", true, [&h](benchmark::State& s) { gpu_resident_pyfai(s, h); });
  for (const std::size_t in_flight : {1, 3})
    add("streaming/pilatus6m_int32/peakfinder8/in_flight:" + std::to_string(in_flight) + "/wall", true,
        [&h, in_flight](benchmark::State& s) { gpu_streaming(s, h, in_flight); });
  add("cpu_reference/pilatus6m/peakfinder8/wall", false, [](benchmark::State& s) { cpu_reference(s); });
  add("synthetic_frame/pilatus6m/wall", false, [](benchmark::State& s) { synthetic_frame(s); });
}

}  // namespace vulkanite::bench
