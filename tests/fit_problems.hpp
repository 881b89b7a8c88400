#pragma once
// Synthetic fit problems for tests/fit_test.cpp, tests/fit_reference_test.cpp and
// tests/fit_expression_test.cpp: every built-in model (or an expression) with known parameters,
// data computed in double (then rounded to float), optional Gaussian or Poisson noise, and
// initial values perturbed by a few percent, all from fixed seeds.
#include "reference/fit.hpp"

#include <cmath>
#include <random>
#include <vector>

namespace vulkanite::tests {

struct FitProblem {
  reference::FitSettings<float> settings;
  std::size_t fits = 0, points = 0;
  std::vector<float> truth;  // P values, the same for every fit
  std::vector<float> data, weights, x, initial;

  reference::FitInput<float> input() const {
    return {fits, points, data, weights, x, initial};
  }
};

enum class Noise { none, gaussian, poisson };

// Points, coordinates (empty: the default index or grid) and true parameters of each model.
inline FitProblem model_problem(reference::FitModel model) {
  using reference::FitModel;
  FitProblem pr;
  pr.settings.model = model;
  switch (model) {
    case FitModel::gauss1d: pr.points = 32; pr.truth = {100, 15.5f, 3, 10}; break;
    case FitModel::gauss2d: pr.points = 25; pr.truth = {500, 2.1f, 1.9f, 1.2f, 20}; break;
    case FitModel::gauss2d_elliptic: pr.points = 49; pr.truth = {300, 3.2f, 2.9f, 1.1f, 1.6f, 15}; break;
    case FitModel::gauss2d_rotated: pr.points = 81; pr.truth = {400, 4.1f, 3.8f, 1.2f, 2.0f, 10, 0.5f}; break;
    case FitModel::cauchy2d_elliptic: pr.points = 49; pr.truth = {200, 3.1f, 2.8f, 1.3f, 1.8f, 5}; break;
    case FitModel::linear1d: pr.points = 20; pr.truth = {3, 0.5f}; break;
    case FitModel::exponential_decay:
      pr.points = 40;
      pr.truth = {1000, 2.5f, 50};
      for (std::size_t k = 0; k < pr.points; ++k) pr.x.push_back(0.25f * static_cast<float>(k));
      break;
    case FitModel::odmr:
      pr.points = 100;
      pr.settings.dips = 2;
      pr.truth = {1.0f, 0.05f, 0.2f, 0.3f, 0.02f, 0.15f, 0.7f, 0.03f};
      // The model depends on gamma^2 only: a lower bound keeps the widths positive.
      pr.settings.lower = {-INFINITY, -INFINITY, 0, 0, 1e-4f, 0, 0, 1e-4f};
      for (std::size_t k = 0; k < pr.points; ++k) pr.x.push_back(static_cast<float>(k) / 100.0f);
      break;
  }
  return pr;
}

// Fills data (and weights for weighted least squares) for `fits` fits and perturbs the initial
// values by up to `spread` (relative). The model is settings.expression when it is set.
inline void fill(FitProblem& pr, std::size_t fits, Noise noise, std::uint32_t seed, float spread = 0.05f) {
  const auto np = static_cast<std::uint32_t>(pr.truth.size());
  const std::uint32_t dims = reference::model_dimensions(pr.settings);
  std::vector<double> steps;
  const auto side = static_cast<std::size_t>(std::llround(std::sqrt(static_cast<double>(pr.points))));
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> uniform(-1.0, 1.0);
  std::normal_distribution<double> normal(0.0, 1.0);
  pr.fits = fits;
  pr.data.clear();
  pr.weights.clear();
  pr.initial.clear();
  reference::ParameterArray<double> p{}, d{};
  for (std::uint32_t j = 0; j < np; ++j) p[j] = pr.truth[j];
  for (std::size_t n = 0; n < fits; ++n) {
    for (std::size_t k = 0; k < pr.points; ++k) {
      double x, y = 0;
      if (!pr.x.empty()) {
        x = pr.x[k * dims];
        if (dims == 2) y = pr.x[k * dims + 1];
      } else {
        x = static_cast<double>(dims == 1 ? k : k % side);
        if (dims == 2) y = static_cast<double>(k / side);
      }
      const double f = pr.settings.expression ? pr.settings.expression->evaluate(p, x, y, d, steps)
                                              : reference::evaluate_model(pr.settings.model, np, p, x, y, d);
      double v = f;
      if (noise == Noise::gaussian) v += 0.02 * std::fabs(f) * normal(rng);  // 2 % relative noise
      if (noise == Noise::poisson) v = static_cast<double>(std::poisson_distribution<int>(std::max(f, 0.0))(rng));
      pr.data.push_back(static_cast<float>(v));
      if (pr.settings.estimator == reference::Estimator::weighted_least_squares)
        pr.weights.push_back(static_cast<float>(1.0 / std::max(std::fabs(v), 1.0)));
    }
    for (std::uint32_t j = 0; j < np; ++j)
      pr.initial.push_back(pr.truth[j] * static_cast<float>(1.0 + spread * uniform(rng)));
  }
}

}  // namespace vulkanite::tests
