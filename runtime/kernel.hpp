#pragma once
// A compute pipeline built from embedded SPIR-V. Every kernel has the same binding model:
// storage buffers 0..bindings-1 in descriptor set 0, one push-constant block, specialization
// constant 0 = workgroup size (GLSL `layout(local_size_x_id = 0) in;`) and constants 1..n.
#include "runtime/context.hpp"
#include "runtime/handle.hpp"

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace vulkanite::runtime {

struct KernelDesc {
  std::string name;                      // shown in profiles: "copy", "reduce_sum"
  std::span<const std::uint32_t> spirv;  // from a generated <shaders/NAME.spv.hpp>
  std::uint32_t bindings = 0;            // storage buffers in set 0
  std::uint32_t push_constant_bytes = 0; // sizeof the C++ twin of the GLSL push_constant block
  std::uint32_t workgroup_size = 256;    // specialization constant 0
  std::vector<std::uint32_t> constants;  // specialization constants 1, 2, ... as 32-bit words
};

class Kernel {
 public:
  Kernel(Context& context, KernelDesc desc);
  Kernel(Kernel&&) noexcept = default;

  const std::string& name() const noexcept { return desc_.name; }
  std::uint32_t workgroup_size() const noexcept { return desc_.workgroup_size; }
  std::uint32_t bindings() const noexcept { return desc_.bindings; }
  std::uint32_t push_constant_bytes() const noexcept { return desc_.push_constant_bytes; }
  VkPipeline pipeline() const noexcept { return pipeline_.get(); }
  VkPipelineLayout layout() const noexcept { return layout_.get(); }
  VkDescriptorSetLayout set_layout() const noexcept { return set_layout_.get(); }

  // Workgroups needed to cover `items` with one item per invocation.
  std::uint32_t groups_for(std::uint64_t items) const;

 private:
  KernelDesc desc_;
  Unique<VkDescriptorSetLayout> set_layout_;
  Unique<VkPipelineLayout> layout_;
  Unique<VkPipeline> pipeline_;
};

}  // namespace vulkanite::runtime
