// Azimuthal integration and sigma clipping (algorithms::Integrator) of Pilatus 6M frames
// (2527 x 2463 int32, module gaps masked) with the thaumatin geometry of ../shared/data/pilatus6m:
//   - GPU time per frame already on the GPU (timestamps), for 1D (no splitting and bbox), 2D,
//     and sigma clipping with the poisson and azimuthal error models;
//   - end-to-end streaming of frames from host memory (upload + kernel + readback, several in
//     flight): frames/s and GB/s of frame data, beside the raw host-to-device DMA bandwidth of
//     the same buffers (vkCmdCopyBuffer from host-visible memory), the limit streaming can reach;
//   - the CPU twins (reference::integrate / sigma_clip, one thread) as the CPU baseline.
#include "algorithms/integrate.hpp"
#include "algorithms/integration_matrix.hpp"
#include "algorithms/pixel_corrections.hpp"
#include "bench/gpu_bench.hpp"
#include "io/detectors.hpp"
#include "runtime/parallel_copy.hpp"
#include "runtime/transfer.hpp"

#include <chrono>
#include <cmath>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <vector>

namespace vulkanite::bench {
namespace {

using algorithms::BinOperation;
using reference::ErrorModel;

// The header geometry of thau_3_2_0001.cbf (pyFAI setFit2D(351.0, 1261.61, 1306.96)).
io::PixelGeometry pilatus6m_geometry() {
  io::Poni poni;
  poni.version = "2";
  poni.detector = "Pilatus6M";
  poni.pixel1_m = poni.pixel2_m = 172e-6;
  poni.shape = std::array<std::size_t, 2>{2527, 2463};
  poni.distance_m = 0.351;
  poni.poni1_m = 1306.96 * 172e-6;
  poni.poni2_m = 1261.61 * 172e-6;
  poni.wavelength_m = 0.96859e-10;
  return io::PixelGeometry(poni);
}

// Diffraction-like counts: a radial background with rings, Poisson noise, a few hundred bright
// spots, -1 in the module gaps (masked) as a Pilatus writes them.
io::Frame pilatus6m_frame(const io::PixelGeometry& g, const std::vector<std::uint8_t>& gaps, std::uint32_t seed) {
  io::Frame f = io::make_frame({g.shape[0], g.shape[1]}, io::PixelType::int32, "synthetic Pilatus 6M frame");
  auto* values = reinterpret_cast<std::int32_t*>(f.data.data());
  std::mt19937 rng(seed);
  const auto radius = g.radial_map(io::RadialUnit::r_mm);
  for (std::size_t i = 0; i < radius.values.size(); ++i) {
    const double r = radius.values[i];
    const double mean = 20.0 * std::exp(-r / 150.0) + 8.0 * std::exp(-std::pow((r - 90.0) / 2.0, 2));
    values[i] = gaps[i] ? -1 : std::poisson_distribution<int>(mean)(rng);
  }
  std::uniform_int_distribution<std::size_t> where(0, radius.values.size() - 1);
  for (int s = 0; s < 400; ++s) {
    const std::size_t i = where(rng);
    if (!gaps[i]) values[i] += 2000;
  }
  return f;
}

struct Problem {
  std::string name;
  algorithms::IntegrationMatrix matrix;
  reference::PixelCorrections corrections;
};

struct Shared {
  io::PixelGeometry geometry = pilatus6m_geometry();
  std::vector<std::uint8_t> gaps = io::module_gap_mask(io::detector_by_name("Pilatus6M"));
  std::vector<io::Frame> frames;
  std::vector<std::unique_ptr<Problem>> problems;

