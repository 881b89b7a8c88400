#pragma once
// A command pool with one primary command buffer and a fence: the unit that Sequence and
// Transfer record into, submit and wait on.
#include "runtime/context.hpp"
#include "runtime/handle.hpp"

namespace vulkanite::runtime {

enum class Queue { compute, transfer };

class Commands {
 public:
  // `queue`: the context's compute queue, or its transfer queue (copies only).
  explicit Commands(Context& context, Queue queue = Queue::compute);
  ~Commands();  // waits for a submission still in flight: its command buffer must outlive it
  Commands(const Commands&) = delete;
  Commands& operator=(const Commands&) = delete;

  VkCommandBuffer buffer() const noexcept { return buffer_; }
  bool in_flight() const noexcept { return in_flight_; }
  // Starts recording; on the compute queue after a barrier that makes everything earlier
  // submissions wrote visible.
  void begin();
  // Ends recording and submits with the fence; the commands wait for `wait` (when given) and
  // `signal` is signalled when they are done.
  void submit(VkSemaphore wait = VK_NULL_HANDLE, VkSemaphore signal = VK_NULL_HANDLE);
  // Waits for the fence (VULKANITE_TIMEOUT_S, default 600 s, then VK_TIMEOUT is thrown) and
  // resets the pool; then throws if the validation layer reported anything.
  void wait();

 private:
  Context* context_;
  Queue queue_;
  Unique<VkCommandPool> pool_;
  Unique<VkFence> fence_;
  VkCommandBuffer buffer_ = VK_NULL_HANDLE;
  bool in_flight_ = false;
};

// Makes all memory writes of earlier commands visible to all later commands and to the host.
void full_barrier(VkCommandBuffer buffer);

// A binary semaphore: one submission signals it, one later submission waits for it.
Unique<VkSemaphore> make_semaphore(Context& context);

}  // namespace vulkanite::runtime
