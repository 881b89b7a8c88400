#pragma once
// Writing pyFAI PONI files (reading: io/poni.hpp). Always poni_version 2.1, as pyFAI 2024+
// writes it: a built-in detector by name, any other as pyFAI's generic "Detector" with its pixel
// sizes and shape in Detector_config. Numbers in their shortest exact decimal form.
#include <filesystem>
#include <string>

#include "io/poni.hpp"

namespace vulkanite::io {

// The file's text; std::invalid_argument for a generic detector without pixel sizes.
std::string format_poni(const Poni& poni);
// Writes format_poni(poni) to `path`; std::runtime_error naming the file when it cannot.
void write_poni(const std::filesystem::path& path, const Poni& poni);

}  // namespace vulkanite::io
