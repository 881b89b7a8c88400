// CBF through libcbf: miniCBF (Pilatus, Eiger-converted; byte-offset) and full CBF with several
// arrays (CSPAD; packed). The text is checked first (io/cbf_text.cpp) so that libcbf only ever
// sees sections whose declared sizes fit the file and whose pixel counts are bounded; libcbf
// then decodes, and every one of its return codes is checked.
#include "io/cbf_handle.hpp"
#include "io/cbf_text.hpp"
#include "io/frame_source.hpp"

#include <cbf.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <limits>
#include <optional>
#include <stdexcept>
#include <span>
#include <type_traits>

namespace vulkanite::io {
namespace {


struct ArrayInfo {
  PixelType type = PixelType::int32;
  bool real = false;
  bool byte_offset = false;  // CBF_BYTE_OFFSET compression
  std::size_t fast = 0, mid = 0, slow = 0, elements = 0;
};

PixelType pixel_type(std::size_t size, bool real, bool is_signed, const std::string& where) {
  if (real && size == 4) return PixelType::float32;
  if (real && size == 8) return PixelType::float64;
  if (!real && size == 1) return is_signed ? PixelType::int8 : PixelType::uint8;
  if (!real && size == 2) return is_signed ? PixelType::int16 : PixelType::uint16;
  if (!real && size == 4) return is_signed ? PixelType::int32 : PixelType::uint32;
  throw FormatError(where + ": unsupported element type (" + (real ? "real" : "integer") + ", " +
                    std::to_string(size) + " bytes)");
}

ArrayInfo array_info(cbf_handle cbf, const std::string& where) {
  unsigned int compression = 0;
  int id = 0, is_signed = 0, is_unsigned = 0, min = 0, max = 0, real = 0;
  std::size_t size = 0, elements = 0, fast = 0, mid = 0, slow = 0, padding = 0;
  const char* byte_order = nullptr;
  const int error = cbf_get_arrayparameters_wdims_fs(cbf, &compression, &id, &size, &is_signed, &is_unsigned, &elements,
                                                    &min, &max, &real, &byte_order, &fast, &mid, &slow, &padding);
  // Here libcbf checks the section's Content-MD5 (MSG_DIGEST) and parses its MIME header.
  if (error == CBF_FORMAT)
    throw FormatError(where + ": corrupt binary section (Content-MD5 mismatch or bad MIME header; libcbf: " +
                      cbf_strerror(error) + ")");
  check_cbf(error, "cbf_get_arrayparameters_wdims", where);
  ArrayInfo info;
  info.real = real != 0;
  info.byte_offset = (compression & CBF_COMPRESSION_MASK) == CBF_BYTE_OFFSET;
  info.type = pixel_type(size, info.real, is_signed != 0, where);
  info.fast = fast;
  info.mid = mid == 0 ? 1 : mid;
  info.slow = slow == 0 ? 1 : slow;
  info.elements = elements;
  // Bounds were checked on the text; this catches a MIME header that disagrees with itself.
  if (fast == 0 || elements != info.fast * info.mid * info.slow || elements > cbf::kMaxElements)
    throw FormatError(where + ": dimensions " + std::to_string(fast) + " x " + std::to_string(mid) + " x " +
                      std::to_string(slow) + " do not match " + std::to_string(elements) + " elements");
  return info;
}

template <class T>
T little_endian(const unsigned char* p) {
  std::make_unsigned_t<T> v = 0;
  for (std::size_t i = 0; i < sizeof(T); ++i) v |= static_cast<std::make_unsigned_t<T>>(p[i]) << (8 * i);
  return static_cast<T>(v);
}

// CBF byte-offset decompression of `elements` integers from `compressed`: each value is the
// previous one plus a delta of 1 byte, or, after the escape 0x80, of 2 bytes, or, after the
// escapes 0x80 0x8000, of 4, or, after 0x80 0x8000 0x80000000, of 8 (little-endian). Written by
// hand because libcbf 0.9.7's decoder (cbf_decompress_byte_offset) copies every element
// through memcpy and took about 20 of the 40 ms of reading a Pilatus 6M miniCBF on one core;
// this loop takes a few. Returns how many values the data holds (more or fewer than
// `elements` is the caller's error to report); writes at most `elements`.
template <class T>
std::size_t decode_byte_offset(std::span<const std::byte> compressed, T* out, std::size_t elements) {
  const auto* p = reinterpret_cast<const unsigned char*>(compressed.data());
  const auto* const end = p + compressed.size();
  std::int64_t value = 0;
  std::size_t count = 0;
  while (p < end) {
    std::int64_t delta = static_cast<std::int8_t>(*p++);
    if (delta == -128) {
      if (end - p < 2) break;
      delta = little_endian<std::int16_t>(p);
      p += 2;
      if (delta == -32768) {
        if (end - p < 4) break;
        delta = little_endian<std::int32_t>(p);
        p += 4;
        if (delta == std::numeric_limits<std::int32_t>::min()) {
          if (end - p < 8) break;
          delta = little_endian<std::int64_t>(p);
          p += 8;
        }
      }
    }
    // Unsigned arithmetic: corrupt deltas may overflow, and that must not be undefined behaviour.
    value = static_cast<std::int64_t>(static_cast<std::uint64_t>(value) + static_cast<std::uint64_t>(delta));
    if (count < elements) out[count] = static_cast<T>(value);
    ++count;
  }
  return count;
}

// One string value of a (category, column) at `row`, if the file has it.
std::optional<std::string> value_at(cbf_handle cbf, const char* category, const char* column, unsigned row = 0) {
  const char* value = nullptr;
  if (cbf_find_category(cbf, category) != 0 || cbf_find_column(cbf, column) != 0 || cbf_select_row(cbf, row) != 0 ||
      cbf_get_value(cbf, &value) != 0 || value == nullptr)
    return std::nullopt;
  return std::string(value);
}

std::optional<double> number_at(cbf_handle cbf, const char* category, const char* column) {
  const auto text = value_at(cbf, category, column);
  if (!text) return std::nullopt;
  char* end = nullptr;
  const double value = std::strtod(text->c_str(), &end);
  if (end == text->c_str() || *end != '\0') return std::nullopt;
  return value;
}

// A rectangle of one array named by _array_structure_list_section (CSPAD: one ASIC).
struct Section {
  std::size_t array = 0;
  std::size_t start[3] = {0, 0, 0};  // 0-based, fast / mid / slow
  std::size_t extent[3] = {1, 1, 1};
};

// The sections of the arrays, in file order, when they are all the same size and together hold
// every pixel; otherwise none and the arrays are returned whole. This is how dxtbx splits a
// CSPAD's four quadrant arrays (8 x 185 x 388) into 64 ASIC panels of 185 x 194.
std::vector<Section> equal_sections(cbf_handle cbf, const std::vector<std::string>& array_ids, const ArrayInfo& info) {
  unsigned rows = 0;
  if (cbf_find_category(cbf, "array_structure_list_section") != 0 || cbf_count_rows(cbf, &rows) != 0) return {};
  std::vector<std::string> order;
  std::map<std::string, Section> by_id;
  for (unsigned row = 0; row < rows; ++row) {
    const auto array = value_at(cbf, "array_structure_list_section", "array_id", row);
    const auto id = value_at(cbf, "array_structure_list_section", "id", row);
    const auto index = value_at(cbf, "array_structure_list_section", "index", row);
    const auto start = value_at(cbf, "array_structure_list_section", "start", row);
    const auto end = value_at(cbf, "array_structure_list_section", "end", row);
    if (!array || !id || !index || !start || !end) return {};
    std::size_t a = 0;
    while (a < array_ids.size() && array_ids[a] != *array) ++a;
    const long i = std::strtol(index->c_str(), nullptr, 10), s = std::strtol(start->c_str(), nullptr, 10),
               e = std::strtol(end->c_str(), nullptr, 10);
    if (a == array_ids.size() || i < 1 || i > 3 || s < 1 || e < s) return {};
    const std::size_t dims[3] = {info.fast, info.mid, info.slow};
    if (static_cast<std::size_t>(e) > dims[i - 1]) return {};
    if (!by_id.contains(*id)) order.push_back(*id);
    auto& section = by_id[*id];
    section.array = a;
    section.start[i - 1] = static_cast<std::size_t>(s - 1);
    section.extent[i - 1] = static_cast<std::size_t>(e - s + 1);
  }
  std::vector<Section> sections;
  for (const auto& id : order) sections.push_back(by_id[id]);
  if (sections.empty()) return {};
  const auto& first = sections.front();
  for (const auto& section : sections)
    if (section.extent[0] != first.extent[0] || section.extent[1] != first.extent[1] || section.extent[2] != 1)
      return {};
  if (sections.size() * first.extent[0] * first.extent[1] != array_ids.size() * info.elements) return {};
  return sections;
}

class CbfSource final : public FrameSource {
 public:
  explicit CbfSource(std::filesystem::path path) : path_(std::move(path)), name_(path_.string()) {
    const auto text = read_whole_file(path_);
    scan_ = cbf::scan_text(text, name_);
    const auto& conversions = scan_.sections.front().conversions;
    std::string compression = conversions.starts_with("x-CBF_") ? conversions.substr(6) : conversions;
    for (auto& c : compression) c = c == '_' ? '-' : static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (compression.empty()) compression = "uncompressed";
    format_ = scan_.pilatus_header ? "miniCBF " + compression
                                   : "CBF " + compression + " (" + std::to_string(scan_.sections.size()) + " arrays)";
  }

