// libFuzzer target for io::open_cbf: every input is a candidate .cbf file; seeds are
// tests/data/broken/cbf/.
#include "fuzz/fuzz_input_file.hpp"

#include <cstddef>
#include <cstdint>

using namespace vulkanite;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fuzz::read_every_frame(data, size, ".cbf",
                         [](const std::filesystem::path& path) { return io::open_cbf(path); });
  return 0;
}
