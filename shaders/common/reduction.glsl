// Fixed-shape workgroup reductions whose result does not depend on the device: each invocation
// accumulates its elements in index order, then the workgroup combines its values along one
// fixed binary tree (neighbours first: 0+1, 2+3, then (0+1)+(2+3), ...). No atomics, no subgroup
// operations (their order is the implementation's), `precise` so that no compiler contracts a
// multiply and an add into an fma. Sums flush subnormals (ftz) because devices disagree on them.
//
// Needs: `layout(local_size_x_id = 0) in;` with a power-of-two workgroup size, declared BEFORE
// this include: glslang folds gl_WorkGroupSize to its default (1) in array sizes otherwise.
// Twin: reference/reduction.hpp. Tests: tests/reduction_test.cpp.
#ifndef VULKANITE_REDUCTION_GLSL
#define VULKANITE_REDUCTION_GLSL

#include "common/exact_math.glsl"

shared vec2 reduction_scratch[gl_WorkGroupSize.x];

float add_ftz(float a, float b) {
  precise float s = a + b;
  return ftz(s);
}

// x * x, or 0 where the square would be subnormal (|x| < 2^-63): exact on every device.
float square_ftz(float x) {
  precise float s = x * x;
  return abs(x) < uintBitsToFloat(0x20000000u) ? 0.0 : s;  // 2^-63
}

// Neumaier's compensated sum: .x the running sum, .y the running rounding error.
vec2 compensated_add(vec2 acc, float x) {
  precise float t = ftz(acc.x + x);
  precise float e = abs(acc.x) >= abs(x) ? ftz(acc.x - t) : ftz(x - t);
  precise float f = abs(acc.x) >= abs(x) ? ftz(e + x) : ftz(e + acc.x);
  precise float c = ftz(acc.y + f);
  return vec2(t, c);
}

vec2 compensated_combine(vec2 a, vec2 b) {
  vec2 sum = compensated_add(a, b.x);
  precise float c = ftz(sum.y + b.y);
  return vec2(sum.x, c);
}

// kind 0: plain sum of .x; kind 1: compensated pairs.
vec2 reduction_combine(vec2 a, vec2 b, uint kind) {
  return kind == 0u ? vec2(add_ftz(a.x, b.x), 0.0) : compensated_combine(a, b);
}

// Combines one value per invocation along the fixed tree; every invocation gets the result.
vec2 workgroup_reduce(vec2 value, uint kind) {
  uint t = gl_LocalInvocationID.x;
  reduction_scratch[t] = value;
  for (uint stride = 1u; stride < gl_WorkGroupSize.x; stride <<= 1) {
    barrier();
    if ((t & (2u * stride - 1u)) == 0u)
      reduction_scratch[t] = reduction_combine(reduction_scratch[t], reduction_scratch[t + stride], kind);
  }
  barrier();
  vec2 result = reduction_scratch[0];
  barrier();  // the scratch may be reused right after
  return result;
}

#endif
