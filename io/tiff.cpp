// TIFF through libtiff: 8/16/32-bit integers and 32/64-bit floats, one sample per pixel, strips or
// tiles, any compression libtiff decodes, each page (directory) one frame. libtiff's messages are
// captured per file through the *ExtR handlers and end up in the FormatError, never on stderr.
#include "io/cbf_text.hpp"
#include "io/frame_source.hpp"

#include <tiffio.h>

#include <algorithm>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <memory>

namespace vulkanite::io {
namespace {

// The most pixels one page may declare (as for CBF): larger pages are refused before allocating.
constexpr std::uint64_t kMaxPixels = std::uint64_t{1} << 28;
// A damaged IFD chain can declare thousands of pages; real multi-page detector TIFFs do not.
constexpr tdir_t kMaxPages = 1 << 16;

struct Messages {
  std::string errors;
  std::string warnings;
};

int capture(std::string& into, const char* module, const char* fmt, va_list ap) {
  char buffer[1024];
  std::vsnprintf(buffer, sizeof buffer, fmt, ap);
  if (!into.empty()) into += "; ";
  if (module && *module) into += std::string(module) + ": ";
  into += buffer;
  return 1;  // handled: libtiff prints nothing
}

int on_error(TIFF*, void* user, const char* module, const char* fmt, va_list ap) {
  return capture(static_cast<Messages*>(user)->errors, module, fmt, ap);
}
int on_warning(TIFF*, void* user, const char* module, const char* fmt, va_list ap) {
  return capture(static_cast<Messages*>(user)->warnings, module, fmt, ap);
}

struct TiffClose {
  void operator()(TIFF* tiff) const { TIFFClose(tiff); }
};
struct OptionsFree {
  void operator()(TIFFOpenOptions* options) const { TIFFOpenOptionsFree(options); }
};

std::optional<PixelType> pixel_type(std::uint16_t bits, std::uint16_t format) {
  if (format == SAMPLEFORMAT_UINT) {
    switch (bits) {
      case 8: return PixelType::uint8;
      case 16: return PixelType::uint16;
      case 32: return PixelType::uint32;
    }
  } else if (format == SAMPLEFORMAT_INT) {
    switch (bits) {
      case 8: return PixelType::int8;
      case 16: return PixelType::int16;
      case 32: return PixelType::int32;
    }
  } else if (format == SAMPLEFORMAT_IEEEFP) {
    switch (bits) {
      case 32: return PixelType::float32;
      case 64: return PixelType::float64;
    }
  }
  return std::nullopt;
}

class TiffSource final : public FrameSource {
 public:
  explicit TiffSource(const std::filesystem::path& path) : name_(path.string()) {
    std::error_code error;
    file_size_ = std::filesystem::file_size(path, error);
    if (error) throw FormatError(name_ + ": cannot open (" + error.message() + ")");
    if (file_size_ == 0) throw FormatError(name_ + ": empty file");
    std::unique_ptr<TIFFOpenOptions, OptionsFree> options(TIFFOpenOptionsAlloc());
    TIFFOpenOptionsSetErrorHandlerExtR(options.get(), on_error, messages_.get());
    TIFFOpenOptionsSetWarningHandlerExtR(options.get(), on_warning, messages_.get());
    // libtiff's own allocations (strip tables, tags) stay bounded too.
    TIFFOpenOptionsSetMaxSingleMemAlloc(options.get(), tmsize_t{1} << 30);
    tiff_.reset(TIFFOpenExt(name_.c_str(), "r", options.get()));
    if (!tiff_) throw FormatError(name_ + ": not a readable TIFF (" + libtiff_says() + ")");
    pages_ = TIFFNumberOfDirectories(tiff_.get());
    if (pages_ == 0) throw FormatError(name_ + ": no image directories (" + libtiff_says() + ")");
    if (pages_ > kMaxPages) throw FormatError(name_ + ": " + std::to_string(pages_) + " pages, more than the " +
                                              std::to_string(kMaxPages) + " accepted");
  }

  std::size_t frame_count() const override { return pages_; }
  std::string format() const override { return "TIFF"; }

