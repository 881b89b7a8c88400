#include "algorithms/peakfinder8_pyfai.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <functional>
#include <limits>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>

#include <shaders/peakfinder8_pyfai_excess.spv.hpp>
#include <shaders/peakfinder8_pyfai_peaks.spv.hpp>

#include "algorithms/frame_words.hpp"
#include "algorithms/integrate.hpp"
#include "runtime/buffer.hpp"
#include "runtime/in_flight.hpp"
#include "runtime/kernel.hpp"
#include "runtime/parallel_copy.hpp"
#include "runtime/transfer.hpp"

namespace vulkanite::algorithms {
namespace {

struct ExcessPush {  // GLSL: ExcessPush in shaders/peakfinder8_pyfai/excess.comp
  std::uint32_t pixels;
  std::uint32_t bins;
  std::uint32_t flags;
  std::uint32_t error_model;
  float dummy;
  float delta_dummy;
  float noise;
  float radius_min;
  float radius_max;
};
static_assert(sizeof(ExcessPush) == 36);

struct PeakPush {  // GLSL: PeakPush in shaders/peakfinder8_pyfai/peaks.comp
  std::uint32_t rows;
  std::uint32_t columns;
  std::uint32_t half_patch;
  std::uint32_t connected;
  float cutoff_peak;
};
static_assert(sizeof(PeakPush) == 20);

constexpr std::uint32_t kHasDark = 2, kHasDummy = 4, kUnitNormalization = 8;  // BinPush's bits, as excess.comp reads them
constexpr std::uint32_t kWorkgroup = 256;  // excess.comp's and peaks.comp's
constexpr std::uint32_t kMaxGroups = 65535;  // every device's maxComputeWorkGroupCount[0] at least

template <class T>
runtime::Array<T> upload_array(runtime::Context& context, runtime::Transfer& transfer, std::span<const T> values) {
  runtime::Array<T> array(context, std::max<std::size_t>(1, values.size()));
  if (!values.empty()) transfer.upload(values, array);
  return array;
}

std::uint32_t groups(std::size_t items, std::size_t per_group) {
  return static_cast<std::uint32_t>(std::clamp<std::size_t>((items + per_group - 1) / per_group, 1, kMaxGroups));
}

std::vector<float> bin_centers_of(const IntegrationMatrix& m) {
  if (m.azimuthal_bins != 0)
    throw std::invalid_argument("peakfinder8 (pyFAI) needs a 1D radial matrix, not one with " +
                                std::to_string(m.azimuthal_bins) + " azimuthal bins");
  if (m.bins() < 2 || m.radial_centers.size() != m.bins())
    throw std::invalid_argument("peakfinder8 (pyFAI) needs at least 2 radial bins with their centres; the matrix has " +
                                std::to_string(m.bins()) + " bins and " + std::to_string(m.radial_centers.size()) +
                                " centres");
  std::vector<float> centers(m.radial_centers.begin(), m.radial_centers.end());
  if (!std::isfinite(centers[0]) || !std::isfinite(centers[1]) || !(centers[1] > centers[0]) ||
      !std::isfinite(centers[1] - centers[0]))
    throw std::invalid_argument("peakfinder8 (pyFAI): the matrix's bin centres must be finite and increasing");
  return centers;
}

}  // namespace

std::vector<float> peakfinder8_pyfai_radius(const io::PixelGeometry& geometry, std::span<const std::uint8_t> mask,
                                            io::RadialUnit unit) {
  const auto map = geometry.radial_map(unit);
  if (!mask.empty() && mask.size() != map.values.size())
    throw std::invalid_argument("the mask has " + std::to_string(mask.size()) + " values but the geometry has " +
                                std::to_string(map.values.size()) + " pixels");
  std::vector<float> radius(map.values.size());
  for (std::size_t i = 0; i < radius.size(); ++i)
    radius[i] = !mask.empty() && mask[i] ? std::numeric_limits<float>::quiet_NaN() : static_cast<float>(map.values[i]);
  return radius;
}

std::vector<reference::Peakfinder8PyfaiPeak> decode_peakfinder8_pyfai(std::span<const std::uint32_t> words,
                                                                      std::size_t count) {
  if (words.size() < count * Peakfinder8Pyfai::kPeakWords)
    throw std::invalid_argument("peakfinder8 (pyFAI): fewer words than peaks to decode");
  std::vector<reference::Peakfinder8PyfaiPeak> peaks(count);
  for (std::size_t k = 0; k < count; ++k) {
    const auto* w = words.data() + k * Peakfinder8Pyfai::kPeakWords;
    peaks[k] = {w[0], std::bit_cast<float>(w[1]), std::bit_cast<float>(w[2]), std::bit_cast<float>(w[3]),
                std::bit_cast<float>(w[4])};
  }
  // peaks.comp claims slots in whatever order invocations get there; indices are unique.
  std::sort(peaks.begin(), peaks.end(), [](const auto& a, const auto& b) { return a.index < b.index; });
  return peaks;
}

namespace {

// One frame in flight: its staging and device copies, the count and first peaks read back.
struct PyfaiSlot {
  PyfaiSlot(runtime::Context& c, std::size_t pixels, std::size_t peaks_read_back)
      : staging(c, std::max<std::size_t>(4, pixels * sizeof(float)), runtime::MemoryKind::host),
        frame(c, std::max<std::size_t>(4, pixels * sizeof(float))),
        readback(c, (1 + Peakfinder8Pyfai::kPeakWords * std::min(pixels, peaks_read_back)) * sizeof(std::uint32_t),
                 runtime::MemoryKind::host),
        sequence(c) {}
  runtime::Buffer staging, frame, readback;
  runtime::Sequence sequence;
  io::PixelType type = io::PixelType::float32;
  std::size_t index = 0;
};

}  // namespace

struct Peakfinder8Pyfai::State {
  runtime::Context* context;
  std::size_t rows, columns, pixels;
  bool has_dark;
  bool unit_normalization;  // every pixel's: excess.comp then reads no normalization (4 of 20 bytes a pixel)
  std::vector<float> centers;  // before the integrator: a matrix we cannot use is refused first
  Integrator integrator;
  runtime::Transfer transfer;
  runtime::Array<float> normalization, dark, variance, radius, bin_centers;
  runtime::Array<float> sigma_clip, excess;
  runtime::Array<std::uint32_t> total, peaks;
  runtime::Kernel find_peaks;
  std::array<std::optional<runtime::Kernel>, 5> excess_kernels;  // by pixel type
  runtime::Profile profile;
  runtime::CopyPool copier;
  std::vector<std::unique_ptr<PyfaiSlot>> slots;
  std::size_t peaks_read_back;

