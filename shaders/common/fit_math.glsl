// The arithmetic of the Levenberg–Marquardt fit, identical on every Vulkan device: add, subtract
// and multiply are `precise` (correctly rounded, never contracted to fma) and flush subnormals
// and -0 to +0; reciprocal, reciprocal square root, exp, log, sin and cos are fixed sequences of
// those and of exact integer operations (GLSL's own exp, log, sin, cos and division are not
// correctly rounded, so each device would round its own way). Not correctly rounded themselves:
// docs/fit.md gives their measured error.
//
// Twin: reference/fit_math.hpp, line for line. Tests: tests/fit_test.cpp.
#ifndef VULKANITE_FIT_MATH_GLSL
#define VULKANITE_FIT_MATH_GLSL

#include "common/exact_math.glsl"

bool is_finite(float x) { return (floatBitsToUint(x) & kInfinityBits) != kInfinityBits; }
float pow2(int k) { return uintBitsToFloat(uint(k + 127) << 23); }

#ifdef VULKANITE_FIT_FAST
// Fast mode (FitSettings::exact false): the device's own arithmetic, free to fuse multiply-adds,
// keep subnormals and use its exp, log, division and square roots, as Gpufit does. Every
// operation above costs one instruction instead of three or more, and the transcendental ones a
// few instead of dozens; the results agree with the reference to rounding, not to the bit
// (tests/fit_test.cpp measures how closely). sin and cos keep the sequence below, in these
// operations: the GLSL ones are only required to be within 2^-11 of the truth.
float fadd(float a, float b) { return a + b; }
float fsub(float a, float b) { return a - b; }
float fmul(float a, float b) { return a * b; }
float fit_div(float a, float b) { return a / b; }
float fit_sqrt(float x) { return sqrt(x); }
float fit_rcp(float x) { return 1.0 / x; }
float fit_rsqrt(float x) { return x > 0.0 ? inversesqrt(x) : uintBitsToFloat(kCanonicalNan); }
float fit_exp(float x) { return exp(x); }
float fit_log(float x) {
  if (x > 0.0) return log(x);
  return x == 0.0 ? uintBitsToFloat(kSignBit | kInfinityBits) : uintBitsToFloat(kCanonicalNan);
}
#else
float fadd(float a, float b) {
  precise float r = a + b;
  return ftz(r);
}
float fsub(float a, float b) {
  precise float r = a - b;
  return ftz(r);
}
float fmul(float a, float b) {
  precise float r = a * b;
  return ftz(r);
}

float fit_div(float a, float b) { return ftz(cr_div(a, b)); }
float fit_sqrt(float x) { return cr_sqrt(x); }

float fit_rcp(float x) {
  x = ftz(x);
  uint bits = floatBitsToUint(x);
  uint sign = bits & kSignBit, magnitude = bits & 0x7fffffffu;
  if (magnitude > kInfinityBits) return uintBitsToFloat(kCanonicalNan);
  if (magnitude == 0u) return uintBitsToFloat(sign | kInfinityBits);
  if (magnitude == kInfinityBits) return 0.0;
  int e = int(magnitude >> 23) - 127;
  if (e >= 127) return 0.0;
  float m = uintBitsToFloat((magnitude & 0x7fffffu) | 0x3f000000u);
  float y = fsub(uintBitsToFloat(0x4034b4b5u), fmul(uintBitsToFloat(0x3ff0f0f1u), m));
  for (int i = 0; i < 3; ++i) y = fmul(y, fsub(2.0, fmul(m, y)));
  float r = fmul(fmul(y, 0.5), pow2(-e));
  return sign != 0u ? -r : r;
}

float fit_rsqrt(float x) {
  x = ftz(x);
  uint bits = floatBitsToUint(x);
  if (!(x > 0.0)) return uintBitsToFloat(kCanonicalNan);
  if (bits == kInfinityBits) return 0.0;
  int e = int(bits >> 23) - 127;
  float m = uintBitsToFloat((bits & 0x7fffffu) | 0x3f800000u);
  if ((e & 1) != 0) {
    m = fmul(m, 2.0);
    e -= 1;
  }
  float y = fsub(uintBitsToFloat(0x3f8872b0u), fmul(uintBitsToFloat(0x3e1ba5e3u), m));
  for (int i = 0; i < 4; ++i) y = fmul(y, fsub(1.5, fmul(0.5, fmul(fmul(m, y), y))));
  return fmul(y, pow2(-(e / 2)));
}

