#include "runtime/kernel.hpp"

#include "runtime/error.hpp"

#include <volk.h>

#include <cstdio>

namespace vulkanite::runtime {
namespace {

// One stderr line per executable of the pipeline: what the driver reports about it (NVIDIA:
// registers, local memory (spills), shared memory, ...), the first thing to read when a kernel
// is slower than its memory traffic implies.
void print_statistics(VkDevice device, VkPipeline pipeline, const KernelDesc& desc) {
  VkPipelineInfoKHR pipeline_info{VK_STRUCTURE_TYPE_PIPELINE_INFO_KHR};
  pipeline_info.pipeline = pipeline;
  std::uint32_t executables = 0;
  check(vkGetPipelineExecutablePropertiesKHR(device, &pipeline_info, &executables, nullptr),
        "vkGetPipelineExecutablePropertiesKHR");
  std::string constants;
  for (auto c : desc.constants) constants.append(" ").append(std::to_string(c));
  for (std::uint32_t e = 0; e < executables; ++e) {
    VkPipelineExecutableInfoKHR executable{VK_STRUCTURE_TYPE_PIPELINE_EXECUTABLE_INFO_KHR};
    executable.pipeline = pipeline;
    executable.executableIndex = e;
    std::uint32_t count = 0;
    check(vkGetPipelineExecutableStatisticsKHR(device, &executable, &count, nullptr),
          "vkGetPipelineExecutableStatisticsKHR");
    std::vector<VkPipelineExecutableStatisticKHR> statistics(count, {VK_STRUCTURE_TYPE_PIPELINE_EXECUTABLE_STATISTIC_KHR});
    check(vkGetPipelineExecutableStatisticsKHR(device, &executable, &count, statistics.data()),
          "vkGetPipelineExecutableStatisticsKHR");
    std::string line = "pipeline statistics: " + desc.name + " (workgroup " + std::to_string(desc.workgroup_size) +
                       ", constants" + (constants.empty() ? " none" : constants) + "):";
    for (const auto& s : statistics) {
      line.append(" ").append(s.name).append("=");
      switch (s.format) {
        case VK_PIPELINE_EXECUTABLE_STATISTIC_FORMAT_BOOL32_KHR: line += s.value.b32 ? "true" : "false"; break;
        case VK_PIPELINE_EXECUTABLE_STATISTIC_FORMAT_INT64_KHR: line += std::to_string(s.value.i64); break;
        case VK_PIPELINE_EXECUTABLE_STATISTIC_FORMAT_UINT64_KHR: line += std::to_string(s.value.u64); break;
        case VK_PIPELINE_EXECUTABLE_STATISTIC_FORMAT_FLOAT64_KHR: line += std::to_string(s.value.f64); break;
        default: line += "?";
      }
      line += ";";
    }
    std::fprintf(stderr, "%s\n", line.c_str());
  }
}

}  // namespace

Kernel::Kernel(Context& context, KernelDesc desc) : desc_(std::move(desc)) {
  const VkDevice device = context.device();
  const auto& limits = context.limits();
  if (desc_.workgroup_size == 0 || desc_.workgroup_size > limits.maxComputeWorkGroupSize[0] ||
      desc_.workgroup_size > limits.maxComputeWorkGroupInvocations)
    throw std::invalid_argument("kernel " + desc_.name + ": workgroup size " +
                                std::to_string(desc_.workgroup_size) + " is outside 1.." +
                                std::to_string(std::min(limits.maxComputeWorkGroupSize[0],
                                                        limits.maxComputeWorkGroupInvocations)) +
                                " on " + context.info().name);
  if (desc_.push_constant_bytes > limits.maxPushConstantsSize)
    throw std::invalid_argument("kernel " + desc_.name + ": " + std::to_string(desc_.push_constant_bytes) +
                                " bytes of push constants exceed the device's " +
                                std::to_string(limits.maxPushConstantsSize));

  std::vector<VkDescriptorSetLayoutBinding> bindings(desc_.bindings);
  for (std::uint32_t i = 0; i < desc_.bindings; ++i)
    bindings[i] = {i, VK_DESCRIPTOR_TYPE_STORAGE_BUFFER, 1, VK_SHADER_STAGE_COMPUTE_BIT, nullptr};
  VkDescriptorSetLayoutCreateInfo set_info{VK_STRUCTURE_TYPE_DESCRIPTOR_SET_LAYOUT_CREATE_INFO};
  set_info.bindingCount = desc_.bindings;
  set_info.pBindings = bindings.data();
  VkDescriptorSetLayout set_layout = VK_NULL_HANDLE;
  check(vkCreateDescriptorSetLayout(device, &set_info, nullptr, &set_layout), "vkCreateDescriptorSetLayout");
  set_layout_ = Unique<VkDescriptorSetLayout>(device, set_layout);

  VkPushConstantRange push{VK_SHADER_STAGE_COMPUTE_BIT, 0, desc_.push_constant_bytes};
  VkPipelineLayoutCreateInfo layout_info{VK_STRUCTURE_TYPE_PIPELINE_LAYOUT_CREATE_INFO};
  layout_info.setLayoutCount = 1;
  layout_info.pSetLayouts = &set_layout;
  layout_info.pushConstantRangeCount = desc_.push_constant_bytes ? 1 : 0;
  layout_info.pPushConstantRanges = &push;
  VkPipelineLayout layout = VK_NULL_HANDLE;
  check(vkCreatePipelineLayout(device, &layout_info, nullptr, &layout), "vkCreatePipelineLayout");
  layout_ = Unique<VkPipelineLayout>(device, layout);

  VkShaderModuleCreateInfo module_info{VK_STRUCTURE_TYPE_SHADER_MODULE_CREATE_INFO};
  module_info.codeSize = desc_.spirv.size_bytes();
  module_info.pCode = desc_.spirv.data();
  VkShaderModule raw_module = VK_NULL_HANDLE;
  check(vkCreateShaderModule(device, &module_info, nullptr, &raw_module), "vkCreateShaderModule");
  Unique<VkShaderModule> module(device, raw_module);

  std::vector<std::uint32_t> values{desc_.workgroup_size};
  values.insert(values.end(), desc_.constants.begin(), desc_.constants.end());
  std::vector<VkSpecializationMapEntry> entries(values.size());
  for (std::uint32_t i = 0; i < values.size(); ++i)
    entries[i] = {i, static_cast<std::uint32_t>(i * sizeof(std::uint32_t)), sizeof(std::uint32_t)};
  VkSpecializationInfo specialization{static_cast<std::uint32_t>(entries.size()), entries.data(),
                                      values.size() * sizeof(std::uint32_t), values.data()};

  VkComputePipelineCreateInfo info{VK_STRUCTURE_TYPE_COMPUTE_PIPELINE_CREATE_INFO};
  info.stage = {VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO};
  info.stage.stage = VK_SHADER_STAGE_COMPUTE_BIT;
  info.stage.module = module.get();
  info.stage.pName = "main";
  info.stage.pSpecializationInfo = &specialization;
  info.layout = layout;
  if (context.pipeline_statistics()) info.flags |= VK_PIPELINE_CREATE_CAPTURE_STATISTICS_BIT_KHR;
  VkPipeline pipeline = VK_NULL_HANDLE;
  const VkResult result =
      vkCreateComputePipelines(device, context.pipeline_cache(), 1, &info, nullptr, &pipeline);
  if (result != VK_SUCCESS) throw VulkanError("vkCreateComputePipelines (" + desc_.name + ")", result);
  pipeline_ = Unique<VkPipeline>(device, pipeline);
  if (context.pipeline_statistics()) print_statistics(device, pipeline, desc_);
}

std::uint32_t Kernel::groups_for(std::uint64_t items) const {
  return static_cast<std::uint32_t>((items + desc_.workgroup_size - 1) / desc_.workgroup_size);
}

}  // namespace vulkanite::runtime