  State(runtime::Context& c, const IntegrationMatrix& m, const reference::PixelCorrections& pc,
        std::array<std::size_t, 2> shape, std::span<const float> r, std::size_t read_back)
      : context(&c),
        rows(shape[0]),
        columns(shape[1]),
        pixels(m.pixels),
        has_dark(!pc.dark.empty()),
        unit_normalization(std::all_of(pc.normalization.begin(), pc.normalization.end(), [](float n) { return n == 1.0f; })),
        centers(bin_centers_of(m)),
        integrator(c, m, pc, 1),
        transfer(c),
        normalization(upload_array<float>(c, transfer, unit_normalization ? std::span<const float>() : pc.normalization)),
        dark(upload_array<float>(c, transfer, pc.dark)),
        variance(upload_array<float>(c, transfer, pc.variance)),
        radius(upload_array<float>(c, transfer, r)),
        bin_centers(upload_array<float>(c, transfer, std::span<const float>(centers))),
        sigma_clip(c, Integrator::kResultPlanes * m.bins()),
        excess(c, 2 * m.pixels),
        total(c, 1),
        peaks(c, kPeakWords * m.pixels),
        find_peaks(c, {"peakfinder8_pyfai_peaks", shaders::peakfinder8_pyfai_peaks, 3, sizeof(PeakPush), kWorkgroup, {}}),
        peaks_read_back(std::max<std::size_t>(1, read_back)) {}

  const runtime::Kernel& excess_kernel(std::uint32_t type) {
    auto& k = excess_kernels.at(type);
    if (!k)
      k.emplace(*context, runtime::KernelDesc{"peakfinder8_pyfai_excess", shaders::peakfinder8_pyfai_excess, 8,
                                              sizeof(ExcessPush), kWorkgroup, {type}});
    return *k;
  }

