#pragma once
// Element-wise correctly rounded division and square root on the GPU (shaders/exact_math/):
// the self-check and the tests of the exact-arithmetic library run through these.
#include "runtime/buffer.hpp"
#include "runtime/kernel.hpp"
#include "runtime/sequence.hpp"

namespace vulkanite::algorithms {

struct ElementwisePush {  // GLSL: ElementwisePush in shaders/exact_math/*.comp
  std::uint32_t count;
};
static_assert(sizeof(ElementwisePush) == 4);

class ExactMath {
 public:
  explicit ExactMath(runtime::Context& context, std::uint32_t workgroup_size = 256);

  // Record into `sequence`; all arrays have the same size.
  void divide(runtime::Sequence& sequence, const runtime::Array<float>& dividend,
              const runtime::Array<float>& divisor, const runtime::Array<float>& quotient) const;
  void sqrt(runtime::Sequence& sequence, const runtime::Array<float>& value, const runtime::Array<float>& root) const;

 private:
  runtime::Kernel divide_;
  runtime::Kernel sqrt_;
};

}  // namespace vulkanite::algorithms
