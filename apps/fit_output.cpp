#include "apps/fit_output.hpp"

#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>

#include "io/h5_writer.hpp"
#include "io/npy.hpp"

namespace vulkanite::apps {
namespace {

using reference::FitModel;
using reference::FitState;

std::vector<std::size_t> with(std::vector<std::size_t> shape, std::size_t last) {
  shape.push_back(last);
  return shape;
}

std::string estimator_flag(reference::Estimator e) {
  switch (e) {
    case reference::Estimator::least_squares: return "lsq";
    case reference::Estimator::weighted_least_squares: return "wlsq";
    case reference::Estimator::poisson_mle: return "mle";
  }
  return "?";
}

}  // namespace

std::vector<std::string> parameter_names(FitModel model, std::uint32_t dips) {
  switch (model) {
    case FitModel::gauss1d: return {"A", "x0", "sigma", "b"};
    case FitModel::gauss2d: return {"A", "x0", "y0", "sigma", "b"};
    case FitModel::gauss2d_elliptic: return {"A", "x0", "y0", "sigma_x", "sigma_y", "b"};
    case FitModel::gauss2d_rotated: return {"A", "x0", "y0", "sigma_x", "sigma_y", "b", "theta"};
    case FitModel::cauchy2d_elliptic: return {"A", "x0", "y0", "gamma_x", "gamma_y", "b"};
    case FitModel::linear1d: return {"b", "slope"};
    case FitModel::exponential_decay: return {"A", "tau", "b"};
    case FitModel::odmr: {
      std::vector<std::string> names{"b", "slope"};
      for (std::uint32_t k = 1; k <= dips; ++k) {
        const auto i = std::to_string(k);
        names.insert(names.end(), {"A" + i, "x0_" + i, "gamma" + i});
      }
      return names;
    }
  }
  return {};
}

std::vector<std::string> parameter_names(std::uint32_t parameters) {
  std::vector<std::string> names;
  for (std::uint32_t j = 0; j < parameters; ++j)
    names.push_back(std::string("p[").append(std::to_string(j)).append("]"));
  return names;
}

std::vector<std::string> write_fit_files(const std::string& output, const FitReport& r) {
  const auto fits = r.result.states.size();
  const std::size_t np = fits == 0 ? 0 : r.result.parameters.size() / fits;
  std::vector<float> states(fits), iterations(fits);
  for (std::size_t n = 0; n < fits; ++n) {
    states[n] = static_cast<float>(r.result.states[n]);
    iterations[n] = static_cast<float>(r.result.iterations[n]);
  }
  const std::filesystem::path path = output;
  if (path.extension() == ".h5" || path.extension() == ".hdf5") {
    // write_h5_results holds float32 arrays: states and iterations are small integers, exact.
    io::H5Results h5;
    h5.attributes = {{"model", r.expression.empty() ? std::string(reference::model_name(r.model)) : "expression"},
                     {"estimator", estimator_flag(r.estimator)},
                     {"points", static_cast<double>(r.points)},
                     {"device", r.device},
                     {"states", std::string("0 converged, 1 max_iterations, 2 singular_hessian, "
                                            "3 negative_curvature, 4 invalid_input")}};
    if (!r.expression.empty()) h5.attributes["expression"] = r.expression;
    else if (r.model == FitModel::odmr) h5.attributes["dips"] = static_cast<double>(r.dips);
    std::string names;
    for (const auto& n : r.parameter_names) names += (names.empty() ? "" : ",") + n;
    h5.attributes["parameters"] = names;
    h5.arrays.push_back({"/fit/parameters", with(r.grid, np), std::vector<float>(r.result.parameters.begin(), r.result.parameters.end()), {}});
    h5.arrays.push_back({"/fit/errors", with(r.grid, np), std::vector<float>(r.result.standard_errors.begin(), r.result.standard_errors.end()), {}});
    h5.arrays.push_back({"/fit/states", r.grid, states, {}});
    h5.arrays.push_back({"/fit/chi2", r.grid, std::vector<float>(r.result.chi_square.begin(), r.result.chi_square.end()), {}});
    h5.arrays.push_back({"/fit/iterations", r.grid, iterations, {}});
    h5.arrays.push_back({"/fit/initial", with(r.grid, np), r.initial, {}});
    if (!r.truth.empty())
      h5.arrays.push_back({"/fit/truth", with(r.grid, np), std::vector<float>(r.truth.begin(), r.truth.end()), {}});
    io::write_h5_results(path, h5);
    return {path.string()};
  }
  std::vector<std::string> files;
  auto npy = [&](const std::string& suffix, const std::vector<std::size_t>& shape, auto values) {
    const std::string file = output + "_" + suffix + ".npy";
    io::write_npy(file, shape, std::span(values));
    files.push_back(file);
  };
  std::vector<std::uint8_t> state_codes(fits);
  for (std::size_t n = 0; n < fits; ++n) state_codes[n] = static_cast<std::uint8_t>(r.result.states[n]);
  npy("params", with(r.grid, np), std::span<const float>(r.result.parameters));
  npy("errors", with(r.grid, np), std::span<const float>(r.result.standard_errors));
  npy("states", r.grid, std::span<const std::uint8_t>(state_codes));
  npy("chi2", r.grid, std::span<const float>(r.result.chi_square));
  npy("iterations", r.grid, std::span<const std::uint32_t>(r.result.iterations));
  npy("initial", with(r.grid, np), std::span<const float>(r.initial));
  if (!r.truth.empty()) npy("truth", with(r.grid, np), std::span<const double>(r.truth));
  return files;
}

void print_fit_json(const FitReport& r) {
  using nlohmann::json;
  const auto fits = r.result.states.size();
  const auto& names = r.parameter_names;
  const std::size_t np = names.size();
  json out = {{"model", r.expression.empty() ? reference::model_name(r.model) : "expression"},
              {"estimator", estimator_flag(r.estimator)}, {"parameter_names", names}, {"shape", r.grid},
              {"points", r.points}, {"device", r.device}};
  if (!r.expression.empty()) out["expression"] = r.expression;
  else if (r.model == FitModel::odmr) out["dips"] = r.dips;
  auto values = [&](const auto& v, std::size_t n) {
    json a = json::array();
    for (std::size_t j = 0; j < np; ++j) {
      const double x = static_cast<double>(v[n * np + j]);
      a.push_back(std::isfinite(x) ? json(x) : json(nullptr));
    }
    return a;
  };
  json list = json::array();
  for (std::size_t n = 0; n < fits; ++n) {
    json index = json::array();
    std::size_t rest = n;
    for (std::size_t d = r.grid.size(); d-- > 0;) {
      index.insert(index.begin(), rest % r.grid[d]);
      rest /= r.grid[d];
    }
    json fit = {{"index", index},
                {"parameters", values(r.result.parameters, n)},
                {"errors", values(r.result.standard_errors, n)},
                {"initial", values(r.initial, n)},
                {"state", reference::state_name(r.result.states[n])},
                {"chi2", static_cast<double>(r.result.chi_square[n])},
                {"iterations", r.result.iterations[n]}};
    if (!r.truth.empty()) fit["truth"] = values(r.truth, n);
    list.push_back(std::move(fit));
  }
  out["fits"] = std::move(list);
  if (!r.truth.empty()) {
    const auto rec = truth_recovery(r);
    out["truth_recovery"] = {{"parameters", rec.parameters}, {"within_1_sigma", rec.within_1},
                             {"within_3_sigma", rec.within_3}, {"fits", rec.fits},
                             {"fits_within_3_sigma", rec.fits_within_3}};
  }
  std::cout << out.dump(1) << '\n';
}

Recovery truth_recovery(const FitReport& r) {
  Recovery rec;
  const auto fits = r.result.states.size();
  const std::size_t np = fits == 0 ? 0 : r.result.parameters.size() / fits;
  for (std::size_t n = 0; n < fits; ++n) {
    if (r.result.states[n] != FitState::converged) continue;
    bool all = true;
    for (std::size_t j = 0; j < np; ++j) {
      if (!(r.free_mask >> j & 1u)) continue;
      const double p = r.result.parameters[n * np + j], e = r.result.standard_errors[n * np + j];
      const double distance = std::fabs(p - r.truth[n * np + j]);
      ++rec.parameters;
      rec.within_1 += distance <= e;
      rec.within_3 += distance <= 3 * e;
      all = all && distance <= 3 * e;
    }
    ++rec.fits;
    rec.fits_within_3 += all;
  }
  return rec;
}

std::string summary(const FitReport& r) {
  const auto fits = r.result.states.size();
  std::size_t counts[5] = {};
  for (const auto s : r.result.states) ++counts[static_cast<std::size_t>(s)];
  char text[512];
  std::string model = r.expression.empty() ? std::string(reference::model_name(r.model)) : "expression " + r.expression;
  if (r.expression.empty() && r.model == FitModel::odmr)
    model += ", " + std::to_string(r.dips) + (r.dips == 1 ? " dip" : " dips");
  std::snprintf(text, sizeof text, "fitted %zu fit%s (", fits, fits == 1 ? "" : "s");
  std::string line = text + model;  // outside the buffer: an expression may be long
  std::snprintf(text, sizeof text, ", %zu points, %s%s): %zu converged", r.points, estimator_flag(r.estimator).c_str(),
                r.fast ? ", fast" : "", counts[0]);
  line += text;
  for (std::uint32_t s = 1; s < 5; ++s)
    if (counts[s] > 0)
      line += ", " + std::to_string(counts[s]) + " " + std::string(reference::state_name(static_cast<FitState>(s)));
  std::snprintf(text, sizeof text, " in %.3f s, %.0f fits/s on %s", r.seconds,
                r.seconds > 0 ? static_cast<double>(fits) / r.seconds : 0.0, r.device.c_str());
  line += text;
  if (!r.truth.empty()) {
    const auto rec = truth_recovery(r);
    auto percent = [](std::size_t a, std::size_t b) { return b == 0 ? 0.0 : 100.0 * static_cast<double>(a) / static_cast<double>(b); };
    std::snprintf(text, sizeof text,
                  "\ntruth: %zu of %zu fitted parameters (%.1f %%) within 3 standard errors, %.1f %% within 1; "
                  "%zu of %zu converged fits with every parameter within 3",
                  rec.within_3, rec.parameters, percent(rec.within_3, rec.parameters),
                  percent(rec.within_1, rec.parameters), rec.fits_within_3, rec.fits);
    line += text;
  }
  return line;
}

}  // namespace vulkanite::apps
