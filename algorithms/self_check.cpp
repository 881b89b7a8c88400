#include "algorithms/self_check.hpp"

#include "algorithms/exact_math.hpp"
#include "algorithms/reduction.hpp"
#include "algorithms/rounding_cases.hpp"
#include "reference/exact_math.hpp"
#include "reference/reduction.hpp"
#include "runtime/transfer.hpp"

#include <bit>
#include <cmath>
#include <cstdio>
#include <limits>
#include <random>

namespace vulkanite::algorithms {
namespace {

using Bits = std::uint32_t;

float from_bits(Bits b) { return std::bit_cast<float>(b); }
Bits to_bits(float f) { return std::bit_cast<Bits>(f); }

std::vector<float> special_values() {
  const std::vector<Bits> bits = {
      0x00000000, 0x80000000,  // +-0
      0x7f800000, 0xff800000,  // +-inf
      0x7fc00000, 0x7f800001, 0xffffffff,  // NaNs, quiet and signalling payloads
      0x00000001, 0x80000001, 0x007fffff, 0x00400000,  // subnormals
      0x00800000, 0x80800000, 0x00800001,  // FLT_MIN and neighbours
      0x7f7fffff, 0xff7fffff, 0x7f7ffffe,  // FLT_MAX
      0x3f800000, 0xbf800000, 0x40000000, 0x3f000000, 0x40400000, 0x3dcccccd,  // 1, -1, 2, .5, 3, .1
      0x3f7fffff, 0x3f800001, 0x4b7fffff, 0x33800000, 0x5f000000, 0x1f800000,
  };
  std::vector<float> values;
  for (Bits b : bits) values.push_back(from_bits(b));
  return values;
}

// A float a few ULP (-2..2) away from x, staying within the finite range.
float nudge(float x, int ulps) {
  Bits b = to_bits(x);
  if (!std::isfinite(x)) return x;
  const Bits magnitude = b & 0x7fffffffu;
  const std::int64_t moved = std::int64_t{magnitude} + ulps;
  if (moved < 0 || moved > 0x7f7fffff) return x;
  return from_bits((b & 0x80000000u) | static_cast<Bits>(moved));
}

}  // namespace

Operands hard_operands(std::size_t count, std::uint64_t seed) {
  Operands ops;
  ops.a.reserve(count);
  ops.b.reserve(count);
  const auto specials = special_values();
  for (float x : specials)
    for (float y : specials) {
      if (ops.a.size() == count) return ops;
      ops.a.push_back(x);
      ops.b.push_back(y);
    }
  // A third each: random operands, quotients a / b near a tie, roots sqrt(a) near a tie. Near
  // ties come from near_tie_quotients / near_tie_roots: random operands almost never land there.
  const std::size_t rest = count - ops.a.size();
  const auto quotients = near_tie_quotients(rest / 3, seed);
  const auto roots = near_tie_roots(rest / 3, seed + 1);
  ops.a.insert(ops.a.end(), quotients.a.begin(), quotients.a.end());
  ops.b.insert(ops.b.end(), quotients.b.begin(), quotients.b.end());
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<int> ulps(-2, 2);
  for (float root_operand : roots.a) {  // the divisor: a few ULP off, a quotient near 1
    ops.a.push_back(root_operand);
    ops.b.push_back(nudge(root_operand, ulps(rng)));
  }
  std::uniform_int_distribution<Bits> any_bits;
  std::uniform_int_distribution<Bits> mantissa(0, 0x7fffff);
  std::uniform_int_distribution<int> exponent(-30, 30), tiny_exponent(-149, -100), kind(0, 2);
  auto ordinary = [&](std::uniform_int_distribution<int>& e) {
    const float m = 1.0f + static_cast<float>(mantissa(rng)) * 0x1p-23f;
    return std::ldexp(any_bits(rng) & 1 ? -m : m, e(rng));
  };
  while (ops.a.size() < count) {
    switch (kind(rng)) {
      case 0:  // any bit pattern: NaNs, infinities, subnormals at their natural frequency
        ops.a.push_back(from_bits(any_bits(rng)));
        ops.b.push_back(from_bits(any_bits(rng)));
        break;
      case 1:  // ordinary magnitudes
        ops.a.push_back(ordinary(exponent));
        ops.b.push_back(ordinary(exponent));
        break;
      default:  // subnormal operands and results
        ops.a.push_back(ordinary(tiny_exponent));
        ops.b.push_back(ordinary(exponent));
        break;
    }
  }
  return ops;
}

namespace {

CheckResult compare(std::string name, const std::vector<float>& gpu, const std::vector<float>& cpu,
                    const std::vector<float>& a, const std::vector<float>* b) {
  CheckResult r{std::move(name), gpu.size()};
  for (std::size_t i = 0; i < gpu.size(); ++i) {
    if (to_bits(gpu[i]) == to_bits(cpu[i])) continue;
    if (r.differing++ == 0) {
      char text[200];
      std::snprintf(text, sizeof text, "input 0x%08x%s%08x: gpu 0x%08x, reference 0x%08x", to_bits(a[i]),
                    b ? " 0x" : "", b ? to_bits((*b)[i]) : 0u, to_bits(gpu[i]), to_bits(cpu[i]));
      r.first_difference = text;
    }
  }
  return r;
}

}  // namespace

std::vector<CheckResult> self_check(runtime::Context& context, std::size_t count, std::uint64_t seed) {
  const Operands ops = hard_operands(count, seed);
  runtime::Transfer transfer(context);
  runtime::Array<float> a(context, count), b(context, count), quotient(context, count), root(context, count);
  transfer.upload(std::span<const float>(ops.a), a);
  transfer.upload(std::span<const float>(ops.b), b);

  ExactMath math(context);
  runtime::Sequence sequence(context);
  math.divide(sequence, a, b, quotient);
  math.sqrt(sequence, a, root);
  sequence.run();

  std::vector<float> expected_quotient(count), expected_root(count);
  for (std::size_t i = 0; i < count; ++i) {
    expected_quotient[i] = reference::cr_div(ops.a[i], ops.b[i]);
    expected_root[i] = reference::cr_sqrt(ops.a[i]);
  }
  std::vector<CheckResult> results;
  results.push_back(compare("divide", transfer.download(quotient), expected_quotient, ops.a, &ops.b));
  results.push_back(compare("sqrt", transfer.download(root), expected_root, ops.a, nullptr));

  // Reductions of ordinary values (the random-bit operands would make every sum NaN).
  std::vector<float> values(ops.b.size());
  for (std::size_t i = 0; i < values.size(); ++i) values[i] = std::isfinite(ops.b[i]) ? std::fmod(ops.b[i], 1e6f) : 1.0f;
  runtime::Array<float> device_values(context, values.size());
  transfer.upload(std::span<const float>(values), device_values);
  const std::pair<const char*, reference::Reduction> reductions[] = {
      {"sum", reference::Reduction::sum},
      {"sum_of_squares", reference::Reduction::sum_of_squares},
      {"compensated_sum", reference::Reduction::compensated_sum}};
  for (const auto& [name, operation] : reductions) {
    const Reducer reducer(context, operation);
    const float gpu = reducer.run(context, device_values);
    const float cpu = reference::reduce(values, operation, reducer.shape(values.size()));
    results.push_back(compare(name, {gpu}, {cpu}, {gpu}, nullptr));
    results.back().values = values.size();
  }
  return results;
}

}  // namespace vulkanite::algorithms
