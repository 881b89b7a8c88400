#include "algorithms/peakfinder8.hpp"

#include <algorithm>
#include <cmath>
#include <optional>
#include <cstring>
#include <map>
#include <stdexcept>
#include <string>

#include <shaders/peakfinder8_grow_regions.spv.hpp>
#include <shaders/peakfinder8_label_init.spv.hpp>
#include <shaders/peakfinder8_label_merge.spv.hpp>
#include <shaders/peakfinder8_label_resolve.spv.hpp>
#include <shaders/peakfinder8_radial_statistics.spv.hpp>
#include <shaders/peakfinder8_radial_statistics_subgroups.spv.hpp>

#include "algorithms/frame_words.hpp"
#include "algorithms/peakfinder8_regions.hpp"
#include "runtime/buffer.hpp"
#include "runtime/in_flight.hpp"
#include "runtime/kernel.hpp"
#include "runtime/parallel_copy.hpp"
#include "runtime/transfer.hpp"

namespace vulkanite::algorithms {
namespace {

struct Peakfinder8Push {  // GLSL: Peakfinder8Push in shaders/common/peakfinder8.glsl
  std::uint32_t pixels, width, asic_nx, asic_ny, rings;
  std::int32_t min_pixel_count, max_pixel_count, local_bg_radius;
  float minimum_snr, adc_threshold;
  std::uint32_t region_capacity, trail_capacity;
};
static_assert(sizeof(Peakfinder8Push) == 48);

constexpr std::uint32_t kMasked = 0x80000000u;
constexpr std::uint32_t kOverflow = 1, kInfinite = 2;  // counters[2] flags
constexpr std::uint32_t kWorkgroup = 256, kRingWorkgroup = 128;
static_assert(kWorkgroup % 32 == 0, "label_init packs the joinable bits of 32 pixels per word");
constexpr std::uint32_t kLabelInitPixelsPerInvocation = 4;  // label_init's specialization constant 2
constexpr std::size_t kStatPlanes = 5;

// Devices that stop loops silently past a budget per invocation (DeviceInfo::loop_budget:
// llvmpipe, 65535). What the kernels' longest invocations loop, bounded: a ring walked in OM's
// order in each of the 5 passes (about 5.4 loop iterations per pixel of the ring), and a region's
// growth (one per pixel). The usable budget keeps a margin for those estimates.
std::size_t usable_loop_budget(const runtime::Context& context) {
  const std::uint64_t budget = context.info().loop_budget;
  return budget == 0 ? 0 : static_cast<std::size_t>(budget - 5535);  // 60000 on llvmpipe
}

// Per pixel: its ring | kMasked where OM's mask excludes it.
std::vector<std::uint32_t> pixel_rings(std::span<const float> radius, std::span<const std::int8_t> mask) {
  std::vector<std::uint32_t> words(radius.size());
  for (std::size_t i = 0; i < radius.size(); ++i)
    words[i] = static_cast<std::uint32_t>(reference::ring_of(radius[i])) | (mask[i] != 0 ? 0u : kMasked);
  return words;
}

// The unmasked pixels of each ring in the order OM adds them: frame order, or the sample's.
struct RingLists {
  std::vector<std::uint32_t> start, pixel;
};
RingLists ring_lists(std::span<const std::uint32_t> words, std::size_t rings, const reference::RadialSample& sample) {
  std::vector<std::pair<std::uint32_t, std::uint32_t>> entries;  // (ring, pixel) in OM's order
  if (sample.pixel_index.empty()) {
    for (std::size_t i = 0; i < words.size(); ++i)
      if ((words[i] & kMasked) == 0) entries.emplace_back(words[i], static_cast<std::uint32_t>(i));
  } else {
    for (std::size_t k = 0; k < sample.pixel_index.size(); ++k) {
      const auto i = static_cast<std::size_t>(sample.pixel_index[k]);
      if ((words[i] & kMasked) == 0)
        entries.emplace_back(static_cast<std::uint32_t>(sample.radius[k]), static_cast<std::uint32_t>(i));
    }
  }
  RingLists lists{std::vector<std::uint32_t>(rings + 1, 0), std::vector<std::uint32_t>(entries.size())};
  for (const auto& e : entries) lists.start[e.first + 1] += 1;
  for (std::size_t r = 0; r < rings; ++r) lists.start[r + 1] += lists.start[r];
  std::vector<std::uint32_t> next(lists.start.begin(), lists.start.end() - 1);
  for (const auto& e : entries) lists.pixel[next[e.first]++] = e.second;  // stable: keeps OM's order
  return lists;
}

template <class T>
runtime::Array<T> upload_array(runtime::Context& context, runtime::Transfer& transfer, std::span<const T> values) {
  runtime::Array<T> array(context, std::max<std::size_t>(1, values.size()));
  if (!values.empty()) transfer.upload(values, array);
  return array;
}

// One frame in flight: its staging and device copies and what the host reads back. The
// kernels' scratch is shared by all slots: the queue runs one frame's kernels after the other's,
// and each frame's first kernel waits behind a full barrier.
struct Slot {
  Slot(runtime::Context& c, std::size_t pixels, std::size_t rings, std::size_t region_capacity,
       std::size_t trail_capacity)
      : staging(c, std::max<std::size_t>(4, pixels * sizeof(float)), runtime::MemoryKind::host),
        frame(c, std::max<std::size_t>(4, pixels * sizeof(float))),
        counters(c, 4 * sizeof(std::uint32_t), runtime::MemoryKind::host),
        stats(c, kStatPlanes * rings * sizeof(float), runtime::MemoryKind::host),
        regions(c, region_capacity * sizeof(RegionRecord), runtime::MemoryKind::host),
        trail(c, trail_capacity * sizeof(std::uint32_t), runtime::MemoryKind::host),
        sequence(c) {}
  runtime::Buffer staging, frame, counters, stats, regions, trail;
  runtime::Sequence sequence;
  io::PixelType type = io::PixelType::float32;
  std::size_t index = 0;
};

}  // namespace

struct Peakfinder8::State {
  runtime::Context* context;
  reference::Peakfinder8Layout layout;
  reference::Peakfinder8Params params;
  std::vector<float> radius;
  std::vector<std::int8_t> mask;  // OM's effective mask (min_res / max_res applied)
  std::size_t pixels, rings, region_capacity, trail_capacity;
  runtime::Array<std::uint32_t> pixel_ring, ring_start, ring_pixel;
  runtime::Array<float> ring_values, ring_stats;
  runtime::Array<std::uint32_t> label, seed, size, counters, trail, pixel_bits, joinable_list;
  runtime::Array<float> joinable_value;
  std::vector<std::unique_ptr<Slot>> slots;
  std::map<std::pair<std::string, std::uint32_t>, runtime::Kernel> kernels;  // (name, pixel type)
  runtime::Profile profile;
  runtime::CopyPool copier;
  std::size_t sequential = 0;

