// The per-fit steps of fit.comp on the shared state declared there: estimator terms, start,
// damped Cholesky solve, accept or reject, standard errors.
// Twin: reference/fit.cpp (point_terms, cholesky, cholesky_solve, damped_system, step,
// standard_errors).
//
// A fit's state (FitRun) is kept in registers, the same in every lane of the fit: each lane takes
// the same decisions from the same shared sums, so no lane waits for another to decide. The
// linear algebra runs, when kParallelStep, on all lanes of the fit (rows or elements spread over
// them, barriers between dependent phases); otherwise on lane 0 alone and without barriers, for
// small P, where P barriers per step cost more than the few operations they would spread. Either
// way every element goes through the reference's sequence of operations.
#ifndef VULKANITE_FIT_STEP_GLSL
#define VULKANITE_FIT_STEP_GLSL

const bool kParallelStep = kParameters >= 8u;  // kParallelStepParameters in algorithms/fit.cpp
const uint kStepLanes = kParallelStep ? kLanes : 1u;

void step_barrier() {
  if (kParallelStep) barrier();
}

uint fit_index() { return gl_LocalInvocationID.x / kLanes; }
uint fit_lane() { return gl_LocalInvocationID.x % kLanes; }

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
// Entry e = (i, j) of the packed [H g; g' chi2]: where its term's two factors lie in a point's row
// (fit.comp's kRow), first | second << 16: (h J_i, J_j), (c, J_i), or (chi2 term, 1).
uint entry_factors(uint e) {
  uint i = 0u;
  while (e > kParameters - i) {  // row i holds the entries (i, i..P)
    e -= kParameters + 1u - i;
    ++i;
  }
  uint j = i + e;
  if (j < kParameters) return (kHJ + i) | (j << 16u);
  return i < kParameters ? (kRow - 2u) | (i << 16u) : (kRow - 1u) | (kParameters << 16u);
}
// The entry's (i, j) back from its factors (i <= j < P for H, j = P for g).
uvec2 entry_pair(uint e) {
  uint first = s_entry[e] & 0xffffu, second = s_entry[e] >> 16u;
  return first == kRow - 2u ? uvec2(second, kParameters) : uvec2(first - kHJ, second);
}
bool is_free(uint j) { return ((free_mask >> j) & 1u) != 0u; }
uint fitted_mask() { return kParameters == 32u ? free_mask : free_mask & ((1u << kParameters) - 1u); }
float lower_bound(uint j) { return ftz(bounds[j]); }
float upper_bound(uint j) { return ftz(bounds[kParameters + j]); }
uint sums_at(uint f, uint set) { return (f * 2u + set) * kEntries; }
uint parameters_at(uint f, uint set) { return (f * 2u + set) * kParameters; }
// The step's arrays in fit f's work area (its point rows are not in use during a step):
// the matrix, column-major (element (i, j) at j * P + i), then the right-hand side, then the
// inverse pivots.
uint matrix_at(uint f) { return f * kWork; }
uint rhs_at(uint f) { return f * kWork + kSquare; }
uint inv_at(uint f) { return f * kWork + kSquare + kParameters; }

struct FitRun {
  uint state;  // kMaxIterations while running
  uint iterations;
  float lambda;
  uint current;    // the set of s_par and s_sums at the fit's parameters; 1 - current: the trial
  bool evaluated;  // the initial values were in bounds and evaluated
  bool stepped;    // this iteration's trial is to be evaluated
};

// The initial values into set 0 (spread over the lanes); then every lane checks the bounds.
FitRun start_fit(uint f, uint n, bool valid) {
  uint at = parameters_at(f, 0u);
  for (uint j = fit_lane(); j < kParameters; j += kLanes)
    s_par[at + j] = valid ? ftz(initial[n * kParameters + j]) : 0.0;
  barrier();
  bool in_bounds = true;
  for (uint j = 0u; j < kParameters; ++j)
    in_bounds = in_bounds && s_par[at + j] >= lower_bound(j) && s_par[at + j] <= upper_bound(j);
  FitRun run;
  run.state = valid && in_bounds ? kMaxIterations : kInvalid;
  run.iterations = 0u;
  run.lambda = kInitialLambda;
  run.current = 0u;
  run.evaluated = run.state == kMaxIterations;
  run.stepped = false;
  return run;
}

void after_first_evaluation(uint f, inout FitRun run) {
  if (!run.evaluated) return;
  float chi = s_sums[sums_at(f, 0u) + kChiEntry];
  if (!is_finite(chi)) run.state = kEstimator == 2u && chi > 0.0 ? kNegativeCurvature : kInvalid;
  if (run.state == kMaxIterations && fitted_mask() == 0u) run.state = kConverged;
}

