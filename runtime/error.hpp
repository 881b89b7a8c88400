#pragma once
// Errors of the Vulkan runtime: every failing call becomes an exception that names the call
// and the VkResult, e.g. "vkCreateBuffer failed: VK_ERROR_OUT_OF_DEVICE_MEMORY".
#include <vulkan/vulkan_core.h>

#include <stdexcept>
#include <string>

namespace vulkanite::runtime {

// The enumerator's name as written in vulkan_core.h ("VK_ERROR_DEVICE_LOST").
const char* result_name(VkResult result) noexcept;

class VulkanError : public std::runtime_error {
 public:
  VulkanError(const std::string& call, VkResult result);
  VkResult result() const noexcept { return result_; }

 private:
  VkResult result_;
};

// Raised when the Khronos validation layer reported something (tests run with it on).
class ValidationError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Throws VulkanError unless `result` is VK_SUCCESS. `call` names the Vulkan function.
inline void check(VkResult result, const char* call) {
  if (result != VK_SUCCESS) throw VulkanError(call, result);
}

}  // namespace vulkanite::runtime
