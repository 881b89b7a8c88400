// libFuzzer target for io::open_hdf5: every input is a candidate .h5 file; seeds are
// tests/data/broken/hdf5/.
// The dataset is left empty so the NeXus / CXI discovery runs on the fuzzed file too.
#include "fuzz/fuzz_input_file.hpp"

#include <cstddef>
#include <cstdint>

using namespace vulkanite;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fuzz::read_every_frame(data, size, ".h5",
                         [](const std::filesystem::path& path) { return io::open_hdf5(path); });
  return 0;
}
