#include "algorithms/integrate.hpp"

#include <algorithm>
#include <array>
#include <cstring>
#include <cstdint>
#include <map>
#include <numeric>
#include <stdexcept>
#include <string>
#include <utility>

#include <shaders/integrate.spv.hpp>
#include <shaders/integrate_subgroups.spv.hpp>
#include <shaders/sigma_clip.spv.hpp>
#include <shaders/sigma_clip_subgroups.spv.hpp>

#include "reference/sigma_clip.hpp"
#include "runtime/buffer.hpp"
#include "runtime/in_flight.hpp"
#include "runtime/kernel.hpp"
#include "runtime/parallel_copy.hpp"
#include "runtime/sequence.hpp"
#include "runtime/transfer.hpp"

namespace vulkanite::algorithms {
namespace {

struct BinPush {  // GLSL: BinPush in shaders/common/bin_statistics.glsl
  std::uint32_t bins;
  float dummy;
  float delta_dummy;
  float empty;
  std::uint32_t cycles;
  float cutoff;
};
static_assert(sizeof(BinPush) == 24);

// bin_statistics.glsl's kFlags (specialization constant 2).
constexpr std::uint32_t kHasCoefficients = 1, kHasDark = 2, kHasDummy = 4, kUnitNormalization = 8, kCountedSums = 16;
constexpr std::size_t kPlanes = 9;  // results planes, see bin_statistics.glsl

template <class T>
runtime::Array<T> upload_array(runtime::Context& context, runtime::Transfer& transfer, std::span<const T> values) {
  runtime::Array<T> array(context, std::max<std::size_t>(1, values.size()));
  if (!values.empty()) transfer.upload(values, array);
  return array;
}

// bin_statistics.glsl's entry_raw: one float per matrix entry (a buffer holds at least one).
runtime::Array<float> entry_scratch(runtime::Context& context, std::size_t entries) {
  return runtime::Array<float>(context, std::max<std::size_t>(1, entries));
}

// Whether the kernel writes entry_raw for `operation`: bin_statistics.glsl's caching_raw(), which
// this must match (any other operation gets a one-float stand-in, never written). Plain
// integration then allocates no scratch (23 MB a slot for the Pilatus 6M r_mm matrix).
bool needs_entry_scratch(const BinOperation& operation) {
  if (const auto* clip = std::get_if<reference::SigmaClipParams>(&operation))
    return clip->cycles > 0 || clip->integration.error_model == reference::ErrorModel::azimuthal;
  return std::get<reference::IntegrationParams>(operation).error_model == reference::ErrorModel::azimuthal;
}

void check_sizes(const IntegrationMatrix& m, const reference::PixelCorrections& c) {
  if (m.row_start.size() < 2) throw std::invalid_argument("the integration matrix has no bins");
  // 2^31: the kernels' entry indices (k + 2 batch x lanes, see lane_sums) must not wrap.
  if (m.pixel.size() >= (std::size_t{1} << 31))
    throw std::invalid_argument("the integration matrix has 2^31 entries or more");
  for (const auto p : m.pixel)
    if (p >= m.pixels) throw std::invalid_argument("the integration matrix refers to a pixel beyond the image");
  const auto check = [&](const std::vector<float>& v, const char* what) {
    if (!v.empty() && v.size() != m.pixels)
      throw std::invalid_argument(std::string(what) + " has " + std::to_string(v.size()) +
                                  " values but the geometry has " + std::to_string(m.pixels) + " pixels");
  };
  if (c.normalization.size() != m.pixels)
    throw std::invalid_argument("the normalization array has " + std::to_string(c.normalization.size()) +
                                " values but the geometry has " + std::to_string(m.pixels) + " pixels");
  check(c.dark, "the dark image");
  check(c.variance, "the variance array");
}

// The kernels read the per-pixel corrections per matrix entry, contiguously, rather than gather
// them per pixel: they are the same every frame, so the gather is done once here. Same values,
// same bits. An absent correction stays absent.
std::vector<float> entry_order(const IntegrationMatrix& m, const std::vector<float>& per_pixel) {
  if (per_pixel.empty()) return {};
  std::vector<float> out(m.pixel.size());
  for (std::size_t k = 0; k < out.size(); ++k) out[k] = per_pixel[m.pixel[k]];
  return out;
}

// The most entries a bin holds.
std::size_t largest_bin(const IntegrationMatrix& m) {
  std::size_t largest = 0;
  for (std::size_t b = 0; b < m.bins(); ++b) largest = std::max<std::size_t>(largest, m.row_start[b + 1] - m.row_start[b]);
  return largest;
}

// The bins by decreasing entry count (ties by index): the kernels' bin_order.
std::vector<std::uint32_t> largest_first(const IntegrationMatrix& m) {
  std::vector<std::uint32_t> order(m.bins());
  std::iota(order.begin(), order.end(), 0u);
  const auto size = [&](std::uint32_t b) { return m.row_start[b + 1] - m.row_start[b]; };
  std::stable_sort(order.begin(), order.end(), [&](std::uint32_t a, std::uint32_t b) { return size(a) > size(b); });
  return order;
}

}  // namespace

// One frame in flight: its staging and device copies, the kernel's scratch (made when an
// operation first needs it), its results, its command buffer.
struct Slot {
  Slot(runtime::Context& context, std::size_t frame_bytes, std::size_t result_values)
      : staging(context, frame_bytes, runtime::MemoryKind::host),
        frame(context, frame_bytes),
        results(context, result_values),
        readback(context, result_values * sizeof(float), runtime::MemoryKind::host),
        sequence(context) {}
  runtime::Buffer staging, frame;
  std::optional<runtime::Array<float>> entry_raw;  // bin_statistics.glsl's entry_raw
  runtime::Array<float> results;
  runtime::Buffer readback;
  runtime::Sequence sequence;
  std::size_t index = 0;
};

struct Integrator::State {
  runtime::Context* context;
  std::size_t bins, pixels, entries;
  std::uint32_t default_lanes;
  bool has_coefficients, has_dark, has_variance, unit_normalization;
  // bin_statistics.glsl's kCountedSums: every entry weighs 1 and no bin reaches 2^24 entries, so
  // the sums of normalization, of its square and the count are exact integers, the pixel count.
  bool counted_sums;
  runtime::Array<std::uint32_t> row_start, pixel, bin_order;
  runtime::Array<float> coefficient, normalization, dark, variance;
  std::optional<runtime::Array<float>> record_entry_raw;  // the public record()'s scratch, made on first use
  runtime::Array<float> no_entry_scratch;  // bound where the kernel writes no entry_raw
  std::vector<std::unique_ptr<Slot>> slots;
  // clip, lanes, pixel type, kFlags, kErrorModel: one pipeline per combination used
  std::map<std::array<std::uint32_t, 5>, runtime::Kernel> kernels;
  runtime::Profile profile;
  runtime::CopyPool copier;
  // import_frames' memory, which uploads read in place: the bytes given and their import.
  struct Imported {
    std::span<const std::byte> bytes;
    runtime::Buffer buffer;
  };
  std::vector<Imported> imported;
  std::size_t frames_read_in_place = 0;

