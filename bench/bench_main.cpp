// The main of every benchmark executable: parses Vulkanite's own flags (and removes them, since
// Google Benchmark rejects flags it does not know), opens one Context, records the device,
// driver and commit in the report's context, registers the executable's benchmarks and runs them.
#include "bench/gpu_bench.hpp"

#include <vulkanite/version.hpp>

#include <cstdio>
#include <cstring>
#include <exception>
#include <sstream>
#include <stdexcept>
#include <string_view>

namespace vulkanite::bench {
namespace {

constexpr const char* kUsage =
    "Vulkanite flags (before or among the --benchmark_* flags):\n"
    "  --device=NAME|INDEX   device to run on (default: VULKANITE_DEVICE, else the first discrete GPU)\n"
    "  --peak-gbs=X          device memory bandwidth in GB/s, for fraction_of_peak (the data sheet's:\n"
    "                        H100 SXM5 3350; NVIDIA's vkCmdCopyBuffer reaches only ~800 of it)\n"
    "  --pcie-gbs=X          host link bandwidth per direction in GB/s, for the transfers' fraction_of_peak\n"
    "  --sizes-mib=A,B,...   copy and transfer sizes (default: 64,256,1024 on GPUs, 16,64 on CPU devices)\n"
    "  --copy-groups=A,B,... Copier workgroup counts to try (default: 0 = one invocation per unroll words)\n"
    "  --reps=N              reps recorded into one submission (default: ~1 GiB of traffic per submission)\n"
    "  --warmup-s=X          seconds each benchmark runs its own work untimed first, so that a GPU that idled\n"
    "                        while the host prepared it is at its working clocks (default 0.5 on GPUs, 0 on CPUs)\n\n";

template <class T>
std::vector<T> parse_list(std::string_view text) {
  std::vector<T> values;
  std::stringstream in{std::string(text)};
  for (std::string item; std::getline(in, item, ',');) values.push_back(static_cast<T>(std::stoull(item)));
  return values;
}

// Takes Vulkanite's flags out of argv (argc shrinks), leaving Google Benchmark's.
Options take_options(int& argc, char** argv) {
  Options options;
  int kept = 1;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    const std::size_t equals = arg.find('=');
    const std::string_view flag = arg.substr(0, equals);
    const std::string value(equals == arg.npos ? "" : arg.substr(equals + 1));
    try {
      if (flag == "--device") options.device = value;
      else if (flag == "--peak-gbs") options.peak_gbs = std::stod(value);
      else if (flag == "--pcie-gbs") options.pcie_gbs = std::stod(value);
      else if (flag == "--sizes-mib") options.sizes_mib = parse_list<std::uint64_t>(value);
      else if (flag == "--copy-groups") options.copy_groups = parse_list<std::uint32_t>(value);
      else if (flag == "--reps") options.reps = static_cast<std::uint32_t>(std::stoul(value));
      else if (flag == "--warmup-s") options.warmup_s = std::stod(value);
      else {
        if (arg == "--help" || arg == "-h") std::fputs(kUsage, stdout);
        argv[kept++] = argv[i];
        continue;
      }
    } catch (const std::logic_error&) {  // stod / stoul: invalid_argument, out_of_range
      throw std::invalid_argument("bad value in " + std::string(arg));
    }
  }
  argc = kept;
  argv[argc] = nullptr;
  if (options.reps && *options.reps == 0) throw std::invalid_argument("--reps must be at least 1");
  return options;
}

void add_context(const runtime::Context& context, const Options& options) {
  const auto& info = context.info();
  benchmark::AddCustomContext("device", info.name);
  benchmark::AddCustomContext("device_type", info.type);
  benchmark::AddCustomContext("driver", info.driver_name + " " + info.driver_info);
  benchmark::AddCustomContext("vulkan_api", info.api_version);
  benchmark::AddCustomContext("vulkanite_version", kVersion);
  benchmark::AddCustomContext("vulkanite_commit", kGitCommit);
  for (const auto& heap : info.heaps)
    if (heap.device_local) {
      benchmark::AddCustomContext("device_local_heap_mib", std::to_string(heap.bytes >> 20));
      break;
    }
  if (options.peak_gbs) benchmark::AddCustomContext("peak_gbs", std::to_string(*options.peak_gbs));
  if (options.pcie_gbs) benchmark::AddCustomContext("pcie_gbs", std::to_string(*options.pcie_gbs));
  benchmark::AddCustomContext("time", "GPU timestamps per rep, except benchmarks named .../wall (wall clock)");
}

}  // namespace
}  // namespace vulkanite::bench

int main(int argc, char** argv) {
  using namespace vulkanite;
  try {
    bench::Options options = bench::take_options(argc, argv);
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
    runtime::Context context({.device = options.device});
    bench::add_context(context, options);
    const bench::Harness harness{context, std::move(options)};
    bench::register_benchmarks(harness);
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
  return 0;
}