  std::size_t frame_count() const override { return 1; }
  std::string format() const override { return format_; }

  Frame read(std::size_t index) override { return read_reusing(index, {}); }

  Frame read_reusing(std::size_t index, std::vector<std::byte> storage) override {
    if (index != 0) throw FormatError(name_ + ": frame " + std::to_string(index) + " requested, the file holds 1");
    const CbfFile cbf(path_, MSG_DIGEST);
    check_cbf(cbf_rewind_datablock(cbf), "cbf_rewind_datablock", name_);
    check_cbf(cbf_find_category(cbf, "array_data"), "cbf_find_category(array_data)", name_);
    check_cbf(cbf_find_column(cbf, "data"), "cbf_find_column(array_data.data)", name_);
    unsigned rows = 0;
    check_cbf(cbf_count_rows(cbf, &rows), "cbf_count_rows", name_);
    if (rows == 0 || rows != scan_.sections.size())
      throw FormatError(name_ + ": " + std::to_string(rows) + " array_data rows but " +
                        std::to_string(scan_.sections.size()) + " binary sections");

    ArrayInfo info;
    auto pixels = decode_arrays(cbf, rows, info, std::move(storage));

    Frame frame;
    frame.source = name_;
    frame.type = info.type;
    frame.metadata = scan_.metadata;
    full_cbf_metadata(cbf, frame.metadata);

    std::vector<std::string> array_ids;
    for (unsigned row = 0; row < rows; ++row)
      array_ids.push_back(value_at(cbf, "array_data", "array_id", row).value_or(""));
    const auto sections = rows > 1 || info.slow > 1 ? equal_sections(cbf, array_ids, info) : std::vector<Section>{};
    if (!sections.empty()) {
      frame.shape = {sections.size(), sections.front().extent[1], sections.front().extent[0]};
      frame.data = cut_sections(pixels, sections, info);
    } else if (rows == 1 && info.slow == 1) {
      frame.shape = {info.mid, info.fast};
      frame.data = std::move(pixels);
    } else {
      frame.shape = {rows * info.slow, info.mid, info.fast};
      frame.data = std::move(pixels);
    }
    return frame;
  }

