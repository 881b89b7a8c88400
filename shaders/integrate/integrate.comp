#version 460
// Azimuthal integration of one frame: pyFAI's integrate1d_ng / integrate2d_ng outputs per bin of
// a CSR matrix (common/bin_statistics.glsl). Workgroups loop over bins, the largest first (bin_order).
// Bindings: 0 frame (pixel words), 1 row_start, 2 pixel, 3 coefficient, 4 normalization,
//   5 dark, 6 variance (5-6 in entry order), 7 results (9 planes of `bins` values), 8 bin order
//   (largest first), 9 entry_raw (scratch, one float per entry).
// Push constants: BinPush (cycles = 0 here). Specialization constants: 0 workgroup size = lanes
//   per bin (a power of two), 1 pixel type.
// Twin: reference::integrate (reference/bin_statistics.cpp).
#extension GL_GOOGLE_include_directive : require
#if VULKANITE_SUBGROUPS
#extension GL_KHR_shader_subgroup_basic : require
#extension GL_KHR_shader_subgroup_shuffle : require
#extension GL_KHR_shader_subgroup_shuffle_relative : require
#endif
layout(local_size_x_id = 0) in;  // before the includes: it sizes their shared arrays
layout(constant_id = 1) const uint kPixelType = 0;
const bool kClipping = false;
#include "common/bin_statistics.glsl"

void main() {
  for (uint w = gl_WorkGroupID.x; w < bins; w += gl_NumWorkGroups.x) bin_statistics(bin_order[w]);
}
