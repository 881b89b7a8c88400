// The Levenberg–Marquardt iteration, one fit at a time, in the order of operations that
// shaders/fit/fit.comp follows (docs/fit.md). Input checks and names: reference/fit_input.cpp.
#include "reference/fit.hpp"

#include "reference/fit_math.hpp"

#include <bit>
#include <cmath>
#include <limits>

namespace vulkanite::reference {
namespace {

using namespace fit_math;

template <class T>
T quiet_nan() {
  if constexpr (std::is_same_v<T, float>) return std::bit_cast<float>(kCanonicalNan);
  return std::numeric_limits<T>::quiet_NaN();
}

float canonical_value(float x) { return canonical(x); }  // NaN payloads differ between devices
double canonical_value(double x) { return x; }

template <class T>
constexpr T pivot_fraction() {
  if constexpr (std::is_same_v<T, float>) return kPivotFloat;
  return kPivotDouble;
}

// The sums over points, packed: entry (i, j), i <= j <= P, of the symmetric (P+1) x (P+1)
// matrix [H g; g' chi2], row after row. H_ij = sum h J_i J_j, g_i = sum c J_i, chi2 = sum d.
std::uint32_t entry_count(std::uint32_t p) { return (p + 1) * (p + 2) / 2; }
std::uint32_t entry_index(std::uint32_t p, std::uint32_t i, std::uint32_t j) {
  return i * (p + 1) - i * (i - 1) / 2 + (j - i);
}

template <class T>
struct Problem {
  const FitInput<T>& input;
  const FitSettings<T>& settings;
  std::uint32_t parameters;
  std::uint32_t dimensions;
  std::uint32_t side;  // of the default 2D grid
  UserModel<T> model;

