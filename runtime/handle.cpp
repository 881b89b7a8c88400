#include "runtime/handle.hpp"

#include <volk.h>

namespace vulkanite::runtime {

void destroy(VkDevice d, VkBuffer h) noexcept { vkDestroyBuffer(d, h, nullptr); }
void destroy(VkDevice d, VkDeviceMemory h) noexcept { vkFreeMemory(d, h, nullptr); }
void destroy(VkDevice d, VkFence h) noexcept { vkDestroyFence(d, h, nullptr); }
void destroy(VkDevice d, VkSemaphore h) noexcept { vkDestroySemaphore(d, h, nullptr); }
void destroy(VkDevice d, VkCommandPool h) noexcept { vkDestroyCommandPool(d, h, nullptr); }
void destroy(VkDevice d, VkDescriptorPool h) noexcept { vkDestroyDescriptorPool(d, h, nullptr); }
void destroy(VkDevice d, VkDescriptorSetLayout h) noexcept {
  vkDestroyDescriptorSetLayout(d, h, nullptr);
}
void destroy(VkDevice d, VkPipelineLayout h) noexcept { vkDestroyPipelineLayout(d, h, nullptr); }
void destroy(VkDevice d, VkPipeline h) noexcept { vkDestroyPipeline(d, h, nullptr); }
void destroy(VkDevice d, VkShaderModule h) noexcept { vkDestroyShaderModule(d, h, nullptr); }
void destroy(VkDevice d, VkQueryPool h) noexcept { vkDestroyQueryPool(d, h, nullptr); }
void destroy(VkDevice d, VkPipelineCache h) noexcept { vkDestroyPipelineCache(d, h, nullptr); }

}  // namespace vulkanite::runtime