  State(runtime::Context& c, runtime::Transfer& t, const IntegrationMatrix& m, const reference::PixelCorrections& pc)
      : context(&c),
        bins(m.bins()),
        pixels(m.pixels),
        entries(m.pixel.size()),
        default_lanes(reference::integration_lanes(m.view())),
        has_coefficients(!m.coefficient.empty()),
        has_dark(!pc.dark.empty()),
        has_variance(!pc.variance.empty()),
        unit_normalization(std::all_of(m.pixel.begin(), m.pixel.end(),
                                       [&](std::uint32_t p) { return pc.normalization[p] == 1.0f; })),
        counted_sums(unit_normalization && !has_coefficients && largest_bin(m) < (std::size_t{1} << 24)),
        row_start(upload_array<std::uint32_t>(c, t, m.row_start)),
        pixel(upload_array<std::uint32_t>(c, t, m.pixel)),
        bin_order(upload_array<std::uint32_t>(c, t, largest_first(m))),
        coefficient(upload_array<float>(c, t, m.coefficient)),
        normalization(upload_array<float>(c, t, entry_order(m, pc.normalization))),
        dark(upload_array<float>(c, t, entry_order(m, pc.dark))),
        variance(upload_array<float>(c, t, entry_order(m, pc.variance))),
        no_entry_scratch(entry_scratch(c, 0)) {}

