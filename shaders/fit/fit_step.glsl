// The per-fit steps of fit.comp, run by lane 0 of each fit on the shared state declared there:
// estimator terms, start, damped Cholesky solve, accept or reject, standard errors.
// Twin: reference/fit.cpp (point_terms, cholesky, cholesky_solve, damped_system, fit_one).
#ifndef VULKANITE_FIT_STEP_GLSL
#define VULKANITE_FIT_STEP_GLSL

void point_terms(float y, float w, float f, out float h, out float c, out float d) {
  if (kEstimator == 2u) {
    if (!(f > 0.0)) {
      h = 0.0;
      c = 0.0;
      d = uintBitsToFloat(kInfinityBits);
      return;
    }
    float rf = fit_rcp(f);
    float q = fmul(y, rf);
    c = fsub(q, 1.0);
    h = fmul(q, rf);
    d = y == 0.0 ? f : fadd(fsub(f, y), fmul(y, fit_log(q)));
    return;
  }
  float r = fsub(y, f);
  h = kEstimator == 1u ? w : 1.0;
  c = kEstimator == 1u ? fmul(w, r) : r;
  d = fmul(c, r);
}

uint entry_index(uint i, uint j) { return i * (kParameters + 1u) - (i * (i - 1u)) / 2u + (j - i); }
bool is_free(uint j) { return ((free_mask >> j) & 1u) != 0u; }
uint fitted_mask() { return kParameters == 32u ? free_mask : free_mask & ((1u << kParameters) - 1u); }
float lower_bound(uint j) { return ftz(bounds[j]); }
float upper_bound(uint j) { return ftz(bounds[kParameters + j]); }
uint current_sums(uint f) { return (f * 2u + s_current[f]) * kEntries; }

void start_fit(uint f, uint n, bool valid) {
  bool in_bounds = true;
  for (uint j = 0u; j < kParameters; ++j) {
    float p = valid ? ftz(initial[n * kParameters + j]) : 0.0;
    s_param[f * kParameters + j] = p;
    in_bounds = in_bounds && p >= lower_bound(j) && p <= upper_bound(j);
  }
  s_state[f] = valid && in_bounds ? kMaxIterations : kInvalid;
  s_evaluate[f] = valid && in_bounds ? 1u : 0u;
  s_current[f] = 1u;  // the first evaluation goes to set 0
  s_iterations[f] = 0u;
  s_lambda[f] = kInitialLambda;
  s_running[f] = 0u;
}

void after_first_evaluation(uint f) {
  if (s_evaluate[f] == 0u) return;
  s_current[f] = 0u;
  float chi = s_sums[current_sums(f) + kChiEntry];
  if (!is_finite(chi)) s_state[f] = kEstimator == 2u && chi > 0.0 ? kNegativeCurvature : kInvalid;
  if (s_state[f] == kMaxIterations && fitted_mask() == 0u) s_state[f] = kConverged;
  s_running[f] = s_state[f] == kMaxIterations ? 1u : 0u;
}

void count_running() {
  uint running = 0u;
  for (uint f = 0u; f < kFits; ++f) running += s_running[f];
  s_any_running = running;
}

// H (lambda = 0) or H with its diagonal times 1 + lambda into s_matrix; the gradient into s_rhs.
void damped_system(uint f, float lambda) {
  uint sums = current_sums(f), a = f * kSquare;
  float scale = fadd(1.0, lambda);
  for (uint i = 0u; i < kParameters; ++i) {
    for (uint j = 0u; j < kParameters; ++j) {
      float h = s_sums[sums + entry_index(min(i, j), max(i, j))];
      bool both = is_free(i) && is_free(j);
      s_matrix[a + i * kParameters + j] = both ? (i == j ? fmul(h, scale) : h) : (i == j ? 1.0 : 0.0);
    }
    s_rhs[f * kParameters + i] = is_free(i) ? s_sums[sums + entry_index(i, kParameters)] : 0.0;
  }
}

bool cholesky(uint f) {
  uint a = f * kSquare;
  for (uint j = 0u; j < kParameters; ++j) {
    float diagonal = s_matrix[a + j * kParameters + j];
    float pivot = diagonal;
    for (uint k = 0u; k < j; ++k) {
      float l = s_matrix[a + j * kParameters + k];
      pivot = fsub(pivot, fmul(l, l));
    }
    if (!(pivot > fmul(diagonal, kPivotFraction)) || !is_finite(pivot)) return false;
    float inv = fit_rsqrt(pivot);
    s_inv_diag[f * kParameters + j] = inv;
    s_matrix[a + j * kParameters + j] = fmul(pivot, inv);
    for (uint i = j + 1u; i < kParameters; ++i) {
      float s = s_matrix[a + i * kParameters + j];
      for (uint k = 0u; k < j; ++k) s = fsub(s, fmul(s_matrix[a + i * kParameters + k], s_matrix[a + j * kParameters + k]));
      s_matrix[a + i * kParameters + j] = fmul(s, inv);
    }
  }
  return true;
}

