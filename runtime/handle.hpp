#pragma once
// A move-only owner of one non-dispatchable Vulkan handle created from a VkDevice. The
// destructor releases exactly that handle; destroy() overloads live in handle.cpp, the only
// place (with the Context) that calls vkDestroy*.
#include <vulkan/vulkan_core.h>

#include <utility>

namespace vulkanite::runtime {

static_assert(sizeof(void*) == 8, "Vulkanite needs 64-bit handles (distinct handle types)");

void destroy(VkDevice device, VkBuffer handle) noexcept;
void destroy(VkDevice device, VkDeviceMemory handle) noexcept;
void destroy(VkDevice device, VkFence handle) noexcept;
void destroy(VkDevice device, VkSemaphore handle) noexcept;
void destroy(VkDevice device, VkCommandPool handle) noexcept;
void destroy(VkDevice device, VkDescriptorPool handle) noexcept;
void destroy(VkDevice device, VkDescriptorSetLayout handle) noexcept;
void destroy(VkDevice device, VkPipelineLayout handle) noexcept;
void destroy(VkDevice device, VkPipeline handle) noexcept;
void destroy(VkDevice device, VkShaderModule handle) noexcept;
void destroy(VkDevice device, VkQueryPool handle) noexcept;
void destroy(VkDevice device, VkPipelineCache handle) noexcept;

template <class Handle>
class Unique {
 public:
  Unique() = default;
  Unique(VkDevice device, Handle handle) noexcept : device_(device), handle_(handle) {}
  Unique(Unique&& other) noexcept
      : device_(other.device_), handle_(std::exchange(other.handle_, VK_NULL_HANDLE)) {}
  Unique& operator=(Unique&& other) noexcept {
    if (this != &other) {
      reset();
      device_ = other.device_;
      handle_ = std::exchange(other.handle_, VK_NULL_HANDLE);
    }
    return *this;
  }
  Unique(const Unique&) = delete;
  Unique& operator=(const Unique&) = delete;
  ~Unique() { reset(); }

  Handle get() const noexcept { return handle_; }
  explicit operator bool() const noexcept { return handle_ != VK_NULL_HANDLE; }
  void reset() noexcept {
    if (handle_ != VK_NULL_HANDLE) destroy(device_, handle_);
    handle_ = VK_NULL_HANDLE;
  }

 private:
  VkDevice device_ = VK_NULL_HANDLE;
  Handle handle_ = VK_NULL_HANDLE;
};

}  // namespace vulkanite::runtime
