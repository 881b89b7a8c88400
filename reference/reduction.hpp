#pragma once
// CPU twin of shaders/reduce/reduce.comp and shaders/common/reduction.glsl: the same per-
// invocation order and the same combining tree, so results are bit-identical to the GPU's.
#include "reference/exact_math.hpp"

#include <array>
#include <cstdint>
#include <span>
#include <vector>

namespace vulkanite::reference {

enum class Reduction : std::uint32_t { sum = 0, sum_of_squares = 1, compensated_sum = 2 };

// The shape fixes the result: the same shape on any device gives the same bits.
struct ReductionShape {
  std::uint32_t workgroup_size = 256;  // a power of two
  std::uint32_t groups = 1;            // workgroups of the first pass
};

// The shape Vulkanite uses for `count` values: about 32 values per invocation, at most 1024
// workgroups (enough to fill an H100), so the second pass is one workgroup.
ReductionShape reduction_shape(std::size_t count, std::uint32_t workgroup_size = 256);

using SumPair = std::array<float, 2>;  // running sum, running rounding error (compensated only)

// One pass: `values` are floats (pass 0) or SumPairs flattened (pass 1). One pair per group.
std::vector<SumPair> reduce_pass(std::span<const float> values, Reduction operation, std::uint32_t pass,
                                 ReductionShape shape);

// Both passes; the compensated sum's value is sum + error.
float reduce(std::span<const float> values, Reduction operation, ReductionShape shape);

// Per-element steps, also used by later algorithms' twins.
inline float add_ftz(float a, float b) { return ftz(a + b); }
inline float square_ftz(float x) { return std::fabs(x) < 0x1p-63f ? 0.0f : x * x; }
SumPair compensated_add(SumPair acc, float x);
SumPair compensated_combine(SumPair a, SumPair b);

}  // namespace vulkanite::reference
