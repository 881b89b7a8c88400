// Device memory bandwidth: the Copier kernel in several shapes (to pick the best per device), the
// driver's own vkCmdCopyBuffer for comparison, and host <-> device transfers through
// runtime::Transfer (the PCIe figure). Copies count bytes read plus bytes written.
#include "algorithms/copy.hpp"
#include "bench/gpu_bench.hpp"
#include "runtime/transfer.hpp"

#include <algorithm>
#include <vector>

namespace vulkanite::bench {
namespace {

constexpr std::uint32_t kPattern = 0x5eed1e55;

struct Pairs {  // rotated source/destination pairs (Harness::rotation)
  std::vector<runtime::Buffer> sources, destinations;
};

Pairs make_pairs(const Harness& harness, VkDeviceSize bytes, bool storage) {
  const std::uint32_t n = harness.rotation(2.0 * static_cast<double>(bytes));
  harness.require_fits(bytes, 2ull * n, storage);
  Pairs pairs;
  runtime::Sequence sequence(harness.context, 0);
  for (std::uint32_t i = 0; i < n; ++i) {
    pairs.sources.emplace_back(harness.context, bytes);
    pairs.destinations.emplace_back(harness.context, bytes);
    // Written once so that no device (llvmpipe: lazily mapped pages) reads never-touched memory.
    sequence.fill(pairs.sources.back(), kPattern);
    sequence.fill(pairs.destinations.back(), ~kPattern);
  }
  sequence.run();
  return pairs;
}

// Checks the first and last MiB of a destination: a kernel that stopped early or never ran
// must not be reported as fast.
void check_copied(runtime::Context& context, const runtime::Buffer& destination) {
  runtime::Transfer transfer(context, 1 << 20, 1);
  const VkDeviceSize chunk = std::min<VkDeviceSize>(destination.bytes(), 1 << 20);
  std::vector<std::uint32_t> words(chunk / 4);
  for (VkDeviceSize offset : {VkDeviceSize{0}, destination.bytes() - chunk}) {
    transfer.download(destination, offset, std::as_writable_bytes(std::span(words)));
    if (!std::all_of(words.begin(), words.end(), [](std::uint32_t w) { return w == kPattern; }))
      throw std::runtime_error("copy produced wrong bytes near offset " + std::to_string(offset));
  }
}

void copy_kernel(benchmark::State& state, const Harness& harness, VkDeviceSize bytes, std::uint32_t workgroup,
                 std::uint32_t unroll, std::uint32_t groups) {
  const Pairs pairs = make_pairs(harness, bytes, true);
  const algorithms::Copier copier(harness.context, workgroup, unroll, groups);
  const double moved = 2.0 * static_cast<double>(bytes);
  const GpuWork work{{"copy"}, moved, harness.reps_for(moved)};
  measure_gpu(state, harness, work, [&](runtime::Sequence& sequence, std::uint64_t i) {
    const std::size_t k = i % pairs.sources.size();
    copier.record(sequence, pairs.sources[k], pairs.destinations[k], bytes);
  });
  check_copied(harness.context, pairs.destinations[0]);
}

// vkCmdCopyBuffer is not a dispatch, so the Profile does not time it: wall clock of one
// submission of many copies, which includes the submission's fixed cost spread over the reps.
void driver_copy(benchmark::State& state, const Harness& harness, VkDeviceSize bytes) {
  const Pairs pairs = make_pairs(harness, bytes, false);
  const double moved = 2.0 * static_cast<double>(bytes);
  const std::uint32_t reps = harness.reps_for(moved);
  runtime::Sequence sequence(harness.context, 0);
  measure_wall(state, harness, moved, reps, harness.options.peak_gbs, [&](std::uint64_t first) {
    for (std::uint64_t i = first; i < first + reps; ++i) {
      const std::size_t k = i % pairs.sources.size();
      sequence.copy(pairs.sources[k], pairs.destinations[k], bytes);
      sequence.barrier();
    }
    sequence.run();
  });
  check_copied(harness.context, pairs.destinations[0]);
}

// Host memory is pageable (std::vector) and touched beforehand, as a caller's frame would be.
void transfer(benchmark::State& state, const Harness& harness, VkDeviceSize bytes, VkDeviceSize slot_bytes,
              bool upload) {
  harness.require_fits(bytes, 1, false);
  runtime::Buffer device(harness.context, bytes);
  std::vector<std::byte> host(bytes, std::byte{1});
  runtime::Transfer transfer(harness.context, slot_bytes);
  measure_wall(state, harness, static_cast<double>(bytes), 1, harness.options.pcie_gbs, [&](std::uint64_t) {
    if (upload) transfer.upload(host, device);
    else transfer.download(device, 0, host);
  });
}

std::vector<std::uint64_t> sizes_mib(const Harness& harness) {
  if (!harness.options.sizes_mib.empty()) return harness.options.sizes_mib;
  if (harness.cpu_device()) return {16, 64};  // llvmpipe copies at a few GB/s
  return {64, 256, 1024};                     // 64 MiB: source + destination exceed the H100's 50 MB L2
}

}  // namespace

void register_benchmarks(const Harness& harness) {
  const auto& h = harness;
  std::vector<std::uint32_t> group_counts = h.options.copy_groups;
  if (group_counts.empty()) group_counts = {0};
  // Kernel rows first, then the driver's copies, then transfers: one console table each.
  for (const std::uint64_t mib : sizes_mib(h))
    for (std::uint32_t workgroup : {256u, 512u})
      for (std::uint32_t unroll : {1u, 4u, 8u})
        for (std::uint32_t groups : group_counts) {
          std::string name = "copy_kernel/size_mib:" + std::to_string(mib) + "/wg:" + std::to_string(workgroup) +
                             "/unroll:" + std::to_string(unroll);
          if (groups) name += "/groups:" + std::to_string(groups);
          add(name, true, [&h, bytes = mib << 20, workgroup, unroll, groups](benchmark::State& s) {
            copy_kernel(s, h, bytes, workgroup, unroll, groups);
          });
        }
  for (const std::uint64_t mib : sizes_mib(h))
    add("vkCmdCopyBuffer/size_mib:" + std::to_string(mib) + "/wall", true,
        [&h, bytes = mib << 20](benchmark::State& s) { driver_copy(s, h, bytes); });
  // The PCIe figure: one size (the largest asked for, at most 256 MiB) and two staging slot sizes.
  const std::uint64_t mib = std::min<std::uint64_t>(256, std::ranges::max(sizes_mib(h)));
  for (const std::uint64_t slot_mib : {8u, 32u})
    for (const bool upload : {true, false}) {
      const std::string name = std::string(upload ? "upload" : "download") + "/size_mib:" + std::to_string(mib) +
                               "/slot_mib:" + std::to_string(slot_mib) + "/wall";
      add(name, true, [&h, mib, slot_mib, upload](benchmark::State& s) {
        transfer(s, h, mib << 20, slot_mib << 20, upload);
      });
    }
}

}  // namespace vulkanite::bench
