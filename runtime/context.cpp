#include "runtime/context.hpp"

#include "runtime/error.hpp"

#include <volk.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <vector>

#include <unistd.h>

namespace vulkanite::runtime {
namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

int type_rank(const std::string& type) {
  for (int rank = 0; const char* t : {"discrete", "integrated", "virtual", "cpu"}) {
    if (type == t) return rank;
    ++rank;
  }
  return 4;
}

std::string device_list(const std::vector<DeviceInfo>& infos) {
  std::string list;  // one line: the CLI prints errors as one line
  for (const auto& i : infos) list += (list.empty() ? " " : ", ") + std::to_string(i.index) + " = " + i.name;
  return list;
}

// Picks the device named by `selector` (index or name substring) or the best by type.
std::uint32_t choose_device(const std::vector<DeviceInfo>& infos, std::optional<std::string> selector) {
  if (!selector) {
    if (const char* env = std::getenv("VULKANITE_DEVICE"); env && *env) selector = env;
  }
  if (!selector) {
    const auto best = std::min_element(infos.begin(), infos.end(), [](const auto& a, const auto& b) {
      return type_rank(a.type) < type_rank(b.type);
    });
    return best->index;
  }
  const bool is_index = !selector->empty() && std::all_of(selector->begin(), selector->end(), ::isdigit);
  if (is_index) {
    const unsigned long index = std::stoul(*selector);
    if (index >= infos.size())
      throw std::runtime_error("Vulkan device index " + *selector + " does not exist; devices:" +
                               device_list(infos));
    return static_cast<std::uint32_t>(index);
  }
  for (const auto& i : infos)
    if (lower(i.name).find(lower(*selector)) != std::string::npos) return i.index;
  throw std::runtime_error("no Vulkan device matches \"" + *selector + "\"; devices:" + device_list(infos));
}

std::filesystem::path default_cache_dir() {
  if (const char* dir = std::getenv("VULKANITE_CACHE_DIR"); dir && *dir) return dir;
  if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg && *xdg)
    return std::filesystem::path(xdg) / "vulkanite";
  if (const char* home = std::getenv("HOME"); home && *home)
    return std::filesystem::path(home) / ".cache" / "vulkanite";
  return {};
}

}  // namespace

Context::Context(const ContextOptions& options)
    : instance_(shared_instance(options.validation.value_or(validation_requested_by_environment()))) {
  const auto devices = instance_->physical_devices();
  std::vector<DeviceInfo> infos;
  for (std::uint32_t i = 0; i < devices.size(); ++i) infos.push_back(query_device_info(devices[i], i));
  const std::uint32_t chosen = choose_device(infos, options.device);
  physical_device_ = devices[chosen];
  info_ = infos[chosen];
  if (info_.api_version_raw < VK_API_VERSION_1_2)
    throw std::runtime_error("Vulkan device \"" + info_.name + "\" supports Vulkan " + info_.api_version +
                             "; Vulkanite needs 1.2 or newer");
  VkPhysicalDeviceProperties properties;
  vkGetPhysicalDeviceProperties(physical_device_, &properties);
  limits_ = properties.limits;
  vkGetPhysicalDeviceMemoryProperties(physical_device_, &memory_);
  const char* statistics_env = std::getenv("VULKANITE_PIPELINE_STATISTICS");
  pipeline_statistics_ = info_.pipeline_statistics &&
                         options.pipeline_statistics.value_or(statistics_env && *statistics_env &&
                                                              std::string(statistics_env) != "0");
  const char* subgroups_env = std::getenv("VULKANITE_SUBGROUPS");
  subgroups_ = options.subgroups.value_or(!(subgroups_env && std::string(subgroups_env) == "0"));
  const char* transfer_env = std::getenv("VULKANITE_TRANSFER_QUEUE");
  create_device(options.transfer_queue.value_or(!(transfer_env && std::string(transfer_env) == "0")));
  load_pipeline_cache(options);
}

