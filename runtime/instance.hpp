#pragma once
// The Vulkan instance: loads the loader through volk, optionally enables the Khronos validation
// layer and collects its messages so that callers (tests) can turn them into errors.
#include "runtime/device_info.hpp"

#include <vulkan/vulkan_core.h>

#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace vulkanite::runtime {

// VULKANITE_VALIDATION=1 (or any value but 0/empty) asks for the validation layer.
bool validation_requested_by_environment();

class Instance {
 public:
  explicit Instance(bool validation);
  ~Instance();
  Instance(const Instance&) = delete;
  Instance& operator=(const Instance&) = delete;

  VkInstance get() const noexcept { return instance_; }
  bool validation() const noexcept { return messenger_ != VK_NULL_HANDLE; }

  // Physical devices in enumeration order. Throws with install advice when there are none.
  std::vector<VkPhysicalDevice> physical_devices() const;

  // Warnings and errors the validation layer reported since the last call (and forgets them).
  std::vector<std::string> take_validation_messages();

 // Filled by the debug-utils callback, possibly from driver threads.
  struct Messages {
    std::mutex mutex;
    std::vector<std::string> list;
  };

 private:
  VkInstance instance_ = VK_NULL_HANDLE;
  VkDebugUtilsMessengerEXT messenger_ = VK_NULL_HANDLE;
  // This instance's own entry point: volk's global one follows the newest instance, which may
  // lack VK_EXT_debug_utils.
  PFN_vkDestroyDebugUtilsMessengerEXT destroy_messenger_ = nullptr;
  std::unique_ptr<Messages> messages_ = std::make_unique<Messages>();
};

// The process's Instance for this validation setting, made on first use and shared by every
// Context and device listing while any holds it. Shared because NVIDIA's driver (580) refuses
// vkCreateInstance after about 28 instances in one process.
std::shared_ptr<Instance> shared_instance(bool validation);

// Every device with its properties, for `vulkanite devices`.
std::vector<DeviceInfo> list_devices(bool validation = false);

}  // namespace vulkanite::runtime
