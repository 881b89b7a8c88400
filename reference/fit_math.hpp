#pragma once
// CPU twin of shaders/common/fit_math.glsl: the arithmetic of the Levenberg–Marquardt fit.
//
// float (the exact mode): every operation is a correctly rounded IEEE add, subtract or multiply
// followed by a flush of subnormals and -0 to +0 (devices disagree on subnormals, so the fit never
// lets one survive). Reciprocal, reciprocal square root, exp, log, sin and cos are fixed sequences
// of those operations and of exact integer operations on the bit patterns, so the shader and this
// file round identically at every step. They are not correctly rounded (see docs/fit.md for their
// measured error), but they are the same bits on every device.
//
// double (the accurate mode, CPU only): the same functions on plain IEEE double with the C library's
// exp, log, sin, cos; for NIST-grade fits where bit identity with a GPU is not the point.
#include "reference/exact_math.hpp"

#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>

namespace vulkanite::reference::fit_math {

inline float from_bits(std::uint32_t b) { return std::bit_cast<float>(b); }
inline std::uint32_t to_bits(float f) { return std::bit_cast<std::uint32_t>(f); }

// The flushed operations (GLSL: fadd, fsub, fmul with `precise`).
inline float fadd(float a, float b) { return ftz(a + b); }
inline float fsub(float a, float b) { return ftz(a - b); }
inline float fmul(float a, float b) { return ftz(a * b); }
inline double fadd(double a, double b) { return a + b; }
inline double fsub(double a, double b) { return a - b; }
inline double fmul(double a, double b) { return a * b; }

// Inputs enter the fit flushed (float) or as they are (double).
inline float flush(float x) { return ftz(x); }
inline double flush(double x) { return x; }

// Correctly rounded division and square root: the integer routines of exact_math on the GPU.
inline float exact_div(float a, float b) { return cr_div(a, b); }
inline float exact_sqrt(float x) { return cr_sqrt(x); }
inline double exact_div(double a, double b) { return a / b; }
inline double exact_sqrt(double x) { return std::sqrt(x); }

inline bool is_finite(float x) { return (to_bits(x) & 0x7f800000u) != 0x7f800000u; }
inline bool is_finite(double x) { return std::isfinite(x); }

// x * 2^k for a normal power 2^k (-126 <= k <= 127), built from its bits: exact unless the
// product leaves the normal range, where fmul's rounding and flush decide, as on the GPU.
inline float pow2(int k) { return from_bits(static_cast<std::uint32_t>(k + 127) << 23); }

// 1 / x: a linear first guess on the significand m in [1/2, 1) (relative error <= 1/17), three
// Newton steps y (2 - m y), then the exponent. Within 1 ULP of the correctly rounded value on [FLT_MIN, FLT_MAX].
inline float fit_rcp(float x) {
  x = ftz(x);
  const std::uint32_t bits = to_bits(x);
  const std::uint32_t sign = bits & 0x80000000u, magnitude = bits & 0x7fffffffu;
  if (magnitude > 0x7f800000u) return from_bits(kCanonicalNan);
  if (magnitude == 0u) return from_bits(sign | 0x7f800000u);
  if (magnitude == 0x7f800000u) return 0.0f;
  const int e = static_cast<int>(magnitude >> 23) - 127;  // x = +-m 2^(e+1), m in [1/2, 1)
  if (e >= 127) return 0.0f;  // 1/x < 2^-127: subnormal, flushed
  const float m = from_bits((magnitude & 0x7fffffu) | 0x3f000000u);
  float y = fsub(from_bits(0x4034b4b5u), fmul(from_bits(0x3ff0f0f1u), m));  // 48/17 - 32/17 m
  for (int i = 0; i < 3; ++i) y = fmul(y, fsub(2.0f, fmul(m, y)));
  const float r = fmul(fmul(y, 0.5f), pow2(-e));
  return sign != 0u ? -r : r;
}
inline double fit_rcp(double x) { return 1.0 / x; }

// 1 / sqrt(x) for x > 0: x = m 4^h with m in [1, 4), a linear first guess (error <= 0.087), four
// Newton steps y (1.5 - 0.5 m y y), then 2^-h. NaN for x <= 0 or NaN, 0 for +inf.
inline float fit_rsqrt(float x) {
  x = ftz(x);
  const std::uint32_t bits = to_bits(x);
  if (!(x > 0.0f)) return from_bits(kCanonicalNan);
  if (bits == 0x7f800000u) return 0.0f;
  int e = static_cast<int>(bits >> 23) - 127;
  float m = from_bits((bits & 0x7fffffu) | 0x3f800000u);
  if ((e & 1) != 0) {  // odd exponent: m in [2, 4)
    m = fmul(m, 2.0f);
    e -= 1;
  }
  float y = fsub(from_bits(0x3f8872b0u), fmul(from_bits(0x3e1ba5e3u), m));  // 1.066 - 0.152 m
  for (int i = 0; i < 4; ++i) y = fmul(y, fsub(1.5f, fmul(0.5f, fmul(fmul(m, y), y))));
  return fmul(y, pow2(-(e / 2)));
}
inline double fit_rsqrt(double x) { return 1.0 / std::sqrt(x); }

// e^x: k = round(x / ln 2), r = x - k ln 2 in two parts (Cody and Waite; k ln2_hi is exact),
// e^r by its Taylor polynomial of degree 7 (truncation < 0.1 ULP on |r| <= ln2/2), times 2^k.
// Results below FLT_MIN are 0, above FLT_MAX +inf.
inline float fit_exp(float x) {
  x = ftz(x);
  if (std::isnan(x)) return from_bits(kCanonicalNan);
  if (x > from_bits(0x42b17218u)) return std::numeric_limits<float>::infinity();
  if (x < from_bits(0xc2aeac50u)) return 0.0f;  // e^x < FLT_MIN
  const float k = std::floor(fadd(fmul(x, from_bits(0x3fb8aa3bu)), 0.5f));  // x log2(e) + 0.5
  const float r = fsub(fsub(x, fmul(k, from_bits(0x3f317200u))), fmul(k, from_bits(0x35bfbe8eu)));
  float p = from_bits(0x39500d01u);                   // 1/7!
  p = fadd(fmul(p, r), from_bits(0x3ab60b61u));       // 1/6!
  p = fadd(fmul(p, r), from_bits(0x3c088889u));       // 1/5!
  p = fadd(fmul(p, r), from_bits(0x3d2aaaabu));       // 1/4!
  p = fadd(fmul(p, r), from_bits(0x3e2aaaabu));       // 1/3!
  p = fadd(fmul(p, r), 0.5f);
  p = fmul(fmul(p, r), r);                            // r^2 (1/2 + r/6 + ...)
  p = fadd(1.0f, fadd(r, p));
  const int ki = static_cast<int>(k);
  if (ki > 127) return fmul(fmul(p, pow2(127)), pow2(ki - 127));
  if (ki < -126) return fmul(fmul(p, pow2(-126)), pow2(ki + 126));
  return fmul(p, pow2(ki));
}
inline double fit_exp(double x) { return std::exp(x); }

// ln x for x > 0: x = m 2^e with m in [sqrt(2)/2, sqrt(2)), ln m = 2 atanh(s), s = (m-1)/(m+1),
// by its series to s^11; the quotient by fit_rcp. -inf for 0, NaN below, +inf for +inf.
inline float fit_log(float x) {
  x = ftz(x);
  const std::uint32_t bits = to_bits(x);
  if (std::isnan(x) || x < 0.0f) return from_bits(kCanonicalNan);
  if (x == 0.0f) return -std::numeric_limits<float>::infinity();
  if (bits == 0x7f800000u) return x;
  int e = static_cast<int>(bits >> 23) - 127;
  float m = from_bits((bits & 0x7fffffu) | 0x3f800000u);
  if (m > from_bits(0x3fb504f3u)) {  // sqrt(2)
    m = fmul(m, 0.5f);
    e += 1;
  }
  const float f = fsub(m, 1.0f);
  const float s = fmul(f, fit_rcp(fadd(2.0f, f)));
  const float z = fmul(s, s);
  float series = from_bits(0x3e3a2e8cu);                    // 2/11
  series = fadd(fmul(series, z), from_bits(0x3e638e39u));   // 2/9
  series = fadd(fmul(series, z), from_bits(0x3e924925u));   // 2/7
  series = fadd(fmul(series, z), from_bits(0x3ecccccdu));   // 2/5
  series = fadd(fmul(series, z), from_bits(0x3f2aaaabu));   // 2/3
  series = fmul(fmul(series, z), s);                        // s^3 (2/3 + ...)
  const float ln_m = fadd(fadd(s, s), series);
  return fadd(fmul(static_cast<float>(e), from_bits(0x3f317218u)), ln_m);  // e ln 2 + ln m
}
inline double fit_log(double x) { return std::log(x); }

// sin and cos: k = round(x 2/pi), r = x - k pi/2 in three parts (exact for |k| < 2^16, so
// accurate for |x| below about 10^5), Taylor polynomials to r^11 and r^10 on |r| <= pi/4, and the
// quadrant k mod 4.
struct SinCos {
  float sin, cos;
};
inline SinCos fit_sincos(float x) {
  x = ftz(x);
  if (!is_finite(x)) return {from_bits(kCanonicalNan), from_bits(kCanonicalNan)};
  const float k = std::floor(fadd(fmul(x, from_bits(0x3f22f983u)), 0.5f));  // x 2/pi + 0.5
  float r = fsub(x, fmul(k, from_bits(0x3fc90000u)));
  r = fsub(r, fmul(k, from_bits(0x39fd0000u)));
  r = fsub(r, fmul(k, from_bits(0x35aa2217u)));
  const float z = fmul(r, r);
  float s = from_bits(0x32d7322bu);                // 1/11!
  s = fsub(from_bits(0x3638ef1du), fmul(s, z));    // 1/9! - ...
  s = fsub(from_bits(0x39500d01u), fmul(s, z));    // 1/7!
  s = fsub(from_bits(0x3c088889u), fmul(s, z));    // 1/5!
  s = fsub(from_bits(0x3e2aaaabu), fmul(s, z));    // 1/3!
  s = fsub(r, fmul(fmul(s, z), r));                // r - r^3 (1/3! - ...)
  float c = from_bits(0x3493f27eu);                // 1/10!
  c = fsub(from_bits(0x37d00d01u), fmul(c, z));    // 1/8!
  c = fsub(from_bits(0x3ab60b61u), fmul(c, z));    // 1/6!
  c = fsub(from_bits(0x3d2aaaabu), fmul(c, z));    // 1/4!
  c = fsub(0.5f, fmul(c, z));                      // 1/2!
  c = fsub(1.0f, fmul(c, z));
  // k is an integral float with |k| < 2^24: its quadrant from the low bits of the integer.
  const auto quadrant = static_cast<std::uint32_t>(static_cast<std::int32_t>(k)) & 3u;
  if (quadrant == 0u) return {s, c};
  if (quadrant == 1u) return {c, ftz(-s)};
  if (quadrant == 2u) return {ftz(-s), ftz(-c)};
  return {ftz(-c), s};
}
struct SinCosD {
  double sin, cos;
};
inline SinCosD fit_sincos(double x) { return {std::sin(x), std::cos(x)}; }

}  // namespace vulkanite::reference::fit_math
