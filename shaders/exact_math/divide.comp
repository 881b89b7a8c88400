#version 460
// quotient[i] = cr_div(dividend[i], divisor[i]): correctly rounded float32 division.
// Bindings: 0 dividend, 1 divisor, 2 quotient. Push constants: ElementwisePush { uint count; }.
// Specialization constants: 0 workgroup size. Twin: reference::cr_div (reference/exact_math.hpp).
#extension GL_GOOGLE_include_directive : require
#include "common/exact_math.glsl"

layout(local_size_x_id = 0) in;
layout(std430, binding = 0) readonly buffer Dividend { float dividend[]; };
layout(std430, binding = 1) readonly buffer Divisor { float divisor[]; };
layout(std430, binding = 2) writeonly buffer Quotient { float quotient[]; };
layout(push_constant) uniform ElementwisePush { uint count; };

void main() {
  uint i = gl_GlobalInvocationID.x;
  if (i < count) quotient[i] = cr_div(dividend[i], divisor[i]);
}
