#include "io/frame.hpp"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <functional>
#include <numeric>

namespace vulkanite::io {
namespace {

template <class T>
void convert(const Frame& frame, std::vector<float>& out) {
  const auto values = frame.values<T>();
  for (std::size_t i = 0; i < values.size(); ++i) out[i] = static_cast<float>(values[i]);
}

}  // namespace

std::string read_whole_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw FormatError(path.string() + ": cannot open (" + std::strerror(errno) + ")");
  // One read of the known size: a 6 MB CBF took 14 ms through istreambuf_iterator (character by
  // character, with the string regrown on the way), a tenth of the whole frame's read.
  const auto size = in.seekg(0, std::ios::end).tellg();
  if (size < 0) {  // a pipe: no size to tell, read it as it comes
    in.clear();
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  }
  std::string text(static_cast<std::size_t>(size), '\0');
  in.seekg(0);
  if (!in.read(text.data(), size)) throw FormatError(path.string() + ": read failed (" + std::strerror(errno) + ")");
  return text;
}

std::size_t pixel_bytes(PixelType type) {
  switch (type) {
    case PixelType::int8: case PixelType::uint8: return 1;
    case PixelType::int16: case PixelType::uint16: return 2;
    case PixelType::int32: case PixelType::uint32: case PixelType::float32: return 4;
    case PixelType::float64: return 8;
  }
  return 0;
}

const char* pixel_type_name(PixelType type) {
  switch (type) {
    case PixelType::int8: return "int8";
    case PixelType::uint8: return "uint8";
    case PixelType::int16: return "int16";
    case PixelType::uint16: return "uint16";
    case PixelType::int32: return "int32";
    case PixelType::uint32: return "uint32";
    case PixelType::float32: return "float32";
    case PixelType::float64: return "float64";
  }
  return "unknown";
}

std::size_t Frame::pixel_count() const {
  return std::accumulate(shape.begin(), shape.end(), std::size_t{1}, std::multiplies<>());
}

std::vector<float> Frame::to_float32() const {
  std::vector<float> out(pixel_count());
  switch (type) {
    case PixelType::int8: convert<std::int8_t>(*this, out); break;
    case PixelType::uint8: convert<std::uint8_t>(*this, out); break;
    case PixelType::int16: convert<std::int16_t>(*this, out); break;
    case PixelType::uint16: convert<std::uint16_t>(*this, out); break;
    case PixelType::int32: convert<std::int32_t>(*this, out); break;
    case PixelType::uint32: convert<std::uint32_t>(*this, out); break;
    case PixelType::float32: std::memcpy(out.data(), data.data(), out.size() * sizeof(float)); break;
    case PixelType::float64: convert<double>(*this, out); break;
  }
  return out;
}

Frame make_frame(std::vector<std::size_t> shape, PixelType type, std::string source) {
  Frame frame;
  frame.shape = std::move(shape);
  frame.type = type;
  frame.source = std::move(source);
  frame.data.resize(frame.pixel_count() * pixel_bytes(type));
  return frame;
}

std::string shape_text(std::span<const std::size_t> shape) {
  std::string text;
  for (const auto n : shape) text += (text.empty() ? "" : " x ") + std::to_string(n);
  return text;
}

}  // namespace vulkanite::io
