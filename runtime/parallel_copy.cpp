#include "runtime/parallel_copy.hpp"

#include <algorithm>
#include <cstring>

namespace vulkanite::runtime {

CopyPool::CopyPool(unsigned threads) {
  if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency());
  errors_.resize(threads);
  for (unsigned i = 1; i < threads; ++i) workers_.emplace_back([this] { work(); });
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
  auto* to = static_cast<std::byte*>(destination);
  const auto* from = static_cast<const std::byte*>(source);
  // Parts on 4 KiB boundaries, so that no two threads write the same page.
  for_each_part(bytes, std::size_t{1} << 20, 4096,
                [&](std::size_t begin, std::size_t end) { std::memcpy(to + begin, from + begin, end - begin); });
}

void CopyPool::for_each_part(std::size_t count, std::size_t min_part, std::size_t alignment,
                             const std::function<void(std::size_t, std::size_t)>& work) {
  const std::size_t parts = std::clamp<std::size_t>(count / std::max<std::size_t>(1, min_part), 1, workers_.size() + 1);
  if (parts == 1) {
    if (count != 0) work(0, count);
    return;
  }
  const std::size_t a = std::max<std::size_t>(1, alignment);
  std::unique_lock lock(mutex_);
  job_ = &work;
  count_ = count;
  part_ = ((count + parts - 1) / parts + a - 1) / a * a;
  parts_ = (count + part_ - 1) / part_;
  std::fill(errors_.begin(), errors_.end(), nullptr);
  next_part_ = 1;  // part 0 is the caller's
  done_parts_ = 0;
  ++generation_;
  lock.unlock();
  start_.notify_all();
  try {
    work(0, std::min(part_, count));
  } catch (...) {
    errors_[0] = std::current_exception();
  }
  lock.lock();
  ++done_parts_;
  run_parts(lock);  // the parts no worker has taken yet: a worker the scheduler runs late holds nobody up
  done_.wait(lock, [this] { return done_parts_ == parts_; });
  for (const auto& e : errors_)
    if (e) std::rethrow_exception(e);
}

// Takes parts of the current job until none is left; `lock` is held on entry and on return.
void CopyPool::run_parts(std::unique_lock<std::mutex>& lock) {
  while (next_part_ < parts_) {
    const std::size_t part = next_part_++, begin = part * part_, end = std::min(count_, begin + part_);
    const auto* job = job_;
    lock.unlock();
    std::exception_ptr error;
    try {
      (*job)(begin, end);
    } catch (...) {
      error = std::current_exception();
    }
    lock.lock();
    errors_[part] = error;
    if (++done_parts_ == parts_) done_.notify_one();
  }
}

void CopyPool::work() {
  std::size_t seen = 0;
  std::unique_lock lock(mutex_);
  for (;;) {
    start_.wait(lock, [&] { return stop_ || generation_ != seen; });
    if (stop_) return;
    seen = generation_;
    run_parts(lock);
  }
}

}  // namespace vulkanite::runtime
