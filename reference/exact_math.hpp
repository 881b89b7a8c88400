#pragma once
// CPU twin of shaders/common/exact_math.glsl. The CPU's own IEEE 754 division and square root
// are correctly rounded, so they are the specification the shader's integer code must meet.
// Requires the default floating-point environment (no flush-to-zero, no -ffast-math).
#include <bit>
#include <cmath>
#include <cstdint>

namespace vulkanite::reference {

inline constexpr std::uint32_t kCanonicalNan = 0x7fc00000u;

inline float canonical(float x) {
  return std::isnan(x) ? std::bit_cast<float>(kCanonicalNan) : x;
}

// Subnormals and -0 become +0 (the shader's ftz).
inline float ftz(float x) {
  return (std::bit_cast<std::uint32_t>(x) & 0x7f800000u) == 0 ? 0.0f : x;
}

inline float cr_div(float a, float b) { return canonical(a / b); }
inline float cr_sqrt(float x) { return canonical(std::sqrt(x)); }

// True when the CPU flushes subnormals (MXCSR FTZ/DAZ set, e.g. by -ffast-math startup code):
// then this twin no longer computes IEEE results, and tests say so instead of failing obscurely.
bool cpu_flushes_subnormals();

}  // namespace vulkanite::reference
