// libFuzzer target for io::parse_crystfel_geometry, the in-memory entry point
// read_crystfel_geometry also goes through. FormatError is its documented answer to a broken
// file; anything else is a bug. Only the parser is fuzzed: the pixel maps allocate the whole slab,
// whose size a fuzzed max_ss/max_fs makes arbitrary, and would report memory limits, not bugs.
#include "io/crystfel_geometry.hpp"
#include "io/frame.hpp"

#include <cstddef>
#include <cstdint>
#include <string>

using namespace vulkanite;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    const io::CrystfelGeometry geometry = io::parse_crystfel_geometry(text, "fuzz.geom");
    (void)geometry.slab_shape();
    (void)geometry.wavelength_m();
  } catch (const io::FormatError&) {
  }
  return 0;
}
