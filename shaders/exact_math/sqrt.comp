#version 460
// root[i] = cr_sqrt(value[i]): correctly rounded float32 square root.
// Bindings: 0 value, 1 root. Push constants: ElementwisePush { uint count; }.
// Specialization constants: 0 workgroup size. Twin: reference::cr_sqrt (reference/exact_math.hpp).
#extension GL_GOOGLE_include_directive : require
#include "common/exact_math.glsl"

layout(local_size_x_id = 0) in;
layout(std430, binding = 0) readonly buffer Value { float value[]; };
layout(std430, binding = 1) writeonly buffer Root { float root[]; };
layout(push_constant) uniform ElementwisePush { uint count; };

void main() {
  uint i = gl_GlobalInvocationID.x;
  if (i < count) root[i] = cr_sqrt(value[i]);
}