void Context::create_device(bool transfer_queue) {
  std::uint32_t count = 0;
  vkGetPhysicalDeviceQueueFamilyProperties(physical_device_, &count, nullptr);
  std::vector<VkQueueFamilyProperties> families(count);
  vkGetPhysicalDeviceQueueFamilyProperties(physical_device_, &count, families.data());
  // A compute family with timestamps if there is one: profiles need them.
  std::optional<std::uint32_t> family;
  for (std::uint32_t i = 0; i < count; ++i) {
    if (!(families[i].queueFlags & VK_QUEUE_COMPUTE_BIT)) continue;
    if (!family || (families[*family].timestampValidBits == 0 && families[i].timestampValidBits > 0))
      family = i;
  }
  if (!family) throw std::runtime_error("Vulkan device \"" + info_.name + "\" has no compute queue");
  queue_family_ = *family;
  timestamp_valid_bits_ = families[*family].timestampValidBits;

  transfer_family_ = queue_family_;
  for (std::uint32_t i = 0; i < count && transfer_queue; ++i) {
    const VkQueueFlags flags = families[i].queueFlags;
    if ((flags & VK_QUEUE_TRANSFER_BIT) && !(flags & (VK_QUEUE_GRAPHICS_BIT | VK_QUEUE_COMPUTE_BIT))) {
      transfer_family_ = i;
      break;
    }
  }

  const float priority = 1.0f;
  VkDeviceQueueCreateInfo queue_infos[2]{};
  for (std::uint32_t q = 0; q < 2; ++q) {
    queue_infos[q] = {VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO};
    queue_infos[q].queueFamilyIndex = q == 0 ? queue_family_ : transfer_family_;
    queue_infos[q].queueCount = 1;
    queue_infos[q].pQueuePriorities = &priority;
  }

  // Optional features are enabled when present and reported by `vulkanite devices`; kernels
  // that need one check DeviceInfo and say so.
  VkPhysicalDeviceFeatures2 features{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FEATURES_2};
  features.features.shaderFloat64 = info_.float64;
  features.features.shaderInt64 = info_.int64;
  VkPhysicalDevicePipelineExecutablePropertiesFeaturesKHR executable{
      VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PIPELINE_EXECUTABLE_PROPERTIES_FEATURES_KHR};
  executable.pipelineExecutableInfo = VK_TRUE;
  std::vector<const char*> extensions;
  if (pipeline_statistics_) {
    features.pNext = &executable;
    extensions.push_back(VK_KHR_PIPELINE_EXECUTABLE_PROPERTIES_EXTENSION_NAME);
  }
  if (info_.host_import_alignment != 0) extensions.push_back(VK_EXT_EXTERNAL_MEMORY_HOST_EXTENSION_NAME);
  VkDeviceCreateInfo info{VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO, &features};
  info.queueCreateInfoCount = separate_transfer_queue() ? 2 : 1;
  info.pQueueCreateInfos = queue_infos;
  info.enabledExtensionCount = static_cast<std::uint32_t>(extensions.size());
  info.ppEnabledExtensionNames = extensions.data();
  check(vkCreateDevice(physical_device_, &info, nullptr, &device_), "vkCreateDevice");
  vkGetDeviceQueue(device_, queue_family_, 0, &queue_);
  vkGetDeviceQueue(device_, transfer_family_, 0, &transfer_queue_);
}

