#include "runtime/instance.hpp"

#include "runtime/error.hpp"

#include <volk.h>

#include <cstdlib>
#include <cstring>
#include <utility>

namespace vulkanite::runtime {
namespace {

constexpr const char* kValidationLayer = "VK_LAYER_KHRONOS_validation";

void load_vulkan() {
  // volkInitialize is cheap after the first success; it fails only when no loader is installed.
  if (volkInitialize() != VK_SUCCESS)
    throw std::runtime_error(
        "no Vulkan loader (libvulkan.so.1) found: install it (Debian: apt-get install libvulkan1) "
        "and a driver (for a CPU device: apt-get install mesa-vulkan-drivers)");
  const std::uint32_t version = volkGetInstanceVersion();
  if (version < VK_API_VERSION_1_2)
    throw std::runtime_error("the Vulkan loader supports only Vulkan " +
                             std::to_string(VK_API_VERSION_MAJOR(version)) + "." +
                             std::to_string(VK_API_VERSION_MINOR(version)) +
                             "; Vulkanite needs 1.2 or newer");
}

bool layer_available(const char* name) {
  std::uint32_t count = 0;
  check(vkEnumerateInstanceLayerProperties(&count, nullptr), "vkEnumerateInstanceLayerProperties");
  std::vector<VkLayerProperties> layers(count);
  check(vkEnumerateInstanceLayerProperties(&count, layers.data()),
        "vkEnumerateInstanceLayerProperties");
  for (const auto& l : layers)
    if (std::strcmp(l.layerName, name) == 0) return true;
  return false;
}

VKAPI_ATTR VkBool32 VKAPI_CALL on_validation_message(
    VkDebugUtilsMessageSeverityFlagBitsEXT severity, VkDebugUtilsMessageTypeFlagsEXT,
    const VkDebugUtilsMessengerCallbackDataEXT* data, void* user) {
  // Never throw across the C callback: record, and the runtime raises it at its next check.
  auto* messages = static_cast<Instance::Messages*>(user);
  const char* level = (severity & VK_DEBUG_UTILS_MESSAGE_SEVERITY_ERROR_BIT_EXT) ? "error" : "warning";
  std::lock_guard lock(messages->mutex);
  messages->list.push_back(std::string("validation ") + level + ": " +
                           (data->pMessage ? data->pMessage : "(no text)"));
  return VK_FALSE;
}

}  // namespace

bool validation_requested_by_environment() {
  const char* value = std::getenv("VULKANITE_VALIDATION");
  return value && *value && std::strcmp(value, "0") != 0;
}

Instance::Instance(bool validation) {
  load_vulkan();
  if (validation && !layer_available(kValidationLayer))
    throw std::runtime_error(
        "validation was requested (VULKANITE_VALIDATION) but the Khronos validation layer is not "
        "installed (Debian: apt-get install vulkan-validationlayers)");

  VkApplicationInfo app{VK_STRUCTURE_TYPE_APPLICATION_INFO};
  app.pApplicationName = "vulkanite";
  app.pEngineName = "vulkanite";
  app.apiVersion = VK_API_VERSION_1_2;

  VkDebugUtilsMessengerCreateInfoEXT messenger_info{
      VK_STRUCTURE_TYPE_DEBUG_UTILS_MESSENGER_CREATE_INFO_EXT};
  messenger_info.messageSeverity = VK_DEBUG_UTILS_MESSAGE_SEVERITY_WARNING_BIT_EXT |
                                   VK_DEBUG_UTILS_MESSAGE_SEVERITY_ERROR_BIT_EXT;
  messenger_info.messageType = VK_DEBUG_UTILS_MESSAGE_TYPE_GENERAL_BIT_EXT |
                               VK_DEBUG_UTILS_MESSAGE_TYPE_VALIDATION_BIT_EXT |
                               VK_DEBUG_UTILS_MESSAGE_TYPE_PERFORMANCE_BIT_EXT;
  messenger_info.pfnUserCallback = on_validation_message;
  messenger_info.pUserData = messages_.get();

  const char* layers[] = {kValidationLayer};
  const char* extensions[] = {VK_EXT_DEBUG_UTILS_EXTENSION_NAME};
  VkInstanceCreateInfo info{VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO};
  info.pApplicationInfo = &app;
  if (validation) {
    info.pNext = &messenger_info;  // also catches messages from instance creation itself
    info.enabledLayerCount = 1;
    info.ppEnabledLayerNames = layers;
    info.enabledExtensionCount = 1;
    info.ppEnabledExtensionNames = extensions;
  }
  const VkResult result = vkCreateInstance(&info, nullptr, &instance_);
  if (result == VK_ERROR_INCOMPATIBLE_DRIVER)
    throw std::runtime_error(
        "no Vulkan driver found (vkCreateInstance failed: VK_ERROR_INCOMPATIBLE_DRIVER): install "
        "your GPU's Vulkan driver, or Mesa's CPU driver llvmpipe (apt-get install "
        "mesa-vulkan-drivers)");
  check(result, "vkCreateInstance");
  // Device functions too come from the instance: the loader's trampolines dispatch on the device
  // handle, so they stay right for every Context, whichever device it drives (volkLoadDevice
  // would point them at one device's driver).
  volkLoadInstance(instance_);
  if (validation) {
    destroy_messenger_ = reinterpret_cast<PFN_vkDestroyDebugUtilsMessengerEXT>(
        vkGetInstanceProcAddr(instance_, "vkDestroyDebugUtilsMessengerEXT"));
    const VkResult r = vkCreateDebugUtilsMessengerEXT(instance_, &messenger_info, nullptr, &messenger_);
    if (r != VK_SUCCESS) {
      vkDestroyInstance(instance_, nullptr);
      throw VulkanError("vkCreateDebugUtilsMessengerEXT", r);
    }
  }
}

Instance::~Instance() {
  if (messenger_) destroy_messenger_(instance_, messenger_, nullptr);
  vkDestroyInstance(instance_, nullptr);
}

std::vector<VkPhysicalDevice> Instance::physical_devices() const {
  std::uint32_t count = 0;
  check(vkEnumeratePhysicalDevices(instance_, &count, nullptr), "vkEnumeratePhysicalDevices");
  std::vector<VkPhysicalDevice> devices(count);
  check(vkEnumeratePhysicalDevices(instance_, &count, devices.data()), "vkEnumeratePhysicalDevices");
  if (devices.empty())
    throw std::runtime_error(
        "no Vulkan device found: install your GPU's Vulkan driver, or for a CPU device Mesa's "
        "llvmpipe (Debian: apt-get install mesa-vulkan-drivers)");
  return devices;
}

std::vector<std::string> Instance::take_validation_messages() {
  std::lock_guard lock(messages_->mutex);
  return std::exchange(messages_->list, {});
}

std::shared_ptr<Instance> shared_instance(bool validation) {
  static std::mutex mutex;
  static std::weak_ptr<Instance> instances[2];  // without and with validation
  std::lock_guard lock(mutex);
  auto instance = instances[validation].lock();
  if (!instance) {
    instance = std::make_shared<Instance>(validation);
    instances[validation] = instance;
  }
  return instance;
}

std::vector<DeviceInfo> list_devices(bool validation) {
  const auto instance = shared_instance(validation);
  std::vector<DeviceInfo> infos;
  const auto devices = instance->physical_devices();
  for (std::uint32_t i = 0; i < devices.size(); ++i) infos.push_back(query_device_info(devices[i], i));
  return infos;
}

}  // namespace vulkanite::runtime
