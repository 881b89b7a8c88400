#pragma once
// Storage buffers: RAII device-local buffers for kernels, host-visible ones for staging, and a
// typed view. One allocation per buffer: Vulkanite holds few, large buffers (frames, matrices),
// so a sub-allocator would add code without saving anything measurable.
#include "runtime/context.hpp"
#include "runtime/handle.hpp"

#include <cstddef>
#include <span>
#include <string>

namespace vulkanite::runtime {

enum class MemoryKind {
  device,    // device-local storage buffer, the operand of kernels and transfers
  host,      // host-visible and coherent (cached where possible): staging for upload and readback
  imported,  // the caller's host memory, read by the device in place (Buffer::import_host)
};

class Buffer {
 public:
  Buffer(Context& context, VkDeviceSize bytes, MemoryKind kind = MemoryKind::device);
  Buffer(Buffer&&) noexcept = default;
  Buffer& operator=(Buffer&&) noexcept = default;

  // The host memory holding `bytes`, imported (VK_EXT_external_memory_host) so that transfers read
  // it in place, without a copy into staging. Drivers may pin the pages, which can cost more than
  // copying them once, so import memory that is used again and again (frame buffers), not each
  // frame (docs/runtime.md, "Imported host memory", says what was measured). The import covers
  // whole blocks of the device's alignment around `bytes`; offset() says where `bytes` begins
  // in it. The memory must stay allocated for the Buffer's lifetime.
  // Throws std::invalid_argument where the device cannot import (DeviceInfo::host_import_alignment
  // is 0), VulkanError where the driver refuses this memory.
  static Buffer import_host(Context& context, std::span<const std::byte> bytes);
  VkDeviceSize offset() const noexcept { return offset_; }

  VkBuffer handle() const noexcept { return buffer_.get(); }
  VkDeviceSize bytes() const noexcept { return bytes_; }
  MemoryKind kind() const noexcept { return kind_; }
  // The mapped bytes of a host buffer; throws for a device buffer.
  std::span<std::byte> mapped() const;

 private:
  Buffer(Context& context, VkDeviceSize bytes, MemoryKind kind, const void* import_pointer);

  VkDeviceSize bytes_;
  VkDeviceSize offset_ = 0;
  MemoryKind kind_;
  Unique<VkDeviceMemory> memory_;
  Unique<VkBuffer> buffer_;
  std::byte* mapped_ = nullptr;
};

// Whether [offset, offset + size) lies within `total` bytes, without overflow.
inline bool range_fits(VkDeviceSize offset, VkDeviceSize size, VkDeviceSize total) {
  return offset <= total && size <= total - offset;
}

// A device buffer of `count` values of T: the typed view kernels and transfers take.
template <class T>
class Array {
 public:
  Array(Context& context, std::size_t count)
      : buffer_(context, std::max<VkDeviceSize>(1, count) * sizeof(T)), count_(count) {}
  std::size_t size() const noexcept { return count_; }
  VkDeviceSize bytes() const noexcept { return count_ * sizeof(T); }
  const Buffer& buffer() const noexcept { return buffer_; }
  operator const Buffer&() const noexcept { return buffer_; }

 private:
  Buffer buffer_;
  std::size_t count_;
};

}  // namespace vulkanite::runtime
