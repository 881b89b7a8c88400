// Pixel values of a detector frame stored as 32-bit words, as kernels read them: the includer
// declares `frame_words` (a uint buffer holding the frame's bytes) and the specialization
// constant kPixelType (0 float32, 1 int32, 2 uint32, 3 int16, 4 uint16).
// Integer conversions round to nearest even, as C++'s static_cast<float> does (Vulkan requires
// correctly rounded integer-to-float conversions), so the CPU twins see the same floats.
#ifndef VULKANITE_FRAME_PIXELS_GLSL
#define VULKANITE_FRAME_PIXELS_GLSL

float raw_value(uint i) {
  if (kPixelType == 0u) return uintBitsToFloat(frame_words[i]);
  if (kPixelType == 1u) return float(int(frame_words[i]));
  if (kPixelType == 2u) return float(frame_words[i]);
  int offset = int(i & 1u) * 16;
  uint word = frame_words[i >> 1];
  if (kPixelType == 3u) return float(bitfieldExtract(int(word), offset, 16));
  return float(bitfieldExtract(word, offset, 16));
}

#endif
