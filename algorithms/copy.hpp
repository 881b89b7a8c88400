#pragma once
// Device-to-device copy through a compute kernel (shaders/copy/copy.comp): the yardstick for
// memory bandwidth that every memory-bound kernel's benchmark is compared with.
#include "runtime/buffer.hpp"
#include "runtime/kernel.hpp"
#include "runtime/sequence.hpp"

namespace vulkanite::algorithms {

struct CopyPush {  // GLSL: CopyPush in shaders/copy/copy.comp
  std::uint32_t count;  // 16-byte words
};
static_assert(sizeof(CopyPush) == 4);

class Copier {
 public:
  // `unroll` 16-byte words per invocation per trip; `groups` 0 = enough to cover the buffer once.
  Copier(runtime::Context& context, std::uint32_t workgroup_size = 256, std::uint32_t unroll = 4,
         std::uint32_t groups = 0);
  // Copies the first `bytes` (a multiple of 16) of `source` into `destination`.
  void record(runtime::Sequence& sequence, const runtime::Buffer& source, const runtime::Buffer& destination,
              VkDeviceSize bytes) const;

 private:
  runtime::Kernel kernel_;
  std::uint32_t unroll_;
  std::uint32_t groups_;
  std::uint32_t max_groups_;
};

}  // namespace vulkanite::algorithms
