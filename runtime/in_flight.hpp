#pragma once
// Streams work items (frames) through a ring of slots, each holding one item in flight, so that
// the upload of one overlaps the kernels of the others. Results reach the caller in item order.
#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <vector>

namespace vulkanite::runtime {

// `Slot` has `std::size_t index` and `Sequence sequence`. `submit(slot, item)` records and
// submits the item; `collect(slot)` waits for it and returns its result, which goes to
// `on_result(index, result)`. `next()` returns nullptr at the end. If anything throws, every
// submission still in flight is waited for (a slot is re-recorded only after its wait) and the
// exception goes on.
template <class Slot, class Item, class Submit, class Collect, class OnResult>
void stream_in_flight(const std::vector<std::unique_ptr<Slot>>& slots, const std::function<const Item*()>& next,
                      Submit&& submit, Collect&& collect, OnResult&& on_result) {
  std::deque<Slot*> in_flight;
  std::size_t submitted = 0, slot_index = 0;
  const auto finish_oldest = [&] {
    Slot* done = in_flight.front();
    in_flight.pop_front();
    on_result(done->index, collect(*done));
  };
  try {
    for (;;) {
      if (in_flight.size() == slots.size()) finish_oldest();
      const Item* item = next();
      if (item == nullptr) break;
      Slot& slot = *slots[slot_index];
      slot_index = (slot_index + 1) % slots.size();
      slot.index = submitted++;
      submit(slot, *item);
      in_flight.push_back(&slot);
    }
    while (!in_flight.empty()) finish_oldest();
  } catch (...) {
    for (Slot* slot : in_flight) {
      try {
        slot->sequence.wait();
      } catch (...) {
      }
    }
    throw;
  }
}

// A `next` for stream_in_flight and the streams built on it that yields `item` once: what a
// run(frame) of one item passes.
template <class Item>
std::function<const Item*()> just(const Item& item) {
  return [&item, done = false]() mutable -> const Item* {
    if (done) return nullptr;
    done = true;
    return &item;
  };
}

}  // namespace vulkanite::runtime
