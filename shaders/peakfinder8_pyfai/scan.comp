#version 460
// pyFAI's peakfinder8, step 2b: the first output slot of each chunk's peaks (exclusive prefix
// sum of pick.comp's counts) and the frame's peak count. One workgroup: invocation t sums a
// contiguous block of counts, invocation 0 adds up the blocks, then each writes its block's
// offsets. Integer sums: exact, whatever the order.
// Bindings: 0 counts (one per chunk), 1 offsets (one per chunk), 2 total (one word: peaks found).
// Push constants: PeakPush (only `chunks` is read). Specialization constants: 0 workgroup size.
// Twin: the order of reference::peakfinder8_pyfai_peaks's output (pixel index).
#extension GL_GOOGLE_include_directive : require
layout(local_size_x_id = 0) in;

layout(std430, binding = 0) readonly buffer Counts { uint counts[]; };
layout(std430, binding = 1) writeonly buffer Offsets { uint offsets[]; };
layout(std430, binding = 2) writeonly buffer Total { uint total[]; };

layout(push_constant) uniform PeakPush {
  uint rows;
  uint columns;
  uint half_patch;
  uint connected;
  float cutoff_peak;
  uint chunks;
};

shared uint block_start[gl_WorkGroupSize.x];

void main() {
  uint t = gl_LocalInvocationID.x;
  uint block = (chunks + gl_WorkGroupSize.x - 1u) / gl_WorkGroupSize.x;
  uint first = min(t * block, chunks), last = min(first + block, chunks);
  uint sum = 0u;
  for (uint c = first; c < last; ++c) sum += counts[c];
  block_start[t] = sum;
  barrier();
  if (t == 0u) {
    uint running = 0u;
    for (uint b = 0u; b < gl_WorkGroupSize.x; ++b) {
      uint size = block_start[b];
      block_start[b] = running;
      running += size;
    }
    total[0] = running;
  }
  barrier();
  uint running = block_start[t];
  for (uint c = first; c < last; ++c) {
    offsets[c] = running;
    running += counts[c];
  }
}
