// The reduction (algorithms::Reducer): GPU time of both passes, GB/s of input read, and the CPU
// twin (reference::reduce, one thread) as the CPU baseline, over a Pilatus 6M frame and 64M values.
#include "algorithms/reduction.hpp"
#include "bench/gpu_bench.hpp"

#include <chrono>
#include <cstring>
#include <random>
#include <string>
#include <vector>

namespace vulkanite::bench {
namespace {

using reference::Reduction;

constexpr std::size_t kPilatus6M = 2527 * 2463;  // one Pilatus 6M frame
constexpr std::size_t k64M = 64u << 20;

// Photon counts as a detector gives them: small non-negative integers stored as floats.
std::vector<float> frame(std::size_t count) {
  std::mt19937 random(42);
  std::poisson_distribution<int> counts(3.0);
  std::vector<float> values(count);
  for (float& v : values) v = static_cast<float>(counts(random));
  return values;
}

constexpr Reduction kOperations[] = {Reduction::sum, Reduction::sum_of_squares, Reduction::compensated_sum};

std::string suffix(Reduction operation, std::size_t count) {
  const char* names[] = {"sum", "sum_of_squares", "compensated_sum"};
  return std::string(names[static_cast<std::uint32_t>(operation)]) + "/values:" + std::to_string(count);
}

void gpu_reduce(benchmark::State& state, const Harness& harness, Reduction operation, std::size_t count) {
  auto& context = harness.context;
  const double bytes = 4.0 * static_cast<double>(count);
  const std::uint32_t n = harness.rotation(bytes);
  harness.require_fits(count * 4, n);
  const algorithms::Reducer reducer(context, operation);
  const std::vector<float> host = frame(count);

  std::vector<runtime::Array<float>> inputs;
  runtime::Transfer transfer(context);
  for (std::uint32_t i = 0; i < n; ++i) {
    inputs.emplace_back(context, count);
    transfer.upload(std::span<const float>(host), inputs.back());
  }
  // Bit-identity with the twin is the tests' job; here it guards against timing a broken kernel.
  const float expected = reference::reduce(host, operation, reducer.shape(count));
  const float got = reducer.run(context, inputs[0]);
  if (std::memcmp(&expected, &got, sizeof got) != 0)
    throw std::runtime_error("GPU result " + std::to_string(got) + " differs from the reference's " +
                             std::to_string(expected));

  const runtime::Array<float> partials(context, 2 * std::size_t{reducer.shape(count).groups});
  const runtime::Array<float> result(context, 2);
  const GpuWork work{{"reduce", "reduce_partials"}, bytes, harness.reps_for(bytes)};
  measure_gpu(state, harness, work, [&](runtime::Sequence& sequence, std::uint64_t i) {
    reducer.record(sequence, inputs[i % n], partials, result);
  });
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(count));
}

void cpu_reduce(benchmark::State& state, Reduction operation, std::size_t count) {
  const std::vector<float> host = frame(count);
  const auto shape = reference::reduction_shape(count);
  std::uint64_t reps = 0;
  const auto start = std::chrono::steady_clock::now();
  for (auto _ : state) {
    benchmark::DoNotOptimize(reference::reduce(host, operation, shape));
    ++reps;
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  // No fraction_of_peak: --peak-gbs is the device's bandwidth, not the host's.
  report_throughput(state, 4.0 * static_cast<double>(count), reps, seconds, std::nullopt);
  state.SetItemsProcessed(static_cast<std::int64_t>(reps * count));
}

}  // namespace

void register_benchmarks(const Harness& harness) {
  const auto& h = harness;
  std::vector<std::size_t> counts{kPilatus6M};
  if (!h.cpu_device()) counts.push_back(k64M);  // 256 MiB: beyond llvmpipe's 128 MiB storage-buffer range
  // GPU rows first, then the CPU baseline: one table each in the console.
  for (const std::size_t count : counts)
    for (const Reduction op : kOperations)
      add("reduce_gpu/" + suffix(op, count), true, [&h, op, count](benchmark::State& s) { gpu_reduce(s, h, op, count); });
  for (const std::size_t count : counts)
    for (const Reduction op : kOperations)
      add("reduce_cpu_reference/" + suffix(op, count) + "/wall", false,
          [op, count](benchmark::State& s) { cpu_reduce(s, op, count); });
}

}  // namespace vulkanite::bench
