#version 460
// Batched Levenberg–Marquardt fits of one model (docs/fit.md). A workgroup of W
// invocations runs W / L fits side by side, L invocations ("lanes") per fit: lanes evaluate the
// model at L points at a time into shared memory, then each lane owns some entries of the packed
// matrix [H g; g' chi2] and adds the points' terms to them in point order. So every sum runs over
// the points in index order whatever W and L are, and the results do not depend on the shape.
// The step (Cholesky solve of the damped H, bounds, accept or reject): fit/fit_step.glsl.
//
// Bindings: 0 data (N x M), 1 weights (N x M, or unused), 2 coordinates (M x D, N x M x D, or
//   unused), 3 initial parameters (N x P), 4 bounds (P lower, then P upper), 5 parameters out
//   (N x P), 6 standard errors out (N x P), 7 info out (N x 3 words: state, iterations, chi2 bits).
// Push constants: FitPush (algorithms/fit.hpp): fits, points, first_fit, free_mask,
//   max_iterations, tolerance, coordinates (0 none, 1 shared, 2 per fit), side (of the grid).
// Specialization constants: 0 W, 1 model (reference::FitModel), 2 P, 3 L (power of two dividing
//   W), 4 estimator (reference::Estimator).
// Built-in models: compiled at build time. A model given as an expression: compiled at run time
//   with VULKANITE_FIT_EXPRESSION defined, its evaluate_model() generated (common/fit_models.glsl).
// Twin: reference::fit (reference/fit.cpp).
#extension GL_GOOGLE_include_directive : require
layout(local_size_x_id = 0) in;  // before the includes and the arrays it sizes
layout(constant_id = 1) const uint kModel = 0u;
layout(constant_id = 2) const uint kParameters = 4u;
layout(constant_id = 3) const uint kLanes = 32u;
layout(constant_id = 4) const uint kEstimator = 0u;
#include "common/fit_models.glsl"

layout(std430, binding = 0) readonly buffer Data { float data[]; };
layout(std430, binding = 1) readonly buffer Weights { float weights[]; };
layout(std430, binding = 2) readonly buffer Coordinates { float coordinates[]; };
layout(std430, binding = 3) readonly buffer Initial { float initial[]; };
layout(std430, binding = 4) readonly buffer Bounds { float bounds[]; };
layout(std430, binding = 5) writeonly buffer Parameters { float parameters_out[]; };
layout(std430, binding = 6) writeonly buffer Errors { float errors_out[]; };
layout(std430, binding = 7) writeonly buffer Info { uint info_out[]; };

layout(push_constant) uniform FitPush {
  uint fits;
  uint points;
  uint first_fit;
  uint free_mask;
  uint max_iterations;
  float tolerance;
  uint coordinates_mode;
  uint side;
};

// reference::FitState and its constants (reference/fit.hpp).
const uint kConverged = 0u, kMaxIterations = 1u, kSingular = 2u, kNegativeCurvature = 3u, kInvalid = 4u;
// Bit patterns, not decimal literals: the C++ twins are 1e-3f and 0.1f, rounded once.
#define kInitialLambda uintBitsToFloat(0x3a83126fu)
#define kLambdaDown uintBitsToFloat(0x3dcccccdu)
#define kLambdaUp 10.0
#define kPivotFraction uintBitsToFloat(0x35800000u)  // 2^-20

const uint kFits = gl_WorkGroupSize.x / kLanes;
const uint kEntries = (kParameters + 1u) * (kParameters + 2u) / 2u;
const uint kChiEntry = kEntries - 1u;
const uint kOwned = (kEntries + kLanes - 1u) / kLanes;  // entries per lane
// A point's row: J[0..P-1], 1, (h J)[0..P-1], c, chi2 term; least squares (h = 1) leaves h J out and
// uses J. Every entry's term is then a product of two of them, with no branch per entry; exact,
// because model values and derivatives are flushed results (so J = 1 J and the chi2 term = its 1 x).
const uint kHJ = kEstimator == 0u ? 0u : kParameters + 1u;  // where h J_i lies
const uint kRow = kEstimator == 0u ? kParameters + 3u : 2u * kParameters + 3u;
const uint kSquare = kParameters * kParameters;
// Per fit: its L point rows while it evaluates, its step's matrix and vectors (fit_step.glsl) between.
const uint kWork = kLanes * kRow > kSquare + 2u * kParameters ? kLanes * kRow : kSquare + 2u * kParameters;

