#include "io/hdf5_metadata.hpp"

#include "io/hdf5_handle.hpp"

#include <algorithm>
#include <cctype>
#include <optional>
#include <string>

namespace vulkanite::io {
namespace {

constexpr double kPlanckTimesLightSpeed = 6.62607015e-34 * 299792458.0;  // h c in J m (exact, SI 2019)

enum class Quantity { length, time, wavelength };

std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

// Metres or seconds per unit; nullopt when the unit is not one we know. A missing units
// attribute means SI, except for NXmx wavelengths, which DIALS and the Eiger files take as
// angstrom.
std::optional<double> unit_scale(const std::optional<std::string>& units, Quantity quantity) {
  if (!units || units->empty()) return quantity == Quantity::wavelength ? 1e-10 : 1.0;
  const std::string unit = lower(*units);
  if (quantity == Quantity::time) {
    if (unit == "s" || unit == "second" || unit == "seconds" || unit == "sec") return 1.0;
    if (unit == "ms") return 1e-3;
    if (unit == "us" || unit == "microsecond" || unit == "microseconds") return 1e-6;
    return std::nullopt;
  }
  if (unit == "m" || unit == "meter" || unit == "metre" || unit == "meters" || unit == "metres") return 1.0;
  if (unit == "mm" || unit == "millimeter" || unit == "millimetre") return 1e-3;
  if (unit == "um" || unit == "micron" || unit == "microns" || unit == "micrometer" || unit == "\xc2\xb5m") return 1e-6;
  if (unit == "nm" || unit == "nanometer") return 1e-9;
  if (unit == "angstrom" || unit == "angstroms" || unit == "a" || unit == "\xc3\x85" || unit == "\xe2\x84\xab")
    return 1e-10;
  return std::nullopt;
}

class Reader {
 public:
  Reader(hid_t file, Metadata& metadata) : file_(file), metadata_(metadata) {}

  // The item at the first present path of `paths`, in SI; unknown units go to `other`.
  std::optional<double> si(std::initializer_list<const char*> paths, Quantity quantity) {
    for (const char* path : paths) {
      const auto value = h5::read_number(file_, path);
      if (!value) continue;
      const auto units = h5::read_string_attribute(file_, path, "units");
      if (const auto scale = unit_scale(units, quantity)) return *value * *scale;
      metadata_.other[path] = std::to_string(*value) + " " + units.value_or("");
      return std::nullopt;
    }
    return std::nullopt;
  }

  // A beam centre in pixels; NXmx allows it as a length too, then the pixel size converts it.
  std::optional<double> pixels(const char* path, std::optional<double> pixel_size_m) {
    const auto value = h5::read_number(file_, path);
    if (!value) return std::nullopt;
    const auto units = h5::read_string_attribute(file_, path, "units");
    if (!units || units->empty() || lower(*units).starts_with("pixel")) return value;
    const auto scale = unit_scale(units, Quantity::length);
    if (scale && pixel_size_m && *pixel_size_m > 0) return *value * *scale / *pixel_size_m;
    metadata_.other[path] = std::to_string(*value) + " " + *units;
    return std::nullopt;
  }

 private:
  hid_t file_;
  Metadata& metadata_;
};

}  // namespace

Metadata read_hdf5_metadata(hid_t file) {
  Metadata metadata;
  Reader reader(file, metadata);
  // NXmx (Dectris Eiger, DIALS): the detector group is called "detector" in every Eiger file.
  metadata.wavelength_m = reader.si({"/entry/instrument/beam/incident_wavelength"}, Quantity::wavelength);
  metadata.distance_m = reader.si({"/entry/instrument/detector/detector_distance", "/entry/instrument/detector/distance"},
                                  Quantity::length);
  metadata.pixel_size_fast_m = reader.si({"/entry/instrument/detector/x_pixel_size"}, Quantity::length);
  metadata.pixel_size_slow_m = reader.si({"/entry/instrument/detector/y_pixel_size"}, Quantity::length);
  metadata.beam_center_fast_px = reader.pixels("/entry/instrument/detector/beam_center_x", metadata.pixel_size_fast_m);
  metadata.beam_center_slow_px = reader.pixels("/entry/instrument/detector/beam_center_y", metadata.pixel_size_slow_m);
  metadata.exposure_time_s = reader.si({"/entry/instrument/detector/count_time"}, Quantity::time);
  metadata.count_cutoff =
      h5::read_number(file, "/entry/instrument/detector/detectorSpecific/countrate_correction_count_cutoff");

  // CXI (Cheetah, OM, psocake): SI throughout; the photon energy is in joules.
  if (!metadata.wavelength_m) {
    if (const auto energy = h5::read_number(file, "/entry_1/instrument_1/source_1/energy"); energy && *energy > 0)
      metadata.wavelength_m = kPlanckTimesLightSpeed / *energy;
  }
  if (!metadata.distance_m) metadata.distance_m = reader.si({"/entry_1/instrument_1/detector_1/distance"}, Quantity::length);
  if (!metadata.pixel_size_fast_m)
    metadata.pixel_size_fast_m = reader.si({"/entry_1/instrument_1/detector_1/x_pixel_size"}, Quantity::length);
  if (!metadata.pixel_size_slow_m)
    metadata.pixel_size_slow_m = reader.si({"/entry_1/instrument_1/detector_1/y_pixel_size"}, Quantity::length);
  if (!metadata.exposure_time_s)
    metadata.exposure_time_s = reader.si({"/entry_1/instrument_1/detector_1/count_time"}, Quantity::time);
  return metadata;
}

}  // namespace vulkanite::io