  Frame read(std::size_t index) override {
    if (index >= pages_)
      throw FormatError(name_ + ": page " + std::to_string(index) + " requested, file has " + std::to_string(pages_));
    const std::string where = name_ + ": page " + std::to_string(index);
    messages_->errors.clear();
    TIFF* tiff = tiff_.get();
    if (!TIFFSetDirectory(tiff, static_cast<tdir_t>(index)))
      throw FormatError(where + ": cannot read the directory (" + libtiff_says() + ")");

    std::uint32_t width = 0, height = 0;
    std::uint16_t bits = 1, samples = 1, sample_format = SAMPLEFORMAT_UINT, compression = COMPRESSION_NONE;
    if (!TIFFGetField(tiff, TIFFTAG_IMAGEWIDTH, &width) || !TIFFGetField(tiff, TIFFTAG_IMAGELENGTH, &height))
      throw FormatError(where + ": no ImageWidth/ImageLength");
    TIFFGetFieldDefaulted(tiff, TIFFTAG_BITSPERSAMPLE, &bits);
    TIFFGetFieldDefaulted(tiff, TIFFTAG_SAMPLESPERPIXEL, &samples);
    TIFFGetFieldDefaulted(tiff, TIFFTAG_SAMPLEFORMAT, &sample_format);
    TIFFGetFieldDefaulted(tiff, TIFFTAG_COMPRESSION, &compression);
    if (samples != 1)
      throw FormatError(where + ": " + std::to_string(samples) + " samples per pixel (only 1 is supported)");
    const auto type = pixel_type(bits, sample_format);
    if (!type)
      throw FormatError(where + ": unsupported pixels: " + std::to_string(bits) + " bits, SampleFormat " +
                        std::to_string(sample_format) + " (8/16/32-bit integers and 32/64-bit floats are)");
    if (width == 0 || height == 0)
      throw FormatError(where + ": empty image (" + std::to_string(width) + " x " + std::to_string(height) + ")");
    const std::uint64_t pixels = std::uint64_t{width} * height;
    const std::uint64_t bytes = pixels * pixel_bytes(*type);
    if (pixels > kMaxPixels)
      throw FormatError(where + ": " + std::to_string(width) + " x " + std::to_string(height) +
                        " pixels, more than the 2^28 accepted");
    // Uncompressed pixels must be in the file: a lying header is refused before allocating.
    if (compression == COMPRESSION_NONE && bytes > file_size_)
      throw FormatError(where + ": truncated: " + std::to_string(width) + " x " + std::to_string(height) + " " +
                        pixel_type_name(*type) + " pixels need " + std::to_string(bytes) + " bytes, the file has " +
                        std::to_string(file_size_));

    check_compressed_sizes(bytes, where);

    Frame frame = make_frame({height, width}, *type, name_ + " page " + std::to_string(index));
    if (TIFFIsTiled(tiff))
      read_tiles(frame, where);
    else
      read_strips(frame, where);
    read_metadata(frame, where);
    return frame;
  }

 private:
  std::string libtiff_says() const {
    if (!messages_->errors.empty()) return "libtiff: " + messages_->errors;
    if (!messages_->warnings.empty()) return "libtiff: " + messages_->warnings;
    return "libtiff gave no reason";
  }

  // Every strip or tile must lie inside the file, and a compressed page may not declare more than
  // kMaxRatio times its compressed bytes (deflate tops out near 1032:1, LZW near 3600:1): a bomb is
  // refused before the frame is allocated. Pages up to kAlwaysAllowed bytes skip the ratio test,
  // since zstd packs an all-zero frame further than that.
  void check_compressed_sizes(std::uint64_t frame_bytes, const std::string& where) {
    constexpr std::uint64_t kMaxRatio = 4096, kAlwaysAllowed = std::uint64_t{64} << 20;
    TIFF* tiff = tiff_.get();
    const std::uint32_t striles = TIFFIsTiled(tiff) ? TIFFNumberOfTiles(tiff) : TIFFNumberOfStrips(tiff);
    std::uint64_t stored = 0;
    for (std::uint32_t i = 0; i < striles; ++i) {
      int error = 0;
      const std::uint64_t offset = TIFFGetStrileOffsetWithErr(tiff, i, &error);
      const std::uint64_t count = error ? 0 : TIFFGetStrileByteCountWithErr(tiff, i, &error);
      if (error) throw FormatError(where + ": cannot read the strip/tile table (" + libtiff_says() + ")");
      if (offset > file_size_ || count > file_size_ - offset)
        throw FormatError(where + ": " + (TIFFIsTiled(tiff) ? "tile " : "strip ") + std::to_string(i) + " (" +
                          std::to_string(count) + " bytes at " + std::to_string(offset) +
                          ") lies beyond the end of the file (" + std::to_string(file_size_) + " bytes)");
      stored += count;
    }
    if (frame_bytes > kAlwaysAllowed && frame_bytes / kMaxRatio > stored)
      throw FormatError(where + ": " + std::to_string(frame_bytes) + " bytes of pixels from " + std::to_string(stored) +
                        " stored bytes: more than the " + std::to_string(kMaxRatio) + ":1 compression accepted");
  }