  const runtime::Kernel& kernel(bool clip, std::uint32_t lanes, std::uint32_t type, std::uint32_t flags,
                               std::uint32_t error_model) {
    const std::array<std::uint32_t, 5> key{clip, lanes, type, flags, error_model};
    auto it = kernels.find(key);
    if (it == kernels.end()) {
      const bool subgroups = context->subgroup_operations(runtime::kSubgroupShuffle);
      using Spirv = std::span<const std::uint32_t>;
      const Spirv spirv = clip ? (subgroups ? Spirv(shaders::sigma_clip_subgroups) : Spirv(shaders::sigma_clip))
                               : (subgroups ? Spirv(shaders::integrate_subgroups) : Spirv(shaders::integrate));
      runtime::KernelDesc desc{
          clip ? "sigma_clip" : "integrate", spirv, 10, sizeof(BinPush), lanes, {type, flags, error_model}};
      it = kernels.emplace(key, runtime::Kernel(*context, std::move(desc))).first;
    }
    return it->second;
  }

  // The scratch the kernel needs for `operation`: `scratch`, made on first need, or the stand-in.
  const runtime::Array<float>& entry_scratch_for(const BinOperation& operation,
                                                 std::optional<runtime::Array<float>>& scratch) {
    if (!needs_entry_scratch(operation)) return no_entry_scratch;
    if (!scratch) scratch = entry_scratch(*context, entries);
    return *scratch;
  }

  // The imported memory holding all of `frame`'s pixels and where they begin in it, if the
  // kernels read the frame's type as it is.
  std::optional<std::pair<const runtime::Buffer*, VkDeviceSize>> imported_memory(const io::Frame& frame) const {
    if (!kernel_pixel_type(frame.type) || frame.data.empty()) return std::nullopt;
    // Addresses as integers: the frame may lie in any allocation, where pointers do not compare.
    const auto begin = reinterpret_cast<std::uintptr_t>(frame.data.data());
    for (const auto& memory : imported) {
      const auto first = reinterpret_cast<std::uintptr_t>(memory.bytes.data());
      if (begin >= first && runtime::range_fits(begin - first, frame.data.size(), memory.bytes.size()))
        return std::pair{&memory.buffer, memory.buffer.offset() + (begin - first)};
    }
    return std::nullopt;
  }

  // Records upload, kernel and readback of `frame` into `slot`, and submits.
  void submit(Slot& slot, const io::Frame& frame, const BinOperation& operation) {
    if (frame.pixel_count() != pixels)
      throw std::invalid_argument(frame.source + ": " + std::to_string(frame.pixel_count()) +
                                  " pixels, but the geometry has " + std::to_string(pixels));
    auto& seq = slot.sequence;
    io::PixelType type = frame.type;
    if (const auto memory = imported_memory(frame)) {
      seq.upload(*memory->first, slot.frame, frame.data.size(), memory->second);
      ++frames_read_in_place;
    } else {
      const StagedFrame staged = stage_frame(frame, slot.staging.mapped(), copier);
      seq.upload(slot.staging, slot.frame, staged.bytes);
      type = staged.type;
    }
    record(seq, slot.frame, type, operation, slot.results, entry_scratch_for(operation, slot.entry_raw));
    seq.barrier();
    seq.copy(slot.results, slot.readback, slot.results.bytes());
    seq.barrier();  // the copy's writes visible to the host
    seq.submit();
  }

  void record(runtime::Sequence& seq, const runtime::Buffer& frame, io::PixelType frame_type,
              const BinOperation& operation, const runtime::Array<float>& results,
              const runtime::Array<float>& entry_raw) {
    const auto type = kernel_pixel_type(frame_type);
    if (!type)
      throw std::invalid_argument(std::string("the integration kernels read int16, uint16, int32, uint32 or float32 "
                                              "frames, not ") + io::pixel_type_name(frame_type));
    if (results.size() < kPlanes * bins) throw std::invalid_argument("the results array is too small for the bins");
    const bool clip = std::holds_alternative<reference::SigmaClipParams>(operation);
    const auto& params = clip ? std::get<reference::SigmaClipParams>(operation).integration
                              : std::get<reference::IntegrationParams>(operation);
    BinPush push{static_cast<std::uint32_t>(bins), params.dummy.value_or(0.0f), params.delta_dummy, params.empty, 0,
                 0.0f};
    const std::uint32_t flags = (has_coefficients ? kHasCoefficients : 0) | (has_dark ? kHasDark : 0) |
                                (params.dummy ? kHasDummy : 0) | (unit_normalization ? kUnitNormalization : 0) |
                                (counted_sums ? kCountedSums : 0);
    if (clip) {
      const auto& p = std::get<reference::SigmaClipParams>(operation);
      push.cycles = p.cycles;
      push.cutoff = p.cutoff;
    }
    const std::uint32_t lanes = params.lanes != 0 ? params.lanes : default_lanes;
    const auto groups = static_cast<std::uint32_t>(std::min<std::size_t>(bins, 65535));
    seq.dispatch(kernel(clip, lanes, *type, flags, static_cast<std::uint32_t>(params.error_model)),
                 {frame, row_start, pixel, coefficient, normalization, dark, variance, results, bin_order, entry_raw},
                 push, {groups});
  }

