#pragma once
// The results of `vulkanite fit`: .npy files or one HDF5 file, JSON on stdout, the summary line
// and, for synthetic cubes, how many fits recover the truth within their standard errors.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "reference/fit.hpp"

namespace vulkanite::apps {

// Parameter names in the model's order: "A", "x0", "sigma", "b"; odmr: "b", "slope", "A1",
// "x0_1", "gamma1", "A2", ...
std::vector<std::string> parameter_names(reference::FitModel model, std::uint32_t dips);
// An expression's: "p[0]", "p[1]", ...
std::vector<std::string> parameter_names(std::uint32_t parameters);

struct FitReport {
  reference::FitModel model = reference::FitModel::gauss1d;
  std::uint32_t dips = 1;
  std::string expression;  // the model given with --expr; empty: the built-in `model`
  std::vector<std::string> parameter_names;
  std::uint32_t free_mask = 0xffffffffu;
  reference::Estimator estimator = reference::Estimator::least_squares;
  bool fast = false;               // --fast: the GPU's own arithmetic, not bit-identical
  std::vector<std::size_t> grid;  // {rows, columns} or {fits}
  std::size_t points = 0;
  std::vector<float> initial;      // fits x P
  std::vector<double> truth;       // fits x P, synthetic cubes only
  reference::FitResult<float> result;
  double seconds = 0;
  std::string device;
};

// PREFIX_params.npy [grid, P] float32, PREFIX_errors.npy, PREFIX_states.npy [grid] uint8,
// PREFIX_chi2.npy float32, PREFIX_iterations.npy uint32, PREFIX_initial.npy; with a truth also
// PREFIX_truth.npy (float64). `output` ending in .h5 / .hdf5: one file with the same arrays
// under /fit. Returns the files written, for the summary.
std::vector<std::string> write_fit_files(const std::string& output, const FitReport& report);

// Every fit as JSON on stdout: model, parameter names, and per fit its index, parameters,
// errors, initial values, state, chi2 and iterations (NaN errors are null).
void print_fit_json(const FitReport& report);

// "fitted 525 fits (odmr, 1 dip, 200 points, lsq): 525 converged in 0.84 s, 625 fits/s on DEVICE"
// and, with a truth, the recovery line.
std::string summary(const FitReport& report);

// Fitted (non-fixed) parameters of converged fits: how many lie within 1 and 3 standard errors
// of the truth, and how many fits have every fitted parameter within 3.
struct Recovery {
  std::size_t parameters = 0, within_1 = 0, within_3 = 0;
  std::size_t fits = 0, fits_within_3 = 0;
};
Recovery truth_recovery(const FitReport& report);

}  // namespace vulkanite::apps
