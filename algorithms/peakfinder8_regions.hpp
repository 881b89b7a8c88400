#pragma once
// The host's half of the GPU peakfinder8 (algorithms/peakfinder8.cpp): the regions grown on the
// GPU, put in OM's scan order, with the proof that OM's stale trail visit joins nothing.
#include <cstdint>
#include <functional>
#include <optional>
#include <span>

#include "io/frame.hpp"
#include "reference/peakfinder8.hpp"

namespace vulkanite::algorithms {

// One region as shaders/peakfinder8/grow_regions.comp writes it (GLSL struct Region).
struct RegionRecord {
  std::uint32_t seed, count, trail_offset, accepted;
  float fs, ss, total_intensity, max_intensity, snr, background, sigma;
  std::int32_t com_index;
};
static_assert(sizeof(RegionRecord) == 48);

// Pixel values of staged frame words, as the kernels convert them.
struct FramePixels {
  std::span<const std::byte> words;
  io::PixelType type;  // one of the kernels' types
  float value(std::size_t i) const;
};

// OM's peak list from the GPU's regions (in any order) and their pixels in joining order
// (`trails`, indexed by each record's trail_offset). `joinable(i)`: pixel i is unmasked and
// above its ring's threshold.
//
// OM visits one trail entry past each region's end once its growth is over: an entry left by an
// earlier region with more pixels, or (0, 0). When that region lies in the same ASIC, the entry
// is one of its pixels, whose neighbours it already took or could not take: nothing joins. Else
// the position, read in this ASIC's coordinates, is arbitrary; nothing joins when no joinable
// pixel around it is still free (every free one would belong to a later region or to a region
// that never grows). Returns nullopt when that cannot be shown for some region: the caller then
// runs OM's sequential scan.
std::optional<reference::Peakfinder8Result> peaks_in_scan_order(const reference::Peakfinder8Layout& layout,
                                                                const reference::Peakfinder8Params& params,
                                                                std::span<const RegionRecord> records,
                                                                std::span<const std::uint32_t> trails,
                                                                const std::function<bool(std::size_t)>& joinable);

}  // namespace vulkanite::algorithms