  State(runtime::Context& c, runtime::Transfer& t, const reference::Peakfinder8Layout& l, std::span<const float> r,
        std::vector<std::int8_t> m, const reference::Peakfinder8Params& p, const std::vector<std::uint32_t>& words,
        const RingLists& lists)
      : context(&c),
        layout(l),
        params(p),
        radius(r.begin(), r.end()),
        mask(std::move(m)),
        pixels(l.pixel_count()),
        rings(lists.start.size() - 1),
        // Regions and their pixels come back through host memory; a frame with more (a threshold
        // far too low) falls back on the host's scan rather than on gigabytes of buffers.
        region_capacity(std::clamp<std::size_t>(pixels / 16, 1024, std::size_t{1} << 18)),
        trail_capacity(std::clamp<std::size_t>(pixels / 4, 4096, std::size_t{1} << 22)),
        pixel_ring(upload_array<std::uint32_t>(c, t, words)),
        ring_start(upload_array<std::uint32_t>(c, t, lists.start)),
        ring_pixel(upload_array<std::uint32_t>(c, t, lists.pixel)),
        ring_values(c, std::max<std::size_t>(1, lists.pixel.size())),
        ring_stats(c, kStatPlanes * rings),
        label(c, pixels),
        seed(c, pixels),
        size(c, pixels),
        counters(c, 4),
        trail(c, 2 * pixels),                 // pixel, raw value
        pixel_bits(c, 2 * ((pixels + 31) / 32)),  // joinable, background
        joinable_list(c, pixels),
        joinable_value(c, pixels) {}

