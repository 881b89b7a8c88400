#include "bench/gpu_bench.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <exception>
#include <map>
#include <stdexcept>

namespace vulkanite::bench {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

constexpr double kMiB = 1024.0 * 1024.0;

}  // namespace

std::uint32_t Harness::reps_for(double bytes_per_rep) const {
  if (options.reps) return *options.reps;
  if (cpu_device()) return 2;
  return static_cast<std::uint32_t>(std::clamp(std::ceil(1024 * kMiB / bytes_per_rep), 4.0, 64.0));
}

std::uint32_t Harness::rotation(double bytes) const {
  return static_cast<std::uint32_t>(std::clamp(std::ceil(256 * kMiB / bytes), 1.0, 64.0));
}

void Harness::require_fits(std::uint64_t bytes, std::uint64_t buffers, bool storage) const {
  const std::uint64_t range = context.limits().maxStorageBufferRange;
  if (storage && bytes > range)
    throw std::runtime_error("skipped: " + std::to_string(bytes >> 20) + " MiB exceed maxStorageBufferRange (" +
                             std::to_string(range >> 20) + " MiB)");
  std::uint64_t heap = 0;
  for (const auto& h : context.info().heaps)
    if (h.device_local) heap = std::max<std::uint64_t>(heap, h.bytes);
  if (static_cast<double>(bytes * buffers) > 0.9 * static_cast<double>(heap))
    throw std::runtime_error("skipped: " + std::to_string(buffers) + " x " + std::to_string(bytes >> 20) +
                             " MiB exceed 90% of the device-local heap (" + std::to_string(heap >> 20) + " MiB)");
}

void add(const std::string& name, bool manual_time, Body body) {
  auto* b = benchmark::RegisterBenchmark(name.c_str(), [body = std::move(body)](benchmark::State& state) {
    try {
      body(state);
    } catch (const std::exception& e) {
      state.SkipWithError(e.what());
    }
  });
  b->Unit(benchmark::kMicrosecond);
  if (manual_time) b->UseManualTime();
  else b->UseRealTime();
}

void report_throughput(benchmark::State& state, double bytes_per_rep, std::uint64_t reps, double seconds,
                       std::optional<double> peak_gbs) {
  const double bytes = bytes_per_rep * static_cast<double>(reps);
  state.SetBytesProcessed(static_cast<std::int64_t>(bytes));
  const double gbs = bytes / seconds / 1e9;
  state.counters["GB/s"] = gbs;
  if (peak_gbs) state.counters["fraction_of_peak"] = gbs / *peak_gbs;
}

void warm_up(const Harness& harness, const std::function<void()>& batch) {
  const auto start = Clock::now();
  do batch();
  while (seconds_since(start) < harness.warmup_seconds());
}

void measure_stream(benchmark::State& state, const Harness& harness, const std::vector<io::Frame>& frames,
                    const FrameStream& stream_batch) {
  const std::size_t per_batch = harness.cpu_device() ? 4 : 64;
  warm_up(harness, [&] {
    std::size_t next = 0;
    stream_batch([&]() -> const io::Frame* { return next == per_batch ? nullptr : &frames[next++ % frames.size()]; });
  });
  std::uint64_t streamed = 0;
  double seconds = 0;
  for (auto _ : state) {
    std::size_t next = 0;
    const auto start = std::chrono::steady_clock::now();
    stream_batch([&]() -> const io::Frame* { return next == per_batch ? nullptr : &frames[next++ % frames.size()]; });
    const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    state.SetIterationTime(elapsed / static_cast<double>(per_batch));
    seconds += elapsed;
    streamed += per_batch;
  }
  report_throughput(state, static_cast<double>(frames[0].data.size()), streamed, seconds, harness.options.pcie_gbs);
  state.counters["frames_per_s"] = static_cast<double>(streamed) / seconds;
}

void measure_gpu(benchmark::State& state, const Harness& harness, const GpuWork& work, const RecordRep& record) {
  if (!harness.context.queue_has_timestamps())
    throw std::runtime_error("skipped: the compute queue of " + harness.context.info().name +
                             " has no timestamps, so GPU time cannot be measured");
  runtime::Sequence sequence(harness.context, work.reps * static_cast<std::uint32_t>(work.kernels.size()));
  std::uint64_t next = 0;
  const auto run_batch = [&] {
    sequence.profile().clear();
    for (std::uint32_t r = 0; r < work.reps; ++r) {
      record(sequence, next++);
      sequence.barrier();  // reps one after another: each rep's timestamps bracket only its own work
    }
    sequence.run();
  };
  warm_up(harness, run_batch);  // first use (page mapping, pipeline upload, clocks ramping up) stays out of the figures

  double gpu_seconds = 0, wall_seconds = 0;
  std::uint64_t reps = 0;
  std::map<std::string, double> kernel_seconds;
  while (state.KeepRunningBatch(work.reps)) {
    const auto start = Clock::now();
    run_batch();
    wall_seconds += seconds_since(start);
    double batch = 0;
    for (const auto& name : work.kernels) {
      const auto times = sequence.profile().of(name);
      if (times.count != work.reps)  // an untimed or extra dispatch would skew every figure
        throw std::logic_error("kernel " + name + " timed " + std::to_string(times.count) + " times in a batch of " +
                               std::to_string(work.reps) + " reps");
      batch += times.total_ns * 1e-9;
      kernel_seconds[name] += times.total_ns * 1e-9;
    }
    state.SetIterationTime(batch);
    gpu_seconds += batch;
    reps += work.reps;
  }
  report_throughput(state, work.bytes, reps, gpu_seconds, harness.options.peak_gbs);
  const double n = static_cast<double>(reps);
  state.counters["e2e_us"] = wall_seconds / n * 1e6;
  state.counters["e2e_GB/s"] = work.bytes * n / wall_seconds / 1e9;
  if (work.kernels.size() > 1)
    for (const auto& [name, s] : kernel_seconds) state.counters[name + "_us"] = s / n * 1e6;
}

void measure_wall(benchmark::State& state, const Harness& harness, double bytes_per_rep, std::uint32_t reps,
                  std::optional<double> peak_gbs, const std::function<void(std::uint64_t first_index)>& run_batch) {
  std::uint64_t next = 0;
  warm_up(harness, [&] {
    run_batch(next);
    next += reps;
  });
  double wall_seconds = 0;
  std::uint64_t measured = 0;  // not `next`: that counts the warm-up's reps too
  while (state.KeepRunningBatch(reps)) {
    const auto start = Clock::now();
    run_batch(next);
    const double s = seconds_since(start);
    state.SetIterationTime(s);
    wall_seconds += s;
    next += reps;
    measured += reps;
  }
  report_throughput(state, bytes_per_rep, measured, wall_seconds, peak_gbs);
}

}  // namespace vulkanite::bench
