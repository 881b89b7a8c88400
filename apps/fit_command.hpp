#pragma once
// `vulkanite fit`: batched Levenberg–Marquardt fits of a built-in model or of an expression given
// on the command line (algorithms::Fitter) to every spectrum or window of a data cube, or to a
// built-in synthetic cube with known truth.
// The options are held as the user typed them; fit_command() parses them once and fails with a
// one-line message naming the option or the file at fault. docs/fit_cli.md describes it.
#include <cstddef>
#include <cstdint>
#include <string>

namespace CLI {
class App;
}

namespace vulkanite::apps {

struct FitOptions {
  std::string data;       // .npy or .h5 cube, [y, x, point] or [fit, point] (or points first)
  std::string dataset;    // HDF5 dataset; empty: found as `vulkanite info` finds frames
  std::string axis = "last";  // where the points are: "last" or "first"
  std::string model;      // one of the built-in models
  std::uint32_t dips = 0;  // odmr only; 0: 1 (or the synthetic cube's)
  std::string expr;       // a model as an expression (reference/fit_expression.hpp), instead of `model`
  std::string init, init_file, lower, upper, fix;
  std::string x_file;     // shared coordinates: M values (1D models) or M x 2 (2D models)
  std::string estimator = "lsq";  // lsq, wlsq, mle
  std::string weights;    // same shape as the data, for wlsq
  std::uint32_t max_iterations = 25;
  double tolerance = 1e-4;  // reference::FitSettings' default (Gpufit's)
  bool fast = false;        // FitSettings::exact false
  std::string synthetic;  // odmr2, odmr8, gauss2d
  std::string size = "16x16";  // synthetic image, ROWSxCOLUMNS
  std::uint64_t seed = 1;
  std::string output;     // PREFIX (PREFIX_params.npy, ...) or FILE.h5
  bool json = false;
  bool progress = false, quiet = false;
};

CLI::App* add_fit_command(CLI::App& app, FitOptions& options);

// `device`: the global --device (empty: $VULKANITE_DEVICE, else the best GPU). Returns the exit
// status; throws std::exception with a one-line message (main prints it).
int fit_command(const FitOptions& options, const std::string& device);

}  // namespace vulkanite::apps
