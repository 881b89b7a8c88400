#include "apps/simulate_command.hpp"

#include <CLI/CLI.hpp>
#include <charconv>
#include <cstdio>
#include <fstream>
#include <memory>
#include <stdexcept>

#include "apps/progress.hpp"
#include "io/detectors.hpp"
#include "io/h5_stack_writer.hpp"
#include "io/npy.hpp"
#include "io/poni_writer.hpp"
#include "synthetic/serial_frames.hpp"

namespace vulkanite::apps {
namespace {

namespace fs = std::filesystem;

std::string number(double v) {
  char buffer[32];
  const auto end = std::to_chars(buffer, buffer + sizeof buffer, v).ptr;
  return std::string(buffer, end);
}


// FILE.h5 -> FILE + suffix.
fs::path beside(const fs::path& output, const std::string& suffix) {
  fs::path p = output;
  p.replace_extension();
  return p.string() + suffix;
}

void write_truth(std::ostream& out, std::size_t frame, const std::vector<synthetic::TruthSpot>& spots) {
  for (const auto& s : spots)
    out << frame << ',' << number(s.fs) << ',' << number(s.ss) << ',' << number(s.intensity) << ','
        << number(s.recorded_intensity) << ',' << number(s.sigma_px) << ',' << s.panel << ',' << (s.on_border ? 1 : 0)
        << '\n';
}

// The library names its parameter (spots.count); the user typed --spots.
synthetic::SerialFrame draw_frame(const synthetic::SerialFrameParams& params,
                                  const std::shared_ptr<const synthetic::SerialDetector>& detector, std::size_t index) {
  try {
    return synthetic::make_serial_frame(params, detector, index);
  } catch (const std::invalid_argument& e) {
    const std::string message = e.what(), prefix = "spots.count: ";
    if (!message.starts_with(prefix)) throw;
    throw std::invalid_argument("--spots: " + message.substr(prefix.size()));
  }
}

}  // namespace

// "ROWSxCOLUMNS" (a plain detector) or a built-in detector's name.
void set_synthetic_detector(const std::string& text, synthetic::SerialFrameParams& params) {
  const auto x = text.find_first_of("xX");
  if (x != std::string::npos && x > 0 && text.find_first_not_of("0123456789") == x &&
      text.find_first_not_of("0123456789", x + 1) == std::string::npos && x + 1 < text.size()) {
    params.detector.clear();
    params.rows = std::stoul(text.substr(0, x));
    params.columns = std::stoul(text.substr(x + 1));
    if (params.rows < 3 || params.columns < 3)
      throw std::invalid_argument("--detector: " + text + ": at least 3 x 3 pixels");
    return;
  }
  try {
    params.detector = io::detector_by_name(text).name;
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument(std::string("--detector: ") + e.what() + " or ROWSxCOLUMNS");
  }
}

CLI::App* add_simulate_command(CLI::App& app, SimulateOptions& o) {
  auto* cmd =
      app.add_subcommand("simulate", "Synthetic serial-crystallography frames with Bragg spots at known positions");
  cmd->add_option("--frames", o.frames, "Frames to draw")
      ->capture_default_str()
      ->check(CLI::Range(std::size_t{1}, std::size_t{1000000}));
  cmd->add_option("--detector", o.detector, "Built-in detector (Pilatus6M, Eiger4M, ...) or ROWSxCOLUMNS")
      ->capture_default_str();
  cmd->add_option("--spots", o.spots, "Spots per frame")->capture_default_str()->check(CLI::Range(0, 1000000));
  cmd->add_option("--seed", o.seed, "Seed: the same seed gives the same frames on every platform")
      ->capture_default_str();
  cmd->add_option("-o,--out", o.output, "Output stack FILE.h5 (/entry/data/data, int32)")->required();
  cmd->add_flag("--no-noise", o.no_noise, "Expected counts rounded, without Poisson noise");
  cmd->add_flag("--progress", o.progress, "Show progress on stderr even when it is not a terminal");
  cmd->add_flag("--quiet", o.quiet, "No progress and no summary");
  cmd->footer(
      "Beside FILE.h5: FILE.truth.csv (frame, fs, ss, intensity, ...), FILE.poni (pyFAI geometry),\n"
      "FILE.radius.npy (float32 radius in pixels, for peakfinder8), FILE.mask.npy (uint8, 1 = bad).\n"
      "Pixel (ss, fs) is centred at (fs, ss). Details: docs/synthetic_frames.md.");
  return cmd;
}

int simulate_command(const SimulateOptions& o) {
  const fs::path output = o.output;
  if (output.extension() != ".h5" && output.extension() != ".hdf5")
    throw std::invalid_argument("--out: '" + o.output + "' must end in .h5 or .hdf5");
  synthetic::SerialFrameParams params;
  set_synthetic_detector(o.detector, params);
  params.spots.count = o.spots;
  params.seed = o.seed;
  params.poisson_noise = !o.no_noise;
  const auto detector = synthetic::make_serial_detector(params);

  const fs::path truth_path = beside(output, ".truth.csv"), poni_path = beside(output, ".poni");
  const fs::path radius_path = beside(output, ".radius.npy"), mask_path = beside(output, ".mask.npy");
  const std::vector<std::size_t> shape{detector->rows, detector->columns};
  io::write_npy<float>(radius_path, shape, detector->radius_px);
  io::write_npy<std::uint8_t>(mask_path, shape, detector->bad_pixels);
  if (detector->poni) io::write_poni(poni_path, *detector->poni);

  io::H5StackWriter stack(output, o.frames, {detector->rows, detector->columns}, params.pixel_type);
  // NXmx geometry, read back by io (vulkanite info) and DIALS; the beam centre is in the PONI.
  stack.write_number("/entry/instrument/beam/incident_wavelength", params.wavelength_m * 1e10, "angstrom");
  stack.write_number("/entry/instrument/detector/detector_distance", params.distance_m, "m");
  stack.write_number("/entry/instrument/detector/x_pixel_size", detector->pixel_size_m, "m");
  stack.write_number("/entry/instrument/detector/y_pixel_size", detector->pixel_size_m, "m");
  std::ofstream truth(truth_path, std::ios::trunc);
  truth << "frame,fs,ss,intensity,recorded_intensity,sigma_px,panel,on_border\n";

  const bool show = progress_wanted(o.progress, o.quiet);
  Progress progress(o.frames, show && (o.progress || o.frames > 1));
  std::size_t spots = 0;
  for (std::size_t i = 0; i < o.frames; ++i) {
    const auto frame = draw_frame(params, detector, i);
    stack.write(i, frame.frame);
    write_truth(truth, i, frame.spots);
    spots += frame.spots.size();
    progress.update(i + 1);
  }
  stack.close();
  truth.close();
  if (!truth) throw std::runtime_error(truth_path.string() + ": cannot write");
  const double seconds = progress.finish();
  if (show) {
    std::string files = output.string() + ", " + truth_path.string();
    if (detector->poni) files += ", " + poni_path.string();
    files += ", " + radius_path.string() + ", " + mask_path.string();
    std::fprintf(stderr, "simulated %zu frame%s of %zu x %zu pixels (%zu spots) in %.2f s: %s\n", o.frames,
                 o.frames == 1 ? "" : "s", detector->rows, detector->columns, spots, seconds, files.c_str());
  }
  return 0;
}

}  // namespace vulkanite::apps
