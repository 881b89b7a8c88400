#include "runtime/buffer.hpp"

#include "runtime/error.hpp"

#include <volk.h>

#include <cstdint>

namespace vulkanite::runtime {

Buffer::Buffer(Context& context, VkDeviceSize bytes, MemoryKind kind) : Buffer(context, bytes, kind, nullptr) {
  if (kind == MemoryKind::imported) throw std::invalid_argument("imported buffers come from Buffer::import_host");
}

Buffer::Buffer(Context& context, VkDeviceSize bytes, MemoryKind kind, const void* import_pointer)
    : bytes_(bytes), kind_(kind) {
  if (bytes == 0) throw std::invalid_argument("a Vulkan buffer cannot be empty (0 bytes requested)");
  const VkDevice device = context.device();
  const bool imported = kind == MemoryKind::imported;
  VkExternalMemoryBufferCreateInfo external{VK_STRUCTURE_TYPE_EXTERNAL_MEMORY_BUFFER_CREATE_INFO};
  external.handleTypes = VK_EXTERNAL_MEMORY_HANDLE_TYPE_HOST_ALLOCATION_BIT_EXT;
  VkBufferCreateInfo info{VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO, imported ? &external : nullptr};
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
  VkImportMemoryHostPointerInfoEXT import{VK_STRUCTURE_TYPE_IMPORT_MEMORY_HOST_POINTER_INFO_EXT};
  if (imported) {
    VkMemoryHostPointerPropertiesEXT pointer_properties{VK_STRUCTURE_TYPE_MEMORY_HOST_POINTER_PROPERTIES_EXT};
    check(vkGetMemoryHostPointerPropertiesEXT(device, VK_EXTERNAL_MEMORY_HANDLE_TYPE_HOST_ALLOCATION_BIT_EXT,
                                              import_pointer, &pointer_properties),
          "vkGetMemoryHostPointerPropertiesEXT");
    import.handleType = VK_EXTERNAL_MEMORY_HANDLE_TYPE_HOST_ALLOCATION_BIT_EXT;
    import.pHostPointer = const_cast<void*>(import_pointer);  // the device only reads it
    allocate.pNext = &import;
    allocate.allocationSize = bytes;  // the whole import: a multiple of the alignment
    allocate.memoryTypeIndex =
        context.memory_type(requirements.memoryTypeBits & pointer_properties.memoryTypeBits, 0);
  } else {
    allocate.memoryTypeIndex =
        kind == MemoryKind::device
            ? context.memory_type(requirements.memoryTypeBits, VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT)
            // Cached memory makes readback fast; write-combined would make it crawl.
            : context.memory_type(requirements.memoryTypeBits,
                                  VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT,
                                  VK_MEMORY_PROPERTY_HOST_CACHED_BIT);
  }
  VkDeviceMemory memory = VK_NULL_HANDLE;
  const VkResult result = vkAllocateMemory(device, &allocate, nullptr, &memory);
  if (result != VK_SUCCESS)
    throw VulkanError("vkAllocateMemory (" + std::to_string(bytes) + " bytes, " +
                          (kind == MemoryKind::device ? "device" : imported ? "imported host memory" : "host") + ")",
                      result);
  memory_ = Unique<VkDeviceMemory>(device, memory);
  check(vkBindBufferMemory(device, buffer, memory, 0), "vkBindBufferMemory");
  if (kind == MemoryKind::host) {
    void* pointer = nullptr;
    check(vkMapMemory(device, memory, 0, VK_WHOLE_SIZE, 0, &pointer), "vkMapMemory");
    mapped_ = static_cast<std::byte*>(pointer);
  }
}

Buffer Buffer::import_host(Context& context, std::span<const std::byte> bytes) {
  const std::uint64_t alignment = context.info().host_import_alignment;
  if (alignment == 0)
    throw std::invalid_argument("Vulkan device \"" + context.info().name +
                                "\" cannot read host memory in place (no VK_EXT_external_memory_host)");
  if (bytes.empty()) throw std::invalid_argument("Buffer::import_host of no bytes");
  // Whole blocks around the bytes. With an alignment of one page (4 KiB on every driver seen)
  // they are mapped memory, since pages are mapped whole; a driver refuses a range that is not.
  const auto begin = reinterpret_cast<std::uintptr_t>(bytes.data());
  const std::uintptr_t first = begin / alignment * alignment;
  const std::uintptr_t last = (begin + bytes.size() + alignment - 1) / alignment * alignment;
  Buffer buffer(context, last - first, MemoryKind::imported, reinterpret_cast<const void*>(first));
  buffer.offset_ = begin - first;
  return buffer;
}

std::span<std::byte> Buffer::mapped() const {
  if (!mapped_) throw std::logic_error("Buffer::mapped() on a buffer the host does not map");
  return {mapped_, static_cast<std::size_t>(bytes_)};
}

}  // namespace vulkanite::runtime
