#pragma once
// `vulkanite simulate`: synthetic serial-crystallography frames with known spots
// (synthetic/serial_frames.hpp) written as an HDF5 stack, with the truth, the geometry and the
// mask beside it for the peak finders (docs/synthetic_frames.md).
#include <cstddef>
#include <cstdint>
#include <string>

#include "synthetic/serial_frames.hpp"

namespace CLI {
class App;
}

namespace vulkanite::apps {

struct SimulateOptions {
  std::size_t frames = 1;
  std::string detector = "Pilatus1M";  // a built-in detector, or ROWSxCOLUMNS for a plain one
  std::int32_t spots = 100;
  std::uint64_t seed = 20240805;
  std::string output;  // FILE.h5; FILE.truth.csv, .poni, .radius.npy, .mask.npy beside it
  bool no_noise = false;
  bool progress = false, quiet = false;
};

CLI::App* add_simulate_command(CLI::App& app, SimulateOptions& options);

// Returns the exit status; throws std::exception with a one-line message (main prints it).
int simulate_command(const SimulateOptions& options);

// --detector: "ROWSxCOLUMNS" (a plain detector) or a built-in detector's name; throws
// std::invalid_argument naming the problem (also used by find-peaks --synthetic).
void set_synthetic_detector(const std::string& text, synthetic::SerialFrameParams& params);

}  // namespace vulkanite::apps
