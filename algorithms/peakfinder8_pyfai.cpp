#include "algorithms/peakfinder8_pyfai.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <limits>
#include <optional>
#include <stdexcept>
#include <string>

#include <shaders/peakfinder8_pyfai_excess.spv.hpp>
#include <shaders/peakfinder8_pyfai_pick.spv.hpp>
#include <shaders/peakfinder8_pyfai_scan.spv.hpp>
#include <shaders/peakfinder8_pyfai_write.spv.hpp>

#include "algorithms/frame_words.hpp"
#include "algorithms/integrate.hpp"
#include "runtime/buffer.hpp"
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

struct PeakPush {  // GLSL: PeakPush in shaders/peakfinder8_pyfai/{pick,scan,write}.comp
  std::uint32_t rows;
  std::uint32_t columns;
  std::uint32_t half_patch;
  std::uint32_t connected;
  float cutoff_peak;
  std::uint32_t chunks;
};
static_assert(sizeof(PeakPush) == 24);

constexpr std::uint32_t kHasDark = 2, kHasDummy = 4;  // BinPush's bits, as excess.comp reads them
// Pixels per chunk of pick.comp / write.comp = their workgroup size; one flag bit per pixel.
constexpr std::uint32_t kChunk = 256;
constexpr std::uint32_t kFlagWords = kChunk / 32;
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
  return peaks;
}

struct Peakfinder8Pyfai::State {
  runtime::Context* context;
  std::size_t rows, columns, pixels, chunks;
  bool has_dark;
  std::vector<float> centers;  // before the integrator: a matrix we cannot use is refused first
  Integrator integrator;
  runtime::Transfer transfer;
  runtime::Array<float> normalization, dark, variance, radius, bin_centers;
  runtime::Array<float> sigma_clip, excess;
  runtime::Array<std::uint32_t> flags, counts, offsets, total, peaks;
  runtime::Buffer staging, frame, readback;
  runtime::Sequence sequence;
  runtime::Kernel pick, scan, write;
  std::array<std::optional<runtime::Kernel>, 5> excess_kernels;  // by pixel type
  runtime::Profile profile;
  runtime::CopyPool copier;

  State(runtime::Context& c, const IntegrationMatrix& m, const reference::PixelCorrections& pc,
        std::array<std::size_t, 2> shape, std::span<const float> r)
      : context(&c),
        rows(shape[0]),
        columns(shape[1]),
        pixels(m.pixels),
        chunks((m.pixels + kChunk - 1) / kChunk),
        has_dark(!pc.dark.empty()),
        centers(bin_centers_of(m)),
        integrator(c, m, pc, 1),
        transfer(c),
        normalization(upload_array<float>(c, transfer, pc.normalization)),
        dark(upload_array<float>(c, transfer, pc.dark)),
        variance(upload_array<float>(c, transfer, pc.variance)),
        radius(upload_array<float>(c, transfer, r)),
        bin_centers(upload_array<float>(c, transfer, std::span<const float>(centers))),
        sigma_clip(c, Integrator::kResultPlanes * m.bins()),
        excess(c, 2 * m.pixels),
        flags(c, chunks * kFlagWords),
        counts(c, chunks),
        offsets(c, chunks),
        total(c, 1),
        peaks(c, kPeakWords * m.pixels),
        staging(c, std::max<std::size_t>(4, m.pixels * sizeof(float)), runtime::MemoryKind::host),
        frame(c, std::max<std::size_t>(4, m.pixels * sizeof(float))),
        readback(c, sizeof(std::uint32_t), runtime::MemoryKind::host),
        sequence(c),
        pick(c, {"peakfinder8_pyfai_pick", shaders::peakfinder8_pyfai_pick, 3, sizeof(PeakPush), kChunk, {}}),
        scan(c, {"peakfinder8_pyfai_scan", shaders::peakfinder8_pyfai_scan, 3, sizeof(PeakPush), 256, {}}),
        write(c, {"peakfinder8_pyfai_write", shaders::peakfinder8_pyfai_write, 4, sizeof(PeakPush), kChunk, {}}) {}

