#pragma once
// Operands whose exact quotient or square root lies a tiny fraction of an ULP away from a
// rounding midpoint or from a representable value: the cases that a division or square root
// which is only "almost" correctly rounded gets wrong, and that random operands almost never
// hit (a random quotient falls within 2^-20 ULP of a midpoint about once in 500 000 tries).
//
// Built by number theory rather than search. Normal quotients: X * 2^s = T * Y + r with 24-bit
// significands X, Y, an odd target T (a midpoint for s = 24, a representable value for
// s = 23) and a small r != 0, solved for Y modulo 2^s. Subnormal quotients, where exact ties
// exist: odd multiples of 2^-149 halved, exactly or with a divisor one ULP off. Roots:
// m^2 = X * 2^s + r with m odd, solved for m by Hensel lifting modulo 2^s.
#include <cstdint>
#include <vector>

namespace vulkanite::algorithms {

struct RoundingCases {
  std::vector<float> a, b;  // a / b for quotients; sqrt(a) for roots (b empty)
};

// In turn: near a normal midpoint, near a normal representable value, an exact subnormal tie,
// near a subnormal tie (so a quarter of each).
RoundingCases near_tie_quotients(std::size_t count, std::uint64_t seed);
RoundingCases near_tie_roots(std::size_t count, std::uint64_t seed);

}  // namespace vulkanite::algorithms
