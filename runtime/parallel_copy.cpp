#include "runtime/parallel_copy.hpp"

#include <algorithm>
#include <cstring>

namespace vulkanite::runtime {

CopyPool::CopyPool(unsigned threads) {
  if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency());
  for (unsigned i = 1; i < threads; ++i) workers_.emplace_back([this, i] { work(i); });
}

CopyPool::~CopyPool() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  start_.notify_all();
  for (auto& w : workers_) w.join();
}

void CopyPool::copy(void* destination, const void* source, std::size_t bytes) {
  constexpr std::size_t kMinChunk = 1u << 20;
  const std::size_t parts = std::clamp<std::size_t>(bytes / kMinChunk, 1, workers_.size() + 1);
  if (parts == 1) {
    std::memcpy(destination, source, bytes);
    return;
  }
  std::unique_lock lock(mutex_);
  destination_ = static_cast<std::byte*>(destination);
  source_ = static_cast<const std::byte*>(source);
  bytes_ = bytes;
  // Chunks on 4 KiB boundaries, so that no two threads write the same page.
  chunk_ = ((bytes + parts - 1) / parts + 4095) & ~std::size_t{4095};
  pending_ = workers_.size();
  ++generation_;
  lock.unlock();
  start_.notify_all();
  std::memcpy(destination, source, std::min(chunk_, bytes));  // chunk 0 on this thread
  lock.lock();
  done_.wait(lock, [this] { return pending_ == 0; });
}

void CopyPool::work(std::size_t worker) {
  std::size_t seen = 0;
  std::unique_lock lock(mutex_);
  for (;;) {
    start_.wait(lock, [&] { return stop_ || generation_ != seen; });
    if (stop_) return;
    seen = generation_;
    const std::size_t offset = worker * chunk_;
    std::byte* to = destination_;
    const std::byte* from = source_;
    const std::size_t bytes = bytes_, chunk = chunk_;
    lock.unlock();
    if (offset < bytes) std::memcpy(to + offset, from + offset, std::min(chunk, bytes - offset));
    lock.lock();
    if (--pending_ == 0) done_.notify_one();
  }
}

}  // namespace vulkanite::runtime
