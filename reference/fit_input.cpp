// Names of models, estimators and states, parameter counts, and the checks of a fit's input
// (shared by reference::fit and algorithms::Fitter, so that both refuse the same inputs with the
// same messages).
#include "reference/fit.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

namespace vulkanite::reference {
namespace {

constexpr std::string_view kModelNames[kFitModelCount] = {
    "gauss1d", "gauss2d", "gauss2d_elliptic", "gauss2d_rotated", "cauchy2d_elliptic",
    "linear1d", "exponential_decay", "odmr"};

template <class T>
std::string text(T value) {
  return std::to_string(static_cast<double>(value));
}

// `values` start at index `offset` of the whole array, whose index the message gives.
template <class T>
void check_finite(std::span<const T> values, const char* what, std::size_t points, std::size_t offset) {
  // Blocks without an early exit, so that the test vectorizes (10^8 values are a common input);
  // the first bad value's index is looked for only in a block that has one.
  constexpr std::size_t kBlock = 4096;
  for (std::size_t start = 0; start < values.size(); start += kBlock) {
    const std::size_t end = std::min(values.size(), start + kBlock);
    bool all_finite = true;
    for (std::size_t i = start; i < end; ++i) all_finite &= std::abs(values[i]) <= std::numeric_limits<T>::max();
    if (all_finite) continue;
    for (std::size_t i = start; i < end; ++i)
      if (!std::isfinite(values[i]))
        throw std::invalid_argument(std::string(what) + " value " + std::to_string(offset + i) + " (fit " +
                                    std::to_string((offset + i) / points) + ") is not finite");
  }
}

void check_size(std::size_t size, std::size_t expected, const std::string& what, const std::string& shape) {
  if (size != expected)
    throw std::invalid_argument(what + " holds " + std::to_string(size) + " values, expected " + shape + " = " +
                                std::to_string(expected));
}

}  // namespace

std::string_view model_name(FitModel model) {
  const auto i = static_cast<std::uint32_t>(model);
  return i < kFitModelCount ? kModelNames[i] : "unknown";
}

std::optional<FitModel> parse_model(std::string_view name) {
  for (std::uint32_t i = 0; i < kFitModelCount; ++i)
    if (kModelNames[i] == name) return static_cast<FitModel>(i);
  return std::nullopt;
}

std::string_view state_name(FitState state) {
  switch (state) {
    case FitState::converged: return "converged";
    case FitState::max_iterations: return "max_iterations";
    case FitState::singular_hessian: return "singular_hessian";
    case FitState::negative_curvature: return "negative_curvature";
    case FitState::invalid_input: return "invalid_input";
  }
  return "unknown";
}

std::string_view estimator_name(Estimator estimator) {
  switch (estimator) {
    case Estimator::least_squares: return "least_squares";
    case Estimator::weighted_least_squares: return "weighted_least_squares";
    case Estimator::poisson_mle: return "poisson_mle";
  }
  return "unknown";
}

std::uint32_t parameter_count(FitModel model, std::uint32_t dips) {
  switch (model) {
    case FitModel::gauss1d: return 4;
    case FitModel::gauss2d: return 5;
    case FitModel::gauss2d_elliptic: return 6;
    case FitModel::gauss2d_rotated: return 7;
    case FitModel::cauchy2d_elliptic: return 6;
    case FitModel::linear1d: return 2;
    case FitModel::exponential_decay: return 3;
    case FitModel::odmr:
      if (dips < 1 || dips > kMaxOdmrDips)
        throw std::invalid_argument("the odmr model takes 1 to 8 dips, not " + std::to_string(dips));
      return 2 + 3 * dips;
  }
  throw std::invalid_argument("unknown fit model " + std::to_string(static_cast<std::uint32_t>(model)));
}

template <class T>
std::uint32_t parameter_count(const FitSettings<T>& settings) {
  return settings.expression ? settings.expression->parameters() : parameter_count(settings.model, settings.dips);
}

template <class T>
std::uint32_t model_dimensions(const FitSettings<T>& settings) {
  return settings.expression ? settings.expression->dimensions() : model_dimensions(settings.model);
}

template std::uint32_t parameter_count(const FitSettings<float>&);
template std::uint32_t parameter_count(const FitSettings<double>&);
template std::uint32_t model_dimensions(const FitSettings<float>&);
template std::uint32_t model_dimensions(const FitSettings<double>&);

std::uint32_t model_dimensions(FitModel model) {
  switch (model) {
    case FitModel::gauss2d:
    case FitModel::gauss2d_elliptic:
    case FitModel::gauss2d_rotated:
    case FitModel::cauchy2d_elliptic: return 2;
    default: return 1;
  }
}

template <class T>
void check_input_layout(const FitInput<T>& input, const FitSettings<T>& settings, std::uint32_t parameters,
                        std::uint32_t dimensions) {
  const std::size_t n = input.fits, m = input.points, np = parameters, d = dimensions;
  if (np == 0 || np > kMaxFitParameters)
    throw std::invalid_argument("a fit takes 1 to " + std::to_string(kMaxFitParameters) + " parameters, not " +
                                std::to_string(np));
  if (m == 0) throw std::invalid_argument("a fit needs at least one point");
  const std::string nm = std::to_string(n) + " fits x " + std::to_string(m) + " points";
  check_size(input.data.size(), n * m, "fit data", nm);
  const bool weighted = settings.estimator == Estimator::weighted_least_squares;
  if (weighted && input.weights.empty())
    throw std::invalid_argument("weighted_least_squares needs weights");
  if (!weighted && !input.weights.empty())
    throw std::invalid_argument("weights are given but the estimator is " +
                                std::string(estimator_name(settings.estimator)));
  if (weighted) check_size(input.weights.size(), n * m, "fit weights", nm);
  check_size(input.initial.size(), n * np, "initial parameters",
             std::to_string(n) + " fits x " + std::to_string(np) + " parameters");
  if (input.x.empty()) {
    if (d == 2) {
      const auto side = static_cast<std::size_t>(std::llround(std::sqrt(static_cast<double>(m))));
      if (side * side != m)
        throw std::invalid_argument("a 2D model without coordinates needs a square number of points, not " +
                                    std::to_string(m));
    }
  } else if (input.x.size() != m * d && input.x.size() != n * m * d) {
    throw std::invalid_argument("fit coordinates hold " + std::to_string(input.x.size()) + " values, expected " +
                                std::to_string(m * d) + " (shared) or " + std::to_string(n * m * d) + " (per fit)");
  }
  if (n * m >= (std::size_t{1} << 32) || input.x.size() >= (std::size_t{1} << 32))
    throw std::invalid_argument("a batch of fits holds at most 2^32 - 1 points");
  for (const auto* bounds : {&settings.lower, &settings.upper})
    if (!bounds->empty() && bounds->size() != np)
      throw std::invalid_argument("bounds hold " + std::to_string(bounds->size()) + " values, expected 0 or " +
                                  std::to_string(np));
  for (std::size_t j = 0; j < np; ++j) {
    const T lo = settings.lower.empty() ? -INFINITY : settings.lower[j];
    const T hi = settings.upper.empty() ? INFINITY : settings.upper[j];
    if (std::isnan(lo) || std::isnan(hi)) throw std::invalid_argument("bound of parameter " + std::to_string(j) + " is NaN");
    if (lo > hi)
      throw std::invalid_argument("parameter " + std::to_string(j) + " has lower bound " + text(lo) +
                                  " > upper bound " + text(hi));
  }
  if (!(settings.tolerance >= T(0)))
    throw std::invalid_argument("fit tolerance must be >= 0, not " + text(settings.tolerance));
}

template <class T>
void check_input_values(const FitInput<T>& input, const FitSettings<T>& settings, std::uint32_t parameters,
                        std::uint32_t dimensions, std::size_t first, std::size_t last) {
  const std::size_t m = input.points, np = parameters, md = m * dimensions;
  const bool per_fit_x = per_fit_coordinates(input, dimensions);
  const auto range = [&](std::span<const T> values, std::size_t per_fit) {
    return values.empty() ? values : values.subspan(first * per_fit, (last - first) * per_fit);
  };
  const auto data = range(input.data, m), weights = range(input.weights, m);
  check_finite(data, "fit data", m, first * m);
  check_finite(weights, "fit weight", m, first * m);
  if (per_fit_x) check_finite(range(input.x, md), "fit coordinate", md, first * md);
  else if (first == 0) check_finite(input.x, "fit coordinate", md, 0);
  check_finite(range(input.initial, np), "initial parameter", np, first * np);
  for (std::size_t i = 0; i < weights.size(); ++i)
    if (weights[i] < T(0))
      throw std::invalid_argument("fit weight " + std::to_string(first * m + i) + " is negative (" + text(weights[i]) +
                                  ")");
  if (settings.estimator == Estimator::poisson_mle)
    for (std::size_t i = 0; i < data.size(); ++i)
      if (data[i] < T(0))
        throw std::invalid_argument("poisson_mle needs data >= 0; value " + std::to_string(first * m + i) + " is " +
                                    text(data[i]));
}

template <class T>
void check_input(const FitInput<T>& input, const FitSettings<T>& settings, std::uint32_t parameters,
                 std::uint32_t dimensions) {
  check_input_layout(input, settings, parameters, dimensions);
  check_input_values(input, settings, parameters, dimensions, 0, input.fits);
}

template void check_input(const FitInput<float>&, const FitSettings<float>&, std::uint32_t, std::uint32_t);
template void check_input(const FitInput<double>&, const FitSettings<double>&, std::uint32_t, std::uint32_t);
template void check_input_layout(const FitInput<float>&, const FitSettings<float>&, std::uint32_t, std::uint32_t);
template void check_input_values(const FitInput<float>&, const FitSettings<float>&, std::uint32_t, std::uint32_t,
                                 std::size_t, std::size_t);

}  // namespace vulkanite::reference
