// libFuzzer target for io::open_npy: every input is a candidate .npy file; seeds are
// tests/data/broken/npy/.
#include "fuzz/fuzz_input_file.hpp"

#include <cstddef>
#include <cstdint>

using namespace vulkanite;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fuzz::read_every_frame(data, size, ".npy",
                         [](const std::filesystem::path& path) { return io::open_npy(path); });
  return 0;
}
