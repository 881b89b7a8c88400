#include "support/temp_dir.hpp"

#include <stdlib.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>
#include <system_error>

namespace vulkanite::tests {

TempDir::TempDir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "vulkanite-test-XXXXXX").string();
  // mkdtemp: a unique name even when ctest runs several test processes at once.
  if (!mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp " + pattern + ": " + std::strerror(errno));
  path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ignored;  // a destructor must not throw; a leftover temp dir is harmless
  std::filesystem::remove_all(path_, ignored);
}

}  // namespace vulkanite::tests
