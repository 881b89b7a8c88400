#pragma once
// pyFAI's PONI calibration files, every version: 1 (PixelSize1/2, optional Detector name),
// 2 and 2.1 (Detector name + Detector_config JSON). Lengths in metres, angles in radians, as
// pyFAI writes them. Index 1 is the slow axis (rows, y), index 2 the fast axis (columns, x).
#include <array>
#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>

namespace vulkanite::io {

struct Poni {
  std::string version = "1";           // "1", "2" or "2.1"
  std::string detector;                // pyFAI detector name ("Pilatus6M"), empty if the file has none
  double pixel1_m = 0.0;               // pixel size along the slow axis
  double pixel2_m = 0.0;               // ... along the fast axis
  std::optional<std::array<std::size_t, 2>> shape;  // {rows, columns}, from the detector when known
  int orientation = 3;                 // pyFAI 2.1 orientation; 3 is pyFAI's default (no flip)
  double distance_m = 0.0;
  double poni1_m = 0.0;                // point of normal incidence on the detector, slow axis
  double poni2_m = 0.0;
  double rot1_rad = 0.0;
  double rot2_rad = 0.0;
  double rot3_rad = 0.0;
  std::optional<double> wavelength_m;
};

// Throws FormatError ("x.poni: line 7: Rot1: not a number: 'abc'", "x.poni: missing Distance").
Poni parse_poni(const std::string& text, const std::string& source);
Poni read_poni(const std::filesystem::path& path);

}  // namespace vulkanite::io
