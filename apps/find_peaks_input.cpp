#include "apps/find_peaks_input.hpp"

#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>
#include <stdexcept>

#include "io/crystfel_geometry.hpp"
#include "io/detectors.hpp"
#include "io/peakfinder8_geometry.hpp"

namespace vulkanite::apps {
namespace {

using io::shape_text;

std::string number(double v) {
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  char buffer[32];
  const auto end = std::to_chars(buffer, buffer + sizeof buffer, v).ptr;
  return std::string(buffer, end);
}

bool is_integer(io::PixelType type) { return type != io::PixelType::float32 && type != io::PixelType::float64; }

// pyFAI's convention: non-zero (or NaN) = masked.
std::vector<std::uint8_t> read_mask(const std::string& path, const std::array<std::size_t, 2>& shape) {
  auto source = io::open_frames(path);
  if (source->frame_count() != 1)
    throw std::invalid_argument("--mask " + path + ": " + std::to_string(source->frame_count()) +
                                " frames; expected one image");
  const auto frame = source->read(0);
  if (frame.shape != std::vector<std::size_t>{shape[0], shape[1]})
    throw std::invalid_argument("--mask " + path + ": " + shape_text(frame.shape) + " pixels, but the geometry has " +
                                shape_text(shape[0], shape[1]));
  const auto values = frame.to_float32();
  std::vector<std::uint8_t> mask(values.size());
  for (std::size_t i = 0; i < values.size(); ++i) mask[i] = values[i] != 0.0f;
  return mask;
}

// One ASIC of the whole frame: OM's example Pilatus geometry (a Pilatus' modules with their
// 7- and 17-pixel gaps are no regular grid of equal ASICs).
reference::Peakfinder8Layout whole_frame(const std::array<std::size_t, 2>& shape) {
  return {static_cast<std::int32_t>(shape[1]), static_cast<std::int32_t>(shape[0]), 1, 1};
}

}  // namespace

PeakFeed::PeakFeed(const std::vector<std::string>& files, const FrameRange& range, std::size_t read_threads)
    : files_(std::make_unique<FileFrames>(files, range, read_threads)), total_(files_->total()) {}

PeakFeed::PeakFeed(const synthetic::SerialFrameParams& params, std::size_t frames)
    : total_(frames), params_(params), detector_(synthetic::make_serial_detector(params)) {}

const io::Frame& PeakFeed::first() {
  if (read_ahead_) return current_;
  if (produced_ != 0) throw std::logic_error("PeakFeed::first after next");
  read_ahead_ = read_next() != nullptr;
  if (!read_ahead_) throw std::invalid_argument("no frames to search");
  return current_;
}

const io::Frame* PeakFeed::next() {
  if (read_ahead_) {
    read_ahead_ = false;
    return &current_;
  }
  return read_next();
}

void PeakFeed::set_transform(FileFrames::Transform transform) {
  if (read_ahead_ && transform) transform(current_);
  if (files_)
    files_->set_transform(std::move(transform));
  else
    transform_ = std::move(transform);
}

const io::Frame* PeakFeed::read_next() {
  if (detector_) {
    if (produced_ >= total_) return nullptr;
    auto drawn = synthetic::make_serial_frame(params_, detector_, produced_);
    current_ = std::move(drawn.frame);
    if (transform_) transform_(current_);
    origins_.push_back(Origin{"synthetic", produced_, std::move(drawn.spots)});
    ++produced_;
    return &current_;
  }
  if (!files_->next(current_)) return nullptr;
  origins_.push_back(Origin{files_->path(), files_->index(), {}});
  ++produced_;
  return &current_;
}

PeakFeed::Origin PeakFeed::take(std::size_t index) {
  if (index >= origins_.size() || !origins_[index]) throw std::logic_error("PeakFeed::take: no frame " + std::to_string(index));
  Origin origin = std::move(*origins_[index]);
  origins_[index].reset();
  return origin;
}


PeakGeometry resolve_peak_geometry(const FindPeaksOptions& o, PeakFeed& feed) {
  PeakGeometry g;
  const io::Frame& first = feed.first();
  if (feed.synthetic()) {
    const auto& d = *feed.detector();
    g.shape = {d.rows, d.columns};
    g.layout = d.peakfinder8_layout;
    g.radius = d.radius_px;
    g.bad = d.bad_pixels;
    g.poni = d.poni;
    g.description = "synthetic " + (d.name.empty() ? shape_text(d.rows, d.columns) : d.name);
    g.mask_description = "the synthetic detector's (gaps, dead and known hot pixels)";
  } else if (!o.poni.empty()) {
    g.poni = io::read_poni(o.poni);
    if (first.shape.size() != 2)
      throw std::invalid_argument(first.source + ": " + shape_text(first.shape) + " pixels; peak finding takes 2-D frames");
    const std::array<std::size_t, 2> frame{first.shape[0], first.shape[1]};
    g.shape = g.poni->shape.value_or(frame);
    if (g.shape != frame)
      throw std::invalid_argument(first.source + ": " + shape_text(frame[0], frame[1]) + " pixels, but the geometry (" +
                                  o.poni + (g.poni->detector.empty() ? "" : ", " + g.poni->detector) + ") has " +
                                  shape_text(g.shape[0], g.shape[1]));
    g.layout = whole_frame(g.shape);
    g.radius = io::peakfinder8_radius_map(*g.poni, g.shape);
    g.description = "PONI " + o.poni;
    g.mask_description = "none";
    if (!g.poni->detector.empty()) {
      try {
        const auto spec = io::detector_by_name(g.poni->detector);
        g.bad = io::module_gap_mask(spec);
        g.mask_description = spec.name + " module gaps";
      } catch (const std::invalid_argument&) {
        // A detector io does not know has no gap mask here; the valid range still masks gaps
        // that read negative.
      }
    }
  } else if (!o.geom.empty()) {
    const auto geometry = io::read_crystfel_geometry(o.geom);
    g.shape = geometry.slab_shape();
    if (first.shape != std::vector<std::size_t>{g.shape[0], g.shape[1]})
      throw std::invalid_argument(first.source + ": " + shape_text(first.shape) + " pixels, but the geometry (" +
                                  o.geom + ") has a slab of " + shape_text(g.shape[0], g.shape[1]));
    const auto layout = io::peakfinder8_layout(geometry);
    g.layout = {static_cast<std::int32_t>(layout.asic_nx), static_cast<std::int32_t>(layout.asic_ny),
                static_cast<std::int32_t>(layout.nasics_x), static_cast<std::int32_t>(layout.nasics_y)};
    g.radius = io::peakfinder8_radius_map(geometry);
    g.bad = io::crystfel_bad_pixel_mask(geometry);
    g.description = "CrystFEL " + o.geom;
    g.mask_description = "the geometry's bad regions";
  } else {
    throw std::invalid_argument("a geometry is required: --poni FILE or --geom FILE.geom (or --synthetic N)");
  }
  if (!o.mask.empty()) {
    g.bad = read_mask(o.mask, g.shape);
    g.mask_description = o.mask;
  }
  if (g.bad.empty()) g.bad.assign(g.shape[0] * g.shape[1], 0);
  return g;
}

ValidRange resolve_valid_range(const std::string& text, const io::Frame& first) {
  constexpr double kInf = std::numeric_limits<double>::infinity();
  if (text == "all") return std::nullopt;
  if (text.empty()) {
    if (!is_integer(first.type)) return std::nullopt;
    if (first.metadata.count_cutoff && *first.metadata.count_cutoff > 0) return {{0.0, *first.metadata.count_cutoff - 1}};
    return {{0.0, kInf}};
  }
  const auto fail = [&](const std::string& why) {
    return std::invalid_argument("--valid-range: '" + text + "' " + why);
  };
  const auto colon = text.find(':');
  if (colon == std::string::npos) throw fail("is not LOW:HIGH or all");
  const auto parse = [&](std::string_view part) {
    if (part == "inf" || part == "+inf") return kInf;
    if (part == "-inf") return -kInf;
    double v = 0;
    const auto [end, error] = std::from_chars(part.data(), part.data() + part.size(), v);
    if (part.empty() || error != std::errc() || end != part.data() + part.size() || std::isnan(v))
      throw fail("is not LOW:HIGH (two numbers, or inf)");
    return v;
  };
  const std::string_view all(text);
  const double low = parse(all.substr(0, colon)), high = parse(all.substr(colon + 1));
  if (!(low <= high)) throw fail("is empty: LOW must not be above HIGH");
  return {{low, high}};
}

std::string describe(const ValidRange& range) {
  if (!range) return "all";
  return number(range->first) + ":" + number(range->second);
}

std::size_t mask_below_range(std::vector<std::uint8_t>& bad, const io::Frame& first, const ValidRange& range) {
  if (!range || !(range->first > -std::numeric_limits<double>::infinity())) return 0;
  const auto values = first.to_float32();
  std::size_t added = 0;
  for (std::size_t i = 0; i < values.size() && i < bad.size(); ++i)
    if (bad[i] == 0 && double(values[i]) < range->first) bad[i] = 1, ++added;
  return added;
}

void apply_valid_range(io::Frame& frame, const std::pair<double, double>& range) {
  const auto [low, high] = range;
  // The range is tested on the float value the kernels see (int32 counts are exact below 2^24).
  const auto in_range = [&](float value) {
    const double v = value;
    return v >= low && v <= high ? value : std::numeric_limits<float>::quiet_NaN();
  };
  // 4-byte pixels become floats in place, one at a time (each is read before it is written):
  // no second 25 MB buffer per Pilatus 6M frame.
  const auto in_place = [&]<class T>(T) {
    std::byte* const bytes = frame.data.data();
    for (std::size_t i = 0, n = frame.pixel_count(); i < n; ++i) {
      T raw;
      std::memcpy(&raw, bytes + i * sizeof(T), sizeof(T));
      const float value = in_range(static_cast<float>(raw));
      std::memcpy(bytes + i * sizeof(T), &value, sizeof(float));
    }
  };
  switch (frame.type) {
    case io::PixelType::int32: in_place(std::int32_t{}); break;
    case io::PixelType::uint32: in_place(std::uint32_t{}); break;
    case io::PixelType::float32: in_place(float{}); break;
    default: {
      auto values = frame.to_float32();
      for (auto& value : values) value = in_range(value);
      frame.data.resize(values.size() * sizeof(float));
      std::memcpy(frame.data.data(), values.data(), frame.data.size());
    }
  }
  frame.type = io::PixelType::float32;
}

}  // namespace vulkanite::apps
