// CBF reader: a small miniCBF written without libcbf (tests/data/broken/cbf/make_corpus.py), the
// broken-file corpus beside it, and the real Pilatus 6M and CSPAD frames from the shared data.
// The real frames' checksums were computed independently of this reader and of libcbf: the
// Pilatus frame with fabio (its own byte-offset decoder), the CSPAD frame with a Python decoder
// of CBF packed compression (JPA averaging, v1) written from CBFlib's description; both agree
// with this reader pixel for pixel.
#include "io/frame_source.hpp"
#include "support/data.hpp"
#include "support/format_error.hpp"
#include "support/temp_dir.hpp"

#include <cbf.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string_view>
#include <thread>
#include <string>
#include <vector>

namespace vulkanite {
namespace {

namespace fs = std::filesystem;

fs::path corpus(const std::string& name) { return fs::path(VULKANITE_SOURCE_DIR) / "tests/data/broken/cbf" / name; }

// The message a broken file gives, from opening or from reading its one frame.
std::string error_of(const fs::path& path) {
  return tests::format_error_of([&] { return io::open_cbf(path); });
}

struct Checksums {
  std::int64_t sum = 0;
  std::int32_t min = 0, max = 0;
  std::size_t negative = 0;
};

Checksums checksums(std::span<const std::int32_t> values) {
  Checksums c;
  c.min = *std::min_element(values.begin(), values.end());
  c.max = *std::max_element(values.begin(), values.end());
  for (const auto v : values) {
    c.sum += v;
    c.negative += v < 0 ? 1 : 0;
  }
  return c;
}

TEST(CbfSmall, ReadsPixelsShapeAndPilatusHeader) {
  const auto source = io::open_frames(corpus("valid.cbf"));
  EXPECT_EQ(source->frame_count(), 1u);
  EXPECT_EQ(source->format(), "miniCBF byte-offset");
  const auto frame = source->read(0);
  EXPECT_EQ(frame.shape, (std::vector<std::size_t>{5, 7}));
  ASSERT_EQ(frame.type, io::PixelType::int32);
  // As fabio reads valid.cbf: one value per byte-offset width (1000: 2 bytes, +-10^6: 4 bytes).
  const std::vector<std::int32_t> expected = {0,   37,  74,  -2,  148, 185, 22,      59,       1000, 133, 170, 7,
                                              44,  81,  -2,  155, 192, 29,  66,      103,      1000000, -1000000,
                                              14,  51,  88,  -2,  162, 199, 36,      73,       110,  147, 184, 21,
                                              58};
  const auto values = frame.values<std::int32_t>();
  EXPECT_EQ(std::vector<std::int32_t>(values.begin(), values.end()), expected);

  const auto& m = frame.metadata;
  EXPECT_DOUBLE_EQ(m.wavelength_m.value(), 1.0e-10);
  EXPECT_DOUBLE_EQ(m.distance_m.value(), 0.2);
  EXPECT_DOUBLE_EQ(m.beam_center_fast_px.value(), 3.5);
  EXPECT_DOUBLE_EQ(m.beam_center_slow_px.value(), 2.25);
  EXPECT_DOUBLE_EQ(m.pixel_size_fast_m.value(), 172e-6);
  EXPECT_DOUBLE_EQ(m.pixel_size_slow_m.value(), 172e-6);
  EXPECT_DOUBLE_EQ(m.exposure_time_s.value(), 0.1);
  EXPECT_DOUBLE_EQ(m.count_cutoff.value(), 1048575.0);
  EXPECT_EQ(m.other.at("Detector"), "PILATUS 100K, S/N 1-0000");
  EXPECT_EQ(m.other.at("Date"), "2024-01-02T03:04:05.678");
  EXPECT_EQ(m.other.at("Tau"), "0 s");
  EXPECT_EQ(m.other.at("Sensor"), "Silicon sensor, thickness 0.000450 m");
}

TEST(CbfSmall, RejectsFrameIndexBeyondOne) {
  const auto source = io::open_cbf(corpus("valid.cbf"));
  EXPECT_THROW(source->read(1), io::FormatError);
}

struct Broken {
  const char* file;
  const char* problem;  // a part of the message after the file name
};

// The CLI reads frames on several threads, each file through its own libcbf handle
// (apps/file_frames.hpp says why that is safe): every read on every thread gives the same pixels.
// Writes `values` as one byte-offset array with libcbf's own encoder (an implementation
// independent of our decoder), with its Content-MD5.
template <class T>
void write_byte_offset_cbf(const fs::path& path, const std::vector<T>& values, std::size_t fast) {
  cbf_handle cbf = nullptr;
  ASSERT_EQ(cbf_make_handle(&cbf), 0);
  ASSERT_EQ(cbf_new_datablock(cbf, "image_1"), 0);
  ASSERT_EQ(cbf_new_category(cbf, "array_data"), 0);
  ASSERT_EQ(cbf_new_column(cbf, "data"), 0);
  ASSERT_EQ(cbf_set_integerarray_wdims_fs(cbf, CBF_BYTE_OFFSET, 1, const_cast<T*>(values.data()), sizeof(T),
                                          std::numeric_limits<T>::is_signed ? 1 : 0, values.size(), "little_endian",
                                          fast, values.size() / fast, 0, 0),
            0);
  FILE* file = std::fopen(path.c_str(), "wb");
  ASSERT_NE(file, nullptr);
  ASSERT_EQ(cbf_write_file(cbf, file, 0, CBF, MSG_DIGEST | MIME_HEADERS, 0), 0);  // closes the file
  cbf_free_handle(cbf);
}

// Our byte-offset decoder (io/cbf.cpp) against libcbf's encoder: deltas of 1, 2 and 4 bytes and
// the escape values themselves as deltas, signed and unsigned. (libcbf wraps 32-bit deltas, so
// it never writes the 8-byte escape, which our decoder reads as the CBF specification says.)
TEST(CbfSmall, ByteOffsetDeltasOfEveryWidthReadBack) {
  const tests::TempDir dir;
  using I = std::numeric_limits<std::int32_t>;
  const std::vector<std::int32_t> int32_values = {
      0,    1,      -1,     127,    -127,   -128, 0,      128,    -129,  32767, 0,     -32767, -32768, 0,
      32768, -32769, 0,     I::max(), I::min(), I::max(), 0,    I::min() + 1, -5,   1000000, -1000000, 7, 7, 42};
  write_byte_offset_cbf(dir.path() / "int32.cbf", int32_values, 7);
  const auto frame = io::open_frames(dir.path() / "int32.cbf")->read(0);
  EXPECT_EQ(frame.type, io::PixelType::int32);
  EXPECT_EQ(frame.shape, (std::vector<std::size_t>{4, 7}));
  const auto read = frame.values<std::int32_t>();
  EXPECT_EQ(std::vector<std::int32_t>(read.begin(), read.end()), int32_values);

  const std::vector<std::uint16_t> uint16_values = {0, 65535, 0, 1, 300, 65000, 65535, 2, 128, 0};
  write_byte_offset_cbf(dir.path() / "uint16.cbf", uint16_values, 5);
  const auto small = io::open_frames(dir.path() / "uint16.cbf")->read(0);
  EXPECT_EQ(small.type, io::PixelType::uint16);
  const auto read16 = small.values<std::uint16_t>();
  EXPECT_EQ(std::vector<std::uint16_t>(read16.begin(), read16.end()), uint16_values);
}

TEST(CbfSmall, ReadsOnSeveralThreadsAtOnce) {
  std::vector<fs::path> files = {corpus("valid.cbf")};
  if (const auto cspad = tests::shared_data("cspad/idx-20130301060858401.cbf")) files.push_back(*cspad);
  std::vector<std::vector<std::byte>> expected;
  for (const auto& file : files) expected.push_back(io::open_frames(file)->read(0).data);
  std::atomic<int> mismatches = 0, reads = 0;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&] {
      for (int round = 0; round < 10; ++round)
        for (std::size_t f = 0; f < files.size(); ++f) {
          mismatches += io::open_frames(files[f])->read(0).data != expected[f];
          ++reads;
        }
    });
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(reads, 40 * static_cast<int>(files.size()));
  EXPECT_EQ(mismatches, 0);
}