  // Everything that can be refused, before anything is recorded.
  void validate(const reference::Peakfinder8PyfaiParams& params) const {
    reference::check_params(params);
    if (params.sigma_clip.integration.error_model == reference::ErrorModel::variance && variance.size() != pixels)
      throw std::invalid_argument("the variance error model needs a variance array, and none was given");
  }

  void record(runtime::Sequence& seq, const runtime::Buffer& frame_words, io::PixelType frame_type,
              const reference::Peakfinder8PyfaiParams& params) {
    validate(params);
    const auto type = kernel_pixel_type(frame_type);
    if (!type)
      throw std::invalid_argument(std::string("peakfinder8 (pyFAI) reads int16, uint16, int32, uint32 or float32 "
                                              "frames, not ") + io::pixel_type_name(frame_type));
    const auto& integration = params.sigma_clip.integration;
    integrator.record(seq, frame_words, frame_type, params.sigma_clip, sigma_clip);
    seq.barrier();

    const auto [radius_min, radius_max] = reference::peakfinder8_pyfai_radius_limits(params);
    const ExcessPush excess_push{static_cast<std::uint32_t>(pixels),
                                 static_cast<std::uint32_t>(centers.size()),
                                 (has_dark ? kHasDark : 0u) | (integration.dummy ? kHasDummy : 0u) |
                                     (unit_normalization ? kUnitNormalization : 0u),
                                 static_cast<std::uint32_t>(integration.error_model),
                                 integration.dummy.value_or(0.0f),
                                 integration.delta_dummy,
                                 params.noise,
                                 radius_min,
                                 radius_max};
    seq.dispatch(excess_kernel(*type), {frame_words, normalization, dark, variance, radius, bin_centers, sigma_clip, excess},
                 excess_push, {groups(pixels, kWorkgroup)});
    seq.fill(total, 0);
    seq.barrier();

    const PeakPush push{static_cast<std::uint32_t>(rows), static_cast<std::uint32_t>(columns), params.patch_size / 2,
                        params.connected, params.cutoff_peak};
    seq.dispatch(find_peaks, {excess, total, peaks}, push, {groups(pixels, kWorkgroup)});
  }

  void check_frame(const io::Frame& f) const {
    if (f.pixel_count() != pixels || (f.shape.size() == 2 && (f.shape[0] != rows || f.shape[1] != columns)))
      throw std::invalid_argument(f.source + ": a frame of " + std::to_string(f.pixel_count()) +
                                  " pixels, but the peak finder was set up for " + std::to_string(rows) + " x " +
                                  std::to_string(columns));
  }

  // Upload, kernels and the read-back of the count and the first peaks, submitted. The device
  // scratch (sigma clipping, excess, peaks) is shared by the slots: the queue runs one frame's
  // kernels after the other's, each behind a full barrier.
  void submit(PyfaiSlot& slot, const io::Frame& f, const reference::Peakfinder8PyfaiParams& params) {
    check_frame(f);
    const StagedFrame staged = stage_frame(f, slot.staging.mapped(), copier);
    slot.type = staged.type;
    auto& seq = slot.sequence;
    seq.upload(slot.staging, slot.frame, staged.bytes);
    record(seq, slot.frame, staged.type, params);
    seq.barrier();
    seq.copy(total, slot.readback, sizeof(std::uint32_t));
    seq.copy(peaks, slot.readback, slot.readback.bytes() - sizeof(std::uint32_t), 0, sizeof(std::uint32_t));
    seq.barrier();  // the copies' writes visible to the host
    seq.submit();
  }

  std::vector<reference::Peakfinder8PyfaiPeak> collect(PyfaiSlot& slot, const reference::Peakfinder8PyfaiParams& params) {
    slot.sequence.wait();
    profile.merge(slot.sequence.profile());
    slot.sequence.profile().clear();
    const auto* words = reinterpret_cast<const std::uint32_t*>(slot.readback.mapped().data());
    const std::size_t count = words[0];
    const std::size_t held = (slot.readback.bytes() / sizeof(std::uint32_t) - 1) / kPeakWords;
    if (count <= held) return decode_peakfinder8_pyfai({words + 1, count * kPeakWords}, count);
    // More peaks than the read-back holds. The device's list may already be a later frame's, so
    // the frame (still in the slot's device buffer) runs again, alone, and the whole list comes
    // back; frames after it are submitted only once this returns.
    record(slot.sequence, slot.frame, slot.type, params);
    slot.sequence.run();
    slot.sequence.profile().clear();
    std::vector<std::uint32_t> all(count * kPeakWords);
    transfer.download(peaks.buffer(), 0, std::as_writable_bytes(std::span(all)));
    return decode_peakfinder8_pyfai(all, count);
  }

