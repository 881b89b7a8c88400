#pragma once
// GPU fit results against the reference's, bit for bit (tests/fit_test.cpp,
// tests/fit_expression_test.cpp): states, iterations, chi^2, parameters and standard errors.
#include "reference/fit.hpp"

#include <gtest/gtest.h>

#include <bit>
#include <cstdio>
#include <string>

namespace vulkanite::tests {

inline std::string hex(float f) {
  char text[48];
  std::snprintf(text, sizeof text, "0x%08x (%.9g)", std::bit_cast<std::uint32_t>(f), static_cast<double>(f));
  return text;
}

// Every output, bit for bit; the first differing fit is reported.
inline void expect_identical(const reference::FitResult<float>& gpu, const reference::FitResult<float>& cpu,
                             std::size_t parameters) {
  ASSERT_EQ(gpu.states.size(), cpu.states.size());
  for (std::size_t n = 0; n < cpu.states.size(); ++n) {
    SCOPED_TRACE("fit " + std::to_string(n));
    EXPECT_EQ(reference::state_name(gpu.states[n]), reference::state_name(cpu.states[n]));
    EXPECT_EQ(gpu.iterations[n], cpu.iterations[n]);
    EXPECT_EQ(hex(gpu.chi_square[n]), hex(cpu.chi_square[n]));
    for (std::size_t j = 0; j < parameters; ++j) {
      EXPECT_EQ(hex(gpu.parameters[n * parameters + j]), hex(cpu.parameters[n * parameters + j])) << "parameter " << j;
      EXPECT_EQ(hex(gpu.standard_errors[n * parameters + j]), hex(cpu.standard_errors[n * parameters + j]))
          << "error " << j;
    }
    if (::testing::Test::HasFailure()) return;  // one fit's differences are enough to read
  }
}

}  // namespace vulkanite::tests
