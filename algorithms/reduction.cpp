#include "algorithms/reduction.hpp"

#include <shaders/reduce.spv.hpp>

namespace vulkanite::algorithms {
namespace {

runtime::KernelDesc reduce_kernel(reference::Reduction operation, std::uint32_t pass, std::uint32_t workgroup_size) {
  if (workgroup_size == 0 || (workgroup_size & (workgroup_size - 1)) != 0)
    throw std::invalid_argument("reduction workgroup size " + std::to_string(workgroup_size) +
                                " is not a power of two");
  return {pass == 0 ? "reduce" : "reduce_partials", shaders::reduce, 2, sizeof(ReducePush), workgroup_size,
          {static_cast<std::uint32_t>(operation), pass}};
}

}  // namespace

Reducer::Reducer(runtime::Context& context, reference::Reduction operation, std::uint32_t workgroup_size)
    : workgroup_size_(workgroup_size),
      first_pass_(context, reduce_kernel(operation, 0, workgroup_size)),
      second_pass_(context, reduce_kernel(operation, 1, workgroup_size)) {}

reference::ReductionShape Reducer::shape(std::size_t count) const {
  return reference::reduction_shape(count, workgroup_size_);
}

void Reducer::record(runtime::Sequence& sequence, const runtime::Array<float>& values,
                     const runtime::Array<float>& partials, const runtime::Array<float>& result) const {
  if (values.size() > 0xffffffffu) throw std::invalid_argument("reduction of more than 2^32 - 1 values");
  const auto s = shape(values.size());
  if (partials.size() < 2 * std::size_t{s.groups} || result.size() < 2)
    throw std::invalid_argument("reduction scratch arrays are too small for " + std::to_string(values.size()) +
                                " values");
  sequence.dispatch(first_pass_, {values, partials}, ReducePush{static_cast<std::uint32_t>(values.size())}, {s.groups});
  sequence.barrier();
  sequence.dispatch(second_pass_, {partials, result}, ReducePush{s.groups}, {1});
}

float Reducer::run(runtime::Context& context, const runtime::Array<float>& values) const {
  runtime::Array<float> partials(context, 2 * std::size_t{shape(values.size()).groups});
  runtime::Array<float> result(context, 2);
  runtime::Sequence sequence(context);
  record(sequence, values, partials, result);
  sequence.barrier();
  sequence.run();
  runtime::Transfer transfer(context, 64);
  const auto pair = transfer.download(result);
  return reference::canonical(pair[0] + pair[1]);
}

}  // namespace vulkanite::algorithms
