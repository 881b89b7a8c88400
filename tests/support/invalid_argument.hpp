#pragma once
// The message of the std::invalid_argument that `f` throws, or "no error": for tests that check
// the exact text of a refusal.
#include <stdexcept>
#include <string>

namespace vulkanite::tests {

template <class F>
std::string invalid_argument_message(F&& f) {
  try {
    f();
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "no error";
}

}  // namespace vulkanite::tests
