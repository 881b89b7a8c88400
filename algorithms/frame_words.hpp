#pragma once
// Frames as the kernels read them: pixel words of a type the shaders decode themselves
// (shaders/common/frame_pixels.glsl), or float32 converted on the host for the other types.
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "io/frame.hpp"
#include "runtime/parallel_copy.hpp"

namespace vulkanite::algorithms {

// The kernels' pixel-type specialization constant (0 float32, 1 int32, 2 uint32, 3 int16,
// 4 uint16); nullopt for types converted to float32 on the host first.
std::optional<std::uint32_t> kernel_pixel_type(io::PixelType type);

// The frame's pixels as the kernels see them, as floats: what the CPU references take.
std::vector<float> frame_as_float(const io::Frame& frame);

// Writes the frame's pixel words into `staging` (which must hold 4 bytes per pixel) and returns
// the type the kernels will read them as and the number of bytes to upload (a multiple of 4).
struct StagedFrame {
  io::PixelType type;
  std::size_t bytes;
};
StagedFrame stage_frame(const io::Frame& frame, std::span<std::byte> staging, runtime::CopyPool& copier);

}  // namespace vulkanite::algorithms