void cholesky_solve(uint f) {
  uint a = f * kSquare, b = f * kParameters;
  for (uint i = 0u; i < kParameters; ++i) {
    float s = s_rhs[b + i];
    for (uint k = 0u; k < i; ++k) s = fsub(s, fmul(s_matrix[a + i * kParameters + k], s_rhs[b + k]));
    s_rhs[b + i] = fmul(s, s_inv_diag[b + i]);
  }
  for (uint i = kParameters; i-- > 0u;) {
    float s = s_rhs[b + i];
    for (uint k = i + 1u; k < kParameters; ++k) s = fsub(s, fmul(s_matrix[a + k * kParameters + i], s_rhs[b + k]));
    s_rhs[b + i] = fmul(s, s_inv_diag[b + i]);
  }
}

// One step of a running fit: the trial parameters into s_trial and s_evaluate = 1, or a failed
// factorization (lambda grows, nothing to evaluate), or a singular Hessian (the fit stops).
void propose_step(uint f) {
  s_evaluate[f] = 0u;
  if (s_running[f] == 0u) return;
  uint sums = current_sums(f);
  for (uint j = 0u; j < kParameters; ++j)
    if (is_free(j) && !(s_sums[sums + entry_index(j, j)] > 0.0)) s_state[f] = kSingular;
  if (s_state[f] != kMaxIterations) {
    s_running[f] = 0u;
    return;
  }
  s_iterations[f] += 1u;
  damped_system(f, s_lambda[f]);
  if (!cholesky(f)) {
    s_lambda[f] = fmul(s_lambda[f], kLambdaUp);
    return;
  }
  cholesky_solve(f);
  for (uint j = 0u; j < kParameters; ++j) {
    float p = s_param[f * kParameters + j];
    if (is_free(j)) {
      float v = fadd(p, s_rhs[f * kParameters + j]);
      float lo = lower_bound(j), hi = upper_bound(j);
      p = v < lo ? lo : (v > hi ? hi : v);
    }
    s_trial[f * kParameters + j] = p;
  }
  s_evaluate[f] = 1u;
}

void accept_or_reject(uint f) {
  if (s_evaluate[f] == 0u) return;
  float chi = s_sums[current_sums(f) + kChiEntry];
  float trial_chi = s_sums[(f * 2u + 1u - s_current[f]) * kEntries + kChiEntry];
  if (trial_chi <= chi) {
    bool converged = fsub(chi, trial_chi) <= fmul(tolerance, trial_chi);
    for (uint j = 0u; j < kParameters; ++j) s_param[f * kParameters + j] = s_trial[f * kParameters + j];
    s_current[f] = 1u - s_current[f];
    s_lambda[f] = fmul(s_lambda[f], kLambdaDown);
    if (converged) {
      s_state[f] = kConverged;
      s_running[f] = 0u;
    }
  } else {
    s_lambda[f] = fmul(s_lambda[f], kLambdaUp);
  }
}

// Standard errors from the Cholesky factor of H, and every output of fit n.
void finish_fit(uint f, uint n) {
  bool started = s_state[f] != kInvalid && s_state[f] != kNegativeCurvature;
  uint sums = current_sums(f), a = f * kSquare, b = f * kParameters;
  // An invalid fit that was evaluated (s_current 0) reports its chi2; one outside its bounds, NaN.
  float chi = started || s_current[f] == 0u ? s_sums[sums + kChiEntry] : uintBitsToFloat(kCanonicalNan);
  bool factored = false;
  float scale = 1.0;
  if (started) {
    damped_system(f, 0.0);
    factored = s_state[f] != kSingular && cholesky(f);
    if (!factored) s_state[f] = kSingular;
    uint free_count = uint(bitCount(fitted_mask()));
    if (kEstimator == 0u)
      scale = points > free_count ? cr_div(chi, float(points - free_count)) : uintBitsToFloat(kCanonicalNan);
  }
  for (uint c = 0u; c < kParameters; ++c) {
    float error = started ? 0.0 : uintBitsToFloat(kCanonicalNan);
    if (started && is_free(c)) {
      error = uintBitsToFloat(kCanonicalNan);
      if (factored) {
        float variance = 0.0;
        for (uint i = c; i < kParameters; ++i) {
          float s = i == c ? 1.0 : 0.0;
          for (uint k = c; k < i; ++k) s = fsub(s, fmul(s_matrix[a + i * kParameters + k], s_rhs[b + k]));
          s_rhs[b + i] = fmul(s, s_inv_diag[b + i]);
          variance = fadd(variance, fmul(s_rhs[b + i], s_rhs[b + i]));
        }
        error = cr_sqrt(fmul(variance, scale));
      }
    }
    errors_out[n * kParameters + c] = canonical(error);
    parameters_out[n * kParameters + c] = canonical(s_param[f * kParameters + c]);
  }
  float chi_out = kEstimator == 2u ? fmul(2.0, chi) : chi;
  info_out[3u * n] = s_state[f];
  info_out[3u * n + 1u] = s_iterations[f];
  info_out[3u * n + 2u] = floatBitsToUint(canonical(chi_out));
}

#endif
