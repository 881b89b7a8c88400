#include "algorithms/exact_math.hpp"

#include <shaders/exact_math_divide.spv.hpp>
#include <shaders/exact_math_sqrt.spv.hpp>

namespace vulkanite::algorithms {
namespace {

void check_sizes(std::size_t a, std::size_t b, const char* what) {
  if (a != b)
    throw std::invalid_argument(std::string(what) + ": arrays of " + std::to_string(a) + " and " +
                                std::to_string(b) + " values");
}

}  // namespace

ExactMath::ExactMath(runtime::Context& context, std::uint32_t workgroup_size)
    : divide_(context, {"exact_math_divide", shaders::exact_math_divide, 3, sizeof(ElementwisePush), workgroup_size}),
      sqrt_(context, {"exact_math_sqrt", shaders::exact_math_sqrt, 2, sizeof(ElementwisePush), workgroup_size}) {}

void ExactMath::divide(runtime::Sequence& sequence, const runtime::Array<float>& dividend,
                       const runtime::Array<float>& divisor, const runtime::Array<float>& quotient) const {
  check_sizes(dividend.size(), divisor.size(), "divide");
  check_sizes(dividend.size(), quotient.size(), "divide");
  const ElementwisePush push{static_cast<std::uint32_t>(dividend.size())};
  sequence.dispatch(divide_, {dividend, divisor, quotient}, push, {divide_.groups_for(dividend.size())});
}

void ExactMath::sqrt(runtime::Sequence& sequence, const runtime::Array<float>& value,
                     const runtime::Array<float>& root) const {
  check_sizes(value.size(), root.size(), "sqrt");
  const ElementwisePush push{static_cast<std::uint32_t>(value.size())};
  sequence.dispatch(sqrt_, {value, root}, push, {sqrt_.groups_for(value.size())});
}

}  // namespace vulkanite::algorithms
