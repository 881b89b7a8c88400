#pragma once
// The message a broken detector file gives: open it and read every frame, and return the
// io::FormatError's text, or "(no error)" when none was thrown.
#include "io/frame_source.hpp"

#include <functional>
#include <memory>
#include <string>

namespace vulkanite::tests {

inline std::string format_error_of(const std::function<std::unique_ptr<io::FrameSource>()>& open) {
  try {
    auto source = open();
    for (std::size_t i = 0; i < source->frame_count(); ++i) source->read(i);
  } catch (const io::FormatError& e) {
    return e.what();
  }
  return "(no error)";
}

}  // namespace vulkanite::tests
