#version 460
// Sigma clipping of one frame per bin of a CSR matrix, pyFAI's sigma_clip_ng semantics
// (common/bin_statistics.glsl): integrate, then up to `cycles` times drop the pixels beyond
// max(cutoff, Chauvenet) standard deviations from the bin's mean and integrate again. The frame
// is not written: the entries' raw values are kept in a scratch buffer, where a dropped pixel is
// marked so that no later cycle takes it (bin_statistics.glsl's entry_raw).
// Bindings, push constants and specialization constants: as integrate.comp.
// Twin: reference::sigma_clip (reference/bin_statistics.cpp).
#extension GL_GOOGLE_include_directive : require
#if VULKANITE_SUBGROUPS
#extension GL_KHR_shader_subgroup_basic : require
#extension GL_KHR_shader_subgroup_shuffle : require
#extension GL_KHR_shader_subgroup_shuffle_relative : require
#endif
layout(local_size_x_id = 0) in;  // before the includes: it sizes their shared arrays
layout(constant_id = 1) const uint kPixelType = 0;
const bool kClipping = true;
#include "common/bin_statistics.glsl"

void main() {
  for (uint w = gl_WorkGroupID.x; w < bins; w += gl_NumWorkGroups.x) bin_statistics(bin_order[w]);
}
