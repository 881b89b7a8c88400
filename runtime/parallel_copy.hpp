#pragma once
// memcpy split over several threads, for frames going into host-visible staging memory: one
// core copies ~8 GB/s, well below what PCIe 5 and the GPU take (a Pilatus 6M frame is 25 MB),
// and the copy into staging is the only CPU work of a streamed frame.
#include <cstddef>

namespace vulkanite::runtime {

// Copies `bytes` from `source` to `destination` (not overlapping) with up to `threads` threads
// (0: half the hardware threads), one per 4 MiB at least: small copies stay on this thread.
void parallel_copy(void* destination, const void* source, std::size_t bytes, unsigned threads = 0);

}  // namespace vulkanite::runtime