shared float s_work[kFits * kWork];
shared float s_sums[kFits * 2u * kEntries];   // two sets per fit: at its parameters and at the trial
shared float s_par[kFits * 2u * kParameters];  // the parameters of those two sets
shared uint s_entry[kEntries];                 // entry e's two factors' places in a row (entry_factors)
shared uint s_running[kFits], s_factored[kFits];

#include "fit/fit_step.glsl"

// Point k of fit n at parameters p: its row (at `row` in s_work).
void point_row(uint n, uint k, float p[kMaxParameters], uint row) {
  float x, y;
  if (coordinates_mode == 0u) {
    uint dims = kModelDimensions;
    x = dims == 1u ? float(k) : float(k % side);
    y = dims == 1u ? 0.0 : float(k / side);
  } else {
    uint dims = kModelDimensions;
    uint base = (coordinates_mode == 1u ? 0u : n * points * dims) + k * dims;
    x = ftz(coordinates[base]);
    y = dims == 2u ? ftz(coordinates[base + 1u]) : 0.0;
  }
  float d[kMaxParameters];
  float f = evaluate_model(p, x, y, d);
  uint at = n * points + k;
  float yv = ftz(data[at]);
  float w = kEstimator == 1u ? ftz(weights[at]) : 1.0;
  float h, c, dd;
  point_terms(yv, w, f, h, c, dd);
  for (uint j = 0u; j < kParameters; ++j) {
    s_work[row + j] = d[j];
    if (kEstimator != 0u) s_work[row + kHJ + j] = fmul(h, d[j]);  // the reference's h J_i, once per point
  }
  s_work[row + kParameters] = 1.0;
  s_work[row + kRow - 2u] = c;
  s_work[row + kRow - 1u] = dd;
}

// The sums at parameter set `set` of fit f, if `evaluating`, into its sums set `set`: L points at a
// time, each lane its point's row, then each lane its entries' terms of those rows in point order.
// Called by every invocation (it holds barriers); ends with a barrier.
void evaluate(uint set, bool evaluating, uint n) {
  uint f = fit_index(), lane = fit_lane();
  float p[kMaxParameters];
  for (uint j = 0u; j < kMaxParameters; ++j) p[j] = 0.0;
  for (uint j = 0u; j < kParameters; ++j) p[j] = s_par[parameters_at(f, set) + j];
  uint sums = sums_at(f, set), rows = f * kWork;
  for (uint first = 0u; first < points; first += kLanes) {
    if (evaluating && first + lane < points) point_row(n, first + lane, p, rows + lane * kRow);
    barrier();
    if (evaluating) {
      uint count = min(kLanes, points - first);
      for (uint t = 0u; t < kOwned; ++t) {
        uint e = lane + t * kLanes;
        if (e >= kEntries) break;
        uint a = rows + (s_entry[e] & 0xffffu), b = rows + (s_entry[e] >> 16u);
        float acc = first == 0u ? 0.0 : s_sums[sums + e];
        for (uint q = 0u; q < count; ++q) acc = fadd(acc, fmul(s_work[a + q * kRow], s_work[b + q * kRow]));
        s_sums[sums + e] = acc;
      }
    }
    barrier();
  }
}

void main() {
  uint f = fit_index();
  uint n = first_fit + gl_WorkGroupID.x * kFits + f;
  bool valid = n < fits;
  for (uint e = gl_LocalInvocationID.x; e < kEntries; e += gl_WorkGroupSize.x) s_entry[e] = entry_factors(e);
  FitRun run = start_fit(f, n, valid);
  evaluate(0u, run.evaluated, n);
  after_first_evaluation(f, run);
  for (uint iteration = 0u; iteration < max_iterations; ++iteration) {
    if (!any_running(f, run)) break;
    propose_step(f, run);
    evaluate(1u - run.current, run.stepped, n);
    accept_or_reject(f, run);
  }
  finish_fit(f, n, valid, run);
}
