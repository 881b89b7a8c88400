#pragma once
// The self-check that `vulkanite self-check` and the README's main job run: the GPU's exact
// arithmetic and reductions against their CPU twins, bit for bit, on inputs made to be hard
// (edge values, subnormals, NaNs, quotients and roots near rounding midpoints).
#include "runtime/context.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace vulkanite::algorithms {

// Operand pairs (a[i], b[i]): every pair of ~30 special values first; then a third each of
// quotients a / b and roots sqrt(a) a tiny fraction of an ULP from a rounding midpoint or a
// representable value (algorithms/rounding_cases.hpp), and random operands: any bit pattern,
// ordinary magnitudes, subnormals.
struct Operands {
  std::vector<float> a, b;
};
Operands hard_operands(std::size_t count, std::uint64_t seed);

struct CheckResult {
  std::string name;       // "divide", "sqrt", "sum", ...
  std::size_t values = 0;
  std::size_t differing = 0;  // elements whose bits differ from the reference
  std::string first_difference;  // "a / b: gpu 0x... reference 0x..." for the first one
};

// Runs divide, sqrt and the three reductions on `count` operands.
std::vector<CheckResult> self_check(runtime::Context& context, std::size_t count, std::uint64_t seed = 1);

}  // namespace vulkanite::algorithms
