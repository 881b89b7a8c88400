// libFuzzer target for io::open_tiff: every input is a candidate .tif file; seeds are
// tests/data/broken/tiff/.
#include "fuzz/fuzz_input_file.hpp"

#include <cstddef>
#include <cstdint>

using namespace vulkanite;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fuzz::read_every_frame(data, size, ".tif",
                         [](const std::filesystem::path& path) { return io::open_tiff(path); });
  return 0;
}
