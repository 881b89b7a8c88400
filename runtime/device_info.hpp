#pragma once
// What `vulkanite devices` reports about one physical device.
#include <vulkan/vulkan_core.h>

#include <cstdint>
#include <string>
#include <vector>

namespace vulkanite::runtime {

struct MemoryHeap {
  VkDeviceSize bytes = 0;
  bool device_local = false;
};

// The subgroup operations of the kernels' subgroup variants (docs/runtime.md, "Subgroups"):
// shuffles for the bin statistics' tree, arithmetic for peakfinder8's ring sums.
constexpr VkSubgroupFeatureFlags kSubgroupShuffle =
    VK_SUBGROUP_FEATURE_BASIC_BIT | VK_SUBGROUP_FEATURE_SHUFFLE_BIT | VK_SUBGROUP_FEATURE_SHUFFLE_RELATIVE_BIT;
constexpr VkSubgroupFeatureFlags kSubgroupArithmetic = VK_SUBGROUP_FEATURE_BASIC_BIT | VK_SUBGROUP_FEATURE_ARITHMETIC_BIT;

struct DeviceInfo {
  std::uint32_t index = 0;          // position in vkEnumeratePhysicalDevices
  std::string name;                 // "NVIDIA H100 80GB HBM3", "llvmpipe (LLVM 15.0.6, 256 bits)"
  std::string type;                 // "discrete", "integrated", "virtual", "cpu", "other"
  std::string vendor;               // "NVIDIA", "AMD", "Intel", "Apple", "Mesa", or the hex id
  std::uint32_t vendor_id = 0;
  std::uint32_t device_id = 0;
  std::string driver_name;          // VkPhysicalDeviceDriverProperties::driverName
  std::string driver_info;          // VkPhysicalDeviceDriverProperties::driverInfo
  std::string api_version;          // "1.3.277"
  std::uint32_t api_version_raw = 0;
  std::uint32_t subgroup_size = 0;
  // The subgroup operations compute shaders may use (VkPhysicalDeviceSubgroupProperties), 0 when
  // the compute stage has none.
  VkSubgroupFeatureFlags subgroup_operations = 0;
  std::uint32_t max_workgroup_invocations = 0;
  bool float64 = false;             // shaderFloat64
  bool int64 = false;               // shaderInt64
  bool float32_atomic_add = false;  // VK_EXT_shader_atomic_float shaderBufferFloat32AtomicAdd
  bool denorm_preserve_float32 = false;
  bool timestamps = false;          // a compute queue with timestampValidBits > 0
  // VK_KHR_pipeline_executable_properties: the driver reports each pipeline's registers, spills,
  // shared memory... (VULKANITE_PIPELINE_STATISTICS=1 prints them).
  bool pipeline_statistics = false;
  // VK_EXT_external_memory_host: the device can read host memory in place once it is imported
  // (pinned), at addresses and sizes that are multiples of this alignment; 0 without the extension.
  std::uint64_t host_import_alignment = 0;
  // Loop iterations one invocation may run in all (every loop of the shader together) before the
  // driver stops them without an error: Mesa's llvmpipe caps them at 65535
  // (LP_MAX_TGSI_LOOP_ITERATIONS), after which every loop runs once. 0: no such cap.
  std::uint64_t loop_budget = 0;
  double timestamp_period_ns = 0;
  std::vector<MemoryHeap> heaps;
};

// Reads everything above through vkGetPhysicalDevice*Properties/Features (Vulkan 1.1+ entry points).
DeviceInfo query_device_info(VkPhysicalDevice device, std::uint32_t index);

// "NVIDIA" for 0x10de, etc.; the hex id for vendors not listed.
std::string vendor_name(std::uint32_t vendor_id, VkDriverId driver_id);

}  // namespace vulkanite::runtime