  reference::IntegrationResult collect(Slot& slot) {
    slot.sequence.wait();
    profile.merge(slot.sequence.profile());
    slot.sequence.profile().clear();
    const auto* values = reinterpret_cast<const float*>(slot.readback.mapped().data());
    reference::IntegrationResult r;
    std::vector<float>* planes[] = {&r.sum_signal, &r.sum_variance, &r.sum_normalization,
                                    &r.sum_normalization_squared, &r.count, &r.intensity, &r.std, &r.sem};
    for (std::size_t p = 0; p < 8; ++p) planes[p]->assign(values + p * bins, values + (p + 1) * bins);
    r.pixels.resize(bins);
    std::memcpy(r.pixels.data(), values + 8 * bins, bins * sizeof(float));
    return r;
  }
};

Integrator::Integrator(runtime::Context& context, const IntegrationMatrix& matrix,
                       const reference::PixelCorrections& corrections, std::size_t frames_in_flight) {
  check_sizes(matrix, corrections);
  if (frames_in_flight == 0) throw std::invalid_argument("frames in flight must be at least 1");
  runtime::Transfer transfer(context);
  state_ = std::make_unique<State>(context, transfer, matrix, corrections);
  // Frames of any kernel type fit: 4 bytes per pixel at most (16-bit frames use half).
  const std::size_t frame_bytes = std::max<std::size_t>(4, matrix.pixels * sizeof(float));
  for (std::size_t i = 0; i < frames_in_flight; ++i)
    state_->slots.push_back(std::make_unique<Slot>(context, frame_bytes, kPlanes * matrix.bins()));
}

Integrator::~Integrator() = default;
Integrator::Integrator(Integrator&&) noexcept = default;
Integrator& Integrator::operator=(Integrator&&) noexcept = default;

namespace {

void check_operation(const BinOperation& operation) {
  std::visit([](const auto& params) { reference::check_params(params); }, operation);
}

}  // namespace

reference::IntegrationResult Integrator::run(const io::Frame& frame, const BinOperation& operation) {
  reference::IntegrationResult result;
  stream(runtime::just(frame), operation,
         [&](std::size_t, reference::IntegrationResult&& r) { result = std::move(r); });
  return result;
}

void Integrator::stream(const std::function<const io::Frame*()>& next, const BinOperation& operation,
                        const std::function<void(std::size_t, reference::IntegrationResult&&)>& on_result) {
  check_operation(operation);
  auto& s = *state_;
  const bool needs_variance = (std::holds_alternative<reference::SigmaClipParams>(operation)
                                   ? std::get<reference::SigmaClipParams>(operation).integration.error_model
                                   : std::get<reference::IntegrationParams>(operation).error_model) ==
                              reference::ErrorModel::variance;
  if (needs_variance && !s.has_variance)
    throw std::invalid_argument("the variance error model needs a variance array, and none was given");
  runtime::stream_in_flight(
      s.slots, next, [&](Slot& slot, const io::Frame& frame) { s.submit(slot, frame, operation); },
      [&](Slot& slot) { return s.collect(slot); }, on_result);
}

bool Integrator::import_frames(std::span<const io::Frame> frames) {
  auto& s = *state_;
  if (s.context->info().host_import_alignment == 0) return false;
  for (const auto& frame : frames) {
    if (frame.data.empty()) continue;
    const auto bytes = std::as_bytes(std::span(frame.data));
    s.imported.push_back({bytes, runtime::Buffer::import_host(*s.context, bytes)});
  }
  return true;
}

std::size_t Integrator::frames_read_in_place() const { return state_->frames_read_in_place; }

void Integrator::record(runtime::Sequence& sequence, const runtime::Buffer& frame, io::PixelType type,
                        const BinOperation& operation, const runtime::Array<float>& results) {
  check_operation(operation);
  auto& s = *state_;
  s.record(sequence, frame, type, operation, results, s.entry_scratch_for(operation, s.record_entry_raw));
}

std::size_t Integrator::bins() const { return state_->bins; }

const runtime::Profile& Integrator::profile() const { return state_->profile; }

}  // namespace vulkanite::algorithms
