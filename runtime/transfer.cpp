#include "runtime/transfer.hpp"

#include "runtime/error.hpp"

#include <volk.h>

#include <cstring>

namespace vulkanite::runtime {

Transfer::Transfer(Context& context, VkDeviceSize slot_bytes, std::uint32_t slots) : slot_bytes_(slot_bytes) {
  if (slot_bytes == 0 || slots == 0) throw std::invalid_argument("Transfer needs at least one non-empty slot");
  for (std::uint32_t i = 0; i < slots; ++i) slots_.push_back(std::make_unique<Slot>(context, slot_bytes));
}

Transfer::~Transfer() {
  for (auto& slot : slots_)
    if (slot->commands.in_flight()) {
      try {
        slot->commands.wait();
      } catch (...) {
        // Destructors must not throw; the Commands destructor waits regardless.
      }
    }
}

void Transfer::check_count(std::size_t host, std::size_t device) {
  if (host != device)
    throw std::invalid_argument("transfer of " + std::to_string(host) + " values to or from an array of " +
                                std::to_string(device));
}

void Transfer::finish(Slot& slot) {
  if (!slot.commands.in_flight()) return;
  slot.commands.wait();
  if (!slot.pending_destination.empty()) {
    std::memcpy(slot.pending_destination.data(), slot.staging.mapped().data(), slot.pending_destination.size());
    slot.pending_destination = {};
  }
}

void Transfer::upload(std::span<const std::byte> source, const Buffer& destination, VkDeviceSize offset) {
  if (!range_fits(offset, source.size(), destination.bytes()))
    throw std::out_of_range("upload of " + std::to_string(source.size()) + " bytes at offset " +
                            std::to_string(offset) + " runs past the end of a " +
                            std::to_string(destination.bytes()) + "-byte buffer");
  for (std::size_t done = 0; done < source.size();) {
    Slot& slot = *slots_[next_];
    next_ = (next_ + 1) % slots_.size();
    finish(slot);
    const std::size_t chunk = std::min<std::size_t>(slot_bytes_, source.size() - done);
    std::memcpy(slot.staging.mapped().data(), source.data() + done, chunk);
    slot.commands.begin();
    VkBufferCopy region{0, offset + done, chunk};
    vkCmdCopyBuffer(slot.commands.buffer(), slot.staging.handle(), destination.handle(), 1, &region);
    slot.commands.submit();
    done += chunk;
  }
  for (auto& slot : slots_) finish(*slot);
}

void Transfer::download(const Buffer& source, VkDeviceSize offset, std::span<std::byte> destination) {
  if (!range_fits(offset, destination.size(), source.bytes()))
    throw std::out_of_range("download of " + std::to_string(destination.size()) + " bytes at offset " +
                            std::to_string(offset) + " runs past the end of a " + std::to_string(source.bytes()) +
                            "-byte buffer");
  for (std::size_t done = 0; done < destination.size();) {
    Slot& slot = *slots_[next_];
    next_ = (next_ + 1) % slots_.size();
    finish(slot);  // copies out the chunk this slot held before
    const std::size_t chunk = std::min<std::size_t>(slot_bytes_, destination.size() - done);
    slot.commands.begin();
    VkBufferCopy region{offset + done, 0, chunk};
    vkCmdCopyBuffer(slot.commands.buffer(), source.handle(), slot.staging.handle(), 1, &region);
    full_barrier(slot.commands.buffer());  // the copy's writes visible to the host
    slot.commands.submit();
    slot.pending_destination = destination.subspan(done, chunk);
    done += chunk;
  }
  // Slots finish in submission order, oldest first.
  for (std::size_t i = 0; i < slots_.size(); ++i) finish(*slots_[(next_ + i) % slots_.size()]);
}

}  // namespace vulkanite::runtime
