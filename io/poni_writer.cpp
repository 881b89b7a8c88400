#include "io/poni_writer.hpp"

#include <charconv>
#include <fstream>
#include <stdexcept>
#include <utility>

namespace vulkanite::io {
namespace {

std::string number(double v) {
  char buffer[32];
  const auto end = std::to_chars(buffer, buffer + sizeof buffer, v).ptr;
  return std::string(buffer, end);
}

}  // namespace

std::string format_poni(const Poni& p) {
  // Appends rather than long operator+ chains: GCC 12 warns (-Wrestrict, falsely) on the latter.
  std::string config = "{";
  if (p.detector.empty()) {
    if (!(p.pixel1_m > 0.0) || !(p.pixel2_m > 0.0))
      throw std::invalid_argument("format_poni: a generic detector needs its pixel sizes");
    config += "\"pixel1\": " + number(p.pixel1_m);
    config += ", \"pixel2\": " + number(p.pixel2_m);
    config += ", \"max_shape\": ";
    if (p.shape) {
      config += "[" + std::to_string((*p.shape)[0]);
      config += ", " + std::to_string((*p.shape)[1]);
      config += "]";
    } else {
      config += "null";
    }
    config += ", ";
  }
  config += "\"orientation\": " + std::to_string(p.orientation);
  config += "}";
  std::string text = "# Nota: C-Order, 1 refers to the Y axis, 2 to the X axis\nponi_version: 2.1\n";
  text += "Detector: " + (p.detector.empty() ? std::string("Detector") : p.detector) + "\n";
  text += "Detector_config: " + config + "\n";
  const std::pair<const char*, double> numbers[] = {{"Distance", p.distance_m}, {"Poni1", p.poni1_m},
                                                    {"Poni2", p.poni2_m},       {"Rot1", p.rot1_rad},
                                                    {"Rot2", p.rot2_rad},       {"Rot3", p.rot3_rad}};
  for (const auto& [key, value] : numbers) {
    text += key;
    text += ": " + number(value) + "\n";
  }
  text += "Wavelength: " + (p.wavelength_m ? number(*p.wavelength_m) : std::string("None")) + "\n";
  return text;
}

void write_poni(const std::filesystem::path& path, const Poni& poni) {
  const std::string text = format_poni(poni);
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  out.close();
  if (!out) throw std::runtime_error(path.string() + ": cannot write the PONI file");
}

}  // namespace vulkanite::io
