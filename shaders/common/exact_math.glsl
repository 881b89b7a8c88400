// Exact float32 arithmetic for any conforming Vulkan device.
//
// Vulkan guarantees correct rounding for float add, subtract and multiply only: division may be
// off by 2.5 ULP and sqrt is derived from inversesqrt, and whether subnormals are flushed is up
// to the device (llvmpipe advertises neither preserving nor flushing). These functions work on
// the bit patterns with integer arithmetic, which is exact everywhere, and so return what IEEE
// 754 binary32 with round-to-nearest-even returns, subnormal inputs and outputs included.
// NaN results are always the canonical quiet NaN 0x7fc00000.
//
// Twin: reference/exact_math.hpp (cr_div, cr_sqrt, ftz, canonical). Tests: tests/exact_math_test.cpp.
#ifndef VULKANITE_EXACT_MATH_GLSL
#define VULKANITE_EXACT_MATH_GLSL

const uint kCanonicalNan = 0x7fc00000u;
const uint kSignBit = 0x80000000u;
const uint kInfinityBits = 0x7f800000u;

bool bits_is_nan(uint bits) { return (bits & 0x7fffffffu) > kInfinityBits; }

// NaN -> canonical quiet NaN; every other value unchanged. Devices differ in the NaN payloads they
// produce, so outputs that may be NaN go through this before they are compared or stored.
float canonical(float x) {
  uint bits = floatBitsToUint(x);
  return uintBitsToFloat(bits_is_nan(bits) ? kCanonicalNan : bits);
}

// Flush to zero: subnormals and -0 become +0. Used where a sum may fall below FLT_MIN, so that
// devices that flush and devices that do not give the same bits.
float ftz(float x) {
  uint bits = floatBitsToUint(x);
  return (bits & kInfinityBits) == 0u ? 0.0 : x;
}

// Rounds sign * sig * 2^(exponent - 127 - 26) to binary32, nearest-even; `sig` holds its leading
// one at bit 26 (27 significant bits) and `sticky` says whether anything non-zero lay below it.
uint round_pack(uint sign, int exponent, uint sig, bool sticky) {
  if (exponent >= 255) return sign | kInfinityBits;
  int shift = exponent >= 1 ? 3 : 3 + (1 - exponent);  // subnormal results lose more bits
  if (shift > 27) return sign;                            // below half the smallest subnormal
  uint kept = sig >> uint(shift);
  uint rest = sig & ((1u << uint(shift)) - 1u);
  uint midpoint = 1u << uint(shift - 1);
  if (rest > midpoint || (rest == midpoint && (sticky || (kept & 1u) != 0u))) kept += 1u;
  if (exponent < 1) return sign | kept;  // kept == 1 << 23 is the smallest normal, as it should be
  if (kept == (1u << 24)) {              // rounding carried into a new binade
    kept >>= 1;
    exponent += 1;
    if (exponent >= 255) return sign | kInfinityBits;
  }
  return sign | (uint(exponent) << 23) | (kept & 0x7fffffu);
}

// Splits a finite non-zero magnitude into a 24-bit significand with its leading one at bit 23
// and a biased exponent that may drop below 1 for subnormals.
void unpack(uint bits, out uint significand, out int exponent) {
  uint field = (bits >> 23) & 0xffu;
  significand = bits & 0x7fffffu;
  if (field == 0u) {
    int shift = 23 - findMSB(significand);
    significand <<= uint(shift);
    exponent = 1 - shift;
  } else {
    significand |= 0x800000u;
    exponent = int(field);
  }
}

#ifdef VULKANITE_OFF_ESTIMATES
// Test builds only (tests/CMakeLists.txt): llvmpipe's division and square root are exact, so
// there the fast paths below would never correct anything. This pushes their estimate off by up
// to 4 units for half of the operands (the corrections run), by up to 4096 for a quarter (the
// long paths run), and leaves the rest.
uint off_estimate(uint estimate, uint seed) {
  uint h = seed * 2654435761u;
  uint kind = h >> 30;
  if (kind < 2u) return estimate + uint(int((h >> 12) % 9u) - 4);
  if (kind == 2u) return estimate + uint(int((h >> 8) & 0x1fffu) - 4096);
  return estimate;
}
#else
uint off_estimate(uint estimate, uint seed) { return estimate; }
#endif

