#include "reference/exact_math.hpp"

#include <limits>

namespace vulkanite::reference {

bool cpu_flushes_subnormals() {
  volatile float smallest_normal = std::numeric_limits<float>::min();
  volatile float half = 0.5f;
  const float subnormal = smallest_normal * half;  // 2^-127, representable only as a subnormal
  return subnormal == 0.0f;
}

}  // namespace vulkanite::reference
