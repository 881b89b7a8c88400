#include "io/frame_source.hpp"

// Placeholder until the hdf5 reader lands.
namespace vulkanite::io {
std::unique_ptr<FrameSource> open_hdf5(const std::filesystem::path& path, const std::string&) {
  throw FormatError(path.string() + ": hdf5 files are not supported yet");
}
}  // namespace vulkanite::io