  // `type`: specialization constant 1; `more`: constants 2, 3, ... (fixed per kernel name).
  const runtime::Kernel& kernel(const char* name, std::span<const std::uint32_t> spirv, std::uint32_t type,
                                std::uint32_t workgroup = kWorkgroup, std::vector<std::uint32_t> more = {}) {
    const auto key = std::make_pair(std::string(name), type);
    auto it = kernels.find(key);
    if (it == kernels.end()) {
      more.insert(more.begin(), type);
      it = kernels
               .emplace(key, runtime::Kernel(*context, {std::string("peakfinder8_") + name, spirv, 16,
                                                        sizeof(Peakfinder8Push), workgroup, std::move(more)}))
               .first;
    }
    return it->second;
  }

  Peakfinder8Push push() const {
    return {static_cast<std::uint32_t>(pixels),
            static_cast<std::uint32_t>(layout.fs_size()),
            static_cast<std::uint32_t>(layout.asic_nx),
            static_cast<std::uint32_t>(layout.asic_ny),
            static_cast<std::uint32_t>(rings),
            params.min_pixel_count,
            params.max_pixel_count,
            params.local_bg_radius,
            params.minimum_snr,
            params.adc_threshold,
            static_cast<std::uint32_t>(region_capacity),
            static_cast<std::uint32_t>(trail_capacity)};
  }

  void record(runtime::Sequence& seq, const runtime::Buffer& frame, io::PixelType frame_type, Slot& slot) {
    const auto type = kernel_pixel_type(frame_type);
    if (!type)
      throw std::invalid_argument(std::string("the peakfinder8 kernels read int16, uint16, int32, uint32 or float32 "
                                              "frames, not ") + io::pixel_type_name(frame_type));
    const Peakfinder8Push p = push();
    const runtime::Bindings buffers = {frame, pixel_ring, ring_start,   ring_pixel, ring_values,   ring_stats,
                                       label, seed,       size,         counters,   trail,         slot.regions,
                                       slot.trail,        pixel_bits, joinable_list, joinable_value};
    const auto pixel_groups = static_cast<std::uint32_t>(std::min<std::size_t>((pixels + kWorkgroup - 1) / kWorkgroup, 65535));
    // The kernels after label_init visit its list of joinable pixels, whose length only the GPU
    // knows: enough groups for a few hundred thousand at once (grow: 8192, one per 32
    // invocations), striding beyond.
    const std::uint32_t list_groups = std::min<std::uint32_t>(pixel_groups, 1024);
    const auto ring_groups = static_cast<std::uint32_t>(std::clamp<std::size_t>(rings, 1, 65535));
    seq.fill(counters, 0);
    seq.barrier();
    const bool subgroups = context->subgroup_operations(runtime::kSubgroupArithmetic);
    using Spirv = std::span<const std::uint32_t>;
    const Spirv radial_statistics = subgroups ? Spirv(shaders::peakfinder8_radial_statistics_subgroups)
                                              : Spirv(shaders::peakfinder8_radial_statistics);
    seq.dispatch(kernel("radial_statistics", radial_statistics, *type, kRingWorkgroup), buffers, p, {ring_groups});
    seq.barrier();
    const auto label_init_groups = static_cast<std::uint32_t>(std::min<std::size_t>(
        (pixels + kWorkgroup * kLabelInitPixelsPerInvocation - 1) / (kWorkgroup * kLabelInitPixelsPerInvocation), 65535));
    seq.dispatch(kernel("label_init", shaders::peakfinder8_label_init, *type, kWorkgroup, {kLabelInitPixelsPerInvocation}),
                 buffers, p, {label_init_groups});
    seq.barrier();
    seq.dispatch(kernel("label_merge", shaders::peakfinder8_label_merge, 0), buffers, p, {list_groups});
    seq.barrier();
    seq.dispatch(kernel("label_resolve", shaders::peakfinder8_label_resolve, 0), buffers, p, {list_groups});
    seq.barrier();
    seq.dispatch(kernel("grow_regions", shaders::peakfinder8_grow_regions, *type), buffers, p, {list_groups});
  }

