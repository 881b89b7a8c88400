#pragma once
// peakfinder8, original flavour (Cheetah's, as OM ships it), on the GPU: the same peak list, bit
// for bit, as reference::peakfinder8 (itself bit-identical to OM's C++). The layout, radius map,
// bad-pixel map and parameters are fixed at construction, as in OM's Peakfinder8PeakDetection;
// frames then stream through with several in flight.
//
// How a scan that OM runs pixel by pixel becomes parallel (docs/peakfinder8.md, "On the GPU"): the ring
// statistics run one workgroup per ring; the pixels above threshold are labelled into 8-connected
// components per ASIC; each component with a seed grows, in OM's order, in its own invocation.
// The host puts the regions in OM's scan order and proves, per region, that OM's visit of a
// stale trail entry joins nothing; when it cannot (rare: a bright pixel next to a stale position
// of another ASIC, or next to an ASIC's corner), it runs reference::find_peaks on the frame with
// the GPU's ring statistics instead, so the result is OM's either way.
#include <cstddef>
#include <functional>
#include <memory>
#include <span>

#include "io/frame.hpp"
#include "reference/peakfinder8.hpp"
#include "runtime/context.hpp"
#include "runtime/profile.hpp"
#include "runtime/sequence.hpp"

namespace vulkanite::algorithms {

struct Peakfinder8Output {
  reference::Peakfinder8Result peaks;
  reference::RadialStats radial;  // the GPU's ring statistics (bit-identical to the reference's)
  std::size_t regions = 0;        // components grown on the GPU
  bool sequential = false;        // the host ran OM's sequential scan for this frame (see above)
};

class Peakfinder8 {
 public:
  // Throws std::invalid_argument as reference::peakfinder8 does for the layout, radius map,
  // bad-pixel map (OM's: nonzero = good), parameters and fast-mode sample.
  Peakfinder8(runtime::Context& context, const reference::Peakfinder8Layout& layout, std::span<const float> radius,
              std::span<const std::int8_t> bad_pixel_map, const reference::Peakfinder8Params& params,
              const reference::RadialSample& sample = {}, std::size_t frames_in_flight = 3);
  ~Peakfinder8();
  Peakfinder8(Peakfinder8&&) noexcept;
  Peakfinder8& operator=(Peakfinder8&&) noexcept;

  // One frame of the layout's shape (any pixel type; int8/uint8/float64 are converted to float32
  // on the host), waited for. Throws std::invalid_argument for a frame of another size and for
  // infinite values in unmasked pixels.
  Peakfinder8Output run(const io::Frame& frame);

  // Frames from `next` (nullptr ends; a frame need only stay valid until the next call) with
  // frames_in_flight on the GPU at once; `on_result(index, output)` in frame order.
  void stream(const std::function<const io::Frame*()>& next,
              const std::function<void(std::size_t, Peakfinder8Output&&)>& on_result);

  // For benchmarks of a frame already on the GPU: records every kernel for `frame` (pixel words
  // of `type`: int16, uint16, int32, uint32 or float32) into `sequence`, with the first frame
  // slot's outputs. No barrier before the first kernel.
  void record(runtime::Sequence& sequence, const runtime::Buffer& frame, io::PixelType type);

  std::size_t rings() const;
  std::size_t sequential_frames() const;  // frames so far for which the host ran the scan
  const runtime::Profile& profile() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace vulkanite::algorithms