float fit_exp(float x) {
  x = ftz(x);
  if (isnan(x)) return uintBitsToFloat(kCanonicalNan);
  if (x > uintBitsToFloat(0x42b17218u)) return uintBitsToFloat(kInfinityBits);
  if (x < uintBitsToFloat(0xc2aeac50u)) return 0.0;
  float k = floor(fadd(fmul(x, uintBitsToFloat(0x3fb8aa3bu)), 0.5));
  float r = fsub(fsub(x, fmul(k, uintBitsToFloat(0x3f317200u))), fmul(k, uintBitsToFloat(0x35bfbe8eu)));
  float p = uintBitsToFloat(0x39500d01u);
  p = fadd(fmul(p, r), uintBitsToFloat(0x3ab60b61u));
  p = fadd(fmul(p, r), uintBitsToFloat(0x3c088889u));
  p = fadd(fmul(p, r), uintBitsToFloat(0x3d2aaaabu));
  p = fadd(fmul(p, r), uintBitsToFloat(0x3e2aaaabu));
  p = fadd(fmul(p, r), 0.5);
  p = fmul(fmul(p, r), r);
  p = fadd(1.0, fadd(r, p));
  int ki = int(k);
  if (ki > 127) return fmul(fmul(p, pow2(127)), pow2(ki - 127));
  if (ki < -126) return fmul(fmul(p, pow2(-126)), pow2(ki + 126));
  return fmul(p, pow2(ki));
}

float fit_log(float x) {
  x = ftz(x);
  uint bits = floatBitsToUint(x);
  if (isnan(x) || x < 0.0) return uintBitsToFloat(kCanonicalNan);
  if (x == 0.0) return uintBitsToFloat(kSignBit | kInfinityBits);
  if (bits == kInfinityBits) return x;
  int e = int(bits >> 23) - 127;
  float m = uintBitsToFloat((bits & 0x7fffffu) | 0x3f800000u);
  if (m > uintBitsToFloat(0x3fb504f3u)) {
    m = fmul(m, 0.5);
    e += 1;
  }
  float f = fsub(m, 1.0);
  float s = fmul(f, fit_rcp(fadd(2.0, f)));
  float z = fmul(s, s);
  float series = uintBitsToFloat(0x3e3a2e8cu);
  series = fadd(fmul(series, z), uintBitsToFloat(0x3e638e39u));
  series = fadd(fmul(series, z), uintBitsToFloat(0x3e924925u));
  series = fadd(fmul(series, z), uintBitsToFloat(0x3ecccccdu));
  series = fadd(fmul(series, z), uintBitsToFloat(0x3f2aaaabu));
  series = fmul(fmul(series, z), s);
  float ln_m = fadd(fadd(s, s), series);
  return fadd(fmul(float(e), uintBitsToFloat(0x3f317218u)), ln_m);
}

#endif

// .x sin, .y cos.
vec2 fit_sincos(float x) {
  x = ftz(x);
  if (!is_finite(x)) return vec2(uintBitsToFloat(kCanonicalNan));
  float k = floor(fadd(fmul(x, uintBitsToFloat(0x3f22f983u)), 0.5));
  float r = fsub(x, fmul(k, uintBitsToFloat(0x3fc90000u)));
  r = fsub(r, fmul(k, uintBitsToFloat(0x39fd0000u)));
  r = fsub(r, fmul(k, uintBitsToFloat(0x35aa2217u)));
  float z = fmul(r, r);
  float s = uintBitsToFloat(0x32d7322bu);
  s = fsub(uintBitsToFloat(0x3638ef1du), fmul(s, z));
  s = fsub(uintBitsToFloat(0x39500d01u), fmul(s, z));
  s = fsub(uintBitsToFloat(0x3c088889u), fmul(s, z));
  s = fsub(uintBitsToFloat(0x3e2aaaabu), fmul(s, z));
  s = fsub(r, fmul(fmul(s, z), r));
  float c = uintBitsToFloat(0x3493f27eu);
  c = fsub(uintBitsToFloat(0x37d00d01u), fmul(c, z));
  c = fsub(uintBitsToFloat(0x3ab60b61u), fmul(c, z));
  c = fsub(uintBitsToFloat(0x3d2aaaabu), fmul(c, z));
  c = fsub(0.5, fmul(c, z));
  c = fsub(1.0, fmul(c, z));
  uint quadrant = uint(int(k)) & 3u;
  if (quadrant == 0u) return vec2(s, c);
  if (quadrant == 1u) return vec2(c, ftz(-s));
  if (quadrant == 2u) return vec2(ftz(-s), ftz(-c));
  return vec2(ftz(-c), s);
}

#endif