  const runtime::Kernel& excess_kernel(std::uint32_t type) {
    auto& k = excess_kernels.at(type);
    if (!k)
      k.emplace(*context, runtime::KernelDesc{"peakfinder8_pyfai_excess", shaders::peakfinder8_pyfai_excess, 8,
                                              sizeof(ExcessPush), 256, {type}});
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
                                 (has_dark ? kHasDark : 0u) | (integration.dummy ? kHasDummy : 0u),
                                 static_cast<std::uint32_t>(integration.error_model),
                                 integration.dummy.value_or(0.0f),
                                 integration.delta_dummy,
                                 params.noise,
                                 radius_min,
                                 radius_max};
    seq.dispatch(excess_kernel(*type), {frame_words, normalization, dark, variance, radius, bin_centers, sigma_clip, excess},
                 excess_push, {groups(pixels, 256)});
    seq.barrier();

    const PeakPush push{static_cast<std::uint32_t>(rows), static_cast<std::uint32_t>(columns), params.patch_size / 2,
                        params.connected, params.cutoff_peak, static_cast<std::uint32_t>(chunks)};
    seq.dispatch(pick, {excess, flags, counts}, push, {groups(chunks, 1)});
    seq.barrier();
    seq.dispatch(scan, {counts, offsets, total}, push, {1});
    seq.barrier();
    seq.dispatch(write, {excess, flags, offsets, peaks}, push, {groups(chunks, 1)});
  }

  std::vector<reference::Peakfinder8PyfaiPeak> run(const io::Frame& f, const reference::Peakfinder8PyfaiParams& params) {
    if (f.pixel_count() != pixels || (f.shape.size() == 2 && (f.shape[0] != rows || f.shape[1] != columns)))
      throw std::invalid_argument(f.source + ": a frame of " + std::to_string(f.pixel_count()) +
                                  " pixels, but the peak finder was set up for " + std::to_string(rows) + " x " +
                                  std::to_string(columns));
    validate(params);
    const StagedFrame staged = stage_frame(f, staging.mapped(), copier);
    sequence.copy(staging, frame, staged.bytes);
    sequence.barrier();
    record(sequence, frame, staged.type, params);
    sequence.barrier();
    sequence.copy(total, readback, sizeof(std::uint32_t));
    sequence.barrier();  // the copy's writes visible to the host
    sequence.run();
    profile.merge(sequence.profile());
    sequence.profile().clear();
    std::uint32_t count = 0;
    std::memcpy(&count, readback.mapped().data(), sizeof(count));
    std::vector<std::uint32_t> words(count * kPeakWords);
    if (count > 0) transfer.download(peaks.buffer(), 0, std::as_writable_bytes(std::span(words)));
    return decode_peakfinder8_pyfai(words, count);
  }
};

Peakfinder8Pyfai::Peakfinder8Pyfai(runtime::Context& context, const IntegrationMatrix& matrix,
                                   const reference::PixelCorrections& corrections, std::array<std::size_t, 2> shape,
                                   std::span<const float> radius) {
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
  state_ = std::make_unique<State>(context, matrix, corrections, shape, radius);
}

Peakfinder8Pyfai::~Peakfinder8Pyfai() = default;
Peakfinder8Pyfai::Peakfinder8Pyfai(Peakfinder8Pyfai&&) noexcept = default;
Peakfinder8Pyfai& Peakfinder8Pyfai::operator=(Peakfinder8Pyfai&&) noexcept = default;

std::vector<reference::Peakfinder8PyfaiPeak> Peakfinder8Pyfai::run(const io::Frame& frame,
                                                                   const reference::Peakfinder8PyfaiParams& params) {
  return state_->run(frame, params);
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
