#pragma once
// pyFAI's peakfinder8 (OCL_PeakFinder.peakfinder8) on the GPU, bit-identical to
// reference::peakfinder8_pyfai: sigma clipping per radial bin (Integrator::record, the frame
// stays on the GPU), then the per-pixel excess over the interpolated background, the patch
// test, and the peaks written in pixel-index order (shaders/peakfinder8_pyfai/). docs/peakfinder8_pyfai.md.
#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <vector>

#include "algorithms/integration_matrix.hpp"
#include "io/frame.hpp"
#include "io/pixel_geometry.hpp"
#include "reference/peakfinder8_pyfai.hpp"
#include "runtime/context.hpp"
#include "runtime/profile.hpp"
#include "runtime/sequence.hpp"

namespace vulkanite::algorithms {

// pyFAI's radius2d: each pixel centre's radial position in `unit` (pyFAI's
// array_from_unit(typ="center")), rounded to float, NaN where `mask` is non-zero (as
// OCL_PeakFinder sets it). `mask`: empty or one byte per pixel.
std::vector<float> peakfinder8_pyfai_radius(const io::PixelGeometry& geometry, std::span<const std::uint8_t> mask,
                                            io::RadialUnit unit);

class Peakfinder8Pyfai {
 public:
  // Words per peak in peaks(): index, intensity, sigma, pos0, pos1 (floats as their bits).
  static constexpr std::size_t kPeakWords = 5;

  // `matrix`: a 1D radial matrix (no azimuthal bins, at least 2 bins, with its radial_centers)
  // over a frame of shape {rows, columns}; `radius`: one value per pixel in the matrix's unit
  // (peakfinder8_pyfai_radius). Throws std::invalid_argument when sizes disagree.
  // `peaks_read_back`: peaks copied back with every streamed frame; a frame with more runs again
  // alone for the whole list (rare: far more than any plausible count per frame).
  Peakfinder8Pyfai(runtime::Context& context, const IntegrationMatrix& matrix,
                   const reference::PixelCorrections& corrections, std::array<std::size_t, 2> shape,
                   std::span<const float> radius, std::size_t peaks_read_back = 16384);
  ~Peakfinder8Pyfai();
  Peakfinder8Pyfai(Peakfinder8Pyfai&&) noexcept;
  Peakfinder8Pyfai& operator=(Peakfinder8Pyfai&&) noexcept;

  // One frame, uploaded, processed and read back; peaks in pixel-index order.
  std::vector<reference::Peakfinder8PyfaiPeak> run(const io::Frame& frame,
                                                   const reference::Peakfinder8PyfaiParams& params);

  // Frames from `next` (nullptr ends; a frame need only stay valid until the next call) with
  // `frames_in_flight` on the GPU at once; `on_result(index, peaks)` in frame order.
  void stream(const std::function<const io::Frame*()>& next, const reference::Peakfinder8PyfaiParams& params,
              const std::function<void(std::size_t, std::vector<reference::Peakfinder8PyfaiPeak>&&)>& on_result,
              std::size_t frames_in_flight = 3);

  // For frames already on the GPU (benchmarks, pipelines): records the sigma clipping and the
  // peak finder for `frame` (pixel words of `type`: int16, uint16, int32, uint32 or float32),
  // with barriers between its own kernels but none before the first or after the last. The
  // results land in peak_count() (one word) and peaks() (kPeakWords words per peak, as many
  // slots as pixels, in no particular order), and the sigma clipping's in sigma_clip_results()
  // (Integrator::record's planes).
  void record(runtime::Sequence& sequence, const runtime::Buffer& frame, io::PixelType type,
              const reference::Peakfinder8PyfaiParams& params);
  const runtime::Array<std::uint32_t>& peak_count() const;
  const runtime::Array<std::uint32_t>& peaks() const;
  const runtime::Array<float>& sigma_clip_results() const;

  // The matrix's bin centres as the kernels see them (float), pyFAI's radius1d.
  const std::vector<float>& bin_centers() const;
  // GPU time per kernel over every run() so far (record() leaves timing to its sequence).
  const runtime::Profile& profile() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

// Decodes `count` records of peaks() read back to the host, in pixel-index order.
std::vector<reference::Peakfinder8PyfaiPeak> decode_peakfinder8_pyfai(std::span<const std::uint32_t> words,
                                                                      std::size_t count);

}  // namespace vulkanite::algorithms
