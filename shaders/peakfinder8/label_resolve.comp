#version 460
// Points every joinable pixel straight at its component's root, counts the component's pixels
// and finds its seed: the first pixel in OM's scan order that is not on its ASIC's border (OM
// never starts a region on the border). Within one ASIC, scan order is flat-index order, so the
// seed is the smallest such index. A component without one is never grown (its pixels stay free).
// One invocation per entry of label_init's list of joinable pixels.
// Bindings and push constants: common/peakfinder8.glsl. Specialization constants: 0 workgroup
// size, 1 pixel type (unused). Twin: the scan loop of Scan::run in reference/peakfinder8.cpp.
#extension GL_GOOGLE_include_directive : require
layout(local_size_x_id = 0) in;
layout(constant_id = 1) const uint kPixelType = 0;
#include "common/peakfinder8.glsl"

void main() {
  const uint stride = gl_NumWorkGroups.x * gl_WorkGroupSize.x;
  const uint entries = counters[3];
  for (uint k = gl_GlobalInvocationID.x; k < entries; k += stride) {
    const uint i = joinable_list[k];
    const uint root = find_root(i);
    label[i] = root;
    atomicAdd(region_size[root], 1u);
    const uint fs = (i % width) % asic_nx, ss = (i / width) % asic_ny;
    if (fs > 0u && fs + 1u < asic_nx && ss > 0u && ss + 1u < asic_ny) atomicMin(seed[root], i);
  }
}
