#include "algorithms/peakfinder8_regions.hpp"

#include <algorithm>
#include <cstring>
#include <numeric>
#include <vector>

namespace vulkanite::algorithms {

float FramePixels::value(std::size_t i) const {
  const auto load = [&]<class T>(T) {
    T v;
    std::memcpy(&v, words.data() + i * sizeof(T), sizeof(T));
    return static_cast<float>(v);
  };
  switch (type) {
    case io::PixelType::int16: return load(std::int16_t{});
    case io::PixelType::uint16: return load(std::uint16_t{});
    case io::PixelType::int32: return load(std::int32_t{});
    case io::PixelType::uint32: return load(std::uint32_t{});
    default: return load(float{});
  }
}

namespace {

struct Position {
  std::int32_t asic;     // ASIC index in OM's scan order
  std::int32_t fs, ss;   // within the ASIC
};

Position position(const reference::Peakfinder8Layout& l, std::uint32_t pixel) {
  const auto fs = static_cast<std::int32_t>(pixel % static_cast<std::uint32_t>(l.fs_size()));
  const auto ss = static_cast<std::int32_t>(pixel / static_cast<std::uint32_t>(l.fs_size()));
  return {(ss / l.asic_ny) * l.nasics_x + fs / l.asic_nx, fs % l.asic_nx, ss % l.asic_ny};
}

}  // namespace

std::optional<reference::Peakfinder8Result> peaks_in_scan_order(const reference::Peakfinder8Layout& layout,
                                                                const reference::Peakfinder8Params& params,
                                                                std::span<const RegionRecord> records,
                                                                std::span<const std::uint32_t> trails,
                                                                const std::function<bool(std::size_t)>& joinable) {
  // OM's scan order: ASIC by ASIC, then row-major within the ASIC.
  const auto key = [&](const RegionRecord& r) {
    const Position p = position(layout, r.seed);
    return (std::int64_t{p.asic} * layout.asic_ny + p.ss) * layout.asic_nx + p.fs;
  };
  std::vector<std::size_t> order(records.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return key(records[a]) < key(records[b]); });

  const auto pixel_index = [&](std::int32_t asic, std::int32_t fs, std::int32_t ss) {
    const std::int32_t gfs = (asic % layout.nasics_x) * layout.asic_nx + fs;
    const std::int32_t gss = (asic / layout.nasics_x) * layout.asic_ny + ss;
    return static_cast<std::size_t>(gfs) + static_cast<std::size_t>(gss) * static_cast<std::size_t>(layout.fs_size());
  };
  // Whether pixel i belongs to one of the regions order[first .. last] (inclusive).
  const auto taken = [&](std::size_t i, std::size_t first, std::size_t last) {
    for (std::size_t k = first; k <= last; ++k) {
      const RegionRecord& r = records[order[k]];
      const auto begin = trails.begin() + r.trail_offset;
      if (std::find(begin, begin + r.count, static_cast<std::uint32_t>(i)) != begin + r.count) return true;
    }
    return false;
  };

  // Earlier regions that may still own a trail entry: counts strictly decreasing from the
  // bottom, so the latest region with more than c pixels is the topmost one with count > c.
  std::vector<std::size_t> owners;
  std::size_t asic_first = 0;  // position in `order` of the current ASIC's first region
  reference::Peakfinder8Result result;
  for (std::size_t k = 0; k < order.size(); ++k) {
    const RegionRecord& r = records[order[k]];
    const Position here = position(layout, r.seed);
    if (k == 0 || position(layout, records[order[k - 1]].seed).asic != here.asic) asic_first = k;

    // The stale entry OM visits: entry r.count of the trail.
    const auto owner = std::partition_point(owners.begin(), owners.end(),
                                            [&](std::size_t o) { return records[order[o]].count > r.count; });
    bool harmless = false;
    std::int32_t stale_fs = 0, stale_ss = 0;  // (0, 0) while no region has written the entry
    if (owner != owners.begin()) {
      const RegionRecord& o = records[order[*(owner - 1)]];
      const Position p = position(layout, trails[o.trail_offset + r.count]);
      harmless = p.asic == here.asic;
      stale_fs = p.fs;
      stale_ss = p.ss;
    }
    if (!harmless) {
      for (std::int32_t dss = -1; dss <= 1; ++dss)
        for (std::int32_t dfs = -1; dfs <= 1; ++dfs) {
          const std::int32_t fs = stale_fs + dfs, ss = stale_ss + dss;
          if (fs < 0 || fs >= layout.asic_nx || ss < 0 || ss >= layout.asic_ny) continue;
          const std::size_t i = pixel_index(here.asic, fs, ss);
          if (joinable(i) && !taken(i, asic_first, k)) return std::nullopt;
        }
    }
    while (!owners.empty() && records[order[owners.back()]].count <= r.count) owners.pop_back();
    owners.push_back(k);

    if (r.accepted == 0) continue;
    if (result.found < params.max_num_peaks) {
      reference::Peak8 peak;
      peak.fs = r.fs;
      peak.ss = r.ss;
      peak.total_intensity = r.total_intensity;
      peak.max_intensity = r.max_intensity;
      peak.snr = r.snr;
      peak.background = r.background;
      peak.pixel_count = static_cast<std::int32_t>(r.count);
      peak.sigma = r.sigma;
      peak.com_index = r.com_index;
      result.peaks.push_back(peak);
    }
    result.found += 1;
  }
  return result;
}

}  // namespace vulkanite::algorithms