 private:
  // Every array_data row, one after the other; all must have the same type and shape.
  // `pixels`: storage to reuse (resizing a buffer of the right size neither allocates nor fills).
  std::vector<std::byte> decode_arrays(cbf_handle cbf, unsigned rows, ArrayInfo& info,
                                       std::vector<std::byte> pixels) const {
    std::vector<std::byte> scratch;
    std::string file;  // the file's bytes, once a byte-offset array needs them
    for (unsigned row = 0; row < rows; ++row) {
      const std::string where = name_ + " array " + std::to_string(row + 1);
      check_cbf(cbf_find_category(cbf, "array_data"), "cbf_find_category(array_data)", where);
      check_cbf(cbf_find_column(cbf, "data"), "cbf_find_column(array_data.data)", where);
      check_cbf(cbf_select_row(cbf, row), "cbf_select_row", where);
      const auto this_info = array_info(cbf, where);  // libcbf checks the Content-MD5 here
      const std::size_t bytes = pixel_bytes(this_info.type);
      if (row == 0) {
        info = this_info;
        pixels.resize(rows * info.elements * bytes);
      } else if (this_info.type != info.type || this_info.fast != info.fast || this_info.mid != info.mid ||
                 this_info.slow != info.slow || this_info.byte_offset != info.byte_offset) {
        throw FormatError(where + ": arrays differ in type, shape or compression (" + pixel_type_name(this_info.type) +
                          " " + std::to_string(this_info.elements) + " vs " + pixel_type_name(info.type) + " " +
                          std::to_string(info.elements) + " pixels)");
      }
      std::byte* const target = pixels.data() + row * info.elements * bytes;
      if (info.byte_offset && !info.real) {
        if (file.empty()) file = read_whole_file(path_);
        const auto& section = scan_.sections[row];
        if (section.offset > file.size() || section.size > file.size() - section.offset)
          throw FormatError(where + ": the file changed since it was opened (binary section beyond its end)");
        const auto compressed = std::as_bytes(std::span(file)).subspan(section.offset, section.size);
        check_decoded(decode_byte_offset_as(info.type, compressed, target, info.elements), info.elements, where);
        continue;
      }
      if (scratch.empty()) {
        // libcbf 0.9.7's decoders are not trusted to stop at `nelem` (its byte-offset decoder,
        // no longer used, wrote past the buffer on corrupt data: found by fuzzing under ASan).
        // Each decoded pixel takes at least one compressed byte and libcbf reads no further
        // than the end of the file, so one pixel per byte of the file is always enough.
        scratch.resize((std::max<std::size_t>(info.elements, scan_.file_size) + 16) * bytes);
      }
      decode_array(cbf, info, scratch, where);
      std::memcpy(target, scratch.data(), info.elements * bytes);
    }
    return pixels;
  }

