#version 460
// destination[i] = source[i] for `count` 16-byte words: the memory-bandwidth yardstick.
// Each invocation moves several words per loop trip, issuing all loads before any store so that
// they are in flight together. Bindings: 0 source, 1 destination.
// Push constants: CopyPush { uint count; } (uvec4 words).
// Specialization constants: 0 workgroup size, 1 words per invocation per trip (unroll).
// Twin: a plain memcpy.
layout(local_size_x_id = 0) in;
layout(constant_id = 1) const uint kUnroll = 4;

layout(std430, binding = 0) readonly buffer Source { uvec4 source[]; };
layout(std430, binding = 1) writeonly buffer Destination { uvec4 destination[]; };
layout(push_constant) uniform CopyPush { uint count; };

void main() {
  uint stride = gl_NumWorkGroups.x * gl_WorkGroupSize.x;
  uvec4 words[kUnroll];
  for (uint base = gl_GlobalInvocationID.x; base < count; base += stride * kUnroll) {
    for (uint k = 0u; k < kUnroll; ++k) {
      uint i = base + k * stride;
      if (i < count) words[k] = source[i];
    }
    for (uint k = 0u; k < kUnroll; ++k) {
      uint i = base + k * stride;
      if (i < count) destination[i] = words[k];
    }
  }
}
