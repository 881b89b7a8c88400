#include "io/cbf_text.hpp"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <optional>

namespace vulkanite::io::cbf {
namespace {

constexpr std::string_view kSectionStart = "--CIF-BINARY-FORMAT-SECTION--";
// The four bytes that end a binary section's MIME header (CBF 1.5 spec, "binary data").
constexpr std::string_view kBinaryMarker{"\x0c\x1a\x04\xd5", 4};
// A MIME header is a dozen short lines; a marker further away than this is not there.
constexpr std::size_t kMaxMimeHeader = 4096;

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

// The text after "Key:" up to the end of its line, if the header has the key.
std::optional<std::string_view> mime_field(std::string_view header, std::string_view key) {
  const auto at = header.find(key);
  if (at == std::string_view::npos) return std::nullopt;
  auto rest = header.substr(at + key.size());
  return trim(rest.substr(0, rest.find_first_of("\r\n")));
}

std::uint64_t parse_count(std::string_view text, std::string_view what, const std::string& where) {
  std::uint64_t value = 0;
  if (text.empty()) throw FormatError(where + ": empty " + std::string(what));
  for (const char c : text) {
    if (c < '0' || c > '9')
      throw FormatError(where + ": " + std::string(what) + " is not a count: '" + std::string(text) + "'");
    if (value > (std::uint64_t{1} << 60))
      throw FormatError(where + ": " + std::string(what) + " is absurdly large: " + std::string(text));
    value = value * 10 + static_cast<std::uint64_t>(c - '0');
  }
  return value;
}

BinarySection parse_section(std::string_view file, std::size_t start, std::size_t index, const std::string& name) {
  const std::string where = name + ": binary section " + std::to_string(index);
  const auto window = file.substr(start, kMaxMimeHeader);
  const auto marker = window.find(kBinaryMarker);
  if (marker == std::string_view::npos) throw FormatError(where + ": no start-of-binary marker (truncated header?)");
  const auto header = window.substr(0, marker);

  BinarySection section;
  section.offset = start + marker + kBinaryMarker.size();
  if (const auto conv = header.find("conversions=\""); conv != std::string_view::npos) {
    const auto value = header.substr(conv + 13);
    section.conversions = std::string(value.substr(0, value.find('"')));
  }
  const auto size = mime_field(header, "X-Binary-Size:");
  if (!size) throw FormatError(where + ": no X-Binary-Size");
  section.size = parse_count(*size, "X-Binary-Size", where);
  const auto elements = mime_field(header, "X-Binary-Number-of-Elements:");
  if (!elements) throw FormatError(where + ": no X-Binary-Number-of-Elements");
  section.elements = parse_count(*elements, "X-Binary-Number-of-Elements", where);
  if (section.elements > kMaxElements)
    throw FormatError(where + ": declares " + std::to_string(section.elements) + " pixels, more than the " +
                      std::to_string(kMaxElements) + " this reader accepts");

  // Each dimension is bounded before multiplying, so the product cannot wrap.
  std::uint64_t product = 1;
  bool any_dimension = false;
  for (const auto key : {"X-Binary-Size-Fastest-Dimension:", "X-Binary-Size-Second-Dimension:",
                         "X-Binary-Size-Third-Dimension:"}) {
    const auto text = mime_field(header, key);
    if (!text) continue;
    any_dimension = true;
    const auto dim = parse_count(*text, std::string_view(key).substr(0, std::string_view(key).size() - 1), where);
    if (dim == 0 || dim > kMaxElements)
      throw FormatError(where + ": absurd dimension " + std::to_string(dim) + " (" + std::string(key) + ")");
    product *= dim;
    if (product > kMaxElements)
      throw FormatError(where + ": dimensions multiply to more than the " + std::to_string(kMaxElements) +
                        " pixels this reader accepts");
  }
  if (any_dimension && product != section.elements)
    throw FormatError(where + ": dimensions give " + std::to_string(product) +
                      " pixels but X-Binary-Number-of-Elements is " + std::to_string(section.elements));

  // libcbf seeks to the section and reads X-Binary-Size bytes; checking here turns a truncated
  // file into one clear message instead of whatever a short read does deep inside the decoder.
  if (section.offset > file.size() || section.size > file.size() - section.offset) {
    const auto present = file.size() - std::min<std::uint64_t>(section.offset, file.size());
    throw FormatError(where + ": truncated binary data (" + std::to_string(present) + " of " +
                      std::to_string(section.size) + " bytes)");
  }
  return section;
}

std::optional<double> parse_number(std::string_view text) {
  const std::string copy(trim(text));
  if (copy.empty()) return std::nullopt;
  char* end = nullptr;
  const double value = std::strtod(copy.c_str(), &end);
  if (end != copy.c_str() + copy.size()) return std::nullopt;
  return value;
}

// "0.35100 m" -> 0.351; the unit must be one of `units` (name, factor to SI).
double parse_quantity(std::string_view text, std::initializer_list<std::pair<std::string_view, double>> units,
                      const std::string& where) {
  text = trim(text);
  const auto space = text.find_last_of(" \t");
  const auto number = parse_number(space == std::string_view::npos ? text : text.substr(0, space));
  const auto unit = space == std::string_view::npos ? std::string_view{} : text.substr(space + 1);
  if (number) {
    for (const auto& [name, factor] : units)
      if (unit == name) return *number * factor;
  }
  throw FormatError(where + ": cannot read '" + std::string(text) + "'");
}

}  // namespace

void parse_pilatus_header(std::string_view contents, Metadata& metadata, const std::string& name) {
  std::size_t unnamed = 0;
  while (!contents.empty()) {
    const auto end = contents.find_first_of("\r\n");
    auto line = trim(contents.substr(0, end));
    contents = end == std::string_view::npos ? std::string_view{} : contents.substr(end + 1);
    if (!line.starts_with('#')) continue;
    line = trim(line.substr(1));
    if (line.empty()) continue;
    const auto split = line.find_first_of(" \t");
    std::string key(line.substr(0, split));
    auto value = split == std::string_view::npos ? std::string_view{} : trim(line.substr(split));
    const std::string where = name + ": Pilatus header line '# " + std::string(line) + "'";

    if (key == "Wavelength") {
      metadata.wavelength_m = parse_quantity(value, {{"A", 1e-10}, {"nm", 1e-9}, {"m", 1.0}}, where);
    } else if (key == "Detector_distance") {
      metadata.distance_m = parse_quantity(value, {{"m", 1.0}, {"mm", 1e-3}}, where);
    } else if (key == "Exposure_time") {
      metadata.exposure_time_s = parse_quantity(value, {{"s", 1.0}, {"ms", 1e-3}}, where);
    } else if (key == "Count_cutoff") {
      metadata.count_cutoff = parse_quantity(value, {{"counts", 1.0}}, where);
    } else if (key == "Beam_xy") {
      // "(1261.61, 1306.96) pixels": fast (x) first, as the Pilatus header and pyFAI's fit2d read it.
      const auto open = value.find('('), comma = value.find(','), close = value.find(')');
      if (open == std::string_view::npos || comma == std::string_view::npos || close == std::string_view::npos ||
          !(open < comma && comma < close) || trim(value.substr(close + 1)) != "pixels")
        throw FormatError(where + ": cannot read '" + std::string(value) + "'");
      const auto fast = parse_number(value.substr(open + 1, comma - open - 1));
      const auto slow = parse_number(value.substr(comma + 1, close - comma - 1));
      if (!fast || !slow) throw FormatError(where + ": cannot read '" + std::string(value) + "'");
      metadata.beam_center_fast_px = *fast;
      metadata.beam_center_slow_px = *slow;
    } else if (key == "Pixel_size") {
      // "172e-6 m x 172e-6 m": fast (x) then slow (y).
      const auto x = value.find(" x ");
      if (x == std::string_view::npos) throw FormatError(where + ": cannot read '" + std::string(value) + "'");
      metadata.pixel_size_fast_m = parse_quantity(value.substr(0, x), {{"m", 1.0}, {"mm", 1e-3}}, where);
      metadata.pixel_size_slow_m = parse_quantity(value.substr(x + 3), {{"m", 1.0}, {"mm", 1e-3}}, where);
    } else {
      // "Detector: PILATUS3 6M", "Tau = 0 s", and the bare timestamp line.
      if (key.ends_with(':')) key.pop_back();
      if (value.starts_with('=')) value = trim(value.substr(1));
      if (!key.empty() && std::isdigit(static_cast<unsigned char>(key.front())) && value.empty()) {
        value = line;
        key = unnamed++ == 0 ? "Date" : "Date_" + std::to_string(unnamed);
      } else if (value.starts_with("sensor,")) {  // "# Silicon sensor, thickness 0.000450 m"
        value = line;
        key = "Sensor";
      }
      metadata.other[key] = std::string(value);
    }
  }
}

// The next section start at or after `from`, not counting the "--CIF-BINARY-FORMAT-SECTION----"
// that closes each section.
static std::size_t next_section(std::string_view file, std::size_t from) {
  auto at = file.find(kSectionStart, from);
  while (at != std::string_view::npos && file.substr(at + kSectionStart.size(), 2) == "--")
    at = file.find(kSectionStart, at + kSectionStart.size());
  return at;
}

TextScan scan_text(std::string_view file, const std::string& name) {
  if (file.empty()) throw FormatError(name + ": empty file");
  if (!file.starts_with("###CBF")) throw FormatError(name + ": not a CBF file (no ###CBF at the start)");
  TextScan scan;
  scan.file_size = file.size();
  std::size_t at = next_section(file, 0);
  const std::size_t text_end = at;
  std::uint64_t total = 0;
  while (at != std::string_view::npos) {
    scan.sections.push_back(parse_section(file, at, scan.sections.size() + 1, name));
    const auto& section = scan.sections.back();
    total += section.elements;
    if (total > kMaxElements)
      throw FormatError(name + ": binary sections hold more than the " + std::to_string(kMaxElements) +
                        " pixels this reader accepts");
    at = next_section(file, section.offset + section.size);
  }
  if (scan.sections.empty()) throw FormatError(name + ": no binary data section");

  const auto text = file.substr(0, text_end);
  if (const auto header = text.find("_array_data.header_contents"); header != std::string_view::npos) {
    auto contents = text.substr(header);
    contents = contents.substr(0, contents.find("_array_data.data"));
    scan.pilatus_header = contents.find("\n#") != std::string_view::npos;
    parse_pilatus_header(contents, scan.metadata, name);
  }
  return scan;
}

}  // namespace vulkanite::io::cbf
