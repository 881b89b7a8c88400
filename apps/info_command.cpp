#include "apps/info_command.hpp"

#include "io/cbf_metrology.hpp"
#include "io/frame_source.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdarg>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <limits>
#include <stdexcept>
#include <type_traits>

namespace vulkanite::apps {
namespace {

using io::shape_text;

// Masked follows pyFAI's usual Pilatus mask: negative pixels (gaps, dead) and, when the file
// gives a count cutoff, pixels above it (overloaded). NaNs are counted apart and left out of
// min, max and sum, as numpy's nanmin / nanmax / nansum do.
struct Stats {
  bool integer = true;
  std::int64_t int_min = 0, int_max = 0, int_sum = 0;
  double min = 0, max = 0, sum = 0;
  std::size_t finite_or_int = 0;  // pixels entering min / max / sum
  std::size_t negative = 0, masked = 0, nan = 0;
};

template <class T>
Stats stats_of(const io::Frame& frame, std::optional<double> cutoff) {
  Stats s;
  s.integer = std::is_integral_v<T>;
  bool first = true;
  for (const T v : frame.values<T>()) {
    if constexpr (std::is_floating_point_v<T>) {
      if (std::isnan(v)) {
        ++s.nan;
        continue;
      }
      const double d = v;
      s.min = first ? d : std::min(s.min, d);
      s.max = first ? d : std::max(s.max, d);
      s.sum += d;
    } else {
      const auto i = static_cast<std::int64_t>(v);
      s.int_min = first ? i : std::min(s.int_min, i);
      s.int_max = first ? i : std::max(s.int_max, i);
      s.int_sum += i;  // 2^28 pixels x 2^32 stays below 2^63
    }
    first = false;
    ++s.finite_or_int;
    const bool negative = v < 0;
    s.negative += negative;
    s.masked += negative || (cutoff && static_cast<double>(v) > *cutoff);
  }
  return s;
}

Stats stats_of(const io::Frame& frame) {
  const auto cutoff = frame.metadata.count_cutoff;
  switch (frame.type) {
    case io::PixelType::int8: return stats_of<std::int8_t>(frame, cutoff);
    case io::PixelType::uint8: return stats_of<std::uint8_t>(frame, cutoff);
    case io::PixelType::int16: return stats_of<std::int16_t>(frame, cutoff);
    case io::PixelType::uint16: return stats_of<std::uint16_t>(frame, cutoff);
    case io::PixelType::int32: return stats_of<std::int32_t>(frame, cutoff);
    case io::PixelType::uint32: return stats_of<std::uint32_t>(frame, cutoff);
    case io::PixelType::float32: return stats_of<float>(frame, cutoff);
    case io::PixelType::float64: return stats_of<double>(frame, cutoff);
  }
  return {};
}

// The metadata as ordered (name, value) pairs, SI names first, then the file's own items.
std::vector<std::pair<std::string, nlohmann::json>> metadata_items(const io::Metadata& m) {
  std::vector<std::pair<std::string, nlohmann::json>> items;
  const auto add = [&](const char* name, const std::optional<double>& value) {
    if (value) items.emplace_back(name, *value);
  };
  add("wavelength_m", m.wavelength_m);
  add("distance_m", m.distance_m);
  add("beam_center_fast_px", m.beam_center_fast_px);
  add("beam_center_slow_px", m.beam_center_slow_px);
  add("pixel_size_fast_m", m.pixel_size_fast_m);
  add("pixel_size_slow_m", m.pixel_size_slow_m);
  add("exposure_time_s", m.exposure_time_s);
  add("count_cutoff", m.count_cutoff);
  for (const auto& [key, value] : m.other) items.emplace_back(key, value);
  return items;
}

// printf onto a string: a file's text is printed only once all its frames have been read, so
// that a broken file gives its one error line and nothing on stdout.
__attribute__((format(printf, 2, 3))) void appendf(std::string& out, const char* format, ...) {
  va_list args, again;
  va_start(args, format);
  va_copy(again, args);
  const int size = std::vsnprintf(nullptr, 0, format, args);
  va_end(args);
  const auto start = out.size();
  out.resize(start + static_cast<std::size_t>(size) + 1);
  std::vsnprintf(out.data() + start, static_cast<std::size_t>(size) + 1, format, again);
  va_end(again);
  out.pop_back();
}

// The shortest text that reads back as the same double.
std::string number(double v) {
  char buffer[32];
  const auto end = std::to_chars(buffer, buffer + sizeof buffer, v).ptr;
  return std::string(buffer, end);
}

nlohmann::json frame_json(std::size_t index, const io::Frame& frame, const Stats& s) {
  nlohmann::json j;
  j["index"] = index;
  j["shape"] = frame.shape;
  j["type"] = io::pixel_type_name(frame.type);
  if (s.finite_or_int == 0) {
    j["min"] = j["max"] = nullptr;
  } else if (s.integer) {
    j["min"] = s.int_min, j["max"] = s.int_max;
  } else {
    j["min"] = s.min, j["max"] = s.max;
  }
  if (s.integer) j["sum"] = s.int_sum;
  else j["sum"] = s.sum;
  j["negative"] = s.negative;
  j["masked"] = s.masked;
  j["masked_rule"] = frame.metadata.count_cutoff ? "negative or above count_cutoff" : "negative";
  j["nan"] = s.nan;
  nlohmann::json metadata = nlohmann::json::object();
  for (auto& [key, value] : metadata_items(frame.metadata)) metadata[key] = value;
  j["metadata"] = metadata;
  return j;
}

void print_frame(std::string& out, std::size_t index, const io::Frame& frame, const Stats& s,
                 std::vector<std::string>& last_metadata) {
  const auto value = [&](std::int64_t i, double d) { return s.integer ? std::to_string(i) : number(d); };
  appendf(out, "  frame %zu: %s %s\n", index, shape_text(frame.shape).c_str(), io::pixel_type_name(frame.type));
  if (s.finite_or_int == 0)
    appendf(out, "    min -, max -, sum 0 (every pixel is NaN)\n");
  else
    appendf(out, "    min %s, max %s, sum %s\n", value(s.int_min, s.min).c_str(), value(s.int_max, s.max).c_str(),
                value(s.int_sum, s.sum).c_str());
  appendf(out, "    negative %zu, masked %zu (%s), NaN %zu\n", s.negative, s.masked,
              frame.metadata.count_cutoff ? ("negative or above count_cutoff " + number(*frame.metadata.count_cutoff)).c_str()
                                          : "negative; no count_cutoff in the file",
              s.nan);
  std::vector<std::string> lines;
  for (const auto& [key, v] : metadata_items(frame.metadata))
    lines.push_back(key + ": " + (v.is_string() ? v.get<std::string>() : number(v.get<double>())));
  // A stack's frames usually share their metadata: print it again only when it changes.
  if (lines.empty()) {
    appendf(out, "    metadata: none\n");
  } else if (lines == last_metadata) {
    appendf(out, "    metadata: as above\n");
  } else {
    appendf(out, "    metadata:\n");
    for (const auto& line : lines) appendf(out, "      %s\n", line.c_str());
  }
  last_metadata = std::move(lines);
}

// Panel metrology is read here, from the file, on demand, rather than carried in io::Frame: it
// describes the detector, not a frame (every frame of a stack shares it, and 64 panels copied
// into each Frame would be waste), only full CBF files carry it so far, and this listing is its
// one consumer. Frame keeps to pixels and scalar metadata; code that places pixels takes its
// geometry apart from the frames, as it takes PONI and CrystFEL geometry files. A CBF whose
// metrology is present but inconsistent is reported as a broken file, with the reader's message.
std::vector<io::PanelGeometry> read_metrology(const std::string& file) {
  if (io::detect_format(file) != io::Format::cbf) return {};
  return io::read_cbf_metrology(file);
}

// dxtbx's names for the same quantities (its detector JSON), so the two compare key by key.
nlohmann::json metrology_json(const std::vector<io::PanelGeometry>& panels) {
  if (panels.empty()) return nullptr;
  nlohmann::json list = nlohmann::json::array();
  for (const auto& p : panels)
    list.push_back({{"name", p.name},
                    {"origin_mm", p.origin_mm},
                    {"fast_axis", p.fast_axis},
                    {"slow_axis", p.slow_axis},
                    {"pixel_size_mm", {p.pixel_size_fast_mm, p.pixel_size_slow_mm}},
                    {"image_size_fast_slow", {p.size_fast, p.size_slow}}});
  return {{"panel_count", panels.size()}, {"panels", std::move(list)}};
}

}  // namespace

FrameRange parse_frame_range(const std::string& text) {
  const auto parse = [&](const std::string& part) -> std::size_t {
    if (part.empty() || part.find_first_not_of("0123456789") != std::string::npos)
      throw std::invalid_argument("--frames: '" + text + "' is not A:B, A:, :B or A (frame numbers from 0)");
    return std::stoull(part);
  };
  FrameRange range;
  const auto colon = text.find(':');
  if (colon == std::string::npos) {
    range.begin = parse(text);
    range.end = range.begin + 1;
    return range;
  }
  const auto a = text.substr(0, colon), b = text.substr(colon + 1);
  if (!a.empty()) range.begin = parse(a);
  if (!b.empty()) range.end = parse(b);
  if (range.end && *range.end < range.begin)
    throw std::invalid_argument("--frames: '" + text + "' ends before it begins");
  return range;
}

int info_command(const InfoOptions& options) {
  int status = 0;
  nlohmann::json files = nlohmann::json::array();
  for (const auto& file : options.files) {
    try {
      auto source = io::open_frames(file);
      const std::size_t count = source->frame_count();
      const std::size_t begin = std::min(count, options.frames.begin);
      const std::size_t end = std::max(begin, std::min(count, options.frames.end.value_or(count)));
      nlohmann::json entry{{"file", file}, {"format", source->format()}, {"frames", count}};
      nlohmann::json frames = nlohmann::json::array();
      std::string text;
      if (!options.json)
        appendf(text, "%s: %s, %zu frame%s%s\n", file.c_str(), source->format().c_str(), count, count == 1 ? "" : "s",
                    begin > 0 || end < count
                        ? (" (showing " + std::to_string(begin) + ":" + std::to_string(end) + ")").c_str()
                        : "");
      const auto panels = read_metrology(file);
      entry["metrology"] = metrology_json(panels);
      if (!options.json && !panels.empty()) {
        const auto& origin = panels.front().origin_mm;
        appendf(text, "  metrology: %zu panels, origin of panel 0 (%s) at (%.3f, %.3f, %.3f) mm\n", panels.size(),
                panels.front().name.c_str(), origin[0], origin[1], origin[2]);
      }
      std::vector<std::string> last_metadata;
      for (std::size_t i = begin; i < end; ++i) {
        const auto frame = source->read(i);
        const auto stats = stats_of(frame);
        if (options.json) frames.push_back(frame_json(i, frame, stats));
        else print_frame(text, i, frame, stats, last_metadata);
      }
      std::fputs(text.c_str(), stdout);
      entry["frame_info"] = std::move(frames);
      files.push_back(std::move(entry));
    } catch (const std::exception& e) {
      // The readers' messages already start with the file's name.
      std::fflush(stdout);
      std::string message = e.what();
      std::replace(message.begin(), message.end(), '\n', ' ');  // one line per broken file
      std::fprintf(stderr, "vulkanite: error: %s%s\n", message.starts_with(file) ? "" : (file + ": ").c_str(),
                   message.c_str());
      status = 1;
    }
  }
  if (options.json && !files.empty()) std::printf("%s\n", nlohmann::json{{"files", files}}.dump(2).c_str());
  return status;
}

}  // namespace vulkanite::apps
