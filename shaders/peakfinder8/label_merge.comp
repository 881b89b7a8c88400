#version 460
// Joins each joinable pixel with its joinable neighbours of smaller index in the same ASIC (left,
// and the three above): 8-connected components, as OM's growth connects pixels. Union-find in
// which a root is linked to a smaller root with atomicMin, retried when another invocation linked
// it first (Playne and Hawick 2018); labels always point to smaller indices, so no cycle forms.
// One invocation per entry of label_init's list of joinable pixels.
// Bindings and push constants: common/peakfinder8.glsl. Specialization constants: 0 workgroup
// size, 1 pixel type (unused). No reference twin: components are the regions OM grows.
#extension GL_GOOGLE_include_directive : require
layout(local_size_x_id = 0) in;
layout(constant_id = 1) const uint kPixelType = 0;
#include "common/peakfinder8.glsl"

void unite(uint a, uint b) {
  a = find_root(a);
  b = find_root(b);
  while (a != b) {
    if (a > b) {
      const uint swap = a;
      a = b;
      b = swap;
    }
    const uint old = atomicMin(label[b], a);
    if (old == b) return;  // b was still a root: now it hangs below a
    b = find_root(old);
    a = find_root(a);
  }
}

void main() {
  const uint stride = gl_NumWorkGroups.x * gl_WorkGroupSize.x;
  const uint entries = counters[3];
  for (uint k = gl_GlobalInvocationID.x; k < entries; k += stride) {
    const uint i = joinable_list[k];
    const uint fs = (i % width) % asic_nx, ss = (i / width) % asic_ny;
    if (fs > 0u && joinable_bit(i - 1u)) unite(i, i - 1u);
    if (ss == 0u) continue;
    const uint above = i - width;
    if (fs > 0u && joinable_bit(above - 1u)) unite(i, above - 1u);
    if (joinable_bit(above)) unite(i, above);
    if (fs + 1u < asic_nx && joinable_bit(above + 1u)) unite(i, above + 1u);
  }
}
