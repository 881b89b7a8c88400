#pragma once
// A fresh directory under the system's temporary directory, removed with everything in it when
// the object goes: tests that write files (pipeline caches) never see each other's.
#include <filesystem>

namespace vulkanite::tests {

class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const noexcept { return path_; }

 private:
  std::filesystem::path path_;
};

}  // namespace vulkanite::tests