// H (lambda = 0) or H with its diagonal times 1 + lambda, the lower triangle, into the matrix;
// the gradient into the right-hand side; each pivot's threshold (reference::cholesky) into the
// inverse pivots until cholesky() replaces it.
void damped_system(uint f, uint sums, float lambda, bool enabled) {
  if (!enabled) return;
  float scale = fadd(1.0, lambda);
  for (uint e = fit_lane(); e < kChiEntry; e += kStepLanes) {
    uint i = entry_pair(e).x, j = entry_pair(e).y;  // i <= j
    float h = s_sums[sums + e];
    if (j == kParameters) {
      s_work[rhs_at(f) + i] = is_free(i) ? h : 0.0;
      continue;
    }
    float v = is_free(i) && is_free(j) ? (i == j ? fmul(h, scale) : h) : (i == j ? 1.0 : 0.0);
    s_work[matrix_at(f) + i * kParameters + j] = v;  // element (j, i)
    if (i == j) s_work[inv_at(f) + i] = fmul(v, kPivotFraction);
  }
}

// Row i's pivot (the diagonal minus its row's squares, complete) against its threshold: 1/sqrt of
// it, or NaN when the factorization fails (a valid pivot is finite and above a threshold >= 0, so
// its 1/sqrt is positive: cholesky() tests inv > 0).
void publish_pivot(uint f, uint i) {
  float pivot = s_work[matrix_at(f) + i * kParameters + i];
  bool valid = pivot > s_work[inv_at(f) + i] && is_finite(pivot);
  s_work[inv_at(f) + i] = valid ? fit_rsqrt(pivot) : uintBitsToFloat(kCanonicalNan);
}

// reference::cholesky, column by column. The lane owning row i (i mod kStepLanes) computes L_ij
// for each column j < i, a sum over k = 0, 1, ... in order, and keeps the running pivot
// a_ii - sum_k L_ik^2 in place of a_ii, the reference's order for the pivot; when it is complete
// (after column i - 1) that lane publishes it. L's diagonal is never read (the substitutions
// multiply by the inverse pivots), so it is not stored. The same in every lane of the fit.
bool cholesky(uint f, bool enabled) {
  uint lane = fit_lane(), a = matrix_at(f);
  if (enabled && lane == 0u) publish_pivot(f, 0u);
  step_barrier();
  bool failed = !enabled;
  for (uint j = 0u; j < kParameters; ++j) {
    float inv = s_work[inv_at(f) + j];
    failed = failed || !(inv > 0.0);
    if (!failed)
      for (uint i = lane; i < kParameters; i += kStepLanes) {
        if (i <= j) continue;
        float s = s_work[a + j * kParameters + i];
        for (uint k = 0u; k < j; ++k)
          s = fsub(s, fmul(s_work[a + k * kParameters + i], s_work[a + k * kParameters + j]));
        float l = fmul(s, inv);
        s_work[a + j * kParameters + i] = l;
        s_work[a + i * kParameters + i] = fsub(s_work[a + i * kParameters + i], fmul(l, l));
        if (i == j + 1u) publish_pivot(f, i);
      }
    if (j + 1u < kParameters) step_barrier();  // the last column has no rows below
  }
  return !failed;
}

// L L' x = b in place of b (reference::cholesky_solve). Forward: once y_k is known, the owners of
// the rows below subtract L_ik y_k from their partial sums, so each y_i still sums over
// k = 0, 1, ... in order. Back: x_i sums over k = i + 1, i + 2, ... in order and x_{i+1} is the last
// to be known, so it stays serial (lane 0).
void cholesky_solve(uint f, bool enabled) {
  uint lane = fit_lane(), a = matrix_at(f), b = rhs_at(f), inv = inv_at(f);
  if (enabled && lane == 0u) s_work[b] = fmul(s_work[b], s_work[inv]);
  step_barrier();
  for (uint k = 0u; k + 1u < kParameters; ++k) {
    if (enabled) {
      float y = s_work[b + k];
      for (uint i = lane; i < kParameters; i += kStepLanes) {
        if (i <= k) continue;
        float s = fsub(s_work[b + i], fmul(s_work[a + k * kParameters + i], y));
        s_work[b + i] = i == k + 1u ? fmul(s, s_work[inv + i]) : s;
      }
    }
    step_barrier();
  }
  if (enabled && lane == 0u)
    for (uint i = kParameters; i-- > 0u;) {
      float s = s_work[b + i];
      for (uint k = i + 1u; k < kParameters; ++k) s = fsub(s, fmul(s_work[a + i * kParameters + k], s_work[b + k]));
      s_work[b + i] = fmul(s, s_work[inv + i]);
    }
  step_barrier();
}

// Whether any fit of the workgroup is still running; the same in every invocation (the loop
// around it holds barriers).
bool any_running(uint f, FitRun run) {
  bool running = run.state == kMaxIterations;
  if (kFits == 1u) return running;
  if (fit_lane() == 0u) s_running[f] = running ? 1u : 0u;
  barrier();
  bool any = false;
  for (uint g = 0u; g < kFits; ++g) any = any || s_running[g] != 0u;
  return any;
}

