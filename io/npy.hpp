#pragma once
// NumPy .npy writing, and reading of whole arrays of any dimension (frames: io::open_npy): C order, little-endian, version 1.0 headers
// (2.0 when the header outgrows 64 KiB), padded so the data starts on a 64-byte boundary as
// numpy itself writes it.
#include "io/frame.hpp"

#include <filesystem>
#include <span>
#include <vector>

namespace vulkanite::io {

// `data` holds shape's product x pixel_bytes(type) bytes in native (little-endian) order.
// Throws std::runtime_error naming the file when it cannot be written.
void write_npy(const std::filesystem::path& path, std::span<const std::size_t> shape, PixelType type,
               std::span<const std::byte> data);

template <class T>
void write_npy(const std::filesystem::path& path, std::span<const std::size_t> shape, std::span<const T> values) {
  write_npy(path, shape, pixel_type_of<T>(), std::as_bytes(values));
}

inline void write_npy(const std::filesystem::path& path, const Frame& frame) {
  write_npy(path, frame.shape, frame.type, frame.data);
}

// A whole array of any dimension (1-D coordinates, [y, x, point] cubes, initial values) as
// doubles: dtypes i1-i8, u1-u8, b1, f4, f8, either byte order, C order. FormatError naming the
// problem (bad magic or header, truncation, unsupported dtype or Fortran order).
struct NpyArray {
  std::vector<std::size_t> shape;
  std::vector<double> values;
};
NpyArray read_npy_array(const std::filesystem::path& path);

}  // namespace vulkanite::io
