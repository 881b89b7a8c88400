#pragma once
// `vulkanite integrate` (1D and 2D azimuthal integration) and `vulkanite sigma-clip` (pyFAI's
// sigma_clip_ng): the same inputs, geometry, corrections and outputs, one operation apart.
// The options are held here as the user typed them; integrate_command() turns the strings into
// the library's typed parameters once, and fails with a one-line message naming the option or
// the file at fault. docs/integration_cli.md describes the command, its outputs and its defaults.
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

enum class IntegrateMode { integrate, sigma_clip };

struct IntegrateOptions {
  IntegrateMode mode = IntegrateMode::integrate;
  std::vector<std::string> files;  // images or stacks, any format io reads
  std::string frames;              // --frames A:B of each file; empty: all
  std::string output;              // .xy, .h5 / .hdf5 or .npy

  std::string poni;      // the geometry (required)
  std::string detector;  // pyFAI detector name: overrides / supplies the PONI's

  std::size_t npt = 1000;
  std::size_t npt_azim = 0;  // 0: 1D
  std::string unit = "q_nm^-1";
  std::string split = "bbox";  // sigma-clip: "no", as pyFAI's sigma_clip_ng
  std::string radial_range, azimuth_range;  // "LOW:HIGH"; radial in --unit, azimuth in degrees

  std::optional<double> polarization;
  bool no_solid_angle = false;
  std::string error_model = "none";  // sigma-clip: "poisson"
  std::string variance, mask, dark, flat;
  std::optional<double> dummy, delta_dummy;

  std::uint32_t cycles = 5;  // sigma-clip: pyFAI's max_iter
  double cutoff = 5.0;       // sigma-clip: pyFAI's thres

  std::size_t frames_in_flight = 3;
  std::size_t read_threads = default_read_threads();  // --read-threads
  bool progress = false, quiet = false;
  std::string device;  // the global --device; empty: $VULKANITE_DEVICE, else the best GPU
};

// Adds the `integrate` or `sigma-clip` subcommand to `app`, its options bound to `options`
// (whose mode and mode-dependent defaults are set here).
CLI::App* add_integrate_command(CLI::App& app, IntegrateOptions& options, IntegrateMode mode);

// Runs the command; returns the exit status. Throws std::exception with a one-line message for
// bad options, unreadable or mismatched files and device errors (main prints it).
int integrate_command(const IntegrateOptions& options);

}  // namespace vulkanite::apps