  void read_strips(Frame& frame, const std::string& where) {
    TIFF* tiff = tiff_.get();
    const std::size_t height = frame.shape[0];
    const std::size_t row_bytes = frame.shape[1] * pixel_bytes(frame.type);
    std::uint32_t rows_per_strip = 0;
    TIFFGetFieldDefaulted(tiff, TIFFTAG_ROWSPERSTRIP, &rows_per_strip);
    rows_per_strip = std::clamp<std::uint32_t>(rows_per_strip, 1, static_cast<std::uint32_t>(height));
    const std::size_t strips = (height + rows_per_strip - 1) / rows_per_strip;
    if (TIFFNumberOfStrips(tiff) < strips)
      throw FormatError(where + ": " + std::to_string(TIFFNumberOfStrips(tiff)) + " strips, " +
                        std::to_string(strips) + " needed");
    for (std::size_t strip = 0; strip < strips; ++strip) {
      const std::size_t first_row = strip * rows_per_strip;
      const std::size_t want = std::min<std::size_t>(rows_per_strip, height - first_row) * row_bytes;
      const tmsize_t got = TIFFReadEncodedStrip(tiff, static_cast<std::uint32_t>(strip),
                                                frame.data.data() + first_row * row_bytes, static_cast<tmsize_t>(want));
      if (got != static_cast<tmsize_t>(want))
        throw FormatError(where + ": cannot read strip " + std::to_string(strip) + " of " + std::to_string(strips) +
                          " (" + (got < 0 ? libtiff_says() : std::to_string(got) + " of " + std::to_string(want) +
                                                                 " bytes") + ")");
    }
  }

  void read_tiles(Frame& frame, const std::string& where) {
    TIFF* tiff = tiff_.get();
    const std::size_t height = frame.shape[0], width = frame.shape[1], pixel = pixel_bytes(frame.type);
    std::uint32_t tile_width = 0, tile_height = 0;
    TIFFGetField(tiff, TIFFTAG_TILEWIDTH, &tile_width);
    TIFFGetField(tiff, TIFFTAG_TILELENGTH, &tile_height);
    if (tile_width == 0 || tile_height == 0 ||
        std::uint64_t{tile_width} * tile_height > kMaxPixels)
      throw FormatError(where + ": bad tile size " + std::to_string(tile_width) + " x " + std::to_string(tile_height));
    std::vector<std::byte> tile(std::size_t{tile_width} * tile_height * pixel);
    for (std::size_t y = 0; y < height; y += tile_height) {
      for (std::size_t x = 0; x < width; x += tile_width) {
        const auto number = TIFFComputeTile(tiff, static_cast<std::uint32_t>(x), static_cast<std::uint32_t>(y), 0, 0);
        const tmsize_t got = TIFFReadEncodedTile(tiff, number, tile.data(), static_cast<tmsize_t>(tile.size()));
        if (got != static_cast<tmsize_t>(tile.size()))
          throw FormatError(where + ": cannot read tile " + std::to_string(number) + " (" +
                            (got < 0 ? libtiff_says() : std::to_string(got) + " of " + std::to_string(tile.size()) +
                                                            " bytes") + ")");
        const std::size_t rows = std::min<std::size_t>(tile_height, height - y);
        const std::size_t columns = std::min<std::size_t>(tile_width, width - x);
        for (std::size_t r = 0; r < rows; ++r)
          std::memcpy(frame.data.data() + ((y + r) * width + x) * pixel, tile.data() + r * tile_width * pixel,
                      columns * pixel);
      }
    }
  }

  void read_metadata(Frame& frame, const std::string& where) {
    TIFF* tiff = tiff_.get();
    const char* text = nullptr;
    // Pilatus (camserver, TVX) puts its "# Wavelength 1.0 A" header in ImageDescription.
    if (TIFFGetField(tiff, TIFFTAG_IMAGEDESCRIPTION, &text) && text && std::string_view(text).starts_with("# "))
      cbf::parse_pilatus_header(text, frame.metadata, where);
    for (const auto& [tag, key] : {std::pair{TIFFTAG_MODEL, "Model"}, std::pair{TIFFTAG_SOFTWARE, "Software"}}) {
      if (!TIFFGetField(tiff, tag, &text) || !text) continue;
      std::string value(text);
      value.erase(value.find_last_not_of(" \t\r\n") + 1);  // TVX pads with spaces
      if (!value.empty()) frame.metadata.other[key] = value;
    }
  }

  std::string name_;
  std::uintmax_t file_size_ = 0;
  std::unique_ptr<Messages> messages_ = std::make_unique<Messages>();  // stable address for the handlers
  std::unique_ptr<TIFF, TiffClose> tiff_;
  std::size_t pages_ = 0;
};

}  // namespace

std::unique_ptr<FrameSource> open_tiff(const std::filesystem::path& path) {
  return std::make_unique<TiffSource>(path);
}

}  // namespace vulkanite::io
