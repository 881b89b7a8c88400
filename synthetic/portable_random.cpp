#include "synthetic/portable_random.hpp"

#include <array>
#include <bit>
#include <cfloat>
#include <cmath>
#include <limits>
#include <stdexcept>

// Same bits everywhere needs every double operation rounded to double (not x87's 80 bits).
static_assert(FLT_EVAL_METHOD == 0, "portable_random needs IEEE double evaluation (SSE2, NEON, ...)");

namespace vulkanite::synthetic {
namespace {

constexpr std::uint64_t kGolden = 0x9e3779b97f4a7c15ull;  // 2^64 / golden ratio, SplitMix64's step

// SplitMix64's output function (Stafford's "Mix13"): a bijection of 64-bit words.
constexpr std::uint64_t mix64(std::uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

// ln 2 split (Cody and Waite): the high part has 32 trailing zero bits, so k * kLn2Hi is exact for
// every exponent k a double can have.
constexpr double kLn2Hi = 6.93147180369123816490e-01;
constexpr double kLn2Lo = 1.90821492927058770002e-10;
constexpr double kInvLn2 = 1.44269504088896338700e+00;
constexpr double kSqrtHalf = 0.70710678118654752440;

}  // namespace

double portable_exp(double x) {
  if (!(x >= -745.2)) return std::isnan(x) ? x : 0.0;
  if (x > 709.78) return std::numeric_limits<double>::infinity();
  // x = k ln2 + r with |r| <= ln2 / 2; exp(r) by its Taylor series to degree 13 (the next term
  // is below 4e-18), evaluated by Estrin's scheme (short dependency chains); then times 2^k.
  const double k = std::floor(x * kInvLn2 + 0.5);
  const double r = (x - k * kLn2Hi) - k * kLn2Lo;
  constexpr std::array<double, 14> c{
      1.0,        1.0,         1.0 / 2,      1.0 / 6,       1.0 / 24,       1.0 / 120,       1.0 / 720,
      1.0 / 5040, 1.0 / 40320, 1.0 / 362880, 1.0 / 3628800, 1.0 / 39916800, 1.0 / 479001600, 1.0 / 6227020800.0};
  const double r2 = r * r, r4 = r2 * r2, r8 = r4 * r4;
  const double p01 = c[0] + c[1] * r, p23 = c[2] + c[3] * r, p45 = c[4] + c[5] * r, p67 = c[6] + c[7] * r;
  const double p89 = c[8] + c[9] * r, p1011 = c[10] + c[11] * r, p1213 = c[12] + c[13] * r;
  const double p03 = p01 + p23 * r2, p47 = p45 + p67 * r2, p811 = p89 + p1011 * r2;
  const double p = (p03 + p47 * r4) + (p811 + p1213 * r4) * r8;
  const int e = static_cast<int>(k);
  // 2^k built from its bits when it is a normal number: the product is then exact (or correctly
  // rounded), as ldexp's would be, without a call.
  if (e > -1022 && e < 1023) return p * std::bit_cast<double>(static_cast<std::uint64_t>(e + 1023) << 52);
  return std::ldexp(p, e);
}

double portable_log(double x) {
  if (!(x > 0.0) || std::isinf(x)) throw std::domain_error("portable_log: argument must be positive and finite");
  // x = m 2^e with m in [sqrt(1/2), sqrt(2)); log m = 2 atanh(s), s = (m - 1) / (m + 1), |s| < 0.172,
  // whose odd series in s converges to 1e-18 by s^21. m - 1 is exact (Sterbenz).
  int e = 0;
  double m = std::frexp(x, &e);
  if (m < kSqrtHalf) {
    m *= 2.0;
    --e;
  }
  const double s = (m - 1.0) / (m + 1.0);
  const double s2 = s * s;
  double series = 1.0 / 21.0;
  for (int n = 19; n >= 1; n -= 2) series = series * s2 + 1.0 / n;
  const double log_m = 2.0 * s * series;
  const double de = static_cast<double>(e);
  return de * kLn2Hi + (de * kLn2Lo + log_m);
}

double log_factorial(std::uint64_t k) {
  static const std::array<double, 16> table = [] {
    std::array<double, 16> t{};
    for (std::size_t i = 2; i < t.size(); ++i) t[i] = t[i - 1] + portable_log(static_cast<double>(i));
    return t;
  }();
  if (k < table.size()) return table[k];
  // Stirling's series for log Gamma(x), x = k + 1 >= 17: the first omitted term, 1 / (1188 x^9),
  // is below 1e-14, under 1e-15 of the result.
  const double x = static_cast<double>(k) + 1.0;
  const double inv = 1.0 / x, inv2 = inv * inv;
  constexpr double kHalfLogTwoPi = 0.91893853320467274178;
  const double correction = inv * (1.0 / 12.0 - inv2 * (1.0 / 360.0 - inv2 * (1.0 / 1260.0 - inv2 / 1680.0)));
  return (x - 0.5) * portable_log(x) - x + kHalfLogTwoPi + correction;
}

Rng Rng::stream(std::uint64_t seed, std::initializer_list<std::uint64_t> keys) {
  std::uint64_t h = mix64(seed + kGolden);
  for (const auto key : keys) h = mix64(h ^ mix64(key + 2 * kGolden));
  return Rng(h);
}

std::uint64_t Rng::next() {
  state_ += kGolden;
  return mix64(state_);
}

double Rng::uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }

double Rng::uniform_open() { return (static_cast<double>(next() >> 11) + 0.5) * 0x1.0p-53; }

double Rng::uniform(double low, double high) { return low + (high - low) * uniform(); }

std::uint64_t Rng::below(std::uint64_t n) {
  if (n == 0) throw std::invalid_argument("Rng::below: n must be positive");
  // 2^64 mod n: drawing again below it leaves a multiple of n equally likely values.
  const std::uint64_t threshold = (0 - n) % n;
  for (;;) {
    const std::uint64_t r = next();
    if (r >= threshold) return r % n;
  }
}

double Rng::normal() {
  // Marsaglia's polar method needs only log and sqrt (Box-Muller's sin and cos would bring back
  // the C library's rounding). The second variate is dropped so that a draw has no hidden state.
  for (;;) {
    const double u = 2.0 * uniform() - 1.0, v = 2.0 * uniform() - 1.0;
    const double s = u * u + v * v;
    if (s > 0.0 && s < 1.0) return u * std::sqrt(-2.0 * portable_log(s) / s);
  }
}

std::int64_t poisson(Rng& rng, double lambda) {
  if (!(lambda >= 0.0) || std::isinf(lambda)) throw std::invalid_argument("poisson: the mean must be finite and >= 0");
  if (lambda < 10.0) {
    // 1/k from a table: a multiplication in the loop's dependency chain instead of a division.
    static constexpr auto kInverse = [] {
      std::array<double, 64> t{};
      for (std::size_t k = 1; k < t.size(); ++k) t[k] = 1.0 / static_cast<double>(k);
      return t;
    }();
    double p = portable_exp(-lambda), cdf = p;
    const double u = rng.uniform();
    std::int64_t k = 0;
    while (u > cdf) {
      ++k;
      p *= k < std::int64_t(kInverse.size()) ? lambda * kInverse[std::size_t(k)] : lambda / static_cast<double>(k);
      const double next = cdf + p;
      if (next == cdf) break;  // the tail has underflowed below an ulp of the CDF: u was within it
      cdf = next;
    }
    return k;
  }
  // PTRS, with Hormann's constants (NumPy's random_poisson_ptrs). U is drawn from the open
  // interval so that us > 0 and the hat's 1/us stays finite.
  const double slam = std::sqrt(lambda), loglam = portable_log(lambda);
  const double b = 0.931 + 2.53 * slam;
  const double a = -0.059 + 0.02483 * b;
  const double log_invalpha = portable_log(1.1239 + 1.1328 / (b - 3.4));
  const double vr = 0.9277 - 3.6224 / (b - 2.0);
  for (;;) {
    const double u = rng.uniform_open() - 0.5;
    const double v = rng.uniform_open();
    const double us = 0.5 - std::fabs(u);
    const double k = std::floor((2.0 * a / us + b) * u + lambda + 0.43);
    if (us >= 0.07 && v <= vr) return static_cast<std::int64_t>(k);
    if (k < 0.0 || (us < 0.013 && v > us)) continue;
    const double lhs = portable_log(v) + log_invalpha - portable_log(a / (us * us) + b);
    if (lhs <= -lambda + k * loglam - log_factorial(static_cast<std::uint64_t>(k))) return static_cast<std::int64_t>(k);
  }
}

}  // namespace vulkanite::synthetic
