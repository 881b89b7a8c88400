#include "algorithms/rounding_cases.hpp"

#include <cmath>
#include <random>

namespace vulkanite::algorithms {
namespace {

constexpr std::uint64_t kTop = 1ull << 23;  // the leading bit of a 24-bit significand

// q^-1 modulo 2^64 for odd q (Newton's iteration doubles the correct bits each step).
std::uint64_t inverse_mod_2_64(std::uint64_t q) {
  std::uint64_t inverse = q;  // correct to 3 bits for odd q
  for (int i = 0; i < 5; ++i) inverse *= 2 - q * inverse;
  return inverse;
}

// An s with s^2 = r modulo 2^bits, for r = 1 modulo 8 (r may be negative, as two's complement).
std::uint64_t sqrt_mod_2_n(std::uint64_t r, int bits) {
  std::uint64_t s = 1;
  for (int k = 3; k < bits; ++k)
    if (((s * s - r) >> k) & 1) s += 1ull << (k - 1);
  return s & ((1ull << bits) - 1);
}

float make(std::uint64_t significand, int exponent, bool negative) {
  const float magnitude = std::ldexp(static_cast<float>(significand), exponent);  // exact: 24 bits
  return negative ? -magnitude : magnitude;
}

}  // namespace

namespace {

// X / Y within 2^-16 ULP of an odd multiple of half an ULP (a midpoint, s = 24) or of a whole
// ULP (a representable value, s = 23), both normal.
std::pair<std::uint64_t, std::uint64_t> normal_near_tie(std::mt19937_64& rng, int s) {
  std::uniform_int_distribution<std::int64_t> small(-64, 64);
  const std::uint64_t mask = (1ull << s) - 1;
  for (;;) {
    // T odd with s + 1 bits: T / 2^s in [1, 2) is a midpoint of the 24-bit grid or on it.
    const std::uint64_t target = (1ull << s) | (rng() & mask) | 1;
    const std::int64_t r = small(rng);
    if (r == 0) continue;  // an exact midpoint is impossible for a quotient of two normal floats
    std::uint64_t y = (0 - static_cast<std::uint64_t>(r)) * inverse_mod_2_64(target) & mask;
    if (s == 23) y |= kTop;  // Y is fixed modulo 2^23 only: choose the 24-bit one
    if (y < kTop || y >= 2 * kTop) continue;
    const std::uint64_t product = target * y + static_cast<std::uint64_t>(r);  // = X * 2^s exactly
    const std::uint64_t x = product >> s;
    if ((product & mask) == 0 && x >= kTop && x < 2 * kTop) return {x, y};
  }
}

}  // namespace

RoundingCases near_tie_quotients(std::size_t count, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<int> exponent(-50, 50), shift(0, 100), near_shift(0, 60);
  std::uniform_int_distribution<std::uint64_t> odd(0, kTop - 1), small_odd(0, 511);
  RoundingCases cases;
  for (std::size_t i = 0; cases.a.size() < count; ++i) {
    const bool negative = rng() & 1;
    switch (i % 4) {
      case 0:
      case 1: {  // normal results near a midpoint (0) or a representable value (1)
        const auto [x, y] = normal_near_tie(rng, i % 4 == 0 ? 24 : 23);
        cases.a.push_back(make(x, exponent(rng), negative));
        cases.b.push_back(make(y, exponent(rng), rng() & 1));
        break;
      }
      case 2: {  // subnormal results exactly halfway: n * 2^-149 * 2^j / 2^(j+1), n odd
        const int j = shift(rng);
        cases.a.push_back(make(2 * odd(rng) + 1, j - 149, negative));
        cases.b.push_back(make(1, j + 1, false));
        break;
      }
      default: {  // within 2^-14 of such a tie: the divisor one ULP off a power of two, n < 2^10
        const int j = near_shift(rng);
        cases.a.push_back(make(2 * small_odd(rng) + 1, j - 149, negative));
        const bool below = rng() & 1;  // 2^(j+1) (1 - 2^-24) or 2^(j+1) (1 + 2^-23)
        cases.b.push_back(below ? make(2 * kTop - 1, j + 1 - 24, false) : make(kTop + 1, j + 1 - 23, false));
        break;
      }
    }
  }
  return cases;
}

RoundingCases near_tie_roots(std::size_t count, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<std::int64_t> small(-(1 << 12), 1 << 12);  // |r| < 2^15: < 2^-11 ULP off
  std::uniform_int_distribution<int> half_exponent(-60, 50);
  RoundingCases cases;
  while (cases.a.size() < count) {
    // m odd with 25 bits is a midpoint of the root's 24-bit grid; m^2 = X * 2^s + r. For s = 26,
    // x = X * 2^(2k) and sqrt(x) = m * 2^(k - 13); for s = 25, x = X * 2^(2k+1), sqrt = m * 2^(k - 12).
    const int s = rng() & 1 ? 26 : 25;
    const std::int64_t r = small(rng) * 8 + 1;  // odd squares are 1 modulo 8
    const std::uint64_t root = sqrt_mod_2_n(static_cast<std::uint64_t>(r), s);
    const std::uint64_t modulus = 1ull << s, half = modulus >> 1;
    // The four roots modulo 2^s: +-root, +-root + 2^(s-1). Take a random one that fits.
    std::uint64_t m = (rng() & 1 ? root : modulus - root) & (modulus - 1);
    if (rng() & 1) m = (m + half) & (modulus - 1);
    const std::uint64_t square = m * m;  // < 2^52
    const std::uint64_t x = (square - static_cast<std::uint64_t>(r)) >> s;
    if (((square - static_cast<std::uint64_t>(r)) & (modulus - 1)) != 0 || x < kTop || x >= 2 * kTop) continue;
    const int k = half_exponent(rng);
    cases.a.push_back(make(x, s == 26 ? 2 * k : 2 * k + 1, false));
  }
  return cases;
}

}  // namespace vulkanite::algorithms
