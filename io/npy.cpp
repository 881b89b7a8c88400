// NumPy .npy: headers 1.0/2.0/3.0, dtypes i1 u1 i2 u2 i4 u4 f4 f8 in either byte order, C order.
// A 2-D array is one frame, a 3-D [n, y, x] array n frames read one at a time by seeking.
// Fortran-order arrays are refused rather than transposed: detector software writes C order,
// and a transposed stack could not be read frame by frame.
#include "io/frame_source.hpp"
#include "io/npy.hpp"

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <numeric>
#include <string_view>

namespace vulkanite::io {
namespace {

constexpr std::string_view kMagic("\x93NUMPY", 6);
// numpy itself refuses headers over 10000 bytes unless told otherwise; be a little more lenient.
constexpr std::size_t kMaxHeader = 1 << 16;
constexpr std::uint64_t kMaxPixelsPerFrame = std::uint64_t{1} << 28;

static_assert(std::endian::native == std::endian::little, "the .npy writer assumes a little-endian host");

// The header is a Python dict literal: {'descr': '<f8', 'fortran_order': False, 'shape': (21, 25, 200), }
class HeaderParser {
 public:
  HeaderParser(std::string_view text, const std::string& name) : text_(text), name_(name) {}

  struct Header {
    std::string descr;
    bool fortran_order = false;
    std::vector<std::uint64_t> shape;
  };

  Header parse() {
    Header header;
    bool have_descr = false, have_order = false, have_shape = false;
    expect('{');
    while (true) {
      skip_space();
      if (peek() == '}') break;
      const std::string key = string();
      expect(':');
      if (key == "descr") {
        header.descr = string();
        have_descr = true;
      } else if (key == "fortran_order") {
        header.fortran_order = boolean();
        have_order = true;
      } else if (key == "shape") {
        header.shape = tuple();
        have_shape = true;
      } else {
        fail("unexpected key '" + key + "'");
      }
      skip_space();
      if (peek() == ',') ++pos_;
      else if (peek() != '}') fail("expected ',' or '}'");
    }
    if (!have_descr || !have_order || !have_shape) fail("needs 'descr', 'fortran_order' and 'shape'");
    return header;
  }

 private:
  [[noreturn]] void fail(const std::string& what) const {
    throw FormatError(name_ + ": bad .npy header: " + what + " at character " + std::to_string(pos_) + " of '" +
                      std::string(text_.substr(0, 200)) + "'");
  }
  void skip_space() {
    while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\t')) ++pos_;
  }
  char peek() const { return pos_ < text_.size() ? text_[pos_] : '\0'; }
  void expect(char c) {
    skip_space();
    if (peek() != c) fail(std::string("expected '") + c + "'");
    ++pos_;
  }
  std::string string() {
    skip_space();
    const char quote = peek();
    if (quote != '\'' && quote != '"') fail("expected a string");
    const auto end = text_.find(quote, pos_ + 1);
    if (end == std::string_view::npos) fail("unterminated string");
    std::string value(text_.substr(pos_ + 1, end - pos_ - 1));
    pos_ = end + 1;
    return value;
  }
  bool boolean() {
    skip_space();
    if (text_.substr(pos_).starts_with("True")) return pos_ += 4, true;
    if (text_.substr(pos_).starts_with("False")) return pos_ += 5, false;
    fail("expected True or False");
  }
  std::vector<std::uint64_t> tuple() {
    std::vector<std::uint64_t> values;
    expect('(');
    while (true) {
      skip_space();
      if (peek() == ')') break;
      if (peek() < '0' || peek() > '9') fail("expected a dimension");
      std::uint64_t value = 0;
      while (peek() >= '0' && peek() <= '9') {
        if (value > (std::uint64_t{1} << 50)) fail("absurd dimension");
        value = value * 10 + static_cast<std::uint64_t>(peek() - '0');
        ++pos_;
      }
      values.push_back(value);
      skip_space();
      if (peek() == ',') ++pos_;
      else if (peek() != ')') fail("expected ',' or ')'");
    }
    ++pos_;
    return values;
  }

