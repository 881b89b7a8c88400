#pragma once
// memcpy split over persistent threads, for frames going into host-visible staging memory: one
// core copies ~8 GB/s, well below what PCIe 5 and the GPU take (a Pilatus 6M frame is 25 MB),
// and the copy into staging is the only CPU work of a streamed frame. Threads are started once:
// starting 16 per frame would cost a third of a millisecond.
#include <condition_variable>
#include <cstddef>
#include <mutex>
#include <thread>
#include <vector>

namespace vulkanite::runtime {

class CopyPool {
 public:
  // `threads`: 0 takes every hardware thread. One thread copies alone.
  explicit CopyPool(unsigned threads = 0);
  ~CopyPool();
  CopyPool(const CopyPool&) = delete;
  CopyPool& operator=(const CopyPool&) = delete;

  // Copies `bytes` (not overlapping) and returns when all is copied; copies under 2 MiB stay on
  // the calling thread, larger ones take a thread per MiB at most. Not re-entrant: one copy at a time.
  void copy(void* destination, const void* source, std::size_t bytes);

 private:
  void work(std::size_t worker);

  std::mutex mutex_;
  std::condition_variable start_, done_;
  std::byte* destination_ = nullptr;
  const std::byte* source_ = nullptr;
  std::size_t bytes_ = 0, chunk_ = 0;
  std::size_t generation_ = 0, pending_ = 0;
  bool stop_ = false;
  std::vector<std::thread> workers_;  // joined in the destructor, after stop_
};

}  // namespace vulkanite::runtime
