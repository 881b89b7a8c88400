#pragma once
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace vulkanite::apps {

// `--frames A:B`: frames A (inclusive) to B (exclusive), Python-style; either end may be left out.
struct FrameRange {
  std::size_t begin = 0;
  std::optional<std::size_t> end;
};

// Parses "A:B", "A:", ":B" or "A" (that frame alone); throws std::invalid_argument otherwise.
FrameRange parse_frame_range(const std::string& text);

struct InfoOptions {
  std::vector<std::string> files;
  bool json = false;
  FrameRange frames;
};

// `vulkanite info FILE...`: per file and frame the format, shape, pixel type, min, max, sum,
// masked / negative / NaN pixel counts and the metadata found; per file, for a CBF that carries
// panel metrology (CSPAD), the panels' origins and axes. A file that cannot be read is
// named in one line on stderr and the others are still listed; the status is then 1.
int info_command(const InfoOptions& options);

}  // namespace vulkanite::apps
