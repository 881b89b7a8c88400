#include "algorithms/frame_words.hpp"

#include <algorithm>
#include <cstring>
#include <stdexcept>

namespace vulkanite::algorithms {

std::optional<std::uint32_t> kernel_pixel_type(io::PixelType type) {
  switch (type) {
    case io::PixelType::float32: return 0;
    case io::PixelType::int32: return 1;
    case io::PixelType::uint32: return 2;
    case io::PixelType::int16: return 3;
    case io::PixelType::uint16: return 4;
    default: return std::nullopt;
  }
}

std::vector<float> frame_as_float(const io::Frame& frame) {
  std::vector<float> out(frame.pixel_count());
  const auto convert = [&]<class T>(std::span<const T> values) {
    std::transform(values.begin(), values.end(), out.begin(), [](T v) { return static_cast<float>(v); });
  };
  switch (frame.type) {
    case io::PixelType::int8: convert(frame.values<std::int8_t>()); break;
    case io::PixelType::uint8: convert(frame.values<std::uint8_t>()); break;
    case io::PixelType::int16: convert(frame.values<std::int16_t>()); break;
    case io::PixelType::uint16: convert(frame.values<std::uint16_t>()); break;
    case io::PixelType::int32: convert(frame.values<std::int32_t>()); break;
    case io::PixelType::uint32: convert(frame.values<std::uint32_t>()); break;
    case io::PixelType::float32: convert(frame.values<float>()); break;
    case io::PixelType::float64: convert(frame.values<double>()); break;
  }
  return out;
}

StagedFrame stage_frame(const io::Frame& frame, std::span<std::byte> staging, runtime::CopyPool& copier) {
  if (staging.size() < frame.pixel_count() * sizeof(float))
    throw std::logic_error("stage_frame: the staging buffer is smaller than 4 bytes per pixel");
  if (kernel_pixel_type(frame.type)) {
    copier.copy_to_staging(staging.data(), frame.data.data(), frame.data.size());
    return {frame.type, std::max<std::size_t>(4, (frame.data.size() + 3) & ~std::size_t{3})};
  }
  const auto values = frame_as_float(frame);
  std::memcpy(staging.data(), values.data(), values.size() * sizeof(float));
  return {io::PixelType::float32, std::max<std::size_t>(4, values.size() * sizeof(float))};
}

}  // namespace vulkanite::algorithms
