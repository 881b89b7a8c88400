#pragma once
// What every benchmark executable shares (bench_main.cpp): the one Context, the knobs parsed
// from the command line, and the measurement loops. A GPU benchmark reports the GPU time of its
// kernels from timestamps as Google Benchmark's time (UseManualTime) and adds the end-to-end
// wall time, GB/s and the fraction of a physical limit as counters.
#include "io/frame.hpp"
#include "runtime/context.hpp"
#include "runtime/sequence.hpp"

#include <benchmark/benchmark.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace vulkanite::bench {

struct Options {
  std::optional<std::string> device;  // --device= (else VULKANITE_DEVICE, else the Context's choice)
  std::optional<double> peak_gbs;     // --peak-gbs=: device memory bandwidth (data sheet), decimal GB/s
  std::optional<double> pcie_gbs;     // --pcie-gbs=: host link bandwidth per direction, decimal GB/s
  std::vector<std::uint64_t> sizes_mib;  // --sizes-mib=64,256: copy and transfer sizes
  std::vector<std::uint32_t> copy_groups;  // --copy-groups=0,1056: Copier workgroup counts (0 = cover once)
  std::optional<std::uint32_t> reps;  // --reps=: reps recorded into one submission
  std::optional<double> warmup_s;     // --warmup-s=: seconds of each benchmark's own work before it is timed
};

struct Harness {
  runtime::Context& context;
  Options options;

  bool cpu_device() const { return context.info().type == "cpu"; }
  // Seconds each benchmark runs its own work untimed first. A GPU idles at low clocks while the
  // host prepares a benchmark (an integration matrix takes seconds) and needs a few hundred
  // milliseconds of work to reach its working clocks: on the H100 one untimed batch was not
  // enough (a 1D integration measured 366 us after a matrix build and 98 us after other GPU work).
  double warmup_seconds() const { return options.warmup_s.value_or(cpu_device() ? 0.0 : 0.5); }
  // Reps per submission: enough that a batch moves ~1 GiB, so that the submission's fixed cost
  // is a small part of the end-to-end time per rep; 2 on CPU devices to keep llvmpipe runs short.
  std::uint32_t reps_for(double bytes_per_rep) const;
  // How many copies of a `bytes`-sized working set to cycle through so that together they span
  // 256 MiB: more than any GPU's last-level cache (H100: 50 MB), so that no rep reads data the
  // previous rep left in L2 and the figures are those of device memory.
  std::uint32_t rotation(double bytes) const;
  // Throws, saying why, if `buffers` buffers of `bytes` each would not fit in 90% of the largest
  // device-local heap or (`storage`: bound to a kernel) exceed maxStorageBufferRange.
  void require_fits(std::uint64_t bytes, std::uint64_t buffers, bool storage = true) const;
};

// Each benchmark executable defines this; main calls it once the Context exists.
void register_benchmarks(const Harness& harness);

using Body = std::function<void(benchmark::State&)>;
// Registers `body`, turning its exceptions into SkipWithError (a size that does not fit, a
// device without timestamps) so that the reason lands in the table and the JSON. `manual_time`:
// the body reports its time through SetIterationTime.
void add(const std::string& name, bool manual_time, Body body);

struct GpuWork {
  std::vector<std::string> kernels;  // timed kernels whose GPU times add up to one rep
  double bytes = 0;                  // bytes one rep reads and writes (the unit of GB/s)
  std::uint32_t reps = 1;            // reps recorded into one submission, barriers between
};

// Records one rep; `index` counts reps across batches (use it to pick rotated buffers).
using RecordRep = std::function<void(runtime::Sequence&, std::uint64_t index)>;

// Time = GPU time per rep from the timestamps of `work.kernels`. Counters: e2e_us (record +
// submit + wait, per rep), GB/s (GPU time), e2e_GB/s, fraction_of_peak (with --peak-gbs),
// <kernel>_us per kernel when there are several.
void measure_gpu(benchmark::State& state, const Harness& harness, const GpuWork& work, const RecordRep& record);

// For work without timestamps (vkCmdCopyBuffer, transfers): Time = wall time of
// `run_batch(first_index)`, which does `reps` reps, divided by `reps`.
void measure_wall(benchmark::State& state, const Harness& harness, double bytes_per_rep, std::uint32_t reps,
                  std::optional<double> peak_gbs, const std::function<void(std::uint64_t first_index)>& run_batch);

// Calls `batch` until Harness::warmup_seconds have passed, at least once.
void warm_up(const Harness& harness, const std::function<void()>& batch);

// End-to-end streaming of frames from host memory: `stream_batch(next)` streams the frames `next`
// yields (`frames` cycled, batches of 4 on CPU devices, else 64). Time = wall time per frame;
// counters GB/s of frame data (fraction of --pcie-gbs) and frames_per_s.
using FrameStream = std::function<void(const std::function<const io::Frame*()>& next)>;
void measure_stream(benchmark::State& state, const Harness& harness, const std::vector<io::Frame>& frames,
                    const FrameStream& stream_batch);

// Sets bytes_per_second, GB/s (decimal) and fraction_of_peak for `reps` reps in `seconds`.
void report_throughput(benchmark::State& state, double bytes_per_rep, std::uint64_t reps, double seconds,
                       std::optional<double> peak_gbs);

}  // namespace vulkanite::bench