void Context::load_pipeline_cache(const ContextOptions& options) {
  const auto dir = options.pipeline_cache_dir.value_or(default_cache_dir());
  VkPhysicalDeviceProperties properties;
  vkGetPhysicalDeviceProperties(physical_device_, &properties);
  std::vector<char> data;
  if (!dir.empty()) {
    char uuid[2 * VK_UUID_SIZE + 1];
    for (unsigned i = 0; i < VK_UUID_SIZE; ++i) std::snprintf(uuid + 2 * i, 3, "%02x", properties.pipelineCacheUUID[i]);
    cache_file_ = dir / ("pipelines-" + std::string(uuid) + ".bin");
    std::ifstream in(cache_file_, std::ios::binary);
    if (in) data.assign(std::istreambuf_iterator<char>(in), {});
    // The driver validates the header (vendor, device, UUID) and ignores data it cannot use;
    // reject here too what is obviously not a cache so that a damaged file never reaches it.
    if (data.size() < 16 + VK_UUID_SIZE) data.clear();
  }
  VkPipelineCacheCreateInfo info{VK_STRUCTURE_TYPE_PIPELINE_CACHE_CREATE_INFO};
  info.initialDataSize = data.size();
  info.pInitialData = data.empty() ? nullptr : data.data();
  VkPipelineCache cache = VK_NULL_HANDLE;
  if (vkCreatePipelineCache(device_, &info, nullptr, &cache) != VK_SUCCESS) {
    info.initialDataSize = 0;  // a cache the driver refuses is a cache we do not have
    info.pInitialData = nullptr;
    check(vkCreatePipelineCache(device_, &info, nullptr, &cache), "vkCreatePipelineCache");
  }
  pipeline_cache_ = Unique<VkPipelineCache>(device_, cache);
}

void Context::save_pipeline_cache() const {
  if (cache_file_.empty()) return;
  std::size_t size = 0;
  if (vkGetPipelineCacheData(device_, pipeline_cache_.get(), &size, nullptr) != VK_SUCCESS) return;
  std::vector<char> data(size);
  if (vkGetPipelineCacheData(device_, pipeline_cache_.get(), &size, data.data()) != VK_SUCCESS) return;
  std::error_code error;
  std::filesystem::create_directories(cache_file_.parent_path(), error);
  // Per process: parallel test runs share one cache directory.
  const auto temporary = cache_file_.string() + ".tmp." + std::to_string(::getpid());
  {
    std::ofstream out(temporary, std::ios::binary);
    out.write(data.data(), static_cast<std::streamsize>(size));
    if (!out) {
      std::fprintf(stderr, "vulkanite: warning: cannot write the pipeline cache %s\n", temporary.c_str());
      return;
    }
  }
  // Rename is atomic: a concurrent reader sees the old file or the new one, never half of one.
  std::filesystem::rename(temporary, cache_file_, error);
}

Context::~Context() {
  if (device_) {
    vkDeviceWaitIdle(device_);
    save_pipeline_cache();
    pipeline_cache_.reset();
    vkDestroyDevice(device_, nullptr);
  }
}

std::uint32_t Context::memory_type(std::uint32_t type_bits, VkMemoryPropertyFlags required,
                                   VkMemoryPropertyFlags preferred) const {
  std::optional<std::uint32_t> fallback;
  for (std::uint32_t i = 0; i < memory_.memoryTypeCount; ++i) {
    if (!(type_bits & (1u << i))) continue;
    const auto flags = memory_.memoryTypes[i].propertyFlags;
    if ((flags & required) != required) continue;
    if ((flags & preferred) == preferred) return i;
    if (!fallback) fallback = i;
  }
  if (!fallback)
    throw std::runtime_error("Vulkan device \"" + info_.name + "\" has no memory type with the flags " +
                             std::to_string(required) + " that the buffer needs");
  return *fallback;
}

bool Context::memory_type_is(std::uint32_t type, VkMemoryPropertyFlags flags) const {
  return (memory_.memoryTypes[type].propertyFlags & flags) == flags;
}

void Context::throw_on_validation_messages() {
  const auto messages = instance_->take_validation_messages();
  if (messages.empty()) return;
  std::string text = std::to_string(messages.size()) + " validation message(s):";
  for (const auto& m : messages) text += "\n" + m;
  throw ValidationError(text);
}

}  // namespace vulkanite::runtime