TEST(CbfBroken, EachFileGivesFormatErrorNamingFileAndProblem) {
  const Broken cases[] = {
      {"empty.cbf", ": empty file"},
      {"not_cbf.cbf", ": not a CBF file (no ###CBF at the start)"},
      {"header_only.cbf", ": no binary data section"},
      {"no_binary_marker.cbf", ": binary section 1: no start-of-binary marker"},
      {"truncated_binary.cbf", ": binary section 1: truncated binary data (20 of "},
      {"absurd_dimensions.cbf", ": binary section 1: declares 1000000000000 pixels, more than the 268435456"},
      {"dimensions_mismatch.cbf",
       ": binary section 1: dimensions give 40 pixels but X-Binary-Number-of-Elements is 35"},
      {"size_beyond_file.cbf", ": binary section 1: truncated binary data ("},
      {"corrupt_binary.cbf", " array 1: corrupt binary section (Content-MD5 mismatch or bad MIME header; "},
      {"short_data.cbf", " array 1: compressed data ends after 20 of 35 pixels"},
      {"bad_wavelength.cbf", ": Pilatus header line '# Wavelength one A': cannot read 'one A'"},
      {"corrupt_escape_no_md5.cbf", " array 1: compressed data decodes to 37 pixels, not the 35 declared"},
      {"unsupported_type.cbf", " array 1: unsupported element type (integer, 8 bytes)"},
  };
  for (const auto& c : cases) {
    const auto path = corpus(c.file);
    const auto message = error_of(path);
    EXPECT_TRUE(message.starts_with(path.string())) << c.file << ": " << message;
    EXPECT_NE(message.find(c.problem), std::string::npos) << c.file << ": " << message;
  }
}