  // Coordinates of point k of fit n.
  std::array<T, 2> point(std::size_t n, std::size_t k) const {
    const std::size_t m = input.points, d = dimensions;
    if (input.x.empty()) {
      if (d == 1) return {T(static_cast<float>(k)), T(0)};
      return {T(static_cast<float>(k % side)), T(static_cast<float>(k / side))};
    }
    const std::size_t base = (per_fit_coordinates(input, dimensions) ? n * m * d : 0) + k * d;
    return {flush(input.x[base]), d == 2 ? flush(input.x[base + 1]) : T(0)};
  }
};

// Per point: the Hessian weight h, the gradient coefficient c and the contribution d to chi^2
// (half the deviance for Poisson MLE), from the datum y, its weight w and the model value f.
template <class T>
void point_terms(Estimator estimator, T y, T w, T f, T& h, T& c, T& d) {
  if (estimator == Estimator::poisson_mle) {
    if (!(f > T(0))) {  // outside the model's domain: this parameter vector is rejected
      h = T(0);
      c = T(0);
      d = std::numeric_limits<T>::infinity();
      return;
    }
    const T rf = fit_rcp(f);
    const T q = fmul(y, rf);  // y / f
    c = fsub(q, T(1));
    h = fmul(q, rf);  // y / f^2
    d = y == T(0) ? f : fadd(fsub(f, y), fmul(y, fit_log(q)));
    return;
  }
  const T r = fsub(y, f);
  h = estimator == Estimator::weighted_least_squares ? w : T(1);
  c = estimator == Estimator::weighted_least_squares ? fmul(w, r) : r;
  d = fmul(c, r);
}

// Every entry is a sum over the points in index order, each step one fadd.
template <class T>
std::vector<T> evaluate(const Problem<T>& pr, std::size_t n, const ParameterArray<T>& p) {
  const std::uint32_t np = pr.parameters;
  std::vector<T> sums(entry_count(np), T(0));
  ParameterArray<T> d{};
  const bool weighted = pr.settings.estimator == Estimator::weighted_least_squares;
  for (std::size_t k = 0; k < pr.input.points; ++k) {
    const auto xy = pr.point(n, k);
    const T f = pr.model(p, xy[0], xy[1], d);
    const std::size_t at = n * pr.input.points + k;
    const T y = flush(pr.input.data[at]);
    const T w = weighted ? flush(pr.input.weights[at]) : T(1);
    T h, c, dd;
    point_terms(pr.settings.estimator, y, w, f, h, c, dd);
    std::uint32_t e = 0;
    for (std::uint32_t i = 0; i < np; ++i) {
      const T hd = fmul(h, d[i]);
      for (std::uint32_t j = i; j < np; ++j, ++e) sums[e] = fadd(sums[e], fmul(hd, d[j]));
      sums[e] = fadd(sums[e], fmul(c, d[i]));
      ++e;
    }
    sums[e] = fadd(sums[e], dd);
  }
  return sums;
}

// Cholesky factor of the P x P matrix a (row-major) in place of its lower triangle, column by
// column; every inner sum runs over k = 0, 1, ... in order. The shader may compute the rows of a
// column in parallel: each element's own sum keeps this order. false: a pivot not above
// pivot_fraction x its diagonal element (or not finite).
template <class T>
bool cholesky(std::vector<T>& a, std::uint32_t np, std::vector<T>& inv_diag) {
  for (std::uint32_t j = 0; j < np; ++j) {
    T pivot = a[j * np + j];
    for (std::uint32_t k = 0; k < j; ++k) pivot = fsub(pivot, fmul(a[j * np + k], a[j * np + k]));
    if (!(pivot > fmul(a[j * np + j], pivot_fraction<T>())) || !is_finite(pivot)) return false;
    const T inv = fit_rsqrt(pivot);
    inv_diag[j] = inv;
    a[j * np + j] = fmul(pivot, inv);
    for (std::uint32_t i = j + 1; i < np; ++i) {
      T s = a[i * np + j];
      for (std::uint32_t k = 0; k < j; ++k) s = fsub(s, fmul(a[i * np + k], a[j * np + k]));
      a[i * np + j] = fmul(s, inv);
    }
  }
  return true;
}

// L L' x = b: forward then back substitution, sums in increasing k.
template <class T>
void cholesky_solve(const std::vector<T>& l, std::uint32_t np, const std::vector<T>& inv_diag, std::vector<T>& b) {
  for (std::uint32_t i = 0; i < np; ++i) {
    T s = b[i];
    for (std::uint32_t k = 0; k < i; ++k) s = fsub(s, fmul(l[i * np + k], b[k]));
    b[i] = fmul(s, inv_diag[i]);
  }
  for (std::uint32_t i = np; i-- > 0;) {
    T s = b[i];
    for (std::uint32_t k = i + 1; k < np; ++k) s = fsub(s, fmul(l[k * np + i], b[k]));
    b[i] = fmul(s, inv_diag[i]);
  }
}

// The system of one step: H with its diagonal times (1 + lambda) (lambda = 0: H itself) over
// the fitted parameters; fixed ones get an identity row and column and a zero right-hand side.
template <class T>
void damped_system(const std::vector<T>& sums, std::uint32_t np, std::uint32_t mask, T lambda, std::vector<T>& a,
                   std::vector<T>& b) {
  const T scale = fadd(T(1), lambda);
  for (std::uint32_t i = 0; i < np; ++i) {
    const bool free_i = (mask >> i & 1u) != 0;
    for (std::uint32_t j = 0; j < np; ++j) {
      const bool free_j = (mask >> j & 1u) != 0;
      const T h = sums[entry_index(np, std::min(i, j), std::max(i, j))];
      a[i * np + j] = free_i && free_j ? (i == j ? fmul(h, scale) : h) : (i == j ? T(1) : T(0));
    }
    b[i] = free_i ? sums[entry_index(np, i, np)] : T(0);
  }
}

// The state of one fit between steps.
template <class T>
struct FitRun {
  ParameterArray<T> p{};
  std::vector<T> sums;  // at p
  T chi = quiet_nan<T>();
  FitState state = FitState::max_iterations;  // while it is running
  std::uint32_t iterations = 0;
  T lambda = T(kInitialLambda);
  bool started = false;  // the initial values were in bounds with a finite chi^2
};

template <class T>
T lower_bound(const Problem<T>& pr, std::uint32_t j) {
  return pr.settings.lower.empty() ? -std::numeric_limits<T>::infinity() : flush(pr.settings.lower[j]);
}
template <class T>
T upper_bound(const Problem<T>& pr, std::uint32_t j) {
  return pr.settings.upper.empty() ? std::numeric_limits<T>::infinity() : flush(pr.settings.upper[j]);
}

// Initial values, their bounds, the first evaluation.
template <class T>
FitRun<T> start_fit(const Problem<T>& pr, std::size_t n, std::uint32_t mask) {
  const std::uint32_t np = pr.parameters;
  FitRun<T> run;
  bool in_bounds = true;
  for (std::uint32_t j = 0; j < np; ++j) {
    run.p[j] = flush(pr.input.initial[n * np + j]);
    in_bounds = in_bounds && run.p[j] >= lower_bound(pr, j) && run.p[j] <= upper_bound(pr, j);
  }
  if (!in_bounds) {
    run.state = FitState::invalid_input;
    return run;
  }
  run.sums = evaluate(pr, n, run.p);
  run.chi = run.sums[entry_count(np) - 1];
  if (!is_finite(run.chi)) {
    const bool mle = pr.settings.estimator == Estimator::poisson_mle;
    run.state = mle && run.chi > T(0) ? FitState::negative_curvature : FitState::invalid_input;
    return run;
  }
  run.started = true;
  if (mask == 0) run.state = FitState::converged;
  return run;
}

// One Levenberg–Marquardt step of a running fit (the shader's propose_step + accept_or_reject).
template <class T>
void step(const Problem<T>& pr, std::size_t n, std::uint32_t mask, FitRun<T>& run, std::vector<T>& a,
          std::vector<T>& b, std::vector<T>& inv_diag) {
  const std::uint32_t np = pr.parameters;
  for (std::uint32_t j = 0; j < np; ++j)
    if ((mask >> j & 1u) != 0 && !(run.sums[entry_index(np, j, j)] > T(0))) run.state = FitState::singular_hessian;
  if (run.state != FitState::max_iterations) return;
  ++run.iterations;
  damped_system(run.sums, np, mask, run.lambda, a, b);
  if (!cholesky(a, np, inv_diag)) {
    run.lambda = fmul(run.lambda, T(kLambdaUp));
    return;
  }
  cholesky_solve(a, np, inv_diag, b);
  ParameterArray<T> trial = run.p;
  for (std::uint32_t j = 0; j < np; ++j) {
    if ((mask >> j & 1u) == 0) continue;
    const T v = fadd(run.p[j], b[j]);
    const T lo = lower_bound(pr, j), hi = upper_bound(pr, j);
    trial[j] = v < lo ? lo : (v > hi ? hi : v);  // NaN stays NaN, and is rejected below
  }
  auto trial_sums = evaluate(pr, n, trial);
  const T trial_chi = trial_sums[entry_count(np) - 1];
  if (trial_chi <= run.chi) {  // ties accepted: a fit whose steps change nothing converges
    const bool converged = fsub(run.chi, trial_chi) <= fmul(pr.settings.tolerance, trial_chi);
    run.p = trial;
    run.sums = std::move(trial_sums);
    run.chi = trial_chi;
    run.lambda = fmul(run.lambda, T(kLambdaDown));
    if (converged) run.state = FitState::converged;
  } else {
    // Rejected, but worse by at most tol x chi^2: chi^2 is at its floating-point floor (Gpufit,
    // too, tests every step). NaN fails the test.
    const bool converged = fsub(trial_chi, run.chi) <= fmul(pr.settings.tolerance, run.chi);
    run.lambda = fmul(run.lambda, T(kLambdaUp));
    if (converged) run.state = FitState::converged;
  }
}

// sqrt of the diagonal of H^-1 over the fitted parameters (A^-1 = L'^-1 L^-1, so (A^-1)_jj =
// sum_i (L^-1)_ij^2, column j of L^-1 by forward substitution), scaled by chi^2 / (M - free) for
// unweighted least squares; 0 for fixed parameters. A Hessian that does not factor makes the
// fit singular_hessian with NaN errors.
template <class T>
std::vector<T> standard_errors(const Problem<T>& pr, std::uint32_t mask, FitRun<T>& run, std::vector<T>& a,
                               std::vector<T>& b, std::vector<T>& inv_diag) {
  const std::uint32_t np = pr.parameters;
  std::vector<T> errors(np, run.started ? T(0) : quiet_nan<T>());
  if (!run.started) return errors;
  damped_system(run.sums, np, mask, T(0), a, b);
  const bool factored = run.state != FitState::singular_hessian && cholesky(a, np, inv_diag);
  if (!factored) run.state = FitState::singular_hessian;
  const auto free_count = static_cast<std::uint32_t>(std::popcount(mask));
  T scale = T(1);
  if (pr.settings.estimator == Estimator::least_squares)
    scale = pr.input.points > free_count ? exact_div(run.chi, T(static_cast<float>(pr.input.points - free_count)))
                                         : quiet_nan<T>();
  std::vector<T> column(np);
  for (std::uint32_t c = 0; c < np; ++c) {
    if ((mask >> c & 1u) == 0) continue;
    if (!factored) {
      errors[c] = quiet_nan<T>();
      continue;
    }
    T variance = T(0);
    for (std::uint32_t i = c; i < np; ++i) {
      T s = i == c ? T(1) : T(0);
      for (std::uint32_t k = c; k < i; ++k) s = fsub(s, fmul(a[i * np + k], column[k]));
      column[i] = fmul(s, inv_diag[i]);
      variance = fadd(variance, fmul(column[i], column[i]));
    }
    errors[c] = exact_sqrt(fmul(variance, scale));
  }
  return errors;
}

template <class T>
void fit_one(const Problem<T>& pr, std::size_t n, FitResult<T>& out) {
  const std::uint32_t np = pr.parameters;
  const std::uint32_t mask = np == 32 ? pr.settings.free_mask : pr.settings.free_mask & ((1u << np) - 1u);
  FitRun<T> run = start_fit(pr, n, mask);
  std::vector<T> a(np * np), b(np), inv_diag(np);
  while (run.state == FitState::max_iterations && run.iterations < pr.settings.max_iterations)
    step(pr, n, mask, run, a, b, inv_diag);
  const auto errors = standard_errors(pr, mask, run, a, b, inv_diag);
  for (std::uint32_t j = 0; j < np; ++j) {
    out.parameters[n * np + j] = canonical_value(run.p[j]);
    out.standard_errors[n * np + j] = canonical_value(errors[j]);
  }
  out.states[n] = run.state;
  const bool mle = pr.settings.estimator == Estimator::poisson_mle;
  out.chi_square[n] = canonical_value(mle ? fmul(T(2), run.chi) : run.chi);
  out.iterations[n] = run.iterations;
}

template <class T>
FitResult<T> run(const Problem<T>& pr) {
  const std::size_t n = pr.input.fits, np = pr.parameters;
  FitResult<T> out{FitValues<T>(n * np), FitValues<T>(n * np), FitValues<FitState>(n), FitValues<T>(n),
                   FitValues<std::uint32_t>(n)};
  for (std::size_t i = 0; i < n; ++i) fit_one(pr, i, out);
  return out;
}

std::uint32_t grid_side(std::size_t points) {
  auto side = static_cast<std::uint32_t>(std::sqrt(static_cast<double>(points)));
  while (std::size_t{side} * side > points) --side;
  while (std::size_t{side + 1} * (side + 1) <= points) ++side;
  return side;
}

}  // namespace

template <class T>
FitResult<T> fit(const FitInput<T>& input, const FitSettings<T>& settings) {
  const std::uint32_t np = parameter_count(settings), dims = model_dimensions(settings);
  check_input(input, settings, np, dims);
  const FitModel model = settings.model;
  UserModel<T> evaluate_model_at = [model, np](const ParameterArray<T>& p, T x, T y, ParameterArray<T>& d) {
    return evaluate_model(model, np, p, x, y, d);
  };
  if (settings.expression)
    evaluate_model_at = [e = &*settings.expression, steps = std::vector<T>()](const ParameterArray<T>& p, T x, T y,
                                                                             ParameterArray<T>& d) mutable {
      return e->evaluate(p, x, y, d, steps);
    };
  const Problem<T> pr{input, settings, np, dims, grid_side(input.points), evaluate_model_at};
  return run(pr);
}

template <class T>
FitResult<T> fit(const FitInput<T>& input, const FitSettings<T>& settings, std::uint32_t parameters,
                 const UserModel<T>& model, std::uint32_t dimensions) {
  check_input(input, settings, parameters, dimensions);
  const Problem<T> pr{input, settings, parameters, dimensions, grid_side(input.points), model};
  return run(pr);
}

template FitResult<float> fit(const FitInput<float>&, const FitSettings<float>&);
template FitResult<double> fit(const FitInput<double>&, const FitSettings<double>&);
template FitResult<float> fit(const FitInput<float>&, const FitSettings<float>&, std::uint32_t,
                              const UserModel<float>&, std::uint32_t);
template FitResult<double> fit(const FitInput<double>&, const FitSettings<double>&, std::uint32_t,
                               const UserModel<double>&, std::uint32_t);

}  // namespace vulkanite::reference
