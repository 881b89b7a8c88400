// Fixed-shape reductions: algorithms::Reducer on the GPU against reference::reduce, bit for
// bit, over sizes around the workgroup size and the per-group share; the documented order of
// operations checked by hand on tiny inputs; subnormals, signed zeros, NaNs; and the
// compensated sum's accuracy on an ill-conditioned sum.
#include "algorithms/reduction.hpp"

#include "reference/reduction.hpp"
#include "runtime/transfer.hpp"
#include "support/gpu_test.hpp"
#include "support/invalid_argument.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdio>
#include <limits>
#include <ostream>
#include <random>
#include <string>
#include <tuple>
#include <vector>

namespace vulkanite {
namespace reference {
// Found by argument-dependent lookup: test names read "(sum, 64)" rather than raw bytes.
void PrintTo(Reduction operation, std::ostream* os);
}  // namespace reference

namespace {

using reference::Reduction;

std::uint32_t bits(float f) { return std::bit_cast<std::uint32_t>(f); }
float from_bits(std::uint32_t b) { return std::bit_cast<float>(b); }

std::string hex(float f) {
  char text[48];
  std::snprintf(text, sizeof text, "0x%08x (%g)", bits(f), static_cast<double>(f));
  return text;
}

const char* name(Reduction operation) {
  switch (operation) {
    case Reduction::sum: return "sum";
    case Reduction::sum_of_squares: return "sum_of_squares";
    case Reduction::compensated_sum: return "compensated_sum";
  }
  return "?";
}

}  // namespace

void reference::PrintTo(Reduction operation, std::ostream* os) { *os << name(operation); }

namespace {

// Mostly ordinary values over many binades, with what devices disagree on mixed in:
// subnormals, both zeros, and huge values that cancel (each followed later by its negation).
// Magnitudes stay below 2^50 so that even the sum of squares of 3 million values is finite.
std::vector<float> mixed_values(std::size_t count, std::uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> kind(0, 99), exponent(-20, 20), huge_exponent(40, 49);
  std::uniform_int_distribution<std::uint32_t> mantissa(0, 0x7fffff);
  auto significand = [&] { return 1.0f + static_cast<float>(mantissa(rng)) * 0x1p-23f; };
  std::vector<float> values;
  std::vector<float> pending_negations;
  while (values.size() < count) {
    const int k = kind(rng);
    const bool negative = rng() & 1;
    float v;
    if (k < 4) {
      v = from_bits(mantissa(rng) | (negative ? 0x80000000u : 0u));  // subnormal (or a zero)
    } else if (k < 6) {
      v = negative ? -0.0f : 0.0f;
    } else if (k < 9) {
      v = std::ldexp(negative ? -significand() : significand(), huge_exponent(rng));
      pending_negations.push_back(-v);
    } else if (k < 12 && !pending_negations.empty()) {
      v = pending_negations.back();
      pending_negations.pop_back();
    } else {
      v = std::ldexp(negative ? -significand() : significand(), exponent(rng));
    }
    values.push_back(v);
  }
  return values;
}

// An ill-conditioned sum: large values (10^6 to 10^9) in the first half cancelled exactly by
// their negations, shuffled, in the second, every other value small (0 to 1). The exact sum is
// that of the small values, which a plain float sum loses in its large partial sums.
std::vector<float> cancelling_values(std::size_t count, std::uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> small(0.0f, 1.0f), large(1e6f, 1e9f);
  std::vector<float> values(count);
  for (float& v : values) v = small(rng);
  std::vector<float> negations(count / 4);
  for (std::size_t i = 0; i < negations.size(); ++i) {
    values[2 * i] = large(rng);
    negations[i] = -values[2 * i];
  }
  std::shuffle(negations.begin(), negations.end(), rng);
  for (std::size_t i = 0; i < negations.size(); ++i) values[count / 2 + 2 * i] = negations[i];
  return values;
}

float gpu_reduce(runtime::Context& context, const std::vector<float>& values, Reduction operation,
                 std::uint32_t workgroup_size) {
  const algorithms::Reducer reducer(context, operation, workgroup_size);
  runtime::Array<float> device_values(context, values.size());
  runtime::Transfer(context).upload(std::span<const float>(values), device_values);
  return reducer.run(context, device_values);
}

// The reference alone, on inputs small enough to add up by hand in the documented order:
// invocation t of group g takes elements g*W + t, g*W + t + W*G, ...; a group combines its
// invocations along a tree, neighbours first; pass 1 reduces the group results the same way.
TEST(ReductionReferenceTest, FollowsTheDocumentedOrderByHand) {
  // 1e8 + 1 rounds back to 1e8 (its ULP is 8), so the order decides the result.
  const std::vector<float> values{1e8f, 1.0f, -1e8f, 1.0f};
  // W = 2, G = 2: group 0 = (1e8 + 1) = 1e8, group 1 = (-1e8 + 1) = -1e8; then 1e8 + -1e8.
  EXPECT_EQ(reference::reduce(values, Reduction::sum, {2, 2}), 0.0f);
  // W = 2, G = 1: invocation 0 = 1e8 + -1e8 = 0, invocation 1 = 1 + 1 = 2; then 0 + 2.
  EXPECT_EQ(reference::reduce(values, Reduction::sum, {2, 1}), 2.0f);
  // W = 1, G = 1: strictly left to right: ((1e8 + 1) + -1e8) + 1.
  EXPECT_EQ(reference::reduce(values, Reduction::sum, {1, 1}), 1.0f);
  // The compensated sum recovers what the plain W = 2, G = 2 sum lost.
  EXPECT_EQ(reference::reduce(values, Reduction::compensated_sum, {2, 2}), 2.0f);
  // (1 + 4) + (9 + 16).
  EXPECT_EQ(reference::reduce(std::vector<float>{1, 2, 3, 4}, Reduction::sum_of_squares, {2, 2}), 30.0f);

  const auto partials = reference::reduce_pass(values, Reduction::sum, 0, {2, 2});
  ASSERT_EQ(partials.size(), 2u);
  EXPECT_EQ(partials[0], (reference::SumPair{1e8f, 0.0f}));
  EXPECT_EQ(partials[1], (reference::SumPair{-1e8f, 0.0f}));
}

TEST(ReductionReferenceTest, FlushesSubnormalsAndNegativeZeros) {
  const float tiny = from_bits(0x00000100);  // subnormal
  EXPECT_EQ(bits(reference::reduce(std::vector<float>{tiny, tiny, tiny}, Reduction::sum, {1, 1})), 0u);
  EXPECT_EQ(bits(reference::reduce(std::vector<float>{-0.0f, -0.0f}, Reduction::sum, {2, 1})), 0u);
  // 2^-64 squared is 2^-128, subnormal: flushed before it is added.
  EXPECT_EQ(bits(reference::reduce(std::vector<float>{0x1p-64f, 1.0f}, Reduction::sum_of_squares, {1, 1})), bits(1.0f));
}

TEST(ReductionReferenceTest, ShapeHasAboutThirtyTwoValuesPerInvocationAndAtMost1024Groups) {
  EXPECT_EQ(reference::reduction_shape(0, 256).groups, 1u);
  EXPECT_EQ(reference::reduction_shape(1, 256).groups, 1u);
  EXPECT_EQ(reference::reduction_shape(256 * 32, 256).groups, 1u);
  EXPECT_EQ(reference::reduction_shape(256 * 32 + 1, 256).groups, 2u);
  EXPECT_EQ(reference::reduction_shape(100003, 64).groups, 49u);  // ceil(100003 / 2048)
  EXPECT_EQ(reference::reduction_shape(3'000'000, 256).groups, 367u);
  EXPECT_EQ(reference::reduction_shape(1ull << 30, 256).groups, 1024u);
  EXPECT_EQ(reference::reduction_shape(1000, 64).workgroup_size, 64u);
}

TEST(ReductionReferenceTest, NonPowerOfTwoWorkgroupSizeThrows) {
  const std::vector<float> values(10, 1.0f);
  EXPECT_THROW(reference::reduce(values, Reduction::sum, {3, 1}), std::invalid_argument);
  EXPECT_THROW(reference::reduce(values, Reduction::sum, {0, 1}), std::invalid_argument);
}

class ReductionTest : public tests::GpuTest {};

TEST_F(ReductionTest, NonPowerOfTwoWorkgroupSizeThrows) {
  for (std::uint32_t size : {0u, 3u, 100u, 255u}) {
    EXPECT_EQ(tests::invalid_argument_message([&] { algorithms::Reducer(context(), Reduction::sum, size); }),
              "reduction workgroup size " + std::to_string(size) + " is not a power of two");
  }
}

TEST_F(ReductionTest, GpuFollowsTheDocumentedOrderToo) {
  // Reducer's shape for 4 values with W = 2 is G = 1: the 2.0f of the hand computation above.
  const std::vector<float> values{1e8f, 1.0f, -1e8f, 1.0f};
  EXPECT_EQ(gpu_reduce(context(), values, Reduction::sum, 2), 2.0f);
  EXPECT_EQ(gpu_reduce(context(), values, Reduction::compensated_sum, 2), 2.0f);
}

TEST_F(ReductionTest, NanInTheInputGivesTheCanonicalNan) {
  for (const auto operation : {Reduction::sum, Reduction::sum_of_squares, Reduction::compensated_sum}) {
    for (const std::uint32_t nan : {0x7fa00001u, 0xffc00000u, 0xffffffffu}) {
      std::vector<float> values(1000, 1.5f);
      values[617] = from_bits(nan);
      const float gpu = gpu_reduce(context(), values, operation, 64);
      const float cpu = reference::reduce(values, operation, reference::reduction_shape(values.size(), 64));
      EXPECT_EQ(bits(gpu), reference::kCanonicalNan) << name(operation) << " with NaN " << std::hex << nan;
      EXPECT_EQ(bits(cpu), reference::kCanonicalNan) << name(operation) << " with NaN " << std::hex << nan;
    }
  }
  // inf - inf is a NaN made by the sum itself.
  std::vector<float> values(300, 1.0f);
  values[0] = std::numeric_limits<float>::infinity();
  values[299] = -std::numeric_limits<float>::infinity();
  EXPECT_EQ(bits(gpu_reduce(context(), values, Reduction::sum, 64)), reference::kCanonicalNan);
}

TEST_F(ReductionTest, CompensatedSumIsCloserToTheExactSumOnAnIllConditionedSum) {
  const auto values = cancelling_values(100003, 11);
  long double exact = 0;  // 64-bit significand: exact to far below the float errors here
  for (float v : values) exact += v;
  const float plain = gpu_reduce(context(), values, Reduction::sum, 256);
  const float compensated = gpu_reduce(context(), values, Reduction::compensated_sum, 256);
  const auto shape = reference::reduction_shape(values.size(), 256);
  EXPECT_EQ(bits(plain), bits(reference::reduce(values, Reduction::sum, shape)));
  EXPECT_EQ(bits(compensated), bits(reference::reduce(values, Reduction::compensated_sum, shape)));

  const double plain_error = static_cast<double>(std::fabs(plain - exact));
  const double compensated_error = static_cast<double>(std::fabs(compensated - exact));
  EXPECT_LT(compensated_error, plain_error)
      << "exact " << static_cast<double>(exact) << ", plain " << plain << ", compensated " << compensated;
  // Not merely closer: within about 8 float ULPs of the exact sum, where the plain sum is far
  // off. (The inputs are fixed and the result bit-identical everywhere, so are these margins.)
  EXPECT_LT(compensated_error, 1e-6 * static_cast<double>(std::fabs(exact)));
  EXPECT_GT(plain_error, 100 * compensated_error) << "plain " << plain_error << ", compensated " << compensated_error;
}

// Every operation x workgroup size, each over sizes around one workgroup and the per-group share,
// on mixed values and on cancelling ones (where even the compensated sum depends on the order).
class ReductionMatchesReferenceTest : public tests::GpuTest,
                                      public ::testing::WithParamInterface<std::tuple<Reduction, std::uint32_t>> {};

TEST_P(ReductionMatchesReferenceTest, BitIdenticalOverSizes) {
  const auto [operation, workgroup_size] = GetParam();
  const algorithms::Reducer reducer(context(), operation, workgroup_size);
  runtime::Transfer transfer(context());
  for (const std::size_t count : {1ul, 255ul, 256ul, 257ul, 100003ul, 3'000'000ul}) {
    const auto shape = reference::reduction_shape(count, workgroup_size);
    EXPECT_EQ(reducer.shape(count).groups, shape.groups);
    EXPECT_EQ(reducer.shape(count).workgroup_size, workgroup_size);
    const auto seed = static_cast<std::uint32_t>(count);
    for (const auto& [kind, values] :
         {std::pair{"mixed", mixed_values(count, seed)}, std::pair{"cancelling", cancelling_values(count, seed)}}) {
      SCOPED_TRACE(std::to_string(count) + " " + kind + " values");
      runtime::Array<float> device_values(context(), count);
      transfer.upload(std::span<const float>(values), device_values);
      const float gpu = reducer.run(context(), device_values);
      const float cpu = reference::reduce(values, operation, shape);
      EXPECT_EQ(hex(gpu), hex(cpu));
      EXPECT_TRUE(std::isfinite(cpu)) << "a NaN or inf would make the comparison weak";
    }
  }
}

INSTANTIATE_TEST_SUITE_P(AllOperations, ReductionMatchesReferenceTest,
                         ::testing::Combine(::testing::Values(Reduction::sum, Reduction::sum_of_squares,
                                                              Reduction::compensated_sum),
                                            ::testing::Values(64u, 256u)),
                         [](const auto& test) {
                           return std::string(name(std::get<0>(test.param))) + "_wg" +
                                  std::to_string(std::get<1>(test.param));
                         });

}  // namespace
}  // namespace vulkanite
