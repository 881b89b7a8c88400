// Correctly rounded division and square root: the GPU (algorithms::ExactMath, shaders/common/
// exact_math.glsl) against its CPU twin (reference::cr_div, cr_sqrt) with zero differing bits
// over 10^7 hard operands, and both against tables of results known by hand, so that a twin
// broken the same way as its shader cannot hide.
#include "algorithms/exact_math.hpp"

#include "algorithms/self_check.hpp"
#include "reference/exact_math.hpp"
#include "runtime/transfer.hpp"
#include "support/gpu_test.hpp"
#include "algorithms/rounding_cases.hpp"

#include <shaders/exact_math_divide_off_estimates.spv.hpp>
#include <shaders/exact_math_sqrt_off_estimates.spv.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdio>
#include <limits>
#include <string>
#include <vector>

namespace vulkanite {
namespace {

using Bits = std::uint32_t;
float from_bits(Bits b) { return std::bit_cast<float>(b); }
Bits to_bits(float f) { return std::bit_cast<Bits>(f); }

std::string hex(Bits b) {
  char text[16];
  std::snprintf(text, sizeof text, "0x%08x", b);
  return text;
}

constexpr Bits kNan = reference::kCanonicalNan;
constexpr Bits kInf = 0x7f800000, kMinusInf = 0xff800000, kMinusZero = 0x80000000;

struct DivideCase {
  Bits a, b, quotient;
  const char* why;
};

// Derived by hand (the why says how); the few marked "CPU" were taken from the CPU's IEEE division.
constexpr DivideCase kDivideCases[] = {
    {0x3f800000, 0x40400000, 0x3eaaaaab, "1/3 = 0.0101..b rounds up"},
    {0x40000000, 0x40400000, 0x3f2aaaab, "2/3"},
    {0x3f800000, 0x41200000, 0x3dcccccd, "1/10"},
    {0x40c00000, 0x40400000, 0x40000000, "6/3 = 2 exactly"},
    {0xbf800000, 0x40400000, 0xbeaaaaab, "-1/3: the sign does not change the rounding"},
    {0x3f800001, 0x3f7fffff, 0x3f800002, "(1+2^-23)/(1-2^-24) = 1 + 1.5 ulp + tiny: just above a midpoint"},
    {0x3f800000, 0x3f7fffff, 0x3f800001, "1/(1-2^-24) = 1 + 2^-24 + 2^-48: just above a midpoint, not a tie"},
    {0x00000000, 0x00000000, kNan, "0/0 is the canonical NaN"},
    {kMinusZero, 0x00000000, kNan, "-0/0 is the canonical NaN, not -NaN"},
    {kInf, kMinusInf, kNan, "inf/-inf"},
    {0x3f800000, 0x00000000, kInf, "1/+0 = +inf"},
    {0x3f800000, kMinusZero, kMinusInf, "1/-0 = -inf"},
    {0xbf800000, 0x00000000, kMinusInf, "-1/+0 = -inf"},
    {0x00000000, 0xc0a00000, kMinusZero, "0/-5 = -0"},
    {kMinusZero, 0x40a00000, kMinusZero, "-0/5 = -0"},
    {0x3f800000, kInf, 0x00000000, "1/inf = +0"},
    {0xbf800000, kInf, kMinusZero, "-1/inf = -0"},
    {kInf, 0x40000000, kInf, "inf/2 = inf"},
    {0x7fc00000, 0x3f800000, kNan, "NaN/1"},
    {0x3f800000, 0x7f800001, kNan, "1/signalling NaN"},
    {0xffffffff, 0x00000000, kNan, "-NaN with payload / 0 is NaN, not inf"},
    {0x7fc00001, kInf, kNan, "NaN/inf is NaN, not 0"},
    {0x00800000, 0x40000000, 0x00400000, "FLT_MIN/2 = 2^-127, subnormal"},
    {0x00800000, 0x4b000000, 0x00000001, "FLT_MIN/2^23 = the smallest subnormal"},
    {0x3f800000, 0x7f000000, 0x00400000, "1/2^127 = 2^-127"},
    {0x34800000, 0x7f000000, 0x00000001, "2^-22/2^127 = 2^-149"},
    {0x00000001, 0x00000001, 0x3f800000, "subnormal/subnormal = 1"},
    {0x00000003, 0x00000001, 0x40400000, "3 * 2^-149 / 2^-149 = 3"},
    {0x00000001, 0x30000000, 0x04800000, "2^-149 / 2^-31 = 2^-118, normal"},
    {0x00000001, 0x40000000, 0x00000000, "2^-150 ties to even: 0"},
    {0x00000003, 0x40000000, 0x00000002, "1.5 * 2^-149 ties to even: 2"},
    {0x00000005, 0x40000000, 0x00000002, "2.5 * 2^-149 ties to even: 2"},
    {0x00000007, 0x40000000, 0x00000004, "3.5 * 2^-149 ties to even: 4"},
    {0x80000003, 0x40000000, 0x80000002, "-1.5 * 2^-149 ties to even: -2"},
    {0x00800001, 0x40000000, 0x00400000, "(2^23 + 1) / 2 * 2^-149 ties to even: 2^22"},
    {0x00800003, 0x40000000, 0x00400002, "(2^23 + 3) / 2 * 2^-149 ties to even: 2^22 + 2"},
    {0x00ffffff, 0x40000000, 0x00800000, "(2^24 - 1) / 2 * 2^-149 ties up into FLT_MIN"},
    {0x00000001, 0x3fffffff, 0x00000001, "2^-149 / (2 - 2^-23): just above the midpoint, rounds up"},
    {0x00000001, 0x40000001, 0x00000000, "2^-149 / (2 + 2^-22): just below the midpoint, rounds to 0"},
    {0x80000001, 0x40400000, kMinusZero, "-2^-149 / 3 underflows to -0"},
    {0x00800000, 0x7f7fffff, 0x00000000, "FLT_MIN/FLT_MAX underflows to 0"},
    {0x7f7fffff, 0x3f000000, kInf, "FLT_MAX/0.5 overflows"},
    {0xff7fffff, 0x3f000000, kMinusInf, "-FLT_MAX/0.5 overflows to -inf"},
    {0x7f7fffff, 0x3f7fffff, kInf, "FLT_MAX/(1-2^-24) = 2^128 exactly: overflows"},
    {0x7f7fffff, 0x3f800001, 0x7f7ffffd, "FLT_MAX/(1+2^-23) (CPU)"},
    {0x7f7fffff, 0x3f800000, 0x7f7fffff, "FLT_MAX/1"},
};

struct SqrtCase {
  Bits x, root;
  const char* why;
};

constexpr SqrtCase kSqrtCases[] = {
    {0x40000000, 0x3fb504f3, "sqrt(2)"},
    {0x40400000, 0x3fddb3d7, "sqrt(3)"},
    {0x40800000, 0x40000000, "sqrt(4) = 2 exactly"},
    {0x3e800000, 0x3f000000, "sqrt(0.25) = 0.5"},
    {0x3f800000, 0x3f800000, "sqrt(1) = 1"},
    {0x00000000, 0x00000000, "sqrt(+0) = +0"},
    {kMinusZero, kMinusZero, "sqrt(-0) = -0"},
    {0xbf800000, kNan, "sqrt(-1) is NaN"},
    {0x80000001, kNan, "sqrt(-2^-149) is NaN"},
    {kMinusInf, kNan, "sqrt(-inf) is NaN"},
    {kInf, kInf, "sqrt(inf) = inf"},
    {0xffffffff, kNan, "sqrt(-NaN with payload) is the canonical NaN"},
    {0x7f800001, kNan, "sqrt(signalling NaN)"},
    {0x00000002, 0x1a800000, "sqrt(2^-148) = 2^-74"},
    {0x00000001, 0x1a3504f3, "sqrt(2^-149) = sqrt(2) * 2^-75"},
    {0x00800000, 0x20000000, "sqrt(FLT_MIN) = 2^-63"},
    {0x007fffff, 0x1fffffff, "sqrt of the largest subnormal (CPU)"},
    {0x7f7fffff, 0x5f7fffff, "sqrt(FLT_MAX) = 2^64 sqrt(1 - 2^-24): just below a midpoint"},
    {0x3f800001, 0x3f800000, "sqrt(1 + 2^-23) = 1 + 2^-24 - tiny: just below the midpoint"},
    {0x3f800002, 0x3f800001, "sqrt(1 + 2^-22) = 1 + 2^-23 - tiny"},
    {0x3f7fffff, 0x3f7fffff, "sqrt(1 - 2^-24) = 1 - 2^-25 - tiny: just below the midpoint"},
    {0x41e403fd, 0x40aad6cf, "3e-4 ULP above a midpoint: the remainder decides (CPU)"},
};

// "" when every bit matches; else the count and the first few differences, in hex.
template <class Describe>
std::string differences(const std::vector<float>& gpu, const std::vector<float>& expected, Describe input) {
  std::size_t count = 0;
  std::string first;
  for (std::size_t i = 0; i < gpu.size(); ++i) {
    if (to_bits(gpu[i]) == to_bits(expected[i])) continue;
    if (++count <= 8)
      first += "\n  " + input(i) + ": gpu " + hex(to_bits(gpu[i])) + ", reference " + hex(to_bits(expected[i]));
  }
  if (count == 0) return "";
  return std::to_string(count) + " of " + std::to_string(gpu.size()) + " results differ; the first:" + first;
}

TEST(ExactMathReferenceTest, CpuDoesNotFlushSubnormals) {
  ASSERT_FALSE(reference::cpu_flushes_subnormals())
      << "the CPU flushes subnormals (FTZ/DAZ set, e.g. by -ffast-math startup code): reference::cr_div and "
         "cr_sqrt are then not IEEE 754 and the GPU comparisons below are meaningless";
}

TEST(ExactMathReferenceTest, DivideMatchesResultsKnownByHand) {
  for (const auto& c : kDivideCases)
    EXPECT_EQ(hex(to_bits(reference::cr_div(from_bits(c.a), from_bits(c.b)))), hex(c.quotient))
        << hex(c.a) << " / " << hex(c.b) << ": " << c.why;
}

TEST(ExactMathReferenceTest, SqrtMatchesResultsKnownByHand) {
  for (const auto& c : kSqrtCases)
    EXPECT_EQ(hex(to_bits(reference::cr_sqrt(from_bits(c.x)))), hex(c.root)) << "sqrt " << hex(c.x) << ": " << c.why;
}

TEST(ExactMathReferenceTest, CanonicalAndFtz) {
  EXPECT_EQ(to_bits(reference::canonical(from_bits(0xffc00001))), kNan);
  EXPECT_EQ(to_bits(reference::canonical(from_bits(kMinusZero))), kMinusZero);  // only NaNs change
  EXPECT_EQ(to_bits(reference::canonical(from_bits(kMinusInf))), kMinusInf);
  EXPECT_EQ(to_bits(reference::ftz(from_bits(0x807fffff))), 0u);  // subnormals become +0
  EXPECT_EQ(to_bits(reference::ftz(from_bits(kMinusZero))), 0u);
  EXPECT_EQ(to_bits(reference::ftz(from_bits(0x80800000))), 0x80800000u);  // -FLT_MIN stays
}

TEST(ExactMathReferenceTest, HardOperandsAreDeterministicAndHard) {
  constexpr std::size_t kCount = 200'000;
  const auto ops = algorithms::hard_operands(kCount, 7);
  ASSERT_EQ(ops.a.size(), kCount);
  ASSERT_EQ(ops.b.size(), kCount);
  const auto again = algorithms::hard_operands(kCount, 7);
  EXPECT_TRUE(std::equal(ops.a.begin(), ops.a.end(), again.a.begin(), [](float x, float y) {
    return to_bits(x) == to_bits(y);
  })) << "the same seed must give the same operands";
  const auto other = algorithms::hard_operands(kCount, 8);
  EXPECT_NE(to_bits(ops.a.back()), to_bits(other.a.back())) << "another seed must give other operands";

  // What the 10^7-operand comparisons rely on: every class of input and subnormal results.
  // (hard_operands draws its near-midpoint cases from near_tie_quotients and near_tie_roots.)
  std::size_t nan = 0, inf = 0, plus_zero = 0, minus_zero = 0, subnormal = 0, subnormal_quotient = 0;
  for (std::size_t i = 0; i < kCount; ++i) {
    const float a = ops.a[i], b = ops.b[i];
    nan += std::isnan(a);
    inf += std::isinf(a);
    plus_zero += to_bits(a) == 0;
    minus_zero += to_bits(a) == kMinusZero;
    subnormal += std::fpclassify(a) == FP_SUBNORMAL;
    const float q = a / b;
    subnormal_quotient += std::fpclassify(q) == FP_SUBNORMAL;
  }
  EXPECT_GT(nan, 100u);
  EXPECT_GT(inf, 10u);
  EXPECT_GT(plus_zero, 10u);
  EXPECT_GT(minus_zero, 10u);
  EXPECT_GT(subnormal, 1000u);
  EXPECT_GT(subnormal_quotient, 1000u);
}

// Where an exact result lies on the binary32 grid, in steps above the representable value
// below it (0.5: a midpoint). A step is an ULP, 2^-149 for subnormals. long double has 64 bits:
// enough to see 2^-16 of a step.
double fraction_of_a_step(long double exact) {
  const int exponent = std::max(std::ilogb(exact), -126);
  const long double steps = std::ldexp(std::fabs(exact), 23 - exponent);
  return static_cast<double>(steps - std::floor(steps));
}

TEST(ExactMathReferenceTest, NearTieCasesAreNearTies) {
  constexpr double kNear = 0x1p-14;
  const auto quotients = algorithms::near_tie_quotients(100'000, 3);
  std::size_t midpoints = 0, exact_ties = 0;
  for (std::size_t i = 0; i < quotients.a.size(); ++i) {
    const double f = fraction_of_a_step(static_cast<long double>(quotients.a[i]) / quotients.b[i]);
    const bool near_midpoint = std::fabs(f - 0.5) < kNear;
    ASSERT_TRUE(near_midpoint || f < kNear || f > 1 - kNear)
        << hex(to_bits(quotients.a[i])) << " / " << hex(to_bits(quotients.b[i])) << " is " << f << " steps up";
    midpoints += near_midpoint;
    exact_ties += f == 0.5;
  }
  EXPECT_EQ(midpoints, 3 * quotients.a.size() / 4);
  EXPECT_EQ(exact_ties, quotients.a.size() / 4);
  for (float x : algorithms::near_tie_roots(100'000, 3).a) {
    const double f = fraction_of_a_step(std::sqrt(static_cast<long double>(x)));
    ASSERT_LT(std::fabs(f - 0.5), 0x1p-11) << "sqrt " << hex(to_bits(x)) << " is " << f << " steps up";
  }
}

class ExactMathTest : public tests::GpuTest {
 protected:
  static constexpr std::size_t kHardCount = 10'000'000;
  static constexpr std::uint64_t kSeed = 20240611;  // not the self-check's seed: other operands

  // Through algorithms::ExactMath, or, given `off_estimates`, through that test build of the shader.
  std::vector<float> gpu_divide(const std::vector<float>& a, const std::vector<float>& b,
                                std::span<const std::uint32_t> off_estimates = {}) {
    runtime::Transfer transfer(context());
    runtime::Array<float> dividend(context(), a.size()), divisor(context(), b.size()), quotient(context(), a.size());
    transfer.upload(std::span<const float>(a), dividend);
    transfer.upload(std::span<const float>(b), divisor);
    const algorithms::ExactMath math(context());  // its kernels must outlive the run
    runtime::Sequence sequence(context());
    if (off_estimates.empty()) {
      math.divide(sequence, dividend, divisor, quotient);
      sequence.run();
      return transfer.download(quotient);
    }
    const runtime::Kernel kernel(context(), {"exact_math_divide_off_estimates", off_estimates, 3,
                                             sizeof(algorithms::ElementwisePush), 256});
    sequence.dispatch(kernel, {dividend, divisor, quotient}, algorithms::ElementwisePush{static_cast<std::uint32_t>(a.size())},
                      {kernel.groups_for(a.size())});
    sequence.run();
    return transfer.download(quotient);
  }

  std::vector<float> gpu_sqrt(const std::vector<float>& x, std::span<const std::uint32_t> off_estimates = {}) {
    runtime::Transfer transfer(context());
    runtime::Array<float> value(context(), x.size()), root(context(), x.size());
    transfer.upload(std::span<const float>(x), value);
    const algorithms::ExactMath math(context());
    runtime::Sequence sequence(context());
    if (off_estimates.empty()) {
      math.sqrt(sequence, value, root);
      sequence.run();
      return transfer.download(root);
    }
    const runtime::Kernel kernel(context(), {"exact_math_sqrt_off_estimates", off_estimates, 2,
                                             sizeof(algorithms::ElementwisePush), 256});
    sequence.dispatch(kernel, {value, root}, algorithms::ElementwisePush{static_cast<std::uint32_t>(x.size())},
                      {kernel.groups_for(x.size())});
    sequence.run();
    return transfer.download(root);
  }

  void skip_if_the_reference_is_not_ieee() {
    if (reference::cpu_flushes_subnormals())
      GTEST_SKIP() << "the CPU flushes subnormals: see ExactMathReferenceTest.CpuDoesNotFlushSubnormals";
  }
};

TEST_F(ExactMathTest, DivideMatchesResultsKnownByHand) {
  std::vector<float> a, b, expected;
  for (const auto& c : kDivideCases) {
    a.push_back(from_bits(c.a));
    b.push_back(from_bits(c.b));
    expected.push_back(from_bits(c.quotient));
  }
  const auto gpu = gpu_divide(a, b);
  for (std::size_t i = 0; i < gpu.size(); ++i)
    EXPECT_EQ(hex(to_bits(gpu[i])), hex(to_bits(expected[i])))
        << hex(to_bits(a[i])) << " / " << hex(to_bits(b[i])) << ": " << kDivideCases[i].why;
}

TEST_F(ExactMathTest, SqrtMatchesResultsKnownByHand) {
  std::vector<float> x, expected;
  for (const auto& c : kSqrtCases) {
    x.push_back(from_bits(c.x));
    expected.push_back(from_bits(c.root));
  }
  const auto gpu = gpu_sqrt(x);
  for (std::size_t i = 0; i < gpu.size(); ++i)
    EXPECT_EQ(hex(to_bits(gpu[i])), hex(to_bits(expected[i])))
        << "sqrt " << hex(to_bits(x[i])) << ": " << kSqrtCases[i].why;
}

TEST_F(ExactMathTest, DivideIsBitIdenticalToTheReferenceOnTenMillionHardOperands) {
  skip_if_the_reference_is_not_ieee();
  const auto ops = algorithms::hard_operands(kHardCount, kSeed);
  const auto gpu = gpu_divide(ops.a, ops.b);
  std::vector<float> expected(kHardCount);
  for (std::size_t i = 0; i < kHardCount; ++i) expected[i] = reference::cr_div(ops.a[i], ops.b[i]);
  EXPECT_EQ(differences(gpu, expected,
                        [&](std::size_t i) { return hex(to_bits(ops.a[i])) + " / " + hex(to_bits(ops.b[i])); }),
            "");
}

TEST_F(ExactMathTest, SqrtIsBitIdenticalToTheReferenceOnTenMillionHardOperands) {
  skip_if_the_reference_is_not_ieee();
  // Half of the random operands are negative, and their root is just NaN: take the magnitude of
  // every other one, keeping negative inputs (NaN, -0) in the rest.
  auto x = algorithms::hard_operands(kHardCount, kSeed).a;
  for (std::size_t i = 1; i < x.size(); i += 2) x[i] = std::fabs(x[i]);
  const auto gpu = gpu_sqrt(x);
  std::vector<float> expected(kHardCount);
  for (std::size_t i = 0; i < kHardCount; ++i) expected[i] = reference::cr_sqrt(x[i]);
  EXPECT_EQ(differences(gpu, expected, [&](std::size_t i) { return "sqrt " + hex(to_bits(x[i])); }), "");
}

TEST_F(ExactMathTest, DivideIsBitIdenticalToTheReferenceAFractionOfAnUlpFromRoundingBoundaries) {
  skip_if_the_reference_is_not_ieee();
  const auto cases = algorithms::near_tie_quotients(1'000'000, kSeed);
  const auto gpu = gpu_divide(cases.a, cases.b);
  std::vector<float> expected(cases.a.size());
  for (std::size_t i = 0; i < expected.size(); ++i) expected[i] = reference::cr_div(cases.a[i], cases.b[i]);
  EXPECT_EQ(differences(gpu, expected,
                        [&](std::size_t i) { return hex(to_bits(cases.a[i])) + " / " + hex(to_bits(cases.b[i])); }),
            "");
}

TEST_F(ExactMathTest, SqrtIsBitIdenticalToTheReferenceAFractionOfAnUlpFromRoundingBoundaries) {
  skip_if_the_reference_is_not_ieee();
  const auto x = algorithms::near_tie_roots(1'000'000, kSeed).a;
  const auto gpu = gpu_sqrt(x);
  std::vector<float> expected(x.size());
  for (std::size_t i = 0; i < expected.size(); ++i) expected[i] = reference::cr_sqrt(x[i]);
  EXPECT_EQ(differences(gpu, expected, [&](std::size_t i) { return "sqrt " + hex(to_bits(x[i])); }), "");
}

// The fast paths' corrections and fallbacks: llvmpipe divides and takes roots exactly, so its
// estimates never need them. The test builds push the estimates off by up to 4 units (corrected)
// or 4096 (the long paths), per operand; the results must not move by a bit.
TEST_F(ExactMathTest, OffEstimatesAreCorrectedToTheSameBits) {
  skip_if_the_reference_is_not_ieee();
  const auto ops = algorithms::hard_operands(1'000'000, kSeed + 1);
  const auto ties = algorithms::near_tie_quotients(200'000, kSeed + 1);
  std::vector<float> a = ops.a, b = ops.b;
  a.insert(a.end(), ties.a.begin(), ties.a.end());
  b.insert(b.end(), ties.b.begin(), ties.b.end());
  for (const auto& c : kDivideCases) {
    a.push_back(from_bits(c.a));
    b.push_back(from_bits(c.b));
  }
  const auto quotients = gpu_divide(a, b, shaders::exact_math_divide_off_estimates);
  std::vector<float> expected(a.size());
  for (std::size_t i = 0; i < a.size(); ++i) expected[i] = reference::cr_div(a[i], b[i]);
  EXPECT_EQ(differences(quotients, expected, [&](std::size_t i) { return hex(to_bits(a[i])) + " / " + hex(to_bits(b[i])); }),
            "");

  auto x = ops.a;
  for (float& v : x) v = std::fabs(v);
  const auto root_ties = algorithms::near_tie_roots(200'000, kSeed + 1).a;
  x.insert(x.end(), root_ties.begin(), root_ties.end());
  for (const auto& c : kSqrtCases) x.push_back(from_bits(c.x));
  const auto roots = gpu_sqrt(x, shaders::exact_math_sqrt_off_estimates);
  expected.resize(x.size());
  for (std::size_t i = 0; i < x.size(); ++i) expected[i] = reference::cr_sqrt(x[i]);
  EXPECT_EQ(differences(roots, expected, [&](std::size_t i) { return "sqrt " + hex(to_bits(x[i])); }), "");
}

}  // namespace
}  // namespace vulkanite
