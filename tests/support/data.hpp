#pragma once
// Real data for validation lives outside the repository: $VULKANITE_DATA, else ../shared/data
// beside the source tree. Tests that need it call this and skip with a message when absent:
//   const auto file = tests::shared_data("pilatus6m/thau_3_2.poni");
//   if (!file) GTEST_SKIP() << tests::missing_data_message("pilatus6m/thau_3_2.poni");
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>

namespace vulkanite::tests {

inline std::filesystem::path shared_data_root() {
  if (const char* dir = std::getenv("VULKANITE_DATA"); dir && *dir) return dir;
  return std::filesystem::path(VULKANITE_SOURCE_DIR) / ".." / "shared" / "data";
}

inline std::optional<std::filesystem::path> shared_data(const std::string& relative) {
  const auto path = shared_data_root() / relative;
  if (std::filesystem::exists(path)) return path;
  return std::nullopt;
}

inline std::string missing_data_message(const std::string& relative) {
  return relative + " not found under " + shared_data_root().string() + " (set VULKANITE_DATA)";
}

}  // namespace vulkanite::tests
