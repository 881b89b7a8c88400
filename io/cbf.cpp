#include "io/frame_source.hpp"

// Placeholder until the cbf reader lands.
namespace vulkanite::io {
std::unique_ptr<FrameSource> open_cbf(const std::filesystem::path& path) {
  throw FormatError(path.string() + ": cbf files are not supported yet");
}
}  // namespace vulkanite::io
