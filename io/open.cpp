#include "io/frame_source.hpp"

#include <array>
#include <cstring>
#include <fstream>

namespace vulkanite::io {

Format detect_format(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw FormatError(path.string() + ": cannot open (" + std::strerror(errno) + ")");
  std::array<char, 8> head{};
  in.read(head.data(), head.size());
  const std::string_view start(head.data(), static_cast<std::size_t>(in.gcount()));
  if (start.starts_with("###CBF")) return Format::cbf;
  if (start.starts_with("II*") || start.starts_with("MM\0*") || start.starts_with("II+") ||
      start.starts_with(std::string_view("MM\0+", 4)))
    return Format::tiff;
  if (start.starts_with("\x89HDF\r\n\x1a\n")) return Format::hdf5;
  if (start.starts_with("\x93NUMPY")) return Format::npy;
  return Format::unknown;
}

std::unique_ptr<FrameSource> open_frames(const std::filesystem::path& path) {
  switch (detect_format(path)) {
    case Format::cbf: return open_cbf(path);
    case Format::tiff: return open_tiff(path);
    case Format::hdf5: return open_hdf5(path);
    case Format::npy: return open_npy(path);
    case Format::unknown: break;
  }
  throw FormatError(path.string() + ": not a CBF, TIFF, HDF5 or NumPy file (unrecognised first bytes)");
}

std::size_t frame_count(const std::filesystem::path& path, Format format) {
  return format == Format::cbf ? 1 : open_frames(path)->frame_count();
}

}  // namespace vulkanite::io
