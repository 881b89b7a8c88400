#pragma once
// What the CBF reader learns from a file's text before libcbf touches it: the binary sections'
// MIME headers (checked against the file size, so that libcbf never sees a truncated or absurd
// section) and the Pilatus miniCBF header lines, which libcbf only hands out as one string.
#include "io/frame.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace vulkanite::io::cbf {

// The most pixels one file may declare: 2^28 (1 GiB of int32, over ten Eiger 16M frames).
// Anything larger is refused before libcbf allocates for it.
inline constexpr std::uint64_t kMaxElements = std::uint64_t{1} << 28;

struct BinarySection {
  std::string conversions;    // "x-CBF_BYTE_OFFSET", "x-CBF_PACKED", ...
  std::uint64_t size = 0;     // X-Binary-Size: compressed bytes
  std::uint64_t elements = 0; // X-Binary-Number-of-Elements
  std::uint64_t offset = 0;   // where the compressed bytes start in the file
};

struct TextScan {
  std::vector<BinarySection> sections;
  std::uint64_t file_size = 0;
  bool pilatus_header = false;  // _array_data.header_contents with "# " lines
  Metadata metadata;            // from the Pilatus header lines, in SI units
};

// Checks what the text declares (magic, each section's size against the file, element counts
// against dimensions and kMaxElements); throws FormatError("<name>: <problem>").
TextScan scan_text(std::string_view file, const std::string& name);

// Parses "# Wavelength 0.96859 A" style lines into SI metadata, the rest into `other`.
void parse_pilatus_header(std::string_view contents, Metadata& metadata, const std::string& name);

}  // namespace vulkanite::io::cbf
