#pragma once
// `vulkanite find-peaks`: Bragg peaks in many frames on the GPU, with either peakfinder8 — the
// original (Cheetah's, as OM runs it: algorithms::Peakfinder8) or pyFAI's
// (algorithms::Peakfinder8Pyfai) — over files (CBF, TIFF, HDF5/CXI stacks, NumPy) or frames drawn
// by the built-in generator with known spots (--synthetic N), scored against them.
// The options are held here as the user typed them (flavour-specific parameters as optionals, so
// that a flag of the other flavour is refused rather than ignored); find_peaks_command() turns
// them into the library's typed parameters once. docs/find_peaks_cli.md.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "apps/file_frames.hpp"  // default_read_threads

namespace CLI {
class App;
}

namespace vulkanite::apps {

struct FindPeaksOptions {
  std::vector<std::string> files;  // frames; empty with --synthetic
  std::string frames;              // --frames A:B of each file

  // --synthetic N: frames of synthetic::make_serial_frame, with their own geometry and truth.
  std::size_t synthetic = 0;
  std::string detector = "Pilatus1M";  // built-in detector or ROWSxCOLUMNS
  std::int32_t spots = 100;
  std::uint64_t seed = 20240805;

  std::string poni, geom;        // geometry: a pyFAI PONI or a CrystFEL .geom
  std::string flavour = "cheetah";  // "cheetah" (the original peakfinder8) or "pyfai"

  // Original flavour, OM's names (defaults: reference::Peakfinder8Params).
  std::optional<std::int32_t> max_num_peaks, min_pixel_count, max_pixel_count, local_bg_radius, min_res, max_res;
  std::optional<float> adc_threshold, min_snr;

  // pyFAI flavour, pyFAI's names (defaults: reference::Peakfinder8PyfaiParams).
  std::optional<float> cutoff_pick, noise, cutoff_clip;
  std::optional<std::uint32_t> connected, patch_size, cycle;
  std::optional<std::string> error_model;
  std::optional<std::size_t> npt;
  std::optional<std::string> unit;
  bool solid_angle = false;

  std::string mask;         // image, non-zero = masked; replaces the geometry's own mask
  std::string valid_range;  // LOW:HIGH (inclusive); "all"; empty: the default (docs)

  bool json = false;
  std::string cxi, hits, png;
  std::size_t min_peaks = 10;  // a hit has at least this many peaks

  std::size_t frames_in_flight = 3;
  std::size_t read_threads = default_read_threads();  // --read-threads
  bool progress = false, quiet = false;
};

CLI::App* add_find_peaks_command(CLI::App& app, FindPeaksOptions& options);

// Returns the exit status; throws std::exception with a one-line message for bad options,
// unreadable or mismatched files and device errors (main prints it).
// `device`: the global --device (empty: $VULKANITE_DEVICE, else the best GPU).
int find_peaks_command(const FindPeaksOptions& options, const std::string& device);

}  // namespace vulkanite::apps