// One step of a running fit: the trial p' = clamp(p + delta) into set 1 - current (run.stepped),
// or a failed factorization (lambda grows), or a singular Hessian (the fit stops). Called by every
// invocation (barriers); ends with a barrier.
void propose_step(uint f, inout FitRun run) {
  uint lane = fit_lane(), sums = sums_at(f, run.current);
  if (run.state == kMaxIterations) {
    for (uint j = 0u; j < kParameters; ++j)
      if (is_free(j) && !(s_sums[sums + entry_index(j, j)] > 0.0)) run.state = kSingular;
    if (run.state == kMaxIterations) run.iterations += 1u;
  }
  bool enabled = run.state == kMaxIterations;
  if (kParallelStep || lane == 0u) {
    damped_system(f, sums, run.lambda, enabled);
    step_barrier();
    bool factored = cholesky(f, enabled);
    cholesky_solve(f, factored);
    uint from = parameters_at(f, run.current), to = parameters_at(f, 1u - run.current);
    if (factored)
      for (uint j = lane; j < kParameters; j += kStepLanes) {
        float p = s_par[from + j];
        if (is_free(j)) {
          float v = fadd(p, s_work[rhs_at(f) + j]);
          float lo = lower_bound(j), hi = upper_bound(j);
          p = v < lo ? lo : (v > hi ? hi : v);
        }
        s_par[to + j] = p;
      }
    if (lane == 0u) s_factored[f] = factored ? 1u : 0u;
  }
  barrier();
  run.stepped = enabled && s_factored[f] != 0u;
  if (enabled && !run.stepped) run.lambda = fmul(run.lambda, kLambdaUp);
}

// After the trial's evaluation, in every lane alike.
void accept_or_reject(uint f, inout FitRun run) {
  if (!run.stepped) return;
  float chi = s_sums[sums_at(f, run.current) + kChiEntry];
  float trial_chi = s_sums[sums_at(f, 1u - run.current) + kChiEntry];
  bool converged;
  if (trial_chi <= chi) {
    converged = fsub(chi, trial_chi) <= fmul(tolerance, trial_chi);
    run.current = 1u - run.current;
    run.lambda = fmul(run.lambda, kLambdaDown);
  } else {
    converged = fsub(trial_chi, chi) <= fmul(tolerance, chi);
    run.lambda = fmul(run.lambda, kLambdaUp);
  }
  if (converged) run.state = kConverged;
}

// Standard errors from the Cholesky factor of H and every output of fit n. Column c of L^-1 by
// forward substitution (one column per lane) goes to the matrix's upper triangle, which L leaves
// free: element (i, c), i >= c, at i * P + c. Called by every invocation (barriers).
void finish_fit(uint f, uint n, bool valid, FitRun run) {
  uint lane = fit_lane(), sums = sums_at(f, run.current), a = matrix_at(f), inv = inv_at(f);
  bool started = run.state != kInvalid && run.state != kNegativeCurvature;
  // An invalid fit that was evaluated reports its chi2; one outside its bounds, NaN.
  float chi = started || run.evaluated ? s_sums[sums + kChiEntry] : uintBitsToFloat(kCanonicalNan);
  bool enabled = started && run.state != kSingular, factored = false;
  if (kParallelStep || lane == 0u) {
    damped_system(f, sums, 0.0, enabled);
    step_barrier();
    factored = cholesky(f, enabled);
  }
  float scale = 1.0;
  uint free_count = uint(bitCount(fitted_mask()));
  if (started && kEstimator == 0u)
    scale = points > free_count ? cr_div(chi, float(points - free_count)) : uintBitsToFloat(kCanonicalNan);
  if (!valid || !(kParallelStep || lane == 0u)) return;
  for (uint c = lane; c < kParameters; c += kStepLanes) {
    float error = started ? 0.0 : uintBitsToFloat(kCanonicalNan);
    if (started && is_free(c)) {
      error = uintBitsToFloat(kCanonicalNan);
      if (factored) {
        float variance = 0.0;
        for (uint i = c; i < kParameters; ++i) {
          float s = i == c ? 1.0 : 0.0;
          for (uint k = c; k < i; ++k)
            s = fsub(s, fmul(s_work[a + k * kParameters + i], s_work[a + k * kParameters + c]));
          float x = fmul(s, s_work[inv + i]);
          s_work[a + i * kParameters + c] = x;
          variance = fadd(variance, fmul(x, x));
        }
        error = cr_sqrt(fmul(variance, scale));
      }
    }
    errors_out[n * kParameters + c] = canonical(error);
    parameters_out[n * kParameters + c] = canonical(s_par[parameters_at(f, run.current) + c]);
  }
  if (lane != 0u) return;
  float chi_out = kEstimator == 2u ? fmul(2.0, chi) : chi;
  info_out[3u * n] = started && !factored ? kSingular : run.state;
  info_out[3u * n + 1u] = run.iterations;
  info_out[3u * n + 2u] = floatBitsToUint(canonical(chi_out));
}

#endif
