#version 460
// Reduction of a float array in two passes of one fixed shape (see common/reduction.glsl).
//   pass 0: workgroup g reduces elements g*W + t + k*G*W (k = 0, 1, ...) into partials[g]
//   pass 1: one workgroup reduces the G partials (pairs) into result[0]
// Bindings: 0 input (floats, or (sum, error) pairs in pass 1), 1 output pairs.
// Push constants: ReducePush { uint count; } (items of the input).
// Specialization constants: 0 workgroup size (power of two), 1 operation (0 sum, 1 sum of
//   squares, 2 compensated sum), 2 pass (0 or 1).
// Twin: reference::reduce_partials / reference::reduce (reference/reduction.hpp).
#extension GL_GOOGLE_include_directive : require
layout(local_size_x_id = 0) in;  // before the include: it sizes the include's shared array
#include "common/reduction.glsl"

layout(constant_id = 1) const uint kOperation = 0;
layout(constant_id = 2) const uint kPass = 0;

layout(std430, binding = 0) readonly buffer Input { float input_values[]; };
layout(std430, binding = 1) writeonly buffer Output { vec2 output_pairs[]; };
layout(push_constant) uniform ReducePush { uint count; };

// One element into the invocation's accumulator, in the operation the kernel was built for.
vec2 accumulate(vec2 acc, float x, uint kind) {
  if (kOperation == 0u) return vec2(add_ftz(acc.x, ftz(x)), 0.0);
  if (kOperation == 1u) return vec2(add_ftz(acc.x, square_ftz(ftz(x))), 0.0);
  return compensated_add(acc, ftz(x));
}

// Loads this many of an invocation's elements before adding any: the adds must stay in index
// order, but the loads need not wait for them, and one DRAM round trip per element would make
// the pass latency-bound.
const uint kBatch = 8u;

void main() {
  uint global = gl_GlobalInvocationID.x;
  uint stride = gl_NumWorkGroups.x * gl_WorkGroupSize.x;
  uint kind = kOperation == 2u ? 1u : 0u;
  vec2 acc = vec2(0.0);
  if (kPass == 1u) {
    for (uint i = global; i < count; i += stride)
      acc = reduction_combine(acc, vec2(input_values[2u * i], input_values[2u * i + 1u]), kind);
  } else {
    uint i = global;
    // Written as a difference: i + 7 * stride could wrap near 2^32.
    for (; i < count && count - i > (kBatch - 1u) * stride; i += kBatch * stride) {
      float batch[kBatch];
      for (uint k = 0u; k < kBatch; ++k) batch[k] = input_values[i + k * stride];
      for (uint k = 0u; k < kBatch; ++k) acc = accumulate(acc, batch[k], kind);
    }
    for (; i < count; i += stride) acc = accumulate(acc, input_values[i], kind);
  }
  vec2 total = workgroup_reduce(acc, kind);
  if (gl_LocalInvocationID.x == 0u) output_pairs[gl_WorkGroupID.x] = vec2(canonical(total.x), canonical(total.y));
}
