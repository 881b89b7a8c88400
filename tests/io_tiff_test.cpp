// TIFF reader: files written here through libtiff (every pixel type, strips and tiles, both byte
// orders, several pages), the broken-file corpus (tests/data/broken/tiff/make_corpus.py) and the
// real Pilatus 1M powder frames from the shared data.
#include "io/frame_source.hpp"
#include "support/data.hpp"
#include "support/format_error.hpp"
#include "support/temp_dir.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <tiffio.h>

#include <cmath>
#include <cstdint>
#include <numeric>

namespace vulkanite {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::StartsWith;

fs::path corpus(const std::string& name) { return fs::path(VULKANITE_SOURCE_DIR) / "tests/data/broken/tiff" / name; }

enum class Layout { one_strip, strips_of_3_rows, tiles_16 };

// Pixel (y, x) of page p: distinct, with negative values for signed types and fractions for floats.
template <class T>
T pixel_value(std::size_t p, std::size_t y, std::size_t x) {
  const double v = static_cast<double>(p * 1000 + y * 37 + x) - (std::is_signed_v<T> ? 60.0 : 0.0);
  if constexpr (std::is_floating_point_v<T>) return static_cast<T>(v * 0.25);
  return static_cast<T>(static_cast<std::int64_t>(v) % 100);  // fits int8
}

template <class T>
void write_tiff(const fs::path& path, std::size_t width, std::size_t height, std::size_t pages, Layout layout,
                bool big_endian) {
  TIFF* tiff = TIFFOpen(path.c_str(), big_endian ? "wb" : "wl");
  ASSERT_NE(tiff, nullptr);
  for (std::size_t p = 0; p < pages; ++p) {
    TIFFSetField(tiff, TIFFTAG_IMAGEWIDTH, static_cast<std::uint32_t>(width));
    TIFFSetField(tiff, TIFFTAG_IMAGELENGTH, static_cast<std::uint32_t>(height));
    TIFFSetField(tiff, TIFFTAG_BITSPERSAMPLE, static_cast<std::uint16_t>(8 * sizeof(T)));
    TIFFSetField(tiff, TIFFTAG_SAMPLESPERPIXEL, std::uint16_t{1});
    TIFFSetField(tiff, TIFFTAG_SAMPLEFORMAT,
                 std::is_floating_point_v<T> ? SAMPLEFORMAT_IEEEFP
                                             : (std::is_signed_v<T> ? SAMPLEFORMAT_INT : SAMPLEFORMAT_UINT));
    TIFFSetField(tiff, TIFFTAG_PHOTOMETRIC, PHOTOMETRIC_MINISBLACK);
    TIFFSetField(tiff, TIFFTAG_PLANARCONFIG, PLANARCONFIG_CONTIG);
    TIFFSetField(tiff, TIFFTAG_COMPRESSION, layout == Layout::strips_of_3_rows ? COMPRESSION_ADOBE_DEFLATE
                                                                               : COMPRESSION_NONE);
    if (p == 0)
      TIFFSetField(tiff, TIFFTAG_IMAGEDESCRIPTION,
                   "# Wavelength 0.96859 A\r\n# Detector_distance 0.35100 m\r\n# Count_cutoff 1000 counts\r\n");
    std::vector<T> image(width * height);
    for (std::size_t y = 0; y < height; ++y)
      for (std::size_t x = 0; x < width; ++x) image[y * width + x] = pixel_value<T>(p, y, x);
    if (layout == Layout::tiles_16) {
      TIFFSetField(tiff, TIFFTAG_TILEWIDTH, 16u);
      TIFFSetField(tiff, TIFFTAG_TILELENGTH, 16u);
      std::vector<T> tile(16 * 16);
      for (std::size_t ty = 0; ty < height; ty += 16)
        for (std::size_t tx = 0; tx < width; tx += 16) {
          std::fill(tile.begin(), tile.end(), T{});
          for (std::size_t y = ty; y < std::min(height, ty + 16); ++y)
            for (std::size_t x = tx; x < std::min(width, tx + 16); ++x)
              tile[(y - ty) * 16 + (x - tx)] = image[y * width + x];
          ASSERT_GE(TIFFWriteTile(tiff, tile.data(), static_cast<std::uint32_t>(tx), static_cast<std::uint32_t>(ty), 0, 0), 0);
        }
    } else {
      const std::uint32_t rows = layout == Layout::one_strip ? static_cast<std::uint32_t>(height) : 3u;
      TIFFSetField(tiff, TIFFTAG_ROWSPERSTRIP, rows);
      for (std::size_t y = 0; y < height; ++y)
        ASSERT_EQ(TIFFWriteScanline(tiff, image.data() + y * width, static_cast<std::uint32_t>(y), 0), 1);
    }
    ASSERT_TRUE(TIFFWriteDirectory(tiff));
  }
  TIFFClose(tiff);
}

template <class T>
void check_round_trip(Layout layout, bool big_endian) {
  SCOPED_TRACE(std::string(io::pixel_type_name(io::pixel_type_of<T>())) + " layout " +
               std::to_string(static_cast<int>(layout)) + (big_endian ? " big-endian" : " little-endian"));
  tests::TempDir dir;
  const auto path = dir.path() / "image.tif";
  const std::size_t width = 37, height = 20, pages = 3;  // not multiples of the tile or strip size
  write_tiff<T>(path, width, height, pages, layout, big_endian);
  ASSERT_EQ(io::detect_format(path), io::Format::tiff);
  auto source = io::open_frames(path);
  EXPECT_EQ(source->format(), "TIFF");
  ASSERT_EQ(source->frame_count(), pages);
  for (std::size_t p : {2, 0, 1}) {  // out of order: each read seeks its own page
    const auto frame = source->read(p);
    ASSERT_EQ(frame.shape, (std::vector<std::size_t>{height, width}));
    ASSERT_EQ(frame.type, io::pixel_type_of<T>());
    const auto values = frame.values<T>();
    std::size_t wrong = 0;
    for (std::size_t y = 0; y < height; ++y)
      for (std::size_t x = 0; x < width; ++x) wrong += values[y * width + x] != pixel_value<T>(p, y, x);
    EXPECT_EQ(wrong, 0u) << "page " << p;
    if (p == 0) {
      EXPECT_DOUBLE_EQ(frame.metadata.wavelength_m.value_or(0), 0.96859e-10);
      EXPECT_DOUBLE_EQ(frame.metadata.distance_m.value_or(0), 0.351);
      EXPECT_EQ(frame.metadata.count_cutoff, 1000.0);
    } else {
      EXPECT_FALSE(frame.metadata.wavelength_m.has_value());
    }
  }
  EXPECT_THROW(source->read(pages), io::FormatError);
}

template <class T>
void check_all_layouts() {
  for (const auto layout : {Layout::one_strip, Layout::strips_of_3_rows, Layout::tiles_16})
    for (const bool big_endian : {false, true}) check_round_trip<T>(layout, big_endian);
}

TEST(TiffTest, ReadsInt8) { check_all_layouts<std::int8_t>(); }
TEST(TiffTest, ReadsUint8) { check_all_layouts<std::uint8_t>(); }
TEST(TiffTest, ReadsInt16) { check_all_layouts<std::int16_t>(); }
TEST(TiffTest, ReadsUint16) { check_all_layouts<std::uint16_t>(); }
TEST(TiffTest, ReadsInt32) { check_all_layouts<std::int32_t>(); }
TEST(TiffTest, ReadsUint32) { check_all_layouts<std::uint32_t>(); }
TEST(TiffTest, ReadsFloat32) { check_all_layouts<float>(); }
TEST(TiffTest, ReadsFloat64) { check_all_layouts<double>(); }

TEST(TiffTest, CorpusValidFilesRead) {
  {
    auto source = io::open_tiff(corpus("valid_minimal_u16.tif"));
    const auto frame = source->read(0);
    EXPECT_EQ(frame.shape, (std::vector<std::size_t>{2, 3}));
    const auto v = frame.values<std::uint16_t>();
    EXPECT_EQ(std::vector<std::uint16_t>(v.begin(), v.end()), (std::vector<std::uint16_t>{1, 2, 3, 65535, 0, 7}));
  }
  {
    // Written by tifffile: big-endian, 16 x 16 tiles, two pages of arange * 0.5.
    auto source = io::open_frames(corpus("valid_be_tiled_float32_2pages.tif"));
    ASSERT_EQ(source->frame_count(), 2u);
    const auto frame = source->read(1);
    EXPECT_EQ(frame.shape, (std::vector<std::size_t>{40, 24}));
    const auto v = frame.values<float>();
    for (std::size_t i = 0; i < v.size(); ++i) ASSERT_EQ(v[i], static_cast<float>(960 + i) * 0.5f) << i;
  }
  {
    auto frame = io::open_tiff(corpus("valid.tif"))->read(0);
    const auto v = frame.values<std::int32_t>();
    EXPECT_EQ(std::accumulate(v.begin(), v.end(), std::int64_t{0}), 1024 * 1023 / 2 - 5 * 1024);
  }
}

// The message a broken file gives, from opening or from reading its first page.
std::string error_of(const std::string& name) {
  return tests::format_error_of([&] { return io::open_tiff(corpus(name)); });
}

TEST(TiffTest, BrokenFilesNameTheFileAndTheProblem) {
  const std::vector<std::pair<std::string, std::string>> expected{
      {"empty.tif", "empty file"},
      {"magic_only.tif", "not a readable TIFF (libtiff: "},
      {"ifd_beyond_file.tif", "not a readable TIFF (libtiff: "},
      {"truncated_pixels.tif", "page 0: truncated: 32 x 32 int32 pixels need 4096 bytes, the file has 372"},
      {"lying_dimensions.tif", "page 0: truncated: 2000 x 2000 int32 pixels need 16000000 bytes, the file has 198"},
      {"absurd_dimensions.tif", "page 0: 100000 x 100000 pixels, more than the 2^28 accepted"},
      {"rgb.tif", "page 0: 3 samples per pixel (only 1 is supported)"},
      {"complex.tif", "page 0: unsupported pixels: 64 bits, SampleFormat 6"},
      {"bits12.tif", "page 0: unsupported pixels: 12 bits, SampleFormat 1"},
      {"corrupt_deflate.tif", "page 0: cannot read strip 0 of 1 (libtiff: ZIPDecode: Decoding error"},
      {"zero_width.tif", "not a readable TIFF (libtiff: "},
      {"compression_bomb.tif", "page 0: 100000000 bytes of pixels from 16 stored bytes: more than the 4096:1"},
  };
  for (const auto& [name, problem] : expected) {
    ::testing::internal::CaptureStderr();
    const auto message = error_of(name);
    const auto printed = ::testing::internal::GetCapturedStderr();
    EXPECT_THAT(message, StartsWith(corpus(name).string() + ": " + problem)) << name;
    EXPECT_EQ(printed, "") << name << ": libtiff must not print";
    EXPECT_EQ(message.find('\n'), std::string::npos) << message;
  }
}

TEST(TiffTest, MissingFileIsAFormatError) {
  EXPECT_THROW(io::open_tiff("/nonexistent/x.tif"), io::FormatError);
}

// Pilatus 1M frames from the shared data. The checksums come from numpy on tifffile's reading
// (tifffile 2025, numpy 2.4): a.astype(np.int64).sum(), a.min(), a.max(), (a < 0).sum(),
// and three pixels; CeO2 has no pixel above its Count_cutoff 1097223.
struct PowderFrame {
  const char* file;
  std::int64_t sum, min, max, negative;
  std::int32_t first, middle, last;  // [0, 0], [500, 500], [1042, 980]
};

TEST(TiffTest, ReadsPilatus1MPowderFrames) {
  for (const auto& expected : {PowderFrame{"powder/CeO2_Pilatus1M.tif", 126770499, -2, 621698, 73560, 34, 110, 39},
                               PowderFrame{"powder/Fe3O4C_M1_map_1_P1_E1_001.tif", 13200129927, -2, 158636, 75683,
                                           6345, 127, 7704},
                               PowderFrame{"powder/Fe3O4C_M1_map_2_P1_E1_001.tif", 13286492046, -2, 122749, 75683,
                                           6287, 151, 7722}}) {
    const auto file = tests::shared_data(expected.file);
    if (!file) GTEST_SKIP() << tests::missing_data_message(expected.file);
    SCOPED_TRACE(expected.file);
    auto source = io::open_frames(*file);
    ASSERT_EQ(source->frame_count(), 1u);
    const auto frame = source->read(0);
    ASSERT_EQ(frame.shape, (std::vector<std::size_t>{1043, 981}));
    ASSERT_EQ(frame.type, io::PixelType::int32);
    const auto v = frame.values<std::int32_t>();
    std::int64_t sum = 0, negative = 0;
    for (const auto x : v) sum += x, negative += x < 0;
    EXPECT_EQ(sum, expected.sum);
    EXPECT_EQ(*std::min_element(v.begin(), v.end()), expected.min);
    EXPECT_EQ(*std::max_element(v.begin(), v.end()), expected.max);
    EXPECT_EQ(negative, expected.negative);
    EXPECT_EQ(v[0], expected.first);
    EXPECT_EQ(v[500 * 981 + 500], expected.middle);
    EXPECT_EQ(v[1042 * 981 + 980], expected.last);
  }
}

TEST(TiffTest, ReadsThePilatusHeaderOfCeO2) {
  const auto file = tests::shared_data("powder/CeO2_Pilatus1M.tif");
  if (!file) GTEST_SKIP() << tests::missing_data_message("powder/CeO2_Pilatus1M.tif");
  const auto m = io::open_frames(*file)->read(0).metadata;
  EXPECT_DOUBLE_EQ(m.distance_m.value_or(0), 0.21143);
  EXPECT_DOUBLE_EQ(m.beam_center_fast_px.value_or(0), 498.18);
  EXPECT_DOUBLE_EQ(m.beam_center_slow_px.value_or(0), 515.77);
  EXPECT_DOUBLE_EQ(m.pixel_size_fast_m.value_or(0), 172e-6);
  EXPECT_DOUBLE_EQ(m.exposure_time_s.value_or(0), 3.0);
  EXPECT_EQ(m.count_cutoff, 1097223.0);
  EXPECT_FALSE(m.wavelength_m.has_value());  // this header has none
  EXPECT_EQ(m.other.at("Model"), "PILATUS 1M-F");
  EXPECT_EQ(m.other.at("Polarization"), "0.990");
}

}  // namespace
}  // namespace vulkanite
