#pragma once
// memcpy split over persistent threads, for frames going into host-visible staging memory: one
// core copies ~8 GB/s, well below what PCIe 5 and the GPU take (a Pilatus 6M frame is 25 MB),
// and the copy into staging is the only CPU work of a streamed frame. Threads are started once:
// starting 16 per frame would cost a third of a millisecond. The same threads run other passes
// over large host arrays (for_each_part): checking 1.4 x 10^8 fit values on one core takes 0.09 s.
#include <condition_variable>
#include <cstddef>
#include <exception>
#include <functional>
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

  // The same into memory that only the device reads (staging buffers), with non-temporal stores
  // where the CPU has them (x86-64), which skip the cache: see stream_copy in parallel_copy.cpp.
  // The destination must not be read back by the host soon after (it would come from memory).
  void copy_to_staging(void* destination, const void* source, std::size_t bytes);

  // Calls work(begin, end) on parts of [0, count), no more parts than threads, each part at
  // least `min_part` long and, but for the last, a multiple of `alignment`; part 0 runs on the
  // calling thread, and the others on whichever thread takes them first (the calling thread
  // too: a copy never waits for a thread the scheduler has not run yet, as it did when every
  // thread had its own part and 16 threads reading CBF files shared the cores). Returns when
  // every part is done, rethrowing the exception of the first part (lowest begin) that threw.
  // Not re-entrant.
  void for_each_part(std::size_t count, std::size_t min_part, std::size_t alignment,
                     const std::function<void(std::size_t begin, std::size_t end)>& work);

 private:
  void work();
  void run_parts(std::unique_lock<std::mutex>& lock);
  // copy and copy_to_staging: `copy_part` on each part.
  void copy_in_parts(void* destination, const void* source, std::size_t bytes,
                     void (*copy_part)(std::byte*, const std::byte*, std::size_t));

  std::mutex mutex_;
  std::condition_variable start_, done_;
  const std::function<void(std::size_t, std::size_t)>* job_ = nullptr;
  std::size_t count_ = 0, part_ = 0, parts_ = 0;
  std::vector<std::exception_ptr> errors_;  // one per part
  std::size_t generation_ = 0, next_part_ = 0, done_parts_ = 0;
  bool stop_ = false;
  std::vector<std::thread> workers_;  // joined in the destructor, after stop_
};

}  // namespace vulkanite::runtime
