#pragma once
// The Vulkan device Vulkanite computes on: one physical device, one compute queue (and a transfer
// queue for uploads where the device has a copy engine), the memory types, and an on-disk
// pipeline cache. It knows nothing of algorithms; they take a Context&.
#include "runtime/device_info.hpp"
#include "runtime/handle.hpp"
#include "runtime/instance.hpp"

#include <vulkan/vulkan_core.h>

#include <filesystem>
#include <optional>
#include <string>

namespace vulkanite::runtime {

struct ContextOptions {
  // A device index ("1") or a case-insensitive name substring ("h100", "llvmpipe"). Unset: the
  // VULKANITE_DEVICE variable, else the first discrete GPU, else integrated, virtual, CPU.
  std::optional<std::string> device;
  // Unset: VULKANITE_VALIDATION. On: the Khronos validation layer, its messages become errors.
  std::optional<bool> validation;
  // Unset: VULKANITE_CACHE_DIR, else $XDG_CACHE_HOME/vulkanite, else ~/.cache/vulkanite.
  std::optional<std::filesystem::path> pipeline_cache_dir;
  // Unset: VULKANITE_PIPELINE_STATISTICS. On: every kernel prints the driver's statistics of its
  // pipeline (registers, spills, shared memory, ...) to stderr, where the device reports them.
  std::optional<bool> pipeline_statistics;
  // Unset: VULKANITE_TRANSFER_QUEUE (default on). On: frame uploads go through a queue of a
  // transfer-only family (the copy engine) where the device has one; off: through the compute
  // queue, which orders them behind every kernel before them.
  std::optional<bool> transfer_queue;
  // Unset: VULKANITE_SUBGROUPS (default on). On: kernels whose workgroup reductions have a
  // subgroup variant use it where the device has the operations it needs; off: the shared-memory
  // variant everywhere. The bits are the same either way.
  std::optional<bool> subgroups;
};

class Context {
 public:
  explicit Context(const ContextOptions& options = {});
  ~Context();
  Context(const Context&) = delete;
  Context& operator=(const Context&) = delete;

  const DeviceInfo& info() const noexcept { return info_; }
  VkPhysicalDevice physical_device() const noexcept { return physical_device_; }
  VkDevice device() const noexcept { return device_; }
  VkQueue queue() const noexcept { return queue_; }
  std::uint32_t queue_family() const noexcept { return queue_family_; }
  // The queue of Sequence::upload: a transfer-only family's (a copy engine, which runs beside the
  // kernels) where the device has one, else the compute queue itself.
  VkQueue transfer_queue() const noexcept { return transfer_queue_; }
  std::uint32_t transfer_family() const noexcept { return transfer_family_; }
  bool separate_transfer_queue() const noexcept { return transfer_family_ != queue_family_; }
  bool queue_has_timestamps() const noexcept { return timestamp_valid_bits_ > 0; }
  // Timestamps wrap at timestampValidBits: differences are taken modulo this mask + 1.
  std::uint64_t timestamp_mask() const noexcept {
    return timestamp_valid_bits_ >= 64 ? ~0ull : (1ull << timestamp_valid_bits_) - 1;
  }
  VkPipelineCache pipeline_cache() const noexcept { return pipeline_cache_.get(); }
  bool pipeline_statistics() const noexcept { return pipeline_statistics_; }
  const VkPhysicalDeviceLimits& limits() const noexcept { return limits_; }
  // True when compute shaders may use every operation in `operations` (kSubgroupShuffle, ...)
  // and subgroups were not turned off (ContextOptions::subgroups).
  bool subgroup_operations(VkSubgroupFeatureFlags operations) const noexcept {
    return subgroups_ && (info_.subgroup_operations & operations) == operations;
  }

  // The index of a memory type allowed by `type_bits` with all `required` flags, preferring one
  // that also has `preferred`. Throws when none fits.
  std::uint32_t memory_type(std::uint32_t type_bits, VkMemoryPropertyFlags required,
                            VkMemoryPropertyFlags preferred = 0) const;
  bool memory_type_is(std::uint32_t type, VkMemoryPropertyFlags flags) const;

  // Throws ValidationError with every message the validation layer reported since the last
  // call. The runtime calls it after each wait; tests call it at their end.
  void throw_on_validation_messages();

  // Writes the pipeline cache now (the destructor does too); failures are reported, not thrown.
  void save_pipeline_cache() const;
  const std::filesystem::path& pipeline_cache_file() const noexcept { return cache_file_; }

 private:
  void create_device(bool transfer_queue);
  void load_pipeline_cache(const ContextOptions& options);

  std::shared_ptr<Instance> instance_;
  VkPhysicalDevice physical_device_ = VK_NULL_HANDLE;
  DeviceInfo info_;
  VkPhysicalDeviceLimits limits_{};
  VkPhysicalDeviceMemoryProperties memory_{};
  VkDevice device_ = VK_NULL_HANDLE;
  VkQueue queue_ = VK_NULL_HANDLE;
  std::uint32_t queue_family_ = 0;
  VkQueue transfer_queue_ = VK_NULL_HANDLE;
  std::uint32_t transfer_family_ = 0;
  std::uint32_t timestamp_valid_bits_ = 0;
  bool pipeline_statistics_ = false;
  bool subgroups_ = true;
  std::filesystem::path cache_file_;
  Unique<VkPipelineCache> pipeline_cache_;
};

}  // namespace vulkanite::runtime
