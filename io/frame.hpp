#pragma once
// One detector frame as every reader returns it: shape, pixel type, the pixels in the file's own
// type, and the experiment metadata the file carries. Readers never convert pixel values;
// `to_float32` is the one conversion kernels use.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

namespace vulkanite::io {

enum class PixelType { int8, uint8, int16, uint16, int32, uint32, float32, float64 };

std::size_t pixel_bytes(PixelType type);
const char* pixel_type_name(PixelType type);  // "int32", "float32", ...

// A shape as messages write it, slowest first: "2527 x 2463", "5 x 64 x 48".
std::string shape_text(std::span<const std::size_t> shape);
inline std::string shape_text(std::size_t rows, std::size_t columns) {
  const std::size_t shape[] = {rows, columns};
  return shape_text(shape);
}

template <class T>
constexpr PixelType pixel_type_of();
template <> constexpr PixelType pixel_type_of<std::int8_t>() { return PixelType::int8; }
template <> constexpr PixelType pixel_type_of<std::uint8_t>() { return PixelType::uint8; }
template <> constexpr PixelType pixel_type_of<std::int16_t>() { return PixelType::int16; }
template <> constexpr PixelType pixel_type_of<std::uint16_t>() { return PixelType::uint16; }
template <> constexpr PixelType pixel_type_of<std::int32_t>() { return PixelType::int32; }
template <> constexpr PixelType pixel_type_of<std::uint32_t>() { return PixelType::uint32; }
template <> constexpr PixelType pixel_type_of<float>() { return PixelType::float32; }
template <> constexpr PixelType pixel_type_of<double>() { return PixelType::float64; }

// What the file says about the experiment, in SI units, each only when the file has it.
struct Metadata {
  std::optional<double> wavelength_m;
  std::optional<double> distance_m;          // sample to detector
  std::optional<double> beam_center_fast_px;  // pixel coordinates along the fast (x) axis
  std::optional<double> beam_center_slow_px;
  std::optional<double> pixel_size_fast_m;
  std::optional<double> pixel_size_slow_m;
  std::optional<double> exposure_time_s;
  std::optional<double> count_cutoff;        // pixels above it are overloaded (Pilatus headers)
  std::map<std::string, std::string> other;  // further header items, verbatim
};

// The file and the problem: "thau_3_2_0001.cbf: truncated binary section (12 of 24 MB)".
class FormatError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The whole file as bytes; FormatError "path: cannot open (reason)" when it cannot be read.
std::string read_whole_file(const std::filesystem::path& path);

struct Frame {
  std::vector<std::size_t> shape;  // slowest first: {ny, nx}, or {panels, ny, nx}
  PixelType type = PixelType::float32;
  std::vector<std::byte> data;     // shape's product x pixel_bytes(type), native byte order
  Metadata metadata;
  std::string source;              // "file.h5 frame 3", for messages

  std::size_t pixel_count() const;
  template <class T>
  std::span<const T> values() const {
    if (type != pixel_type_of<T>())
      throw std::logic_error(source + ": pixels are " + pixel_type_name(type) + ", not " +
                             pixel_type_name(pixel_type_of<T>()));
    return {reinterpret_cast<const T*>(data.data()), pixel_count()};
  }
  std::vector<float> to_float32() const;  // values converted to float (int32 counts are exact up to 2^24)
};

// Makes a frame of `shape` and `type` whose bytes are all zero, for readers to fill.
Frame make_frame(std::vector<std::size_t> shape, PixelType type, std::string source);

}  // namespace vulkanite::io
