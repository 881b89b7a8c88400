#include "runtime/buffer.hpp"

#include "runtime/error.hpp"

#include <volk.h>

namespace vulkanite::runtime {

Buffer::Buffer(Context& context, VkDeviceSize bytes, MemoryKind kind) : bytes_(bytes), kind_(kind) {
  if (bytes == 0) throw std::invalid_argument("a Vulkan buffer cannot be empty (0 bytes requested)");
  const VkDevice device = context.device();
  VkBufferCreateInfo info{VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO};
  info.size = bytes;
  info.usage = VK_BUFFER_USAGE_STORAGE_BUFFER_BIT | VK_BUFFER_USAGE_TRANSFER_SRC_BIT |
               VK_BUFFER_USAGE_TRANSFER_DST_BIT;
  // Frames are written by the transfer queue and read by the compute queue: with two families,
  // concurrent sharing spares an ownership transfer per frame (buffers lose nothing by it).
  const std::uint32_t families[] = {context.queue_family(), context.transfer_family()};
  info.sharingMode = context.separate_transfer_queue() ? VK_SHARING_MODE_CONCURRENT : VK_SHARING_MODE_EXCLUSIVE;
  info.queueFamilyIndexCount = context.separate_transfer_queue() ? 2 : 0;
  info.pQueueFamilyIndices = families;
  VkBuffer buffer = VK_NULL_HANDLE;
  check(vkCreateBuffer(device, &info, nullptr, &buffer), "vkCreateBuffer");
  buffer_ = Unique<VkBuffer>(device, buffer);

  VkMemoryRequirements requirements;
  vkGetBufferMemoryRequirements(device, buffer, &requirements);
  VkMemoryAllocateInfo allocate{VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO};
  allocate.allocationSize = requirements.size;
  allocate.memoryTypeIndex =
      kind == MemoryKind::device
          ? context.memory_type(requirements.memoryTypeBits, VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT)
          // Cached memory makes readback fast; write-combined would make it crawl.
          : context.memory_type(requirements.memoryTypeBits,
                                VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT,
                                VK_MEMORY_PROPERTY_HOST_CACHED_BIT);
  VkDeviceMemory memory = VK_NULL_HANDLE;
  const VkResult result = vkAllocateMemory(device, &allocate, nullptr, &memory);
  if (result != VK_SUCCESS)
    throw VulkanError("vkAllocateMemory (" + std::to_string(bytes) + " bytes, " +
                          (kind == MemoryKind::device ? "device" : "host") + ")",
                      result);
  memory_ = Unique<VkDeviceMemory>(device, memory);
  check(vkBindBufferMemory(device, buffer, memory, 0), "vkBindBufferMemory");
  if (kind == MemoryKind::host) {
    void* pointer = nullptr;
    check(vkMapMemory(device, memory, 0, VK_WHOLE_SIZE, 0, &pointer), "vkMapMemory");
    mapped_ = static_cast<std::byte*>(pointer);
  }
}

std::span<std::byte> Buffer::mapped() const {
  if (!mapped_) throw std::logic_error("Buffer::mapped() on a device-local buffer");
  return {mapped_, static_cast<std::size_t>(bytes_)};
}

}  // namespace vulkanite::runtime