  void stream(const std::function<const io::Frame*()>& next, const reference::Peakfinder8PyfaiParams& params,
              const std::function<void(std::size_t, std::vector<reference::Peakfinder8PyfaiPeak>&&)>& on_result,
              std::size_t in_flight) {
    validate(params);
    while (slots.size() < in_flight) slots.push_back(std::make_unique<PyfaiSlot>(*context, pixels, peaks_read_back));
    runtime::stream_in_flight(
        slots, next, [&](PyfaiSlot& slot, const io::Frame& f) { submit(slot, f, params); },
        [&](PyfaiSlot& slot) { return collect(slot, params); }, on_result);
  }
};

Peakfinder8Pyfai::Peakfinder8Pyfai(runtime::Context& context, const IntegrationMatrix& matrix,
                                   const reference::PixelCorrections& corrections, std::array<std::size_t, 2> shape,
                                   std::span<const float> radius, std::size_t peaks_read_back) {
  if (shape[0] * shape[1] != matrix.pixels)
    throw std::invalid_argument("peakfinder8 (pyFAI): a frame of " + std::to_string(shape[0]) + " x " +
                                std::to_string(shape[1]) + " pixels, but the matrix has " +
                                std::to_string(matrix.pixels));
  if (radius.size() != matrix.pixels)
    throw std::invalid_argument("peakfinder8 (pyFAI): the radius array has " + std::to_string(radius.size()) +
                                " values for " + std::to_string(matrix.pixels) + " pixels");
  // Flat indices and float row/column numbers stay exact (2^24), and rows x columns fits a uint.
  if (shape[0] >= (std::size_t{1} << 24) || shape[1] >= (std::size_t{1} << 24) || matrix.pixels >= (std::size_t{1} << 31))
    throw std::invalid_argument("peakfinder8 (pyFAI): the frame is too large (2^24 rows or columns, 2^31 pixels)");
  state_ = std::make_unique<State>(context, matrix, corrections, shape, radius, peaks_read_back);
}

Peakfinder8Pyfai::~Peakfinder8Pyfai() = default;
Peakfinder8Pyfai::Peakfinder8Pyfai(Peakfinder8Pyfai&&) noexcept = default;
Peakfinder8Pyfai& Peakfinder8Pyfai::operator=(Peakfinder8Pyfai&&) noexcept = default;

std::vector<reference::Peakfinder8PyfaiPeak> Peakfinder8Pyfai::run(const io::Frame& frame,
                                                                   const reference::Peakfinder8PyfaiParams& params) {
  std::vector<reference::Peakfinder8PyfaiPeak> found;
  state_->stream(runtime::just(frame), params,
                 [&](std::size_t, std::vector<reference::Peakfinder8PyfaiPeak>&& peaks) { found = std::move(peaks); }, 1);
  return found;
}

void Peakfinder8Pyfai::stream(
    const std::function<const io::Frame*()>& next, const reference::Peakfinder8PyfaiParams& params,
    const std::function<void(std::size_t, std::vector<reference::Peakfinder8PyfaiPeak>&&)>& on_result,
    std::size_t frames_in_flight) {
  if (frames_in_flight == 0) throw std::invalid_argument("frames in flight must be at least 1");
  state_->stream(next, params, on_result, frames_in_flight);
}

void Peakfinder8Pyfai::record(runtime::Sequence& sequence, const runtime::Buffer& frame, io::PixelType type,
                              const reference::Peakfinder8PyfaiParams& params) {
  state_->record(sequence, frame, type, params);
}

const runtime::Array<std::uint32_t>& Peakfinder8Pyfai::peak_count() const { return state_->total; }
const runtime::Array<std::uint32_t>& Peakfinder8Pyfai::peaks() const { return state_->peaks; }
const runtime::Array<float>& Peakfinder8Pyfai::sigma_clip_results() const { return state_->sigma_clip; }
const std::vector<float>& Peakfinder8Pyfai::bin_centers() const { return state_->centers; }
const runtime::Profile& Peakfinder8Pyfai::profile() const { return state_->profile; }

}  // namespace vulkanite::algorithms