  static std::size_t decode_byte_offset_as(PixelType type, std::span<const std::byte> compressed, std::byte* out,
                                           std::size_t elements) {
    switch (type) {
      case PixelType::int8: return decode_byte_offset(compressed, reinterpret_cast<std::int8_t*>(out), elements);
      case PixelType::uint8: return decode_byte_offset(compressed, reinterpret_cast<std::uint8_t*>(out), elements);
      case PixelType::int16: return decode_byte_offset(compressed, reinterpret_cast<std::int16_t*>(out), elements);
      case PixelType::uint16: return decode_byte_offset(compressed, reinterpret_cast<std::uint16_t*>(out), elements);
      case PixelType::int32: return decode_byte_offset(compressed, reinterpret_cast<std::int32_t*>(out), elements);
      case PixelType::uint32: return decode_byte_offset(compressed, reinterpret_cast<std::uint32_t*>(out), elements);
      default: throw std::logic_error("byte-offset CBF of a non-integer type");
    }
  }

  static void check_decoded(std::size_t read, std::size_t elements, const std::string& where) {
    if (read < elements)
      throw FormatError(where + ": compressed data ends after " + std::to_string(read) + " of " +
                        std::to_string(elements) + " pixels");
    if (read > elements)
      throw FormatError(where + ": compressed data decodes to " + std::to_string(read) + " pixels, not the " +
                        std::to_string(elements) + " declared");
  }

  static void decode_array(cbf_handle cbf, const ArrayInfo& info, std::vector<std::byte>& out,
                           const std::string& where) {
    const std::size_t bytes = pixel_bytes(info.type);
    int id = 0;
    std::size_t read = 0;
    if (info.real) {
      check_cbf(cbf_get_realarray(cbf, &id, out.data(), bytes, info.elements, &read), "cbf_get_realarray", where);
    } else {
      const bool is_signed =
          info.type == PixelType::int8 || info.type == PixelType::int16 || info.type == PixelType::int32;
      check_cbf(cbf_get_integerarray(cbf, &id, out.data(), bytes, is_signed ? 1 : 0, info.elements, &read),
                "cbf_get_integerarray", where);
    }
    check_decoded(read, info.elements, where);
  }

  static std::vector<std::byte> cut_sections(const std::vector<std::byte>& pixels,
                                             const std::vector<Section>& sections, const ArrayInfo& info) {
    const std::size_t bytes = pixel_bytes(info.type);
    const std::size_t nx = sections.front().extent[0], ny = sections.front().extent[1];
    std::vector<std::byte> out(pixels.size());
    std::byte* to = out.data();
    for (const auto& section : sections) {
      for (std::size_t y = 0; y < ny; ++y) {
        const std::size_t from = section.array * info.elements +
                                 (section.start[2] * info.mid + section.start[1] + y) * info.fast + section.start[0];
        std::memcpy(to, pixels.data() + from * bytes, nx * bytes);
        to += nx * bytes;
      }
    }
    return out;
  }

  // What a full CBF (written by libcbf, as the CSPAD files are) says in its CIF categories.
  static void full_cbf_metadata(cbf_handle cbf, Metadata& metadata) {
    if (!metadata.wavelength_m)
      if (const auto angstrom = number_at(cbf, "diffrn_radiation_wavelength", "wavelength"))
        metadata.wavelength_m = *angstrom * 1e-10;
    if (!metadata.count_cutoff)
      if (const auto overload = number_at(cbf, "array_intensities", "overload")) metadata.count_cutoff = *overload;
    if (const auto undefined = value_at(cbf, "array_intensities", "undefined_value"))
      metadata.other.try_emplace("undefined_value", *undefined);
  }

  std::filesystem::path path_;
  std::string name_;
  cbf::TextScan scan_;
  std::string format_;
};

}  // namespace

std::unique_ptr<FrameSource> open_cbf(const std::filesystem::path& path) {
  return std::make_unique<CbfSource>(path);
}

}  // namespace vulkanite::io
