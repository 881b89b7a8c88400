#pragma once
// Host <-> device copies through a bounded ring of host-visible staging slots: a 100 MB frame
// goes through `slots` x `slot_bytes` of staging memory, the memcpy into one slot overlapping
// the DMA of the others.
#include "runtime/buffer.hpp"
#include "runtime/commands.hpp"

#include <memory>
#include <span>
#include <vector>

namespace vulkanite::runtime {

class Transfer {
 public:
  static constexpr VkDeviceSize kDefaultSlotBytes = 8ull << 20;

  explicit Transfer(Context& context, VkDeviceSize slot_bytes = kDefaultSlotBytes, std::uint32_t slots = 3);
  ~Transfer();

  // Both return once the data have arrived.
  void upload(std::span<const std::byte> source, const Buffer& destination, VkDeviceSize offset = 0);
  void download(const Buffer& source, VkDeviceSize offset, std::span<std::byte> destination);

  template <class T>
  void upload(std::span<const T> values, const Array<T>& destination) {
    check_count(values.size(), destination.size());
    upload(std::as_bytes(values), destination.buffer());
  }
  template <class T>
  void download(const Array<T>& source, std::span<T> values) {
    check_count(values.size(), source.size());
    download(source.buffer(), 0, std::as_writable_bytes(values));
  }
  template <class T>
  std::vector<T> download(const Array<T>& source) {
    std::vector<T> values(source.size());
    download(source, std::span<T>(values));
    return values;
  }

  VkDeviceSize slot_bytes() const noexcept { return slot_bytes_; }

 private:
  struct Slot {
    Slot(Context& context, VkDeviceSize bytes) : staging(context, bytes, MemoryKind::host), commands(context) {}
    Buffer staging;
    Commands commands;
    std::span<std::byte> pending_destination;  // download: where the slot's bytes go after the wait
  };
  static void check_count(std::size_t host, std::size_t device);
  void finish(Slot& slot);

  VkDeviceSize slot_bytes_;
  std::vector<std::unique_ptr<Slot>> slots_;
  std::size_t next_ = 0;
};

}  // namespace vulkanite::runtime