  std::string_view text_;
  std::string name_;
  std::size_t pos_ = 0;
};

std::optional<PixelType> dtype(char kind, int size) {
  if (kind == 'i' && size == 1) return PixelType::int8;
  if (kind == 'u' && size == 1) return PixelType::uint8;
  if (kind == 'i' && size == 2) return PixelType::int16;
  if (kind == 'u' && size == 2) return PixelType::uint16;
  if (kind == 'i' && size == 4) return PixelType::int32;
  if (kind == 'u' && size == 4) return PixelType::uint32;
  if (kind == 'f' && size == 4) return PixelType::float32;
  if (kind == 'f' && size == 8) return PixelType::float64;
  return std::nullopt;
}

const char* descr_of(PixelType type) {
  switch (type) {
    case PixelType::int8: return "|i1";
    case PixelType::uint8: return "|u1";
    case PixelType::int16: return "<i2";
    case PixelType::uint16: return "<u2";
    case PixelType::int32: return "<i4";
    case PixelType::uint32: return "<u4";
    case PixelType::float32: return "<f4";
    case PixelType::float64: return "<f8";
  }
  return "";
}

void swap_bytes(std::vector<std::byte>& data, std::size_t width) {
  for (std::size_t i = 0; i + width <= data.size(); i += width) std::reverse(data.begin() + i, data.begin() + i + width);
}

// The preamble and header of a .npy file open in `in`: version, header dictionary, and where
// the data start. FormatError names what is wrong or truncated.
struct NpyLayout {
  int major = 1, minor = 0;
  std::uint64_t data_offset = 0;
  HeaderParser::Header header;
};

NpyLayout read_npy_layout(std::ifstream& in, const std::string& name, std::uint64_t file_size) {
    char preamble[12] = {};
    in.read(preamble, 10);
    const auto got = static_cast<std::size_t>(in.gcount());
    if (got < 10 && std::string_view(preamble, got).starts_with(kMagic))
      throw FormatError(name + ": truncated .npy preamble (" + std::to_string(got) + " of 10 bytes)");
    if (got < 10 || std::string_view(preamble, 6) != kMagic)
      throw FormatError(name + ": not a NumPy .npy file (no \\x93NUMPY magic)");
    const int major = static_cast<unsigned char>(preamble[6]), minor = static_cast<unsigned char>(preamble[7]);
    if (major < 1 || major > 3)
      throw FormatError(name + ": unsupported .npy version " + std::to_string(major) + "." + std::to_string(minor));
    std::uint64_t header_length = 0, header_start = 10;
    if (major == 1) {
      header_length = static_cast<unsigned char>(preamble[8]) | (static_cast<unsigned char>(preamble[9]) << 8);
    } else {
      in.read(preamble + 10, 2);
      if (in.gcount() < 2) throw FormatError(name + ": truncated .npy preamble");
      for (int i = 3; i >= 0; --i) header_length = (header_length << 8) | static_cast<unsigned char>(preamble[8 + i]);
      header_start = 12;
    }
    if (header_length > kMaxHeader)
      throw FormatError(name + ": .npy header of " + std::to_string(header_length) + " bytes, more than the " +
                        std::to_string(kMaxHeader) + " accepted");
    if (header_start + header_length > file_size)
      throw FormatError(name + ": truncated .npy header (" + std::to_string(header_length) + " bytes declared, " +
                        std::to_string(file_size - header_start) + " in the file)");
    std::string text(header_length, '\0');
    in.read(text.data(), static_cast<std::streamsize>(header_length));
    if (static_cast<std::uint64_t>(in.gcount()) != header_length) throw FormatError(name + ": truncated .npy header");
    while (!text.empty() && (text.back() == '\n' || text.back() == ' ' || text.back() == '\0')) text.pop_back();
    return {major, minor, header_start + header_length, HeaderParser(text, name).parse()};
}

class NpySource final : public FrameSource {
 public:
  explicit NpySource(const std::filesystem::path& path) : name_(path.string()), in_(path, std::ios::binary) {
    if (!in_) throw FormatError(name_ + ": cannot open (" + std::strerror(errno) + ")");
    std::error_code error;
    const std::uint64_t file_size = std::filesystem::file_size(path, error);
    if (error) throw FormatError(name_ + ": cannot open (" + error.message() + ")");
    if (file_size == 0) throw FormatError(name_ + ": empty file");

    const NpyLayout layout = read_npy_layout(in_, name_, file_size);
    const int major = layout.major, minor = layout.minor;
    const auto& header = layout.header;

    const auto& descr = header.descr;
    if (descr.size() < 3 || std::string_view("<>|=").find(descr[0]) == std::string_view::npos ||
        !std::all_of(descr.begin() + 2, descr.end(), [](char c) { return c >= '0' && c <= '9'; }))
      throw FormatError(name_ + ": unsupported dtype '" + descr + "'");
    const auto type = descr.size() == 3 ? dtype(descr[1], descr[2] - '0') : std::nullopt;
    if (!type)
      throw FormatError(name_ + ": unsupported dtype '" + descr + "' (i1 u1 i2 u2 i4 u4 f4 f8 are supported)");
    type_ = *type;
    swap_ = descr[0] == '>' && pixel_bytes(type_) > 1;
    descr_ = descr;
    version_ = std::to_string(major) + "." + std::to_string(minor);
    if (header.fortran_order)
      throw FormatError(name_ + ": fortran_order is True; only C-order arrays are supported "
                                "(save with np.ascontiguousarray)");

    const auto& shape = header.shape;
    if (shape.size() != 2 && shape.size() != 3)
      throw FormatError(name_ + ": " + std::to_string(shape.size()) + "-D array; 2-D [y, x] or 3-D [n, y, x] needed");
    if (std::find(shape.begin(), shape.end(), 0) != shape.end()) throw FormatError(name_ + ": empty array (a zero dimension)");
    frames_ = shape.size() == 3 ? shape[0] : 1;
    ny_ = shape[shape.size() - 2];
    nx_ = shape.back();
    if (ny_ > kMaxPixelsPerFrame || nx_ > kMaxPixelsPerFrame || ny_ * nx_ > kMaxPixelsPerFrame)
      throw FormatError(name_ + ": frames of " + std::to_string(ny_) + " x " + std::to_string(nx_) +
                        " pixels, more than the 2^28 accepted");
    frame_bytes_ = ny_ * nx_ * pixel_bytes(type_);
    data_offset_ = layout.data_offset;
    const std::uint64_t available = file_size - data_offset_;
    if (frames_ > available / frame_bytes_)
      throw FormatError(name_ + ": truncated: " + std::to_string(frames_) + " frames of " + std::to_string(frame_bytes_) +
                        " bytes declared, " + std::to_string(available) + " bytes of data in the file");
  }