  Shared() {
    for (std::uint32_t i = 0; i < 4; ++i) frames.push_back(pilatus6m_frame(geometry, gaps, i + 1));
  }
  const Problem& problem(const std::string& name, const algorithms::IntegrationMatrixOptions& options,
                         const algorithms::CorrectionOptions& corrections) {
    for (const auto& p : problems)
      if (p->name == name) return *p;
    auto p = std::make_unique<Problem>(Problem{name, algorithms::build_integration_matrix(geometry, gaps, options),
                                               algorithms::make_pixel_corrections(geometry, gaps, corrections)});
    problems.push_back(std::move(p));
    return *problems.back();
  }
};

Shared& shared() {
  static Shared s;
  return s;
}

struct Setup {
  std::string name;
  algorithms::IntegrationMatrixOptions matrix;
  algorithms::CorrectionOptions corrections;
};

// The peakfinder's setting (no corrections, r_mm, no splitting), and pyFAI's usual 1D and 2D.
std::vector<Setup> setups() {
  algorithms::CorrectionOptions none;
  none.solid_angle = false;
  algorithms::CorrectionOptions usual;
  usual.polarization_factor = 0.99;
  return {
      {"1d_r_mm_1000_no_split", {.radial_bins = 1000, .unit = io::RadialUnit::r_mm, .splitting = algorithms::Splitting::no}, none},
      {"1d_2th_deg_1000_bbox", {.radial_bins = 1000, .unit = io::RadialUnit::tth_deg, .splitting = algorithms::Splitting::bbox}, usual},
      {"2d_q_nm_500x360_bbox", {.radial_bins = 500, .azimuthal_bins = 360, .unit = io::RadialUnit::q_nm, .splitting = algorithms::Splitting::bbox}, usual},
  };
}

struct Operation {
  std::string name;
  BinOperation op;
};

std::vector<Operation> operations(bool two_d) {
  std::vector<Operation> ops{{"integrate_poisson", reference::IntegrationParams{.error_model = ErrorModel::poisson}}};
  if (!two_d) {
    ops.push_back({"sigma_clip_poisson_cycle3", reference::SigmaClipParams{.cycles = 3}});
    ops.push_back({"sigma_clip_azimuthal_cycle3",
                   reference::SigmaClipParams{.integration = {.error_model = ErrorModel::azimuthal}, .cycles = 3}});
    ops.push_back({"sigma_clip_poisson_cycle5", reference::SigmaClipParams{.cycles = 5}});
  }
  return ops;
}

void gpu_resident(benchmark::State& state, const Harness& harness, const Setup& setup, const Operation& operation) {
  auto& context = harness.context;
  auto& s = shared();
  const Problem& p = s.problem(setup.name, setup.matrix, setup.corrections);
  algorithms::Integrator integrator(context, p.matrix, p.corrections, 1);
  runtime::Transfer transfer(context);
  std::vector<runtime::Array<std::int32_t>> frames;
  for (const auto& f : s.frames) {
    frames.emplace_back(context, f.pixel_count());
    transfer.upload(f.values<std::int32_t>(), frames.back());
  }
  runtime::Array<float> results(context, algorithms::Integrator::kResultPlanes * integrator.bins());
  const bool clip = std::holds_alternative<reference::SigmaClipParams>(operation.op);
  const double bytes = static_cast<double>(s.frames[0].data.size());
  const GpuWork work{{clip ? "sigma_clip" : "integrate"}, bytes, harness.cpu_device() ? 1u : 20u};
  measure_gpu(state, harness, work, [&](runtime::Sequence& sequence, std::uint64_t i) {
    integrator.record(sequence, frames[i % frames.size()], io::PixelType::int32, operation.op, results);
  });
  state.counters["frames_per_s"] = benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
  state.counters["entries"] = static_cast<double>(p.matrix.pixel.size());
}

// Frames from host memory through Integrator::stream, `in_flight` at once. `imported`: the
// frames' memory imported first (Integrator::import_frames), so uploads read it in place.
void gpu_streaming(benchmark::State& state, const Harness& harness, const Setup& setup, const Operation& operation,
                   std::size_t in_flight, bool imported) {
  auto& s = shared();
  const Problem& p = s.problem(setup.name, setup.matrix, setup.corrections);
  algorithms::Integrator integrator(harness.context, p.matrix, p.corrections, in_flight);
  if (imported && !integrator.import_frames(s.frames))
    throw std::runtime_error("skipped: " + harness.context.info().name + " cannot import host memory");
  measure_stream(state, harness, s.frames, [&](const std::function<const io::Frame*()>& next) {
    integrator.stream(next, operation.op, [](std::size_t, reference::IntegrationResult&&) {});
  });
  state.counters["read_in_place"] = static_cast<double>(integrator.frames_read_in_place());
}

// The limit of streaming: DMA of a frame-sized host-visible buffer into device memory, through
// Sequence::upload as the streams do (the copy engine where the device has a transfer queue).
void host_to_device_dma(benchmark::State& state, const Harness& harness) {
  auto& context = harness.context;
  const VkDeviceSize bytes = shared().frames[0].data.size();
  runtime::Buffer host(context, bytes, runtime::MemoryKind::host);
  runtime::Buffer device(context, bytes);
  std::memcpy(host.mapped().data(), shared().frames[0].data.data(), bytes);
  runtime::Sequence sequence(context);
  const std::uint32_t reps = harness.cpu_device() ? 2 : 32;
  measure_wall(state, harness, static_cast<double>(bytes), reps, harness.options.pcie_gbs, [&](std::uint64_t) {
    for (std::uint32_t r = 0; r < reps; ++r) sequence.upload(host, device, bytes);
    sequence.run();
  });
}

// The CPU's part of streaming: copying a frame from pageable memory into a host-visible staging
// buffer with runtime::CopyPool's `threads` threads (frames cycled, as the streams see them).
// `staging_stores`: CopyPool::copy_to_staging (non-temporal stores, what stage_frame does), else its
// plain memcpy parts, for comparison.
void host_to_staging_copy(benchmark::State& state, const Harness& harness, unsigned threads, bool staging_stores) {
  const auto& frames = shared().frames;
  const std::size_t bytes = frames[0].data.size();
  runtime::Buffer staging(harness.context, bytes, runtime::MemoryKind::host);
  runtime::CopyPool pool(threads);
  const std::uint32_t reps = 8;
  const auto copy = staging_stores ? &runtime::CopyPool::copy_to_staging : &runtime::CopyPool::copy;
  measure_wall(state, harness, static_cast<double>(bytes), reps, std::nullopt, [&](std::uint64_t first) {
    for (std::uint32_t r = 0; r < reps; ++r)
      (pool.*copy)(staging.mapped().data(), frames[(first + r) % frames.size()].data.data(), bytes);
  });
}

void cpu_reference(benchmark::State& state, const Setup& setup, const Operation& operation) {
  auto& s = shared();
  const Problem& p = s.problem(setup.name, setup.matrix, setup.corrections);
  const auto values = algorithms::frame_as_float(s.frames[0]);
  std::uint64_t reps = 0;
  const auto start = std::chrono::steady_clock::now();
  for (auto _ : state) {
    if (const auto* clip = std::get_if<reference::SigmaClipParams>(&operation.op))
      benchmark::DoNotOptimize(reference::sigma_clip(p.matrix.view(), values, p.corrections, *clip));
    else
      benchmark::DoNotOptimize(reference::integrate(p.matrix.view(), values, p.corrections,
                                                    std::get<reference::IntegrationParams>(operation.op)));
    ++reps;
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  report_throughput(state, static_cast<double>(s.frames[0].data.size()), reps, seconds, std::nullopt);
  state.counters["frames_per_s"] = static_cast<double>(reps) / seconds;
}

}  // namespace

void register_benchmarks(const Harness& harness) {
  const auto& h = harness;
  static const auto all = setups();
  for (const auto& setup : all)
    for (const auto& op : operations(setup.matrix.azimuthal_bins > 0))
      add("gpu_resident/" + setup.name + "/" + op.name, true,
          [&h, &setup, op](benchmark::State& s) { gpu_resident(s, h, setup, op); });
  // The lanes per bin (the workgroup size; it also fixes the bits) against the default's 256.
  for (const std::uint32_t lanes : {64u, 128u, 512u, 1024u}) {
    add("gpu_resident/" + all[0].name + "/integrate_poisson/lanes:" + std::to_string(lanes), true, [&h, lanes](benchmark::State& s) {
      gpu_resident(s, h, all[0], {"", reference::IntegrationParams{.error_model = ErrorModel::poisson, .lanes = lanes}});
    });
    add("gpu_resident/" + all[0].name + "/sigma_clip_poisson_cycle3/lanes:" + std::to_string(lanes), true,
        [&h, lanes](benchmark::State& s) {
          gpu_resident(s, h, all[0], {"", reference::SigmaClipParams{.integration = {.error_model = ErrorModel::poisson, .lanes = lanes}, .cycles = 3}});
        });
  }
  add("host_to_device_dma/pilatus6m_int32/wall", true, [&h](benchmark::State& s) { host_to_device_dma(s, h); });
  for (const bool staging_stores : {true, false})
    for (const unsigned threads : {1u, 4u, 8u, 16u})
      add(std::string("host_to_staging_copy/pilatus6m_int32/") + (staging_stores ? "" : "memcpy/") +
              "threads:" + std::to_string(threads) + "/wall",
          true, [&h, threads, staging_stores](benchmark::State& s) { host_to_staging_copy(s, h, threads, staging_stores); });
  for (const bool imported : {false, true})
    for (const std::size_t in_flight : {1, 3})
      for (const auto& op : operations(false))
        add("streaming/" + all[0].name + "/" + op.name + "/in_flight:" + std::to_string(in_flight) +
                (imported ? "/imported" : "") + "/wall",
            true, [&h, op, in_flight, imported](benchmark::State& s) { gpu_streaming(s, h, all[0], op, in_flight, imported); });
  for (const auto& setup : all)
    for (const auto& op : operations(setup.matrix.azimuthal_bins > 0))
      add("cpu_reference/" + setup.name + "/" + op.name + "/wall", false,
          [&setup, op](benchmark::State& s) { cpu_reference(s, setup, op); });
}

}  // namespace vulkanite::bench
