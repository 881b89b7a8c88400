#include "io/poni.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "io/detectors.hpp"
#include "io/frame.hpp"

namespace vulkanite::io {
namespace {

std::string trim(std::string s) {
  const auto not_space = [](unsigned char c) { return !std::isspace(c); };
  s.erase(s.begin(), std::find_if(s.begin(), s.end(), not_space));
  s.erase(std::find_if(s.rbegin(), s.rend(), not_space).base(), s.end());
  return s;
}

struct Entry {
  std::string value;
  int line = 0;
};

double to_double(const std::string& source, const std::string& key, const Entry& e) {
  double v = 0.0;
  const char* first = e.value.data();
  const char* last = first + e.value.size();
  auto [ptr, ec] = std::from_chars(first, last, v);
  if (ec != std::errc() || ptr != last)
    throw FormatError(source + ": line " + std::to_string(e.line) + ": " + key +
                      ": not a number: '" + e.value + "'");
  return v;
}

}  // namespace

Poni parse_poni(const std::string& text, const std::string& source) {
  // pyFAI reads "key: value" lines, keys case-insensitive, '#' starts a comment line.
  std::map<std::string, Entry> entries;
  std::map<std::string, std::string> spelled;  // lower-case key -> key as written, for messages
  std::istringstream in(text);
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    const std::string t = trim(line);
    if (t.empty() || t[0] == '#') continue;
    const auto colon = t.find(':');
    if (colon == std::string::npos)
      throw FormatError(source + ": line " + std::to_string(number) + ": expected 'key: value', got '" +
                        t + "'");
    std::string key = trim(t.substr(0, colon));
    std::string lower = key;
    for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    entries[lower] = {trim(t.substr(colon + 1)), number};
    spelled[lower] = key;
  }
  const auto find = [&](const std::string& k) -> const Entry* {
    auto it = entries.find(k);
    return it == entries.end() ? nullptr : &it->second;
  };
  const auto number_of = [&](const std::string& k, const char* name) {
    const Entry* e = find(k);
    if (!e) throw FormatError(source + ": missing " + name);
    return to_double(source, name, *e);
  };

  Poni p;
  if (const Entry* v = find("poni_version")) {
    p.version = v->value;
    if (p.version != "1" && p.version != "2" && p.version != "2.1")
      throw FormatError(source + ": line " + std::to_string(v->line) + ": unsupported poni_version '" +
                        v->value + "' (known: 1, 2, 2.1)");
  }
  if (const Entry* d = find("detector")) p.detector = d->value;
  if (p.detector == "Detector") p.detector.clear();  // pyFAI's generic detector: sizes come from the config

  if (!p.detector.empty()) {
    DetectorSpec spec;
    try {
      spec = detector_by_name(p.detector);
    } catch (const std::invalid_argument& e) {  // a bad file, not a bad call: FormatError as promised
      throw FormatError(source + ": " + e.what());
    }
    p.pixel1_m = spec.pixel1_m;
    p.pixel2_m = spec.pixel2_m;
    p.shape = spec.shape;
  }
  if (p.version != "1") {
    const Entry* c = find("detector_config");
    if (!c) throw FormatError(source + ": missing Detector_config (required by poni_version " + p.version + ")");
    nlohmann::json config;
    try {
      config = nlohmann::json::parse(c->value.empty() ? std::string("{}") : c->value);
    } catch (const nlohmann::json::exception& e) {
      throw FormatError(source + ": line " + std::to_string(c->line) + ": Detector_config is not JSON: " +
                        e.what());
    }
    if (!config.is_object())
      throw FormatError(source + ": line " + std::to_string(c->line) + ": Detector_config is not a JSON object");
    try {
      if (config.contains("pixel1")) p.pixel1_m = config["pixel1"].get<double>();
      if (config.contains("pixel2")) p.pixel2_m = config["pixel2"].get<double>();
      if (config.contains("max_shape") && !config["max_shape"].is_null()) {
        const auto s = config["max_shape"].get<std::array<std::size_t, 2>>();
        p.shape = s;
      }
      if (config.contains("orientation")) p.orientation = config["orientation"].get<int>();
    } catch (const nlohmann::json::exception& e) {
      throw FormatError(source + ": line " + std::to_string(c->line) + ": Detector_config: " + e.what());
    }
    if (config.contains("splineFile") && !config["splineFile"].is_null())
      throw FormatError(source + ": spline-distorted detectors are not supported");
  } else {
    if (find("pixelsize1")) p.pixel1_m = number_of("pixelsize1", "PixelSize1");
    if (find("pixelsize2")) p.pixel2_m = number_of("pixelsize2", "PixelSize2");
    if (const Entry* s = find("splinefile"); s && s->value != "None" && !s->value.empty())
      throw FormatError(source + ": spline-distorted detectors are not supported (SplineFile " + s->value + ")");
  }
  if (p.orientation == 0) p.orientation = 3;  // pyFAI: 0 means "unset", treated as 3
  if (p.orientation < 1 || p.orientation > 4)
    throw FormatError(source + ": orientation " + std::to_string(p.orientation) + " is not one of 1..4");
  if (!(p.pixel1_m > 0.0) || !(p.pixel2_m > 0.0))
    throw FormatError(source + ": no pixel size (PixelSize1/2, a known Detector or Detector_config pixel1/2)");

  p.distance_m = number_of("distance", "Distance");
  p.poni1_m = number_of("poni1", "Poni1");
  p.poni2_m = number_of("poni2", "Poni2");
  p.rot1_rad = number_of("rot1", "Rot1");
  p.rot2_rad = number_of("rot2", "Rot2");
  p.rot3_rad = number_of("rot3", "Rot3");
  if (const Entry* w = find("wavelength"); w && w->value != "None") p.wavelength_m = to_double(source, "Wavelength", *w);
  return p;
}

Poni read_poni(const std::filesystem::path& path) {
  return parse_poni(read_whole_file(path), path.filename().string());
}

}  // namespace vulkanite::io
