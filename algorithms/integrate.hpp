#pragma once
// Azimuthal integration and sigma clipping of frames on the GPU over one IntegrationMatrix,
// bit-identical to reference::integrate / reference::sigma_clip. The matrix and the per-pixel
// corrections are uploaded once; frames then stream through with several in flight, so that the
// upload of one overlaps the kernels of the others.
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <variant>

#include "algorithms/frame_words.hpp"  // frame_as_float, for callers of the reference
#include "algorithms/integration_matrix.hpp"
#include "io/frame.hpp"
#include "reference/integrate.hpp"
#include "reference/sigma_clip.hpp"
#include "runtime/context.hpp"
#include "runtime/profile.hpp"
#include "runtime/sequence.hpp"

namespace vulkanite::algorithms {

// What to compute per frame: plain integration or sigma clipping, with its parameters.
using BinOperation = std::variant<reference::IntegrationParams, reference::SigmaClipParams>;

class Integrator {
 public:
  // Throws std::invalid_argument when the corrections' sizes do not match the matrix's pixels or
  // the frame type is not one the kernels read (int8/uint8/float64 frames are converted on the
  // host to float32 first; see convert_for_integration).
  Integrator(runtime::Context& context, const IntegrationMatrix& matrix, const reference::PixelCorrections& corrections,
             std::size_t frames_in_flight = 3);
  ~Integrator();
  Integrator(Integrator&&) noexcept;
  Integrator& operator=(Integrator&&) noexcept;

  // One frame, waited for. The frame's pixel count must equal the matrix's.
  reference::IntegrationResult run(const io::Frame& frame, const BinOperation& operation);

  // Frames from `next` (nullptr ends the stream; a frame need only stay valid until the next
  // call, its pixels are copied into staging memory at once, unless they lie in memory given to
  // import_frames) with frames_in_flight of them on the GPU at once; `on_result(index, result)`
  // is called in frame order, on the calling thread.
  void stream(const std::function<const io::Frame*()>& next, const BinOperation& operation,
              const std::function<void(std::size_t, reference::IntegrationResult&&)>& on_result);

  // Imports the pixel memory of `frames` (runtime::Buffer::import_host): stream() and run() then
  // upload a frame whose pixels lie in it straight from that memory, without copying it into
  // staging first. Where the kernels are short, that copy, not the DMA, sets the pace of
  // streaming. Import memory that frames pass through again and again (a receiver's ring of
  // frame buffers): importing may cost more than one copy (runtime::Buffer::import_host). From
  // then on such a frame must stay unchanged until its result has been delivered (on_result), not
  // only until the next call of `next`, and the memory must stay allocated while this Integrator
  // lives (a frame's vector must not reallocate). Frames of types the host converts first are
  // copied as before.
  // Returns false, importing nothing, where the device cannot import host memory.
  bool import_frames(std::span<const io::Frame> frames);
  // Frames uploaded from imported memory so far, without a copy into staging.
  std::size_t frames_read_in_place() const;

  // For callers that keep frames on the GPU (benchmarks, the peak finders): records the kernel
  // for `frame`, pixel words of `type` (int16, uint16, int32, uint32 or float32) already on the
  // device, writing kResultPlanes planes of bins() floats into `results`: sum_signal,
  // sum_variance, sum_normalization, sum_normalization_squared, count, intensity, std, sem,
  // pixels (uint32 bits). No barrier is recorded before or after; the kernels of two record()s
  // share a scratch buffer, so a barrier must separate them.
  static constexpr std::size_t kResultPlanes = 9;
  void record(runtime::Sequence& sequence, const runtime::Buffer& frame, io::PixelType type,
              const BinOperation& operation, const runtime::Array<float>& results);
  std::size_t bins() const;

  // GPU time per kernel ("integrate", "sigma_clip", "upload", ...) over everything run so far.
  const runtime::Profile& profile() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace vulkanite::algorithms
