#include "apps/devices_command.hpp"

#include "runtime/instance.hpp"

#include <vulkanite/version.hpp>

#include <nlohmann/json.hpp>

#include <cstdio>
#include <iostream>

namespace vulkanite::apps {
namespace {

std::string gib(VkDeviceSize bytes) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1f GiB", static_cast<double>(bytes) / (1ull << 30));
  return text;
}

nlohmann::json to_json(const runtime::DeviceInfo& d) {
  nlohmann::json heaps = nlohmann::json::array();
  for (const auto& h : d.heaps) heaps.push_back({{"bytes", h.bytes}, {"device_local", h.device_local}});
  return {{"index", d.index},
          {"name", d.name},
          {"type", d.type},
          {"vendor", d.vendor},
          {"vendor_id", d.vendor_id},
          {"device_id", d.device_id},
          {"driver_name", d.driver_name},
          {"driver_info", d.driver_info},
          {"api_version", d.api_version},
          {"subgroup_size", d.subgroup_size},
          // Whether the kernels' subgroup variants can run (docs/runtime.md, "Subgroups").
          {"subgroup_shuffle", (d.subgroup_operations & runtime::kSubgroupShuffle) == runtime::kSubgroupShuffle},
          {"subgroup_arithmetic",
           (d.subgroup_operations & runtime::kSubgroupArithmetic) == runtime::kSubgroupArithmetic},
          {"max_workgroup_invocations", d.max_workgroup_invocations},
          {"float64", d.float64},
          {"int64", d.int64},
          {"float32_atomic_add", d.float32_atomic_add},
          {"denorm_preserve_float32", d.denorm_preserve_float32},
          // Bytes; 0: the device cannot read host memory in place (Integrator::import_frames).
          {"host_import_alignment", d.host_import_alignment},
          {"timestamps", d.timestamps},
          {"timestamp_period_ns", d.timestamp_period_ns},
          {"memory_heaps", heaps}};
}

const char* yes_no(bool value) { return value ? "yes" : "no"; }

}  // namespace

int devices_command(bool json) {
  const auto devices = runtime::list_devices();
  if (json) {
    nlohmann::json list = nlohmann::json::array();
    for (const auto& d : devices) list.push_back(to_json(d));
    std::cout << nlohmann::json{{"vulkanite", kVersion}, {"commit", kGitCommit}, {"devices", list}}.dump(2) << "\n";
    return 0;
  }
  std::printf("%-3s %-36s %-10s %-8s %-28s %-7s %-8s %-5s %-5s %-10s %s\n", "#", "name", "type", "vendor", "driver",
              "api", "subgroup", "fp64", "int64", "f32 atomic", "device memory");
  for (const auto& d : devices) {
    VkDeviceSize local = 0;
    for (const auto& h : d.heaps)
      if (h.device_local) local += h.bytes;
    const std::string driver = d.driver_name + " " + d.driver_info;
    std::printf("%-3u %-36.36s %-10s %-8s %-28.28s %-7s %-8u %-5s %-5s %-10s %s\n", d.index, d.name.c_str(),
                d.type.c_str(), d.vendor.c_str(), driver.c_str(), d.api_version.c_str(), d.subgroup_size,
                yes_no(d.float64), yes_no(d.int64), yes_no(d.float32_atomic_add), gib(local).c_str());
  }
  return 0;
}

}  // namespace vulkanite::apps
