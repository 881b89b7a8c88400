#pragma once
// Random numbers that are the same bits on every platform, for synthetic frames that a test can
// pin with a checksum. The C++ standard fixes the engines' output (std::mt19937_64) but not the
// distributions: std::normal_distribution, std::poisson_distribution and even
// std::uniform_real_distribution are implementation-defined, so libstdc++, libc++ and MSVC give
// different frames from the same seed. Likewise std::exp and std::log are not correctly rounded
// and differ between C libraries by an ulp, which can flip a Poisson draw. Everything here is
// built from integer operations and IEEE +, -, *, / and sqrt (correctly rounded everywhere; the
// project compiles with -ffp-contract=off, so no fused multiply-add changes a rounding; which is
// also why nothing here is inline in this header, compiled with a user's flags).
#include <cstdint>
#include <initializer_list>

namespace vulkanite::synthetic {

// exp and natural log to about 1 ulp, the same bits everywhere (see above). portable_log takes
// x > 0 and finite; portable_exp saturates to 0 below -745 and to +inf above 709.8.
double portable_exp(double x);
double portable_log(double x);
// log(k!) for k >= 0: a table below 16, Stirling's series (error under 1e-15 relative) above.
double log_factorial(std::uint64_t k);

// SplitMix64 (Steele, Lea and Flood 2014; the seeding generator of xoshiro): 64 bits of state,
// passes BigCrush, and a fresh independent stream is one hash away, which makes it counter-based
// in effect: `Rng::stream(seed, {frame, purpose, row})` starts the same sequence whatever was
// drawn before, so rows can be generated in any order (or in parallel) with identical results.
class Rng {
 public:
  explicit Rng(std::uint64_t state) : state_(state) {}
  // The stream named by `seed` and `keys`, each key hashed in turn.
  static Rng stream(std::uint64_t seed, std::initializer_list<std::uint64_t> keys);

  std::uint64_t next();
  double uniform();                         // [0, 1), 53 random bits
  double uniform_open();                    // (0, 1): safe for log
  double uniform(double low, double high);  // [low, high)
  std::uint64_t below(std::uint64_t n);     // [0, n), unbiased (rejection); n > 0
  double normal();                          // standard normal, Marsaglia's polar method

 private:
  std::uint64_t state_;
};

// A Poisson variate of mean `lambda` (>= 0, finite), exact in distribution:
//   - lambda < 10: inversion by sequential search from k = 0 (about lambda + 1 steps and one
//     exp per call); the background of a serial-crystallography frame is almost all here;
//   - lambda >= 10: Hormann's PTRS (transformed rejection with squeeze, "The transformed
//     rejection method for generating Poisson random variables", 1993), the algorithm NumPy
//     uses: about 1.1 pairs of uniforms per variate whatever lambda, no normal approximation,
//     so bright spot pixels have the right tails too.
std::int64_t poisson(Rng& rng, double lambda);

}  // namespace vulkanite::synthetic
