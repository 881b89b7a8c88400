#include "io/frame_source.hpp"

// Placeholder until the tiff reader lands.
namespace vulkanite::io {
std::unique_ptr<FrameSource> open_tiff(const std::filesystem::path& path) {
  throw FormatError(path.string() + ": tiff files are not supported yet");
}
}  // namespace vulkanite::io
