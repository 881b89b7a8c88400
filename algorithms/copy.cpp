#include "algorithms/copy.hpp"

#include <shaders/copy.spv.hpp>

#include <algorithm>

namespace vulkanite::algorithms {

namespace {

runtime::KernelDesc copy_kernel(std::uint32_t workgroup_size, std::uint32_t unroll) {
  // Checked before the pipeline is built: unroll 0 would make a zero-length array in the shader.
  if (unroll == 0) throw std::invalid_argument("copy: unroll must be at least 1");
  return {"copy", shaders::copy, 2, sizeof(CopyPush), workgroup_size, {unroll}};
}

}  // namespace

Copier::Copier(runtime::Context& context, std::uint32_t workgroup_size, std::uint32_t unroll, std::uint32_t groups)
    : kernel_(context, copy_kernel(workgroup_size, unroll)),
      unroll_(unroll),
      groups_(groups),
      max_groups_(context.limits().maxComputeWorkGroupCount[0]) {}

void Copier::record(runtime::Sequence& sequence, const runtime::Buffer& source, const runtime::Buffer& destination,
                    VkDeviceSize bytes) const {
  if (bytes % 16 != 0) throw std::invalid_argument("copy: byte count must be a multiple of 16");
  if (bytes > source.bytes() || bytes > destination.bytes())
    throw std::out_of_range("copy: " + std::to_string(bytes) + " bytes exceed a buffer");
  const VkDeviceSize words = bytes / 16;
  if (words > 0xffffffffull) throw std::invalid_argument("copy: more than 2^32 - 1 words");
  const std::uint64_t needed = (words + std::uint64_t{kernel_.workgroup_size()} * unroll_ - 1) /
                               (std::uint64_t{kernel_.workgroup_size()} * unroll_);
  const auto groups = static_cast<std::uint32_t>(
      std::clamp<std::uint64_t>(groups_ ? groups_ : needed, 1, max_groups_));
  sequence.dispatch(kernel_, {source, destination}, CopyPush{static_cast<std::uint32_t>(words)}, {groups});
}

}  // namespace vulkanite::algorithms
