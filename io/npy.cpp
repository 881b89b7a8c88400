#include "io/frame_source.hpp"

// Placeholder until the npy reader lands.
namespace vulkanite::io {
std::unique_ptr<FrameSource> open_npy(const std::filesystem::path& path) {
  throw FormatError(path.string() + ": npy files are not supported yet");
}
}  // namespace vulkanite::io
