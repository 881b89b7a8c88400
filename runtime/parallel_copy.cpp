#include "runtime/parallel_copy.hpp"

#include <algorithm>
#include <cstdint>
#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace vulkanite::runtime {
namespace {

// Copies with non-temporal stores (SSE2's movntdq) where the CPU has them. The destination is a
// staging buffer that only the device reads. Ordinary stores first read each destination line
// into the cache (read for ownership) and write it back later, so the copy moves half as much
// memory again as it needs. glibc's memcpy takes such stores only above a size threshold set
// from the cache sizes. Measured (docs/benchmarks.md): 1.48x faster than memcpy on the 2-core
// development machine, within noise of it on the H100 machine's host. No library in Debian
// offers this copy.
void stream_copy(std::byte* to, const std::byte* from, std::size_t bytes) {
#if defined(__SSE2__)
  std::size_t i = std::min(bytes, (16 - reinterpret_cast<std::uintptr_t>(to) % 16) % 16);
  std::memcpy(to, from, i);
  for (; i + 64 <= bytes; i += 64) {
    const auto* s = reinterpret_cast<const __m128i*>(from + i);
    auto* d = reinterpret_cast<__m128i*>(to + i);
    const __m128i a = _mm_loadu_si128(s), b = _mm_loadu_si128(s + 1), c = _mm_loadu_si128(s + 2),
                  e = _mm_loadu_si128(s + 3);
    _mm_stream_si128(d, a);
    _mm_stream_si128(d + 1, b);
    _mm_stream_si128(d + 2, c);
    _mm_stream_si128(d + 3, e);
  }
  for (; i + 16 <= bytes; i += 16)
    _mm_stream_si128(reinterpret_cast<__m128i*>(to + i), _mm_loadu_si128(reinterpret_cast<const __m128i*>(from + i)));
  std::memcpy(to + i, from + i, bytes - i);
  _mm_sfence();  // non-temporal stores are weakly ordered: globally visible before the submit
#else
  std::memcpy(to, from, bytes);
#endif
}

}  // namespace

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

void CopyPool::copy_in_parts(void* destination, const void* source, std::size_t bytes,
                             void (*copy_part)(std::byte*, const std::byte*, std::size_t)) {
  auto* to = static_cast<std::byte*>(destination);
  const auto* from = static_cast<const std::byte*>(source);
  // Parts on 4 KiB boundaries, so that no two threads write the same page.
  for_each_part(bytes, std::size_t{1} << 20, 4096,
                [&](std::size_t begin, std::size_t end) { copy_part(to + begin, from + begin, end - begin); });
}

void CopyPool::copy(void* destination, const void* source, std::size_t bytes) {
  copy_in_parts(destination, source, bytes,
                [](std::byte* to, const std::byte* from, std::size_t n) { std::memcpy(to, from, n); });
}

void CopyPool::copy_to_staging(void* destination, const void* source, std::size_t bytes) {
  copy_in_parts(destination, source, bytes, stream_copy);
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
