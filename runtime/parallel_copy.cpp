#include "runtime/parallel_copy.hpp"

#include <algorithm>
#include <cstring>
#include <thread>
#include <vector>

namespace vulkanite::runtime {

void parallel_copy(void* destination, const void* source, std::size_t bytes, unsigned threads) {
  constexpr std::size_t kMinChunk = 4u << 20;
  if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency() / 2);
  const std::size_t chunks = std::clamp<std::size_t>(bytes / kMinChunk, 1, threads);
  if (chunks == 1) {
    std::memcpy(destination, source, bytes);
    return;
  }
  // Chunks on 4 KiB boundaries, so that no two threads write the same page.
  const std::size_t chunk = ((bytes + chunks - 1) / chunks + 4095) & ~std::size_t{4095};
  auto* to = static_cast<std::byte*>(destination);
  const auto* from = static_cast<const std::byte*>(source);
  std::vector<std::jthread> workers;
  for (std::size_t offset = chunk; offset < bytes; offset += chunk)
    workers.emplace_back([=] { std::memcpy(to + offset, from + offset, std::min(chunk, bytes - offset)); });
  std::memcpy(to, from, std::min(chunk, bytes));
}

}  // namespace vulkanite::runtime