  std::size_t frame_count() const override { return frames_; }
  std::string format() const override { return "NumPy " + version_ + " " + descr_; }

  Frame read(std::size_t index) override {
    if (index >= frames_)
      throw FormatError(name_ + ": frame " + std::to_string(index) + " requested, file has " + std::to_string(frames_));
    Frame frame = make_frame({ny_, nx_}, type_, frames_ == 1 ? name_ : name_ + " frame " + std::to_string(index));
    in_.clear();
    in_.seekg(static_cast<std::streamoff>(data_offset_ + index * frame_bytes_));
    in_.read(reinterpret_cast<char*>(frame.data.data()), static_cast<std::streamsize>(frame_bytes_));
    if (static_cast<std::uint64_t>(in_.gcount()) != frame_bytes_)
      throw FormatError(name_ + ": frame " + std::to_string(index) + ": read " + std::to_string(in_.gcount()) + " of " +
                        std::to_string(frame_bytes_) + " bytes");
    if (swap_) swap_bytes(frame.data, pixel_bytes(type_));
    return frame;
  }

 private:
  std::string name_;
  std::ifstream in_;
  PixelType type_ = PixelType::float64;
  bool swap_ = false;
  std::string descr_, version_;
  std::uint64_t frames_ = 0, ny_ = 0, nx_ = 0, frame_bytes_ = 0, data_offset_ = 0;
};

}  // namespace

NpyArray read_npy_array(const std::filesystem::path& path) {
  const std::string name = path.string();
  std::ifstream in(path, std::ios::binary);
  if (!in) throw FormatError(name + ": cannot open (" + std::strerror(errno) + ")");
  std::error_code error;
  const std::uint64_t file_size = std::filesystem::file_size(path, error);
  if (error) throw FormatError(name + ": cannot open (" + error.message() + ")");
  const NpyLayout layout = read_npy_layout(in, name, file_size);
  const auto& descr = layout.header.descr;
  if (layout.header.fortran_order)
    throw FormatError(name + ": fortran_order is True; only C-order arrays are supported (save with np.ascontiguousarray)");
  // Wider than frames' types: int64 and bool arrays hold indices, counts and masks.
  const char kind = descr.size() == 3 ? descr[1] : '?';
  const int size = descr.size() == 3 ? descr[2] - '0' : 0;
  const bool known = (kind == 'f' && (size == 4 || size == 8)) || ((kind == 'i' || kind == 'u') && (size == 1 || size == 2 || size == 4 || size == 8)) ||
                     (kind == 'b' && size == 1);
  if (!known || std::string_view("<>|=").find(descr[0]) == std::string_view::npos)
    throw FormatError(name + ": unsupported dtype '" + descr + "' (integers, bool, f4 or f8)");
  NpyArray array;
  array.shape.assign(layout.header.shape.begin(), layout.header.shape.end());
  std::uint64_t count = 1;
  for (const auto n : layout.header.shape) {
    if (n != 0 && count > (std::uint64_t{1} << 40) / n) throw FormatError(name + ": absurd .npy shape");
    count *= n;
  }
  const std::uint64_t available = file_size - layout.data_offset;
  if (count > available / static_cast<std::uint64_t>(size))
    throw FormatError(name + ": truncated: " + std::to_string(count) + " values of " + std::to_string(size) +
                      " bytes declared, " + std::to_string(available) + " bytes of data in the file");
  std::vector<std::byte> bytes(count * static_cast<std::uint64_t>(size));
  in.seekg(static_cast<std::streamoff>(layout.data_offset));
  in.read(reinterpret_cast<char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  if (static_cast<std::uint64_t>(in.gcount()) != bytes.size()) throw FormatError(name + ": truncated .npy data");
  if (descr[0] == '>' && size > 1) swap_bytes(bytes, static_cast<std::size_t>(size));
  array.values.resize(count);
  const auto convert = [&]<class T>(T) {
    for (std::size_t i = 0; i < count; ++i) {
      T v;
      std::memcpy(&v, bytes.data() + i * sizeof(T), sizeof(T));
      array.values[i] = static_cast<double>(v);
    }
  };
  switch (kind == 'b' ? 'u' : kind) {
    case 'f': size == 4 ? convert(float{}) : convert(double{}); break;
    case 'i':
      if (size == 1) convert(std::int8_t{});
      else if (size == 2) convert(std::int16_t{});
      else if (size == 4) convert(std::int32_t{});
      else convert(std::int64_t{});
      break;
    default:
      if (size == 1) convert(std::uint8_t{});
      else if (size == 2) convert(std::uint16_t{});
      else if (size == 4) convert(std::uint32_t{});
      else convert(std::uint64_t{});
  }
  return array;
}

std::unique_ptr<FrameSource> open_npy(const std::filesystem::path& path) {
  return std::make_unique<NpySource>(path);
}

void write_npy(const std::filesystem::path& path, std::span<const std::size_t> shape, PixelType type,
               std::span<const std::byte> data) {
  const std::size_t count = std::accumulate(shape.begin(), shape.end(), std::size_t{1}, std::multiplies<>());
  if (count * pixel_bytes(type) != data.size())
    throw std::invalid_argument(path.string() + ": write_npy: " + std::to_string(data.size()) +
                                " bytes do not match the shape");
  std::string dict = std::string("{'descr': '") + descr_of(type) + "', 'fortran_order': False, 'shape': (";
  for (std::size_t i = 0; i < shape.size(); ++i) dict += (i ? ", " : "") + std::to_string(shape[i]);
  dict += shape.size() == 1 ? ",), }" : "), }";  // numpy's repr: (3,) but (2, 3)
  const bool v2 = dict.size() + 1 + 10 > 65535;
  const std::size_t preamble = v2 ? 12 : 10;
  std::size_t padded = dict.size() + 1;  // + '\n'
  padded += (64 - (preamble + padded) % 64) % 64;
  const std::size_t header_length = padded;
  dict.append(padded - dict.size() - 1, ' ');
  dict += '\n';

  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) throw std::runtime_error(path.string() + ": cannot write (" + std::strerror(errno) + ")");
  out.write(kMagic.data(), kMagic.size());
  out.put(static_cast<char>(v2 ? 2 : 1)).put(0);
  const int length_bytes = v2 ? 4 : 2;
  for (int i = 0; i < length_bytes; ++i) out.put(static_cast<char>((header_length >> (8 * i)) & 0xff));
  out.write(dict.data(), static_cast<std::streamsize>(dict.size()));
  out.write(reinterpret_cast<const char*>(data.data()), static_cast<std::streamsize>(data.size()));
  out.close();
  if (!out) throw std::runtime_error(path.string() + ": write failed (" + std::strerror(errno) + ")");
}

}  // namespace vulkanite::io
