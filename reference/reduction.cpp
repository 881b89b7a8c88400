#include "reference/reduction.hpp"

#include <algorithm>
#include <stdexcept>

namespace vulkanite::reference {
namespace {

SumPair combine(SumPair a, SumPair b, bool compensated) {
  return compensated ? compensated_combine(a, b) : SumPair{add_ftz(a[0], b[0]), 0.0f};
}

}  // namespace

ReductionShape reduction_shape(std::size_t count, std::uint32_t workgroup_size) {
  const std::size_t per_group = std::size_t{workgroup_size} * 32;
  const std::size_t groups = std::clamp<std::size_t>((count + per_group - 1) / per_group, 1, 1024);
  return {workgroup_size, static_cast<std::uint32_t>(groups)};
}

SumPair compensated_add(SumPair acc, float x) {
  const float t = ftz(acc[0] + x);
  const bool sum_larger = std::fabs(acc[0]) >= std::fabs(x);
  const float e = sum_larger ? ftz(acc[0] - t) : ftz(x - t);
  const float f = sum_larger ? ftz(e + x) : ftz(e + acc[0]);
  return {t, ftz(acc[1] + f)};
}

SumPair compensated_combine(SumPair a, SumPair b) {
  const SumPair sum = compensated_add(a, b[0]);
  return {sum[0], ftz(sum[1] + b[1])};
}

std::vector<SumPair> reduce_pass(std::span<const float> values, Reduction operation, std::uint32_t pass,
                                 ReductionShape shape) {
  const std::uint32_t w = shape.workgroup_size;
  if (w == 0 || (w & (w - 1)) != 0) throw std::invalid_argument("reduction workgroup size must be a power of two");
  const bool compensated = operation == Reduction::compensated_sum;
  const std::size_t count = pass == 0 ? values.size() : values.size() / 2;
  const std::size_t stride = std::size_t{w} * shape.groups;
  std::vector<SumPair> partials(shape.groups);
  std::vector<SumPair> acc(w);
  for (std::uint32_t g = 0; g < shape.groups; ++g) {
    // Each invocation's elements, in the order the shader visits them.
    for (std::uint32_t t = 0; t < w; ++t) {
      SumPair a{0.0f, 0.0f};
      for (std::size_t i = std::size_t{g} * w + t; i < count; i += stride) {
        if (pass == 1)
          a = combine(a, {values[2 * i], values[2 * i + 1]}, compensated);
        else if (operation == Reduction::sum)
          a[0] = add_ftz(a[0], ftz(values[i]));
        else if (operation == Reduction::sum_of_squares)
          a[0] = add_ftz(a[0], square_ftz(ftz(values[i])));
        else
          a = compensated_add(a, ftz(values[i]));
      }
      acc[t] = a;
    }
    // The workgroup's tree: neighbours first.
    for (std::uint32_t s = 1; s < w; s <<= 1)
      for (std::uint32_t t = 0; t < w; t += 2 * s) acc[t] = combine(acc[t], acc[t + s], compensated);
    partials[g] = {canonical(acc[0][0]), canonical(acc[0][1])};
  }
  return partials;
}

float reduce(std::span<const float> values, Reduction operation, ReductionShape shape) {
  const auto partials = reduce_pass(values, operation, 0, shape);
  const auto total = reduce_pass({partials.front().data(), 2 * partials.size()}, operation, 1,
                                 {shape.workgroup_size, 1});
  return canonical(total[0][0] + total[0][1]);
}

}  // namespace vulkanite::reference
