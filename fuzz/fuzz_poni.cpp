// libFuzzer target for io::parse_poni, the in-memory entry point read_poni also goes through.
// FormatError is its documented answer to a broken file (an unknown Detector name included: the
// fuzzer found it once escaping as std::invalid_argument). Anything else is a bug.
#include "io/frame.hpp"
#include "io/poni.hpp"

#include <cstddef>
#include <cstdint>
#include <string>

using namespace vulkanite;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    (void)io::parse_poni(text, "fuzz.poni");
  } catch (const io::FormatError&) {
  }
  return 0;
}