// The remainder target - product, where both are 64-bit (hi:lo) and the caller's estimate makes
// the difference small: `fits` says whether it fits in an int (then `rest` is it, exactly).
// This keeps the fast paths below exact whatever the device's estimate was worth.
int remainder_of(uint target_hi, uint target_lo, uint product_hi, uint product_lo, out bool fits) {
  uint rest_hi = target_hi - product_hi - (target_lo < product_lo ? 1u : 0u);
  int rest = int(target_lo - product_lo);
  fits = (rest_hi == 0u && rest >= 0) || (rest_hi == 0xffffffffu && rest < 0);
  return rest;
}

// a / b, correctly rounded.
//
// Fast path, for normal results: the device's own division estimates the 24-bit quotient q of the
// significands (Vulkan allows it 2.5 ulp, so q is off by 3 at most), and exact integer arithmetic
// settles it: the remainder dividend 2^23 - q divisor moves q onto the floor, then rounds it.
// About 30 instructions instead of the 26 rounds of the long division below, which stays for
// subnormal and overflowing results and for an estimate worse than the spec allows.
float cr_div(float a, float b) {
  uint x = floatBitsToUint(a), y = floatBitsToUint(b);
  uint sign = (x ^ y) & kSignBit;
  uint ax = x & 0x7fffffffu, ay = y & 0x7fffffffu;
  if (bits_is_nan(x) || bits_is_nan(y)) return uintBitsToFloat(kCanonicalNan);
  // a / 1 = a exactly: skips the long division for the usual normalization of 1 (no corrections).
  if (y == 0x3f800000u) return a;
  if ((ax == kInfinityBits && ay == kInfinityBits) || (ax == 0u && ay == 0u))
    return uintBitsToFloat(kCanonicalNan);
  if (ax == kInfinityBits || ay == 0u) return uintBitsToFloat(sign | kInfinityBits);
  if (ax == 0u || ay == kInfinityBits) return uintBitsToFloat(sign);

  uint ma, mb;
  int ea, eb;
  unpack(ax, ma, ea);
  unpack(ay, mb, eb);
  int exponent = ea - eb + 127;
  uint remainder = ma;
  if (ma < mb) {  // quotient below 1: take one more bit of the dividend
    remainder <<= 1;
    exponent -= 1;
  }
  if (exponent >= 1 && exponent <= 254) {
    uint q = off_estimate(uint(float(remainder) / float(mb) * 8388608.0), x ^ (y * 3u));  // 2^23; exact operands
    uint product_hi, product_lo;
    umulExtended(q, mb, product_hi, product_lo);
    bool fits;
    int rest = remainder_of(remainder >> 9, remainder << 23, product_hi, product_lo, fits);
    for (int i = 0; i < 4 && fits && rest < 0; ++i) {
      q -= 1u;
      rest += int(mb);
    }
    for (int i = 0; i < 4 && fits && rest >= int(mb); ++i) {
      q += 1u;
      rest -= int(mb);
    }
    if (fits && rest >= 0 && rest < int(mb)) {  // q = floor(dividend 2^23 / divisor), rest its remainder
      uint twice = uint(rest) << 1;  // the exact quotient is never a midpoint: ties cannot occur
      if (twice > mb || (twice == mb && (q & 1u) != 0u)) q += 1u;
      int e = exponent;
      if (q == (1u << 24)) {
        q >>= 1;
        e += 1;
      }
      if (e <= 254) return uintBitsToFloat(sign | (uint(e) << 23) | (q & 0x7fffffu));
    }
  }
  // Restoring long division: 1 integer bit and 26 fraction bits; the remainder stays < 2^25.
  uint quotient = 1u;
  remainder -= mb;
  for (int i = 0; i < 26; ++i) {
    remainder <<= 1;
    quotient <<= 1;
    if (remainder >= mb) {
      remainder -= mb;
      quotient |= 1u;
    }
  }
  return uintBitsToFloat(round_pack(sign, exponent, quotient, remainder != 0u));
}

