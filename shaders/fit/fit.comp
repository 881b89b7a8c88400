#version 460
// Batched Levenberg–Marquardt fits of one built-in model (docs/fit.md). A workgroup of W
// invocations runs W / L fits side by side, L invocations ("lanes") per fit: lanes evaluate the
// model at L points at a time into shared memory, then each lane owns some entries of the packed
// matrix [H g; g' chi2] and adds the points' terms to them in point order. So every sum runs over
// the points in index order whatever W and L are, and the results do not depend on the shape.
// The step (Cholesky solve of the damped H, bounds, accept or reject) is lane 0's.
//
// Bindings: 0 data (N x M), 1 weights (N x M, or unused), 2 coordinates (M x D, N x M x D, or
//   unused), 3 initial parameters (N x P), 4 bounds (P lower, then P upper), 5 parameters out
//   (N x P), 6 standard errors out (N x P), 7 info out (N x 3 words: state, iterations, chi2 bits).
// Push constants: FitPush (algorithms/fit.hpp): fits, points, first_fit, free_mask,
//   max_iterations, tolerance, coordinates (0 none, 1 shared, 2 per fit), side (of the grid).
// Specialization constants: 0 W, 1 model (reference::FitModel), 2 P, 3 L (power of two dividing
//   W), 4 estimator (reference::Estimator).
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
const uint kRow = kParameters + 3u;  // a point's row: d[0..P-1], h, c, chi2 term
const uint kChiEntry = kEntries - 1u;
const uint kSquare = kParameters * kParameters;

shared float s_points[gl_WorkGroupSize.x * kRow];
shared float s_sums[kFits * 2u * kEntries];  // two sets per fit: current and trial
shared float s_param[kFits * kParameters];
shared float s_trial[kFits * kParameters];
shared float s_matrix[kFits * kSquare];
shared float s_rhs[kFits * kParameters];
shared float s_inv_diag[kFits * kParameters];
shared uint s_entry_row[kEntries], s_entry_column[kEntries];
shared float s_lambda[kFits];
shared uint s_state[kFits], s_iterations[kFits], s_current[kFits], s_evaluate[kFits], s_running[kFits];
shared uint s_any_running;

#include "fit/fit_step.glsl"

// Point k of fit n at parameters p: its row of s_points.
void point_row(uint n, uint k, float p[kMaxParameters], uint row) {
  float x, y;
  if (coordinates_mode == 0u) {
    uint dims = (kModel >= 1u && kModel <= 4u) ? 2u : 1u;
    x = dims == 1u ? float(k) : float(k % side);
    y = dims == 1u ? 0.0 : float(k / side);
  } else {
    uint dims = (kModel >= 1u && kModel <= 4u) ? 2u : 1u;
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
  for (uint j = 0u; j < kParameters; ++j) s_points[row + j] = d[j];
  s_points[row + kParameters] = h;
  s_points[row + kParameters + 1u] = c;
  s_points[row + kParameters + 2u] = dd;
}

// The sums at s_param (trial == false) or s_trial into the set 1 - s_current of every fit whose
// s_evaluate is set. Called by every invocation (it holds barriers); ends with a barrier.
void evaluate(bool trial, uint n) {
  uint f = gl_LocalInvocationID.x / kLanes, lane = gl_LocalInvocationID.x % kLanes;
  bool evaluating = s_evaluate[f] != 0u;
  float p[kMaxParameters];
  for (uint j = 0u; j < kMaxParameters; ++j) p[j] = 0.0;
  for (uint j = 0u; j < kParameters; ++j) p[j] = trial ? s_trial[f * kParameters + j] : s_param[f * kParameters + j];
  uint sums = (f * 2u + (1u - s_current[f])) * kEntries;
  for (uint first = 0u; first < points; first += kLanes) {
    if (evaluating && first + lane < points) point_row(n, first + lane, p, gl_LocalInvocationID.x * kRow);
    barrier();
    if (evaluating) {
      uint count = min(kLanes, points - first);
      for (uint e = lane; e < kEntries; e += kLanes) {
        uint i = s_entry_row[e], j = s_entry_column[e];
        float acc = first == 0u ? 0.0 : s_sums[sums + e];
        for (uint q = 0u; q < count; ++q) {
          uint row = (f * kLanes + q) * kRow;
          float term;
          if (j < kParameters) term = fmul(fmul(s_points[row + kParameters], s_points[row + i]), s_points[row + j]);
          else if (i < kParameters) term = fmul(s_points[row + kParameters + 1u], s_points[row + i]);
          else term = s_points[row + kParameters + 2u];
          acc = fadd(acc, term);
        }
        s_sums[sums + e] = acc;
      }
    }
    barrier();
  }
}

void main() {
  uint f = gl_LocalInvocationID.x / kLanes, lane = gl_LocalInvocationID.x % kLanes;
  uint n = first_fit + gl_WorkGroupID.x * kFits + f;
  bool valid = n < fits;
  if (gl_LocalInvocationID.x == 0u) {
    uint e = 0u;
    for (uint i = 0u; i <= kParameters; ++i)
      for (uint j = i; j <= kParameters; ++j, ++e) {
        s_entry_row[e] = i;
        s_entry_column[e] = j;
      }
  }
  if (lane == 0u) start_fit(f, n, valid);
  barrier();
  evaluate(false, n);
  if (lane == 0u) after_first_evaluation(f);
  barrier();
  if (gl_LocalInvocationID.x == 0u) count_running();
  barrier();
  for (uint iteration = 0u; iteration < max_iterations; ++iteration) {
    if (s_any_running == 0u) break;  // uniform: written before the last barrier, rewritten after two more
    if (lane == 0u) propose_step(f);
    barrier();
    evaluate(true, n);
    if (lane == 0u) accept_or_reject(f);
    barrier();
    if (gl_LocalInvocationID.x == 0u) count_running();
    barrier();
  }
  if (lane == 0u && valid) finish_fit(f, n);
}
