#include "apps/fit_command.hpp"

#include <CLI/CLI.hpp>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <optional>
#include <stdexcept>

#include "algorithms/fit.hpp"
#include "algorithms/fit_guess.hpp"
#include "apps/fit_data.hpp"
#include "apps/fit_output.hpp"
#include "apps/progress.hpp"
#include "runtime/context.hpp"
#include "synthetic/gauss_spots.hpp"
#include "synthetic/odmr_cube.hpp"

namespace vulkanite::apps {
namespace {

using reference::FitModel;

// --json prints every fit; beyond this the files are the readable output.
constexpr std::size_t kMaxJsonFits = 10000;
// Fits per Fitter::run call: large enough to fill a GPU, small enough for a live progress line.
constexpr std::size_t kChunkFits = 1 << 14;

struct Job {
  FitCube cube;
  std::vector<float> x;        // shared coordinates, empty: index or grid
  std::vector<float> weights;  // fits x points, wlsq only
  std::vector<double> truth;   // synthetic only
};

std::string all_models() {
  std::string names;
  for (std::uint32_t m = 0; m < reference::kFitModelCount; ++m)
    names += (m ? ", " : "") + std::string(reference::model_name(static_cast<FitModel>(m)));
  return names;
}

std::pair<std::size_t, std::size_t> parse_size(const std::string& text) {
  const auto x = text.find_first_of("xX");
  try {
    if (x == std::string::npos) throw std::invalid_argument("");
    std::size_t used_r = 0, used_c = 0;
    const auto rows = std::stoul(text.substr(0, x), &used_r), columns = std::stoul(text.substr(x + 1), &used_c);
    if (used_r != x || used_c != text.size() - x - 1 || rows == 0 || columns == 0 || rows * columns > (1u << 24))
      throw std::invalid_argument("");
    return {rows, columns};
  } catch (const std::exception&) {
    throw std::invalid_argument("--size: '" + text + "' is not ROWSxCOLUMNS (e.g. 16x16)");
  }
}

Job synthetic_job(const FitOptions& o, FitModel& model, std::uint32_t& dips) {
  const auto [rows, columns] = parse_size(o.size);
  Job job;
  if (o.synthetic == "odmr2" || o.synthetic == "odmr8") {
    synthetic::OdmrCubeParams p{.rows = rows, .columns = columns, .dips = o.synthetic == "odmr2" ? 2u : 8u};
    p.seed = o.seed;
    auto cube = synthetic::make_odmr_cube(p);
    model = FitModel::odmr;
    dips = p.dips;
    job.cube = {{rows, columns}, rows * columns, cube.points, std::move(cube.data)};
    job.x = std::move(cube.frequencies);
    job.truth = std::move(cube.truth);
  } else if (o.synthetic == "gauss2d") {
    synthetic::GaussSpotsParams p{.rows = rows, .columns = columns};
    p.seed = o.seed;
    auto spots = synthetic::make_gauss_spots(p);
    model = FitModel::gauss2d;
    job.cube = {{rows, columns}, rows * columns, spots.points, std::move(spots.data)};
    job.truth = std::move(spots.truth);
  } else {
    throw std::invalid_argument("--synthetic: unknown cube '" + o.synthetic + "' (odmr2, odmr8, gauss2d)");
  }
  return job;
}

std::vector<float> read_coordinates(const FitOptions& o, std::size_t points, std::uint32_t dimensions) {
  const auto a = read_array(o.x_file);
  const bool ok = dimensions == 1 ? a.values.size() == points && a.shape.size() == 1
                                  : a.shape == std::vector<std::size_t>{points, 2};
  if (!ok)
    throw std::invalid_argument("--x: " + a.name + " holds " + std::to_string(a.values.size()) +
                                " values; the model needs " +
                                (dimensions == 1 ? std::to_string(points) + " (one per point)"
                                                 : "[" + std::to_string(points) + ", 2] (x, y per point)"));
  for (const double v : a.values)
    if (!std::isfinite(v)) throw std::invalid_argument("--x: " + a.name + " holds a value that is not finite");
  return std::vector<float>(a.values.begin(), a.values.end());
}

// `label`: "model gauss1d" or "the expression", for messages.
std::vector<float> initial_values(const FitOptions& o, const Job& job, FitModel model, std::uint32_t dips,
                                  const std::vector<std::string>& names, const std::string& label) {
  const std::size_t fits = job.cube.fits, points = job.cube.points;
  const auto np = static_cast<std::uint32_t>(names.size());
  std::string listed;
  for (const auto& n : names) listed += (listed.empty() ? "" : ", ") + n;
  std::vector<float> initial;
  if (!o.init.empty()) {
    const auto v = parse_numbers(o.init, "--init");
    if (v.size() != np)
      throw std::invalid_argument("--init: " + std::to_string(v.size()) + " values; " + label + " has " +
                                  std::to_string(np) + " parameters (" + listed + ")");
    for (std::size_t n = 0; n < fits; ++n) initial.insert(initial.end(), v.begin(), v.end());
  } else if (!o.init_file.empty()) {
    const auto a = read_array(o.init_file);
    if (a.values.size() == np) {
      for (std::size_t n = 0; n < fits; ++n) initial.insert(initial.end(), a.values.begin(), a.values.end());
    } else if (a.values.size() == fits * np && !a.shape.empty() && a.shape.back() == np) {
      initial.assign(a.values.begin(), a.values.end());
    } else {
      std::string grid;
      for (const auto g : job.cube.grid) grid += std::to_string(g) + ", ";
      throw std::invalid_argument("--init-file: " + a.name + " holds " + std::to_string(a.values.size()) +
                                  " values; [" + grid + std::to_string(np) + "] (or " + std::to_string(np) +
                                  " shared) needed (" + listed + ")");
    }
  } else if (!o.expr.empty()) {
    throw std::invalid_argument("--init or --init-file is needed for --expr (" + listed +
                                "): expressions have no automatic guess");
  } else if (model == FitModel::odmr) {
    std::vector<float> x = job.x;
    if (x.empty())
      for (std::size_t k = 0; k < points; ++k) x.push_back(static_cast<float>(k));
    for (std::size_t n = 0; n < fits; ++n) {
      const auto p = algorithms::guess_odmr(x, std::span(job.cube.data).subspan(n * points, points), dips);
      initial.insert(initial.end(), p.begin(), p.end());
    }
  } else if (model == FitModel::gauss2d && job.x.empty()) {
    const auto side = static_cast<std::size_t>(std::llround(std::sqrt(static_cast<double>(points))));
    if (side * side != points)
      throw std::invalid_argument("gauss2d without --x needs a square number of points, not " + std::to_string(points));
    for (std::size_t n = 0; n < fits; ++n) {
      const auto p = algorithms::guess_gauss2d(std::span(job.cube.data).subspan(n * points, points), side);
      initial.insert(initial.end(), p.begin(), p.end());
    }
  } else {
    throw std::invalid_argument("--init or --init-file is needed for model " + std::string(reference::model_name(model)) +
                                " (" + listed + "); automatic guesses exist for odmr and gauss2d on its grid");
  }
  for (const float v : initial)
    if (!std::isfinite(v)) throw std::invalid_argument("initial values: a value is not finite");
  return initial;
}

std::vector<float> bounds(const std::string& text, const std::string& option, std::uint32_t np) {
  if (text.empty()) return {};
  const auto v = parse_numbers(text, option);
  if (v.size() != np)
    throw std::invalid_argument(option + ": " + std::to_string(v.size()) + " values for " + std::to_string(np) +
                                " parameters (inf and -inf leave one unbounded)");
  return std::vector<float>(v.begin(), v.end());
}

// Widths enter the models squared: a fit may end on either sign. The absolute value is the same
// fit and what a reader expects.
void absolute_widths(FitModel model, std::uint32_t np, std::span<float> parameters) {
  std::vector<std::uint32_t> widths;
  switch (model) {
    case FitModel::gauss1d: widths = {2}; break;
    case FitModel::gauss2d: widths = {3}; break;
    case FitModel::gauss2d_elliptic:
    case FitModel::gauss2d_rotated:
    case FitModel::cauchy2d_elliptic: widths = {3, 4}; break;
    case FitModel::odmr:
      for (std::uint32_t j = 4; j < np; j += 3) widths.push_back(j);
      break;
    default: break;
  }
  for (std::size_t base = 0; base < parameters.size(); base += np)
    for (const auto j : widths) parameters[base + j] = std::fabs(parameters[base + j]);
}

// The --expr model, its messages under the option's name.
reference::FitExpression parse_expression(const FitOptions& o) {
  if (!o.model.empty()) throw std::invalid_argument("--expr replaces --model: give one or the other");
  if (!o.synthetic.empty()) throw std::invalid_argument("--expr needs a data file; --synthetic cubes have their model");
  if (o.dips != 0) throw std::invalid_argument("--dips applies to the odmr model only");
  try {
    return reference::FitExpression(o.expr);
  } catch (const std::invalid_argument& e) {
    std::string message = e.what();
    const std::string prefix = "expression: ";
    if (message.rfind(prefix, 0) == 0) message.erase(0, prefix.size());
    throw std::invalid_argument("--expr: " + message);
  }
}

}  // namespace

CLI::App* add_fit_command(CLI::App& app, FitOptions& o) {
  auto* cmd = app.add_subcommand(
      "fit", "Batched Levenberg-Marquardt fits of a built-in model or an expression to every spectrum of a cube");
  cmd->add_option("data", o.data, "Data cube .npy or .h5: [y, x, point] or [fit, point] (see --axis)");
  cmd->add_option("--dataset", o.dataset, "HDF5 dataset of the data (default: /entry/data/data or CXI's)");
  cmd->add_option("--axis", o.axis, "Where the points are: last ([y, x, point]) or first ([point, y, x])")
      ->capture_default_str()->check(CLI::IsMember({"first", "last"}));
  cmd->add_option("--model", o.model, "Built-in model: " + all_models());
  cmd->add_option("--dips", o.dips, "Lorentzian dips of the odmr model (1 to 8; default 1)");
  cmd->add_option("--expr", o.expr, "A model as an expression of x (and y) and p[0], p[1], ..., e.g. "
                  "\"p[0]*exp(-0.5*((x-p[1])/p[2])^2)+p[3]\" (needs --init; docs/fit_cli.md)");
  cmd->add_option("--init", o.init, "Initial parameters v0,v1,... shared by every fit");
  cmd->add_option("--init-file", o.init_file, ".npy of initial parameters: [y, x, P], [fit, P] or [P]");
  cmd->add_option("--lower", o.lower, "Lower bounds, P values (-inf: none)");
  cmd->add_option("--upper", o.upper, "Upper bounds, P values (inf: none)");
  cmd->add_option("--fix", o.fix, "Parameters held at their initial values: indices i,j,...");
  cmd->add_option("--x", o.x_file, ".npy of the points' coordinates shared by every fit: [M] or [M, 2]");
  cmd->add_option("--estimator", o.estimator, "lsq (least squares), wlsq (weighted, --weights) or mle (Poisson)")
      ->capture_default_str()->check(CLI::IsMember({"lsq", "wlsq", "mle"}));
  cmd->add_option("--weights", o.weights, "Weights (1 / variance) of the same shape as the data, for wlsq");
  cmd->add_option("--max-iterations", o.max_iterations, "Steps per fit at most")->capture_default_str()
      ->check(CLI::Range(1u, 100000u));
  cmd->add_option("--tolerance", o.tolerance, "Converged when a step changes chi2 by at most this fraction")
      ->capture_default_str()->check(CLI::Range(0.0, 1.0));
  cmd->add_flag("--fast", o.fast, "The GPU's own arithmetic (fused multiply-adds, its exp and division): several "
               "times faster, equal to the exact results to rounding rather than to the bit");
  cmd->add_option("--synthetic", o.synthetic, "Built-in data with known truth instead of a file: odmr2, odmr8, gauss2d");
  cmd->add_option("--size", o.size, "Synthetic image ROWSxCOLUMNS")->capture_default_str();
  cmd->add_option("--seed", o.seed, "Synthetic noise seed (the same bits on every platform)")->capture_default_str();
  cmd->add_option("-o,--out", o.output, "PREFIX (PREFIX_params.npy, _errors, _states, _chi2, _iterations) or FILE.h5");
  cmd->add_flag("--json", o.json, "Print every fit as JSON on stdout (small jobs)");
  cmd->add_flag("--progress", o.progress, "Show progress on stderr even when it is not a terminal");
  cmd->add_flag("--quiet", o.quiet, "No progress and no summary");
  cmd->footer("States: 0 converged, 1 max_iterations, 2 singular_hessian, 3 negative_curvature, 4 invalid_input.\n"
              "Details, parameter orders and the automatic initial guesses: docs/fit_cli.md.");
  return cmd;
}

int fit_command(const FitOptions& o, const std::string& device) {
  std::optional<reference::FitExpression> expression;
  if (!o.expr.empty()) expression = parse_expression(o);
  FitModel model = FitModel::gauss1d;
  std::uint32_t dips = o.dips == 0 ? 1 : o.dips;
  Job job;
  if (!o.synthetic.empty()) {
    if (!o.data.empty()) throw std::invalid_argument("--synthetic replaces the data file: give one or the other");
    std::uint32_t synthetic_dips = 1;
    job = synthetic_job(o, model, synthetic_dips);
    if (!o.model.empty() && reference::parse_model(o.model) != model)
      throw std::invalid_argument("--model: the " + o.synthetic + " cube is fitted with " +
                                  std::string(reference::model_name(model)));
    if (o.dips != 0 && o.dips != synthetic_dips)
      throw std::invalid_argument("--dips: the " + o.synthetic + " cube has " + std::to_string(synthetic_dips));
    dips = synthetic_dips;
  } else {
    if (o.model.empty() && !expression)
      throw std::invalid_argument("--model (" + all_models() + ") or --expr is required");
    if (!expression) {
      const auto parsed = reference::parse_model(o.model);
      if (!parsed) throw std::invalid_argument("--model: unknown model '" + o.model + "' (" + all_models() + ")");
      model = *parsed;
    }
    if (o.data.empty()) throw std::invalid_argument("a data file (or --synthetic) is required");
    job.cube = to_cube(read_array(o.data, o.dataset), o.axis == "first", o.data);
  }
  if (model != FitModel::odmr && o.dips != 0) throw std::invalid_argument("--dips applies to the odmr model only");
  if (model == FitModel::odmr && (dips < 1 || dips > reference::kMaxOdmrDips))
    throw std::invalid_argument("--dips: the odmr model takes 1 to 8 dips, not " + std::to_string(dips));
  const std::uint32_t np = expression ? expression->parameters() : reference::parameter_count(model, dips);
  const std::uint32_t dims = expression ? expression->dimensions() : reference::model_dimensions(model);
  const std::string label = expression ? "the expression" : "model " + std::string(reference::model_name(model));
  const std::size_t fits = job.cube.fits, points = job.cube.points;
  if (points <= np)
    throw std::invalid_argument("the data has " + std::to_string(points) + " points per fit; " + label +
                                " needs more than its " + std::to_string(np) + " parameters");
  if (o.json && fits > kMaxJsonFits)
    throw std::invalid_argument("--json prints every fit: at most " + std::to_string(kMaxJsonFits) + " (this job has " +
                                std::to_string(fits) + "; use --out)");
  if (!o.x_file.empty()) job.x = read_coordinates(o, points, dims);

  reference::FitSettings<float> settings{.model = model, .dips = dips};
  settings.expression = expression;
  settings.estimator = o.estimator == "wlsq"  ? reference::Estimator::weighted_least_squares
                       : o.estimator == "mle" ? reference::Estimator::poisson_mle
                                              : reference::Estimator::least_squares;
  if (!o.weights.empty()) {
    if (settings.estimator != reference::Estimator::weighted_least_squares)
      throw std::invalid_argument("--weights needs --estimator wlsq");
    auto w = to_cube(read_array(o.weights), o.axis == "first", o.weights);
    if (w.fits != fits || w.points != points) throw std::invalid_argument("--weights: not the data's shape");
    job.weights = std::move(w.data);
  } else if (settings.estimator == reference::Estimator::weighted_least_squares) {
    throw std::invalid_argument("--estimator wlsq needs --weights FILE");
  }
  settings.max_iterations = o.max_iterations;
  settings.tolerance = static_cast<float>(o.tolerance);
  settings.exact = !o.fast;
  settings.lower = bounds(o.lower, "--lower", np);
  settings.upper = bounds(o.upper, "--upper", np);
  if (!o.fix.empty())
    for (const auto j : parse_indices(o.fix, "--fix")) {
      if (j >= np) throw std::invalid_argument("--fix: parameter " + std::to_string(j) + " of " + std::to_string(np));
      settings.free_mask &= ~(1u << j);
    }
  settings.free_mask &= np == 32 ? 0xffffffffu : (1u << np) - 1u;

  FitReport report{.model = model, .dips = dips, .expression = o.expr,
                   .parameter_names = expression ? parameter_names(np) : parameter_names(model, dips),
                   .free_mask = settings.free_mask, .estimator = settings.estimator, .fast = o.fast,
                   .grid = job.cube.grid,
                   .points = points};
  report.initial = initial_values(o, job, model, dips, report.parameter_names, label);
  report.truth = std::move(job.truth);

  runtime::ContextOptions context_options;
  if (!device.empty()) context_options.device = device;
  runtime::Context context(context_options);
  report.device = context.info().name;
  algorithms::Fitter fitter(context, settings);

  const bool show = progress_wanted(o.progress, o.quiet) && (o.progress || fits > kChunkFits);
  Progress progress(fits, show, "fits");
  const auto start = std::chrono::steady_clock::now();
  auto& r = report.result;
  for (std::size_t first = 0; first < fits; first += kChunkFits) {
    const std::size_t n = std::min(kChunkFits, fits - first);
    const std::span<const float> data(job.cube.data), initial(report.initial), weights(job.weights);
    const auto part = fitter.run({.fits = n, .points = points, .data = data.subspan(first * points, n * points),
                                  .weights = weights.empty() ? weights : weights.subspan(first * points, n * points),
                                  .x = job.x, .initial = initial.subspan(first * np, n * np)});
    r.parameters.insert(r.parameters.end(), part.parameters.begin(), part.parameters.end());
    r.standard_errors.insert(r.standard_errors.end(), part.standard_errors.begin(), part.standard_errors.end());
    r.states.insert(r.states.end(), part.states.begin(), part.states.end());
    r.chi_square.insert(r.chi_square.end(), part.chi_square.begin(), part.chi_square.end());
    r.iterations.insert(r.iterations.end(), part.iterations.begin(), part.iterations.end());
    progress.update(first + n);
  }
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  progress.finish();
  if (!expression) absolute_widths(model, np, r.parameters);

  std::vector<std::string> files;
  if (!o.output.empty()) files = write_fit_files(o.output, report);
  if (o.json) print_fit_json(report);
  if (!o.quiet) {
    std::string line = summary(report);
    if (!files.empty()) line += "\nwrote " + std::to_string(files.size()) + " file" + (files.size() == 1 ? "" : "s") +
                                ": " + files.front() + (files.size() > 1 ? ", ..." : "");
    std::fprintf(stderr, "%s\n", line.c_str());
  }
  return 0;
}

}  // namespace vulkanite::apps
