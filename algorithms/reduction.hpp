#pragma once
// GPU reduction of a float array (sum, sum of squares, compensated sum) in the fixed shape of
// reference::reduction_shape, so that the result is bit-identical to reference::reduce.
#include "reference/reduction.hpp"
#include "runtime/buffer.hpp"
#include "runtime/kernel.hpp"
#include "runtime/sequence.hpp"
#include "runtime/transfer.hpp"

namespace vulkanite::algorithms {

struct ReducePush {  // GLSL: ReducePush in shaders/reduce/reduce.comp
  std::uint32_t count;
};
static_assert(sizeof(ReducePush) == 4);

class Reducer {
 public:
  Reducer(runtime::Context& context, reference::Reduction operation, std::uint32_t workgroup_size = 256);

  reference::ReductionShape shape(std::size_t count) const;
  // Records both passes; `partials` holds 2 * shape(count).groups floats, `result` 2 floats
  // (sum, rounding error).
  void record(runtime::Sequence& sequence, const runtime::Array<float>& values,
              const runtime::Array<float>& partials, const runtime::Array<float>& result) const;
  // Runs the reduction and returns sum + error, as reference::reduce does.
  float run(runtime::Context& context, const runtime::Array<float>& values) const;

 private:
  std::uint32_t workgroup_size_;
  runtime::Kernel first_pass_;
  runtime::Kernel second_pass_;
};

}  // namespace vulkanite::algorithms