TEST(CbfBroken, EveryCorpusFileButTheValidOneFails) {
  std::size_t count = 0;
  for (const auto& entry : fs::directory_iterator(corpus(""))) {
    if (entry.path().extension() != ".cbf" || entry.path().filename() == "valid.cbf") continue;
    ++count;
    EXPECT_NE(error_of(entry.path()), "(no error)") << entry.path();
  }
  EXPECT_GE(count, 13u);
}

std::string read_bytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void write_bytes(const fs::path& path, std::string_view bytes) {
  std::ofstream(path, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

// Every prefix of valid.cbf either fails with FormatError or, once the binary data is whole
// (only padding and the closing boundary cut), reads the same pixels: no crash, no garbage.
TEST(CbfBroken, EveryTruncationFailsCleanlyOrReadsTheWholeData) {
  const auto valid = read_bytes(corpus("valid.cbf"));
  const auto expected = io::open_cbf(corpus("valid.cbf"))->read(0).data;
  const tests::TempDir dir;
  const auto path = dir.path() / "cut.cbf";
  std::size_t failed = 0;
  for (std::size_t length = 0; length < valid.size(); length += 29) {
    write_bytes(path, std::string_view(valid).substr(0, length));
    try {
      EXPECT_EQ(io::open_cbf(path)->read(0).data, expected) << length;
    } catch (const io::FormatError& e) {
      ++failed;
      EXPECT_TRUE(std::string(e.what()).starts_with(path.string())) << e.what();
    }
  }
  EXPECT_GT(failed, 25u);
}

// Every third byte of valid.cbf's text and each of its compressed bytes changed in turn:
// FormatError or a frame of consistent size, never a crash (a small fuzz test; under ASan it
// found libcbf's byte-offset overflow that io/cbf.cpp now guards against).
TEST(CbfBroken, ChangedBytesNeverCrash) {
  const auto valid = read_bytes(corpus("valid.cbf"));
  const auto data_end = valid.find("\x0c\x1a\x04\xd5") + 4 + 80;
  const tests::TempDir dir;
  const auto path = dir.path() / "changed.cbf";
  for (std::size_t at = 0; at < data_end; at += at < data_end - 80 ? 3 : 1) {
    auto changed = valid;
    changed[at] = static_cast<char>(changed[at] ^ (at % 2 ? 0x5a : 0x01));
    write_bytes(path, changed);
    try {
      const auto frame = io::open_cbf(path)->read(0);
      EXPECT_EQ(frame.data.size(), frame.pixel_count() * io::pixel_bytes(frame.type)) << at;
    } catch (const io::FormatError&) {
    }
  }
}

TEST(CbfReal, Pilatus6MThaumatin) {
  const std::string relative = "pilatus6m/thau_3_2_0001.cbf.bz2";
  const auto bz2 = tests::shared_data(relative);
  if (!bz2) GTEST_SKIP() << tests::missing_data_message(relative);
  const tests::TempDir dir;
  const auto cbf = dir.path() / "thau_3_2_0001.cbf";
  const std::string command = "bunzip2 -c '" + bz2->string() + "' > '" + cbf.string() + "'";
  ASSERT_EQ(std::system(command.c_str()), 0) << command;

  const auto source = io::open_frames(cbf);
  EXPECT_EQ(source->format(), "miniCBF byte-offset");
  const auto frame = source->read(0);
  EXPECT_EQ(frame.shape, (std::vector<std::size_t>{2527, 2463}));
  ASSERT_EQ(frame.type, io::PixelType::int32);
  const auto values = frame.values<std::int32_t>();
  // fabio.open(...).data: sum, min, max, count < 0, and three pixels [y, x].
  const auto c = checksums(values);
  EXPECT_EQ(c.sum, 20608414);
  EXPECT_EQ(c.min, -2);
  EXPECT_EQ(c.max, 114000);
  EXPECT_EQ(c.negative, 526726u);
  EXPECT_EQ(values[0], -2);

  const auto& m = frame.metadata;
  EXPECT_DOUBLE_EQ(m.wavelength_m.value(), 0.96859e-10);
  EXPECT_DOUBLE_EQ(m.distance_m.value(), 0.351);
  EXPECT_DOUBLE_EQ(m.beam_center_fast_px.value(), 1261.61);
  EXPECT_DOUBLE_EQ(m.beam_center_slow_px.value(), 1306.96);
  EXPECT_DOUBLE_EQ(m.pixel_size_fast_m.value(), 172e-6);
  EXPECT_DOUBLE_EQ(m.pixel_size_slow_m.value(), 172e-6);
  EXPECT_DOUBLE_EQ(m.exposure_time_s.value(), 0.019);
  EXPECT_DOUBLE_EQ(m.count_cutoff.value(), 115897.0);
  EXPECT_EQ(m.other.at("Detector"), "PILATUS3 6M, S/N 60-0119");
  EXPECT_EQ(m.other.at("Polarization"), "0.990");
}

// The other shared frames: shape and checksums, computed independently as above (fabio for the
// Pilatus frames, the Python packed decoder for CSPAD 601).
TEST(CbfReal, EverySharedFrameHasItsChecksums) {
  struct Expected {
    std::string relative;
    std::vector<std::size_t> shape;
    std::int64_t sum, min, max;
    std::size_t negative;
  };
  const Expected frames[] = {
      {"pilatus6m/thau_3_2_0002.cbf.bz2", {2527, 2463}, 23460713, -2, 1046527, 526726},
      {"pilatus6m/thau_3_2_0003.cbf.bz2", {2527, 2463}, 26161421, -2, 1046527, 526726},
      {"pilatus6m/thau_3_2_0004.cbf.bz2", {2527, 2463}, 25024552, -2, 1046527, 526726},
      {"cspad/idx-20130301060858601.cbf", {64, 185, 194}, 48707932, -5136, 16383, 22623},
  };
  const tests::TempDir dir;
  for (const auto& e : frames) {
    auto path = tests::shared_data(e.relative);
    if (!path) GTEST_SKIP() << tests::missing_data_message(e.relative);
    if (path->extension() == ".bz2") {
      const auto cbf = dir.path() / path->stem();
      const std::string command = "bunzip2 -c '" + path->string() + "' > '" + cbf.string() + "'";
      ASSERT_EQ(std::system(command.c_str()), 0) << command;
      path = cbf;
    }
    const auto frame = io::open_frames(*path)->read(0);
    EXPECT_EQ(frame.shape, e.shape) << e.relative;
    const auto c = checksums(frame.values<std::int32_t>());
    EXPECT_EQ(c.sum, e.sum) << e.relative;
    EXPECT_EQ(c.min, e.min) << e.relative;
    EXPECT_EQ(c.max, e.max) << e.relative;
    EXPECT_EQ(c.negative, e.negative) << e.relative;
  }
}

TEST(CbfReal, CspadFourQuadrantsAs64AsicPanels) {
  const std::string relative = "cspad/idx-20130301060858401.cbf";
  const auto path = tests::shared_data(relative);
  if (!path) GTEST_SKIP() << tests::missing_data_message(relative);
  const auto source = io::open_frames(*path);
  EXPECT_EQ(source->format(), "CBF packed (4 arrays)");
  const auto frame = source->read(0);
  // Four quadrant arrays of 8 x 185 x 388, cut by _array_structure_list_section into 64 ASICs
  // of 185 x 194 in file order (Q0S0A0, Q0S0A1, Q0S1A0, ...), the panels dxtbx and DIALS number.
  EXPECT_EQ(frame.shape, (std::vector<std::size_t>{64, 185, 194}));
  ASSERT_EQ(frame.type, io::PixelType::int32);
  const auto values = frame.values<std::int32_t>();
  const auto c = checksums(values);
  EXPECT_EQ(c.sum, 32878926);
  EXPECT_EQ(c.min, -5136);
  EXPECT_EQ(c.max, 16383);
  EXPECT_EQ(c.negative, 82360u);

  // Orientation and panel order: DIALS spots (idx-20130301060858401_dials_strong.csv) whose
  // shoebox is all foreground, so their intensity_sum is the plain sum over the bounding box.
  struct Spot {
    std::size_t panel, x0, x1, y0, y1;
    std::int64_t intensity_sum;
  };
  const Spot spots[] = {{0, 12, 13, 78, 82, 2856},   {15, 152, 153, 78, 82, 1159}, {17, 186, 188, 81, 83, 933},
                        {19, 69, 71, 38, 40, 1394},  {32, 10, 11, 95, 99, 1883},   {34, 139, 141, 100, 102, 1655},
                        {39, 137, 141, 162, 163, 1765}, {48, 98, 100, 87, 89, 2152}};
  for (const auto& s : spots) {
    std::int64_t sum = 0;
    for (std::size_t y = s.y0; y < s.y1; ++y)
      for (std::size_t x = s.x0; x < s.x1; ++x) sum += values[(s.panel * 185 + y) * 194 + x];
    EXPECT_EQ(sum, s.intensity_sum) << "panel " << s.panel << " x " << s.x0 << " y " << s.y0;
  }

  const auto& m = frame.metadata;
  EXPECT_DOUBLE_EQ(m.wavelength_m.value(), 1.272607e-10);
  EXPECT_DOUBLE_EQ(m.count_cutoff.value(), 90000.0);
  EXPECT_EQ(m.other.at("undefined_value"), "-400");
  EXPECT_FALSE(m.distance_m.has_value());  // the CSPAD geometry is per panel, in the CIF axes
}

}  // namespace
}  // namespace vulkanite