// sqrt(x), correctly rounded; sqrt(-0) = -0, sqrt(x < 0) = NaN.
//
// Fast path, as for cr_div: with value = m 2^k (m the 24-bit significand) and N = m 2^s (s = 23 or
// 24, so that k - s is even and N lies in [2^46, 2^48)), the device's square root estimates the
// 24-bit root r = floor(sqrt(N)), and the exact remainder N - r^2 corrects it and rounds it (the
// root is never a midpoint: (r + 1/2)^2 is not an integer). The digit-by-digit root below stays for
// an estimate worse than a few units.
float cr_sqrt(float value) {
  uint x = floatBitsToUint(value);
  if (bits_is_nan(x)) return uintBitsToFloat(kCanonicalNan);
  if ((x & 0x7fffffffu) == 0u) return value;  // +-0
  if ((x & kSignBit) != 0u) return uintBitsToFloat(kCanonicalNan);
  if (x == kInfinityBits) return value;

  uint m;
  int e;
  unpack(x, m, e);
  {
    int k = e - 150;
    uint s = (k & 1) == 0 ? 24u : 23u;
    uint r = off_estimate(uint(sqrt(float(m) * float(1u << s))), x);  // the argument is exactly N
    uint square_hi, square_lo;
    umulExtended(r, r, square_hi, square_lo);
    bool fits;
    int rest = remainder_of(m >> (32u - s), m << s, square_hi, square_lo, fits);
    for (int i = 0; i < 4 && fits && rest < 0; ++i) {
      r -= 1u;
      rest += int(2u * r + 1u);
    }
    for (int i = 0; i < 4 && fits && rest > int(2u * r); ++i) {
      rest -= int(2u * r + 1u);
      r += 1u;
    }
    if (fits && rest >= 0 && rest <= int(2u * r)) {  // r^2 <= N < (r + 1)^2
      if (rest > int(r)) r += 1u;                     // sqrt(N) >= r + 1/2
      int exponent = (k - int(s)) / 2 + 23 + 127;
      if (r == (1u << 24)) {
        r >>= 1;
        exponent += 1;
      }
      return uintBitsToFloat((uint(exponent) << 23) | (r & 0x7fffffu));
    }
  }
  // value = m * 2^k with k = e - 127 - 23; make k even so that sqrt(2^k) is exact.
  int k = e - 150;
  if ((k & 1) != 0) {
    m <<= 1;
    k -= 1;
  }
  // N = m * 2^30 (< 2^55) as hi:lo; its integer square root has 27 or 28 bits. Digit-by-digit,
  // two bits of N per step; the partial remainder stays below 2^29, so 32-bit words suffice.
  uint hi = m >> 2, lo = m << 30;
  uint root = 0u, remainder = 0u;
  for (int i = 27; i >= 0; --i) {
    int at = 2 * i;
    uint pair = at >= 32 ? (hi >> uint(at - 32)) & 3u : (lo >> uint(at)) & 3u;
    remainder = (remainder << 2) | pair;
    uint trial = (root << 2) | 1u;
    if (remainder >= trial) {
      remainder -= trial;
      root = (root << 1) | 1u;
    } else {
      root <<= 1;
    }
  }
  bool sticky = remainder != 0u;
  // sqrt(value) = root * 2^(k/2 - 15); bring the leading one to bit 26 for round_pack.
  int exponent = k / 2 - 15 + 26 + 127;
  if (root >= (1u << 27)) {
    sticky = sticky || (root & 1u) != 0u;
    root >>= 1;
    exponent += 1;
  }
  return uintBitsToFloat(round_pack(0u, exponent, root, sticky));
}

#endif