  void submit(Slot& slot, const io::Frame& frame) {
    if (frame.pixel_count() != pixels)
      throw std::invalid_argument(frame.source + ": " + std::to_string(frame.pixel_count()) +
                                  " pixels, but the peakfinder8 layout has " + std::to_string(pixels));
    const StagedFrame staged = stage_frame(frame, slot.staging.mapped(), copier);
    slot.type = staged.type;
    auto& seq = slot.sequence;
    // The recording's opening barrier orders this frame's kernels after the previous frame's
    // (shared scratch); the upload's semaphore, after the upload.
    seq.upload(slot.staging, slot.frame, staged.bytes);
    record(seq, slot.frame, staged.type, slot);
    seq.barrier();
    seq.copy(counters, slot.counters, counters.bytes());
    seq.copy(ring_stats, slot.stats, ring_stats.bytes());
    seq.barrier();  // the copies' and the kernels' host-memory writes visible to the host
    seq.submit();
  }

  Peakfinder8Output collect(Slot& slot) {
    slot.sequence.wait();
    profile.merge(slot.sequence.profile());
    slot.sequence.profile().clear();
    const auto* words = reinterpret_cast<const std::uint32_t*>(slot.counters.mapped().data());
    const std::uint32_t written = words[0], trail_used = words[1], flags = words[2];
    const std::span<const std::byte> staged = slot.staging.mapped();
    const FramePixels frame_pixels{staged, slot.type};
    if ((flags & kInfinite) != 0) {
      for (std::size_t i = 0; i < pixels; ++i)
        if (mask[i] != 0 && std::isinf(frame_pixels.value(i)))
          throw std::invalid_argument("peakfinder8: infinite value at unmasked pixel " + std::to_string(i) + " (mask it)");
    }

    Peakfinder8Output out;
    const auto* planes = reinterpret_cast<const float*>(slot.stats.mapped().data());
    out.radial.offset.assign(planes, planes + rings);
    out.radial.sigma.assign(planes + rings, planes + 2 * rings);
    out.radial.threshold.assign(planes + 2 * rings, planes + 3 * rings);
    out.radial.lower_threshold.assign(planes + 3 * rings, planes + 4 * rings);
    out.radial.count.resize(rings);
    std::memcpy(out.radial.count.data(), planes + 4 * rings, rings * sizeof(std::int32_t));
    out.regions = written;

    bool overflow = (flags & kOverflow) != 0 || written > region_capacity || trail_used > trail_capacity;
    if (const std::size_t budget = usable_loop_budget(*context); !overflow && budget != 0) {
      // A region grown past the device's loop budget may have been cut short: OM's scan instead.
      const auto* records = reinterpret_cast<const RegionRecord*>(slot.regions.mapped().data());
      for (std::uint32_t k = 0; k < written && !overflow; ++k) overflow = records[k].count > budget / 2;
    }
    std::optional<reference::Peakfinder8Result> peaks;
    if (!overflow) {
      const std::span<const RegionRecord> records(reinterpret_cast<const RegionRecord*>(slot.regions.mapped().data()),
                                                  written);
      const std::span<const std::uint32_t> trails(reinterpret_cast<const std::uint32_t*>(slot.trail.mapped().data()),
                                                  trail_used);
      peaks = peaks_in_scan_order(layout, params, records, trails,
                                  [&](std::size_t i) {
                                    return mask[i] != 0 &&
                                           frame_pixels.value(i) > out.radial.threshold[reference::ring_of(radius[i])];
                                  });
    }
    if (peaks) {
      out.peaks = std::move(*peaks);
    } else {
      // OM's own sequential scan, with the GPU's (identical) ring statistics.
      out.sequential = true;
      ++sequential;
      std::vector<float> data(pixels);
      for (std::size_t i = 0; i < pixels; ++i) data[i] = frame_pixels.value(i);
      out.peaks = reference::find_peaks(layout, data, radius, mask, out.radial, params);
    }
    return out;
  }
};

Peakfinder8::Peakfinder8(runtime::Context& context, const reference::Peakfinder8Layout& layout,
                         std::span<const float> radius, std::span<const std::int8_t> bad_pixel_map,
                         const reference::Peakfinder8Params& params, const reference::RadialSample& sample,
                         std::size_t frames_in_flight) {
  reference::check_peakfinder8_setup(layout, radius, bad_pixel_map, params, sample);
  if (frames_in_flight == 0) throw std::invalid_argument("frames in flight must be at least 1");
  auto mask = reference::peakfinder8_mask(radius, bad_pixel_map, params.min_res, params.max_res);
  const auto words = pixel_rings(radius, mask);
  const auto rings = static_cast<std::size_t>(reference::radial_bin_count(radius));
  const RingLists lists = ring_lists(words, rings, sample);
  if (const std::size_t budget = usable_loop_budget(context); budget != 0) {
    std::size_t longest = 0;
    for (std::size_t r = 0; r < rings; ++r) longest = std::max<std::size_t>(longest, lists.start[r + 1] - lists.start[r]);
    if (longest * 11 / 2 > budget)
      throw std::invalid_argument("peakfinder8: the longest ring has " + std::to_string(longest) +
                                  " pixels, more than llvmpipe can walk in one invocation (it stops loops after 65535 "
                                  "iterations, Mesa's LP_MAX_TGSI_LOOP_ITERATIONS): use a GPU");
  }
  runtime::Transfer transfer(context);
  state_ = std::make_unique<State>(context, transfer, layout, radius, std::move(mask), params, words, lists);
  for (std::size_t i = 0; i < frames_in_flight; ++i)
    state_->slots.push_back(std::make_unique<Slot>(context, state_->pixels, rings, state_->region_capacity,
                                                   state_->trail_capacity));
}

Peakfinder8::~Peakfinder8() = default;
Peakfinder8::Peakfinder8(Peakfinder8&&) noexcept = default;
Peakfinder8& Peakfinder8::operator=(Peakfinder8&&) noexcept = default;

Peakfinder8Output Peakfinder8::run(const io::Frame& frame) {
  Peakfinder8Output output;
  stream(runtime::just(frame), [&](std::size_t, Peakfinder8Output&& o) { output = std::move(o); });
  return output;
}

void Peakfinder8::stream(const std::function<const io::Frame*()>& next,
                         const std::function<void(std::size_t, Peakfinder8Output&&)>& on_result) {
  auto& s = *state_;
  runtime::stream_in_flight(
      s.slots, next, [&](Slot& slot, const io::Frame& frame) { s.submit(slot, frame); },
      [&](Slot& slot) { return s.collect(slot); }, on_result);
}

void Peakfinder8::record(runtime::Sequence& sequence, const runtime::Buffer& frame, io::PixelType type) {
  state_->record(sequence, frame, type, *state_->slots.front());
}

std::size_t Peakfinder8::rings() const { return state_->rings; }
std::size_t Peakfinder8::sequential_frames() const { return state_->sequential; }
const runtime::Profile& Peakfinder8::profile() const { return state_->profile; }

}  // namespace vulkanite::algorithms
