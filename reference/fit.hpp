#pragma once
// Batched Levenberg–Marquardt fitting: the executable specification of shaders/fit/fit.comp.
//
// float is the exact mode: algorithms::Fitter returns the same bits on any Vulkan device. double
// is the accurate mode on the CPU (same algorithm, IEEE double, the C library's transcendentals),
// for NIST-grade results. docs/fit.md describes the algorithm and its fixed order of operations.
#include "reference/fit_expression.hpp"
#include "reference/fit_models.hpp"

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string_view>
#include <utility>
#include <vector>

namespace vulkanite::reference {

enum class Estimator : std::uint32_t {
  least_squares = 0,           // sum (y - f)^2
  weighted_least_squares = 1,  // sum w (y - f)^2, weights required (1 / variance)
  poisson_mle = 2,             // deviance 2 sum (f - y + y ln(y / f)), data >= 0
};

enum class FitState : std::uint32_t {
  converged = 0,           // a step changed chi^2 by at most tolerance x chi^2 (docs/fit.md)
  max_iterations = 1,      // max_iterations steps without converging
  singular_hessian = 2,    // a fitted parameter has no effect, or the final Hessian is singular
  negative_curvature = 3,  // Poisson MLE: the model is <= 0 at some point of the initial parameters
  invalid_input = 4,       // initial parameters outside their bounds, or chi^2 not finite there
};

std::string_view state_name(FitState state);
std::string_view estimator_name(Estimator estimator);

// Views of the problem: N = fits, M = points, P = parameters, D = model_dimensions(model).
template <class T>
struct FitInput {
  std::size_t fits = 0;
  std::size_t points = 0;
  std::span<const T> data;     // N x M
  std::span<const T> weights;  // N x M with weighted_least_squares, else empty
  // Coordinates of the points, point-major ([point][dimension]): empty (1D: x = point index;
  // 2D: a square grid of side sqrt(M), x = index % side, y = index / side), M x D values shared
  // by every fit, or N x M x D values, one set per fit.
  std::span<const T> x;
  std::span<const T> initial;  // N x P
};

template <class T>
struct FitSettings {
  FitModel model = FitModel::gauss1d;
  std::uint32_t dips = 1;  // Lorentzian dips of the ODMR model, 1..8
  Estimator estimator = Estimator::least_squares;
  std::uint32_t max_iterations = 25;  // Gpufit's default
  T tolerance = T(1e-4);              // Gpufit's; a step changing chi^2 by at most this fraction converges
  std::uint32_t free_mask = 0xffffffffu;  // bit j set: parameter j is fitted, else held fixed
  std::vector<T> lower, upper;            // empty (unbounded) or P values each; -inf / +inf allowed
  // A model given at run time (reference/fit_expression.hpp); set, it replaces `model` and `dips`.
  std::optional<FitExpression> expression;
  // For the GPU (algorithms::Fitter); the reference always computes exactly. true: every result
  // bit-identical to the reference's on every device. false, the fast mode: the device's own
  // arithmetic (fused multiply-adds, its exp, log, division and square roots, subnormals kept),
  // several times faster; results agree with the reference to rounding (docs/fit.md).
  bool exact = true;
};

// P and D (coordinates per point) of the settings' model: the expression's, else the built-in one's.
template <class T>
std::uint32_t parameter_count(const FitSettings<T>& settings);
template <class T>
std::uint32_t model_dimensions(const FitSettings<T>& settings);

// Whether the input gives one set of coordinates per fit (N x M x D values) rather than one set
// shared by every fit (M x D) or none; for an input that check_input accepts. With N = 1 both
// layouts hold the same values, and this says shared.
template <class T>
bool per_fit_coordinates(const FitInput<T>& input, std::uint32_t dimensions) {
  return !input.x.empty() && input.x.size() != input.points * dimensions;
}

// std::allocator, but value-initialization (vector(n), resize) leaves trivial values
// indeterminate, to be overwritten. A run's result arrays are hundreds of MB for 10^7 fits:
// zeroing them on the calling thread took 0.46 s for 1.4 M ODMR fits (their fast-mode kernels
// take 0.76 s on an H100), and left untouched their pages are first touched by the threads that
// fill them.
template <class T>
struct UninitializedAllocator : std::allocator<T> {
  template <class U>
  struct rebind {
    using other = UninitializedAllocator<U>;
  };
  UninitializedAllocator() = default;
  template <class U>
  UninitializedAllocator(const UninitializedAllocator<U>&) noexcept {}
  template <class U, class... Args>
  void construct(U* at, Args&&... args) {
    if constexpr (sizeof...(Args) == 0)
      ::new (static_cast<void*>(at)) U;
    else
      ::new (static_cast<void*>(at)) U(std::forward<Args>(args)...);
  }
};

// Every element is written by whoever fills a FitResult.
template <class T>
using FitValues = std::vector<T, UninitializedAllocator<T>>;

template <class T>
struct FitResult {
  FitValues<T> parameters;       // N x P
  FitValues<T> standard_errors;  // N x P: sqrt of the covariance's diagonal; 0 for fixed ones
  FitValues<FitState> states;    // N
  FitValues<T> chi_square;       // N: chi^2 (least squares) or the deviance (Poisson MLE)
  FitValues<std::uint32_t> iterations;  // N: steps taken (accepted or not)
};

// Throws std::invalid_argument naming the first problem: unknown model, bad dip count, array
// sizes, a 2D model without coordinates on a non-square point count, non-finite data, weights,
// coordinates or initial values, negative weights, negative data for Poisson MLE, bounds of the
// wrong length, NaN or with lower > upper, a tolerance that is negative or NaN.
template <class T>
void check_input(const FitInput<T>& input, const FitSettings<T>& settings, std::uint32_t parameters,
                 std::uint32_t dimensions);
// check_input in two halves, for callers that check large inputs on several threads: the layout
// (sizes, bounds, tolerance), then the values of fits [first, last), whose messages give indices
// in the whole input. check_input is the layout, then the values of every fit.
template <class T>
void check_input_layout(const FitInput<T>& input, const FitSettings<T>& settings, std::uint32_t parameters,
                        std::uint32_t dimensions);
template <class T>
void check_input_values(const FitInput<T>& input, const FitSettings<T>& settings, std::uint32_t parameters,
                        std::uint32_t dimensions, std::size_t first, std::size_t last);

// The built-in models, or the settings' expression.
template <class T>
FitResult<T> fit(const FitInput<T>& input, const FitSettings<T>& settings);

// A user model with analytic derivatives (CPU only, e.g. the NIST problems): `model` returns the
// value at coordinates (x, y) and writes d[0..parameters-1]; settings.model and .expression are ignored.
template <class T>
using UserModel = std::function<T(const ParameterArray<T>& p, T x, T y, ParameterArray<T>& d)>;
template <class T>
FitResult<T> fit(const FitInput<T>& input, const FitSettings<T>& settings, std::uint32_t parameters,
                 const UserModel<T>& model, std::uint32_t dimensions = 1);

// The constants of the iteration, shared with the shader (docs/fit.md says why these values).
inline constexpr float kInitialLambda = 1e-3f;
inline constexpr float kLambdaDown = 0.1f;
inline constexpr float kLambdaUp = 10.0f;
// A Cholesky pivot counts as zero below this fraction of its diagonal element.
inline constexpr float kPivotFloat = 0x1p-20f;
inline constexpr double kPivotDouble = 0x1p-40;

}  // namespace vulkanite::reference
